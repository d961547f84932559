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

Reading smaps_rollup is not cheap: the kernel walks the process's page
tables, about 20 ms for a 500 MiB build on a 2-core VM, and holds its memory
map lock meanwhile. Read every 50 ms, it took a third of a core from the
builds it measured. Since a process's PSS is at most its RSS, which the same
scan of /proc/*/stat gives for free, a sample whose RSS sum (plus a margin for
the kernel's lagging RSS counters) cannot exceed the peak so far skips the
PSS reads: the peak is the same as if every sample had read them.
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
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
RSS_SLACK_KIB = 2048
"""Per process, what /proc/<pid>/stat's RSS may lag behind the pages mapped (the kernel syncs its per-thread
counters every 64 page faults)."""

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


def tree(root: int) -> list[int]:
    """root and all its descendants alive now (root first)."""
    return [pid for pid, _ in tree_rss(root)]


def tree_rss(root: int) -> list[tuple[int, int]]:
    """root and all its descendants alive now (root first), each with its RSS in KiB, from one scan of /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(name))
                # Field 24 of stat (rss, in pages) is at 21 counted from the state.
                rss[int(name)] = int(fields[21]) * PAGE_KIB
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        if pid in rss:
            found.append((pid, rss[pid]))
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
        self.read = 0
        """The samples that read each process's PSS (the others could not have made a new peak)."""
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

    def sample(self) -> None:
        """One sample: the tree's total now, kept as the peak (in KiB) when it is the largest."""
        found = tree_rss(self.root)
        self.samples += 1
        if HAS_ROLLUP and sum(rss + RSS_SLACK_KIB for _, rss in found) <= self.peak_kib:
            return  # PSS <= RSS: no new peak is possible, and the page-table walks are spared
        self.read += 1
        self.peak_kib = max(self.peak_kib, sum(memory_kib(pid) for pid, _ in found))

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return
