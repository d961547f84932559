"""Entry bodies kept out of memory: written to a file as the entries are read, read back when used.

A body's HTML is most of what an entry weighs (several KiB each): holding every
body of a 50,000-entry archive at once, in the build and again in each forked
render worker that touches it, is what would not fit. Each body is written once
to a `BodyFile` (an unlinked temporary file: nothing is left behind, whatever
ends the process) and the entry keeps a `Body`, which reads its text back with
pread when a page, a feed item or the search index needs it, and lets it go
after. A forked worker inherits the file's descriptor and reads the same bytes.

A `Body` pickles as its text, so a worker's results hold the text itself, never
a reference into a file another process owns. The entry cache keeps a body's
bytes apart from its entry, and hands them to the body file as they are.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class BodyFile:
    """Bodies appended to one unlinked file; it is closed (and its space freed) with the last `Body` of it."""

    def __init__(self, folder: Path | None = None):
        try:
            self._file = tempfile.TemporaryFile(dir=folder)
        except OSError:
            self._file = tempfile.TemporaryFile()
        self._fd = self._file.fileno()
        self._size = 0

    def put(self, text: str) -> Body:
        return self.put_encoded(text.encode("utf-8", "surrogatepass"))

    def put_encoded(self, data: bytes) -> Body:
        """A body given as its UTF-8 bytes (Body.encoded): as the entry cache keeps it."""
        return self.put_many_encoded([data])[0]

    def put_many_encoded(self, datas: list[bytes]) -> list[Body]:
        """Bodies given as their UTF-8 bytes, written with one call rather than one each."""
        offset = self._size
        data = datas[0] if len(datas) == 1 else b"".join(datas)
        written = 0
        while written < len(data):
            written += os.pwrite(self._fd, data[written:], offset + written)
        self._size += len(data)
        bodies = []
        for each in datas:
            bodies.append(Body(self, offset, len(each)))
            offset += len(each)
        return bodies

    def read(self, offset: int, length: int) -> str:
        return self.read_encoded(offset, length).decode("utf-8", "surrogatepass")

    def read_encoded(self, offset: int, length: int) -> bytes:
        data = os.pread(self._fd, length, offset)
        while len(data) < length:  # a short read (a signal): the rest
            data += os.pread(self._fd, length - len(data), offset + len(data))
        return data


class Body:
    """A body in a BodyFile; equal to another body (or a string) of the same text."""

    __slots__ = ("file", "offset", "length")

    def __init__(self, file: BodyFile, offset: int, length: int):
        self.file, self.offset, self.length = file, offset, length

    def text(self) -> str:
        return self.file.read(self.offset, self.length)

    def encoded(self) -> bytes:
        return self.file.read_encoded(self.offset, self.length)

    def __reduce__(self):
        return (str, (self.text(),))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Body):
            return other is self or other.text() == self.text()
        if isinstance(other, str):
            return other == self.text()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text())

    def __repr__(self) -> str:
        return repr(self.text())


def text_of(body: str | Body) -> str:
    return body if isinstance(body, str) else body.text()


def encoded_of(body: str | Body) -> bytes:
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body.encoded()


def spill(result, bodies: BodyFile):
    """A read result (entry, errors) with the entry's body written to `bodies` (entries.Entry.spilled); a
    result without an entry (None, or a worker's internal error) as it is."""
    entry = result[0] if isinstance(result, tuple) and result else None
    spilled = getattr(entry, "spilled", None)
    return (spilled(bodies), *result[1:]) if spilled is not None else result
