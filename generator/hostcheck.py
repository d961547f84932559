"""Which requests are addressed to `chorus serve`: the defence against DNS rebinding.

Only requests whose Host header names the address serve is bound to (an IP
literal, or `localhost` when that reaches the server) are answered; parsing
Host headers, and the address as written in a URL, live here too.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

HTTP_DEFAULT_PORT = 80

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCALHOST = "localhost"
_BRACKETED_HOST = re.compile(r"\[([0-9a-f:.]+)\](?::([0-9]{1,5}))?")
_PLAIN_HOST = re.compile(r"([a-z0-9.-]+)(?::([0-9]{1,5}))?")


def split_host(value: str) -> tuple[str | IPAddress, int] | None:
    """A Host header's host (an IP address, or a lower-case name) and port; None when malformed.

    An IPv6 address must be in brackets and an IPv4 address in dotted decimal,
    as browsers send them; a port written with leading zeros is malformed;
    no port means 80. An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that
    IPv4 address.
    """
    value = value.strip(" \t").lower()
    bracketed = _BRACKETED_HOST.fullmatch(value)
    match = bracketed or _PLAIN_HOST.fullmatch(value)
    if match is None:
        return None
    name, port_text = match.groups()
    if port_text is None:
        port = HTTP_DEFAULT_PORT
    elif port_text != str(int(port_text)):
        return None
    else:
        port = int(port_text)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None if bracketed else (name, port)
    if (bracketed is not None) != (address.version == 6):
        return None
    return unmapped(address), port


def unmapped(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address as the IPv4 address it is; any other address as it is."""
    return getattr(address, "ipv4_mapped", None) or address


def is_address_of_this_machine(address: IPAddress) -> bool:
    """Whether a socket can be bound to `address`: exactly when one of this machine's interfaces has it."""
    if address.is_unspecified or address.is_multicast:
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:  # a datagram socket: nothing is sent
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class HostCheck:
    """Which Host headers name this server: the bound address, with the bound port.

    DNS rebinding: a web page from a name its owner controls makes that name
    resolve to 127.0.0.1, and reads this server as if it were its own site.
    The browser still sends that name as Host, so answering only to names
    that cannot be rebound stops it: IP literals, and `localhost` (which
    browsers resolve to loopback themselves) when it can reach the server.
    """

    bound: IPAddress
    port: int

    @classmethod
    def of(cls, server_address: tuple) -> HostCheck:
        return cls(unmapped(ipaddress.ip_address(server_address[0].split("%", 1)[0])), server_address[1])

    def allows(self, values: list[str] | None) -> bool:
        """Whether a request with these Host header values (None: no Host header) is for this server."""
        if not values or len(values) != 1:
            return False  # HTTP/1.0 without Host, or two Host headers: nobody can tell whom it is for
        parsed = split_host(values[0])
        if parsed is None or parsed[1] != self.port:
            return False
        host = parsed[0]
        if host == LOCALHOST:
            return self.bound.is_loopback or self.bound.is_unspecified
        if isinstance(host, str):
            return False  # a name other than localhost: the very thing a rebinding attack sends
        if self.bound.is_unspecified:
            return is_address_of_this_machine(host)
        return host == self.bound

    def describe(self) -> str:
        """The accepted hosts, for the refusal's explanation."""
        if self.bound.is_unspecified:
            return f"{LOCALHOST}:{self.port} or an IP address of this machine with port {self.port}"
        literal = f"{url_literal(self.bound)}:{self.port}"
        return f"{literal} or {LOCALHOST}:{self.port}" if self.bound.is_loopback else literal


def url_literal(address: IPAddress) -> str:
    """An address as written in a URL: IPv6 in brackets."""
    return f"[{address}]" if address.version == 6 else str(address)
