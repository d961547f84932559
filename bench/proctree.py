"""What a process and every process it started hold and use, read from /proc (Linux).

Peak memory is the largest sum, over the tree, of each process's PSS
(proportional set size, from /proc/<pid>/smaps_rollup), sampled in a thread.
PSS rather than RSS: a forked worker shares most of its pages with its parent,
and a sum of RSS would count those pages once per process; PSS divides each
shared page among the processes that map it, so the sum is what the tree
really occupies. Kernels before 4.14 have no smaps_rollup: there the sum is of
RSS, and `MEASURE` says so.

The tree is found by scanning /proc/*/stat for parent ids at every sample
(this kernel may lack /proc/<pid>/task/<tid>/children); a process that
detaches itself from its parent (a daemon's double fork) is not followed.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

SAMPLE_SECONDS = 0.05
HAS_ROLLUP = Path("/proc/self/smaps_rollup").exists()
MEASURE = "PSS" if HAS_ROLLUP else "RSS"
"""What the peak sums: PSS where the kernel reports it, RSS otherwise."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_PSS_RE = re.compile(rb"^Pss:\s+(\d+) kB", re.M)
_RSS_RE = re.compile(rb"^VmRSS:\s+(\d+) kB", re.M)


def _stat_fields(pid: int) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), from the state on."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2:].split()


def children_of() -> dict[int, list[int]]:
    """Parent pid -> its children's pids, for every process on the machine now."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(name))
    return children


def tree(root: int) -> list[int]:
    """root and all its descendants alive now (root first)."""
    children = children_of()
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def memory_kib(pid: int) -> int:
    """The process's PSS (RSS without smaps_rollup) in KiB; 0 once it has exited."""
    path, pattern = (f"/proc/{pid}/smaps_rollup", _PSS_RE) if HAS_ROLLUP else (f"/proc/{pid}/status", _RSS_RE)
    try:
        with open(path, "rb") as f:
            match = pattern.search(f.read())
    except OSError:  # exited between the scan and this read
        return 0
    return int(match.group(1)) if match else 0


def running(pid: int) -> bool:
    """Whether pid exists and has not exited; unlike Popen.poll(), this does not reap it, so os.wait4 still can."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in (b"Z", b"X")


def cpu_seconds(root: int) -> float:
    """User + system time of the tree now: each live process's own, plus what the children it reaped used
    (a process of the tree may reap its own: the build's search indexer reaps Pagefind, and leaving that out
    would make the total fall when it does, which reads as idle)."""
    total = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            # Fields 14-17 of stat (utime, stime, cutime, cstime) are at 11-14 counted from the state.
            total += sum(int(v) for v in fields[11:15])
    return total / CLOCK_TICKS


class PeakMemory:
    """Samples a process tree's total memory every SAMPLE_SECONDS in a thread, while in a `with` block.

    The sampler's own CPU time is the benchmark's, not the measured process's;
    reading smaps_rollup briefly holds the measured process's memory map lock,
    which costs it little at this rate.
    """

    def __init__(self, root: int, interval: float = SAMPLE_SECONDS):
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"peak-memory-{root}", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024

    def sample(self) -> int:
        """One sample: the tree's total now, in KiB (also kept as the peak when it is the largest)."""
        total = sum(memory_kib(pid) for pid in tree(self.root))
        self.peak_kib = max(self.peak_kib, total)
        self.samples += 1
        return total

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return
