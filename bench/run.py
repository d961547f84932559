"""The benchmark of issue #7: Chorus's builds on a generated corpus, and optionally Pelican's and Hugo's.

    python bench/run.py --entries 1000 [--peers] [--jobs N] [--keep DIR] [--write-results]
    python bench/run.py                 # N = 1,000, 10,000 and 50,000
    python bench/run.py --smoke         # 200 entries, every phase, no peers: for CI (< 60 s)

For each N it writes the corpus (bench/corpus.py), then runs each build as a
separate process and measures it:

  cold         output folder and <site>/.chorus-cache/ deleted first
  no-change    the same build again
  edit-body    after appending a paragraph to one article's body
  edit-tags    after adding a tag to another article
  edit-template after copying the built-in entry.html into the site's layouts/ and changing a line

With --peers, the corpus is converted for Pelican and Hugo (bench/peers.py),
which are installed into bench/.venv-peers when missing, and each gets a cold
build and a no-change rebuild; Chorus's wall time is printed as a ratio of each.

Figures: wall time; CPU time (user + system of the child and the processes it
waited for, from os.wait4); peak memory (ru_maxrss from os.wait4: the largest
resident set of the child or of any process it waited for, not a sum);
'touched': output files created, or whose inode or mtime changed, plus those
removed; 'changed': output files whose bytes differ from before the build
(added, removed or different content, compared by BLAKE2 digest).

Run it with the Python that has Chorus's dependencies (the project's venv); the
Chorus measured is the one in this checkout (it is put first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import write_corpus  # noqa: E402

RESULTS = HERE / "RESULTS.md"
CHORUS_SRC = REPO
"""The folder holding the generator/ package measured: this checkout, or a snapshot of --rev."""
DEFAULT_SIZES = (1000, 10000, 50000)
SMOKE_SIZE = 200
CHORUS_PHASES = ("cold", "no-change", "edit-body", "edit-tags", "edit-template")
PEER_PHASES = ("cold", "no-change")
BENCH_TAG = "TimesUp"
LOADS: list[float] = []
"""The 1-minute load average before each build: other work on the machine skews the figures."""


# ---- measuring one process ------------------------------------------------------------


@dataclass
class Run:
    tool: str
    phase: str
    wall: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0
    touched: int = 0
    changed: int | None = None
    files: int = 0
    exit: int = 0
    tail: str = ""
    """The last lines of stderr (stdout when stderr is empty), when the build failed."""


def run_process(argv: list[str], cwd: Path, env: dict, log_dir: Path, label: str) -> tuple[float, float, float, int, str]:
    """Run argv as a child; (wall s, cpu s, peak MiB, exit code, output tail) measured with os.wait4."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{label}.out", log_dir / f"{label}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = code = os.waitstatus_to_exitcode(status)
    tail = ""
    if code != 0:
        text = err_path.read_text(errors="replace").strip() or out_path.read_text(errors="replace").strip()
        tail = "\n".join(text.splitlines()[-8:])
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, tail


# ---- what a build wrote -----------------------------------------------------------------


@dataclass
class Snapshot:
    stat: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Relative path -> (inode, mtime_ns, size)."""
    digest: dict[str, bytes] = field(default_factory=dict)


def snapshot(root: Path, before: Snapshot | None, hashing: bool) -> Snapshot:
    """Every file under root; digests are computed for files that are new or touched, reused otherwise."""
    snap = Snapshot()
    if not root.is_dir():
        return snap
    stack = [root]
    prefix = len(str(root)) + 1
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                    continue
                st = entry.stat(follow_symlinks=False)
                rel = entry.path[prefix:]
                key = (st.st_ino, st.st_mtime_ns, st.st_size)
                snap.stat[rel] = key
                if hashing:
                    if before is not None and before.stat.get(rel) == key and rel in before.digest:
                        snap.digest[rel] = before.digest[rel]
                    else:
                        snap.digest[rel] = _digest(entry.path)
    return snap


def _digest(path: str) -> bytes:
    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(), digest_size=16).digest()


def compare(before: Snapshot, after: Snapshot, hashing: bool) -> tuple[int, int | None]:
    """(touched, changed): see the module's docstring."""
    removed = sum(1 for rel in before.stat if rel not in after.stat)
    touched = removed + sum(1 for rel, key in after.stat.items() if before.stat.get(rel) != key)
    if not hashing:
        return touched, None
    changed = removed + sum(1 for rel, d in after.digest.items() if before.digest.get(rel) != d)
    return touched, changed


# ---- the edits between rebuilds ---------------------------------------------------------


def _articles(site: Path) -> list[Path]:
    return sorted((site / "content" / "articles").glob("*.md"))


def _live(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    front = text.split("\n---\n", 1)[0]
    return "\ndraft: true" not in front and "\nwithdrawn:" not in front


def edit_body(site: Path) -> str:
    articles = [p for p in _articles(site) if _live(p)]
    target = articles[len(articles) // 2]
    with open(target, "a", encoding="utf-8") as f:
        f.write("\nA paragraph added by the benchmark, to measure a rebuild after one body changes.\n")
    return str(target.relative_to(site))


def edit_tags(site: Path) -> str:
    articles = [p for p in _articles(site) if _live(p)]
    target = articles[len(articles) // 3]
    text = target.read_text(encoding="utf-8")
    match = re.search(r"^tags: \[(.*)\]$", text, re.M)
    tags = match.group(1)
    extra = BENCH_TAG if BENCH_TAG.lower() not in tags.lower() else "NOTokay"
    target.write_text(text[:match.start()] + f'tags: [{tags}, "{extra}"]' + text[match.end():], encoding="utf-8")
    return f"{target.relative_to(site)} (+{extra})"


def edit_template(site: Path) -> str:
    source = CHORUS_SRC / "generator" / "theme" / "templates" / "entry.html"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if "{% block main %}" in line), None)
    if at is None:
        raise SystemExit(f"bench: {source} has no '{{% block main %}}' line to edit after")
    lines.insert(at + 1, '<p class="bench-edit" hidden>edited by bench/run.py</p>\n')
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts" / "entry.html").write_text("".join(lines), encoding="utf-8")
    return "layouts/entry.html (one line added to the built-in entry.html)"


EDITS = {"edit-body": edit_body, "edit-tags": edit_tags, "edit-template": edit_template}


# ---- the tools --------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    version: str
    argv: list[str]
    cwd: Path
    out: Path
    caches: list[Path]
    env: dict


def chorus_tool(site: Path, out: Path, jobs: int | None, log) -> Tool:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(CHORUS_SRC)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    probe = subprocess.run([sys.executable, "-c", "import generator; print(generator.__version__, generator.__file__)"],
                           env=env, capture_output=True, text=True, cwd=CHORUS_SRC)
    if probe.returncode != 0:
        raise SystemExit("bench: this Python cannot import Chorus's generator; run it with the project's venv, "
                         "e.g. .venv/bin/python bench/run.py, made with the versions known to work: "
                         "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e .\n"
                         f"{probe.stderr.strip()}")
    version, _, where = probe.stdout.strip().partition(" ")
    if not Path(where).resolve().is_relative_to(CHORUS_SRC.resolve()):
        raise SystemExit(f"bench: the child imports generator from {where}, not from {CHORUS_SRC}")
    argv = [sys.executable, "-m", "generator", "build", "--site", str(site), "--out", str(out)]
    helptext = subprocess.run(argv[:4] + ["--help"], env=env, capture_output=True, text=True,
                              cwd=CHORUS_SRC).stdout
    parallel = ""
    if "--jobs" in helptext:
        parallel = f", --jobs {jobs}" if jobs else ", default --jobs (one process per core)"
        if jobs:
            argv += ["--jobs", str(jobs)]
    elif jobs:
        log(f"bench: this Chorus's build has no --jobs option: --jobs {jobs} is ignored")
    return Tool("Chorus", version + _git_state() + parallel, argv, CHORUS_SRC, out, [site / ".chorus-cache"], env)


def snapshot_rev(rev: str, dest: Path) -> str:
    """Extract generator/ as of git revision `rev` into dest; returns the commit's short hash.

    Measuring a commit rather than the working tree keeps a long run consistent while
    others edit generator/, and makes a run repeatable.
    """
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", f"{rev}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"bench: --rev {rev}: not a commit of {REPO}")
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", commit.stdout.strip(), "generator"],
                               stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"bench: --rev {rev}: git archive failed")
    return commit.stdout.strip()


REV: str = ""
"""The commit measured with --rev ('' for the working tree)."""


def _git_state() -> str:
    if REV:
        return f" (commit {REV})"
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "generator"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
    return f" ({head}{', generator/ with uncommitted changes' if dirty else ''})" if head else ""


def peer_tools(site: Path, work: Path, log) -> list[Tool]:
    import peers
    peers.CHORUS_SRC = CHORUS_SRC
    installed = peers.ensure_peers(log)
    if not installed:
        return []
    started = time.perf_counter()
    items = peers.read_archive(site)
    tools = []
    if "pelican" in installed:
        project = peers.convert_pelican(site, work / "pelican", items)
        peer = installed["pelican"]
        out = work / "pelican-out"
        tools.append(Tool(peer.name, peer.version, peer.command + [str(project / "content"), "-s",
                          str(project / "pelicanconf.py"), "-o", str(out), "-q"], project, out,
                          [project / "cache", project / "__pycache__"], dict(os.environ)))
    if "hugo" in installed:
        project = peers.convert_hugo(site, work / "hugo", items)
        peer = installed["hugo"]
        out = work / "hugo-out"
        env = dict(os.environ, HUGO_CACHEDIR=str(work / "hugo-cache"))
        tools.append(Tool(peer.name, peer.version, peer.command + ["--source", str(project), "--destination",
                          str(out), "--logLevel", "error"], project, out,
                          [project / "resources", work / "hugo-cache", project / ".hugo_build.lock"], env))
    log(f"bench: converted the corpus for {', '.join(t.name for t in tools)} in {time.perf_counter() - started:.1f} s")
    return tools


def measure(tool: Tool, phases, site: Path, work: Path, hashing: bool, log) -> list[Run]:
    runs = []
    before = Snapshot()
    for phase in phases:
        if phase == "cold":
            for path in [tool.out, *tool.caches]:
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            before = Snapshot()
        elif phase in EDITS:
            log(f"  {tool.name} {phase}: {EDITS[phase](site)}")
        LOADS.append(os.getloadavg()[0])
        label = f"{tool.name.lower()}-{phase}"
        wall, cpu, peak, code, tail = run_process(tool.argv, tool.cwd, tool.env, work / "logs", label)
        after = snapshot(tool.out, before, hashing)
        touched, changed = compare(before, after, hashing)
        run = Run(tool.name, phase, wall, cpu, peak, touched, changed, len(after.stat), code, tail)
        runs.append(run)
        log(f"  {tool.name} {phase}: {wall:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MiB, {touched} touched"
            f"{'' if changed is None else f', {changed} changed'}, {len(after.stat)} files, exit {code}")
        if code != 0:
            log("    " + tail.replace("\n", "\n    "))
        before = after
    return runs


# ---- reporting ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    info = {"cores": f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})"}
    try:
        mem = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        info["memory"] = f"{int(mem.group(1)) / 1024 ** 2:.1f} GiB"
    except (OSError, AttributeError):
        info["memory"] = "unknown"
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        info["cpu"] = cpu.group(1).strip()
    except (OSError, AttributeError):
        info["cpu"] = platform.processor() or "unknown"
    info["python"] = platform.python_version()
    info["os"] = f"{platform.system()} {platform.release()}"
    return info


def table(n: int, runs: list[Run]) -> str:
    rows = ["| tool | phase | wall s | CPU s | peak MiB | touched | changed | output files | exit |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in runs:
        changed = "–" if r.changed is None else f"{r.changed:,}"
        rows.append(f"| {r.tool} | {r.phase} | {r.wall:.2f} | {r.cpu:.2f} | {r.peak_mib:,.0f} | {r.touched:,} | "
                    f"{changed} | {r.files:,} | {r.exit} |")
    return "\n".join(rows)


def ratios(runs: list[Run]) -> list[str]:
    chorus = {r.phase: r for r in runs if r.tool == "Chorus" and r.exit == 0}
    lines = []
    for peer in dict.fromkeys(r.tool for r in runs if r.tool != "Chorus"):
        for r in runs:
            if r.tool == peer and r.phase in chorus and r.exit == 0 and r.wall > 0:
                c = chorus[r.phase]
                lines.append(f"- {r.phase}: Chorus {c.wall:.2f} s = {c.wall / r.wall:.2f}× {peer}'s {r.wall:.2f} s "
                             f"(CPU {c.cpu / r.cpu:.2f}×, peak memory {c.peak_mib / r.peak_mib:.2f}×)"
                             if r.cpu and r.peak_mib else f"- {r.phase}: Chorus {c.wall / r.wall:.2f}× {peer}")
    return lines


def section(n: int, seed: int, runs: list[Run], tools: list[Tool], notes: list[str], smoke: bool) -> str:
    info = machine()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    heading = f"## {n:,} entries" + (" (smoke)" if smoke else "")
    lines = [heading, "",
             f"Run {when} on {info['cores']} cores, {info['memory']} of memory, {info['cpu']}; "
             f"Python {info['python']}, {info['os']}. Corpus: `bench/corpus.py --entries {n} --seed {seed}`.", ""]
    lines += [f"- {t.name} {t.version}" for t in tools] + [""]
    lines += [table(n, runs), ""]
    ratio_lines = ratios(runs)
    if ratio_lines:
        lines += ["Chorus's time as a ratio of each peer's (below 1: Chorus is faster):", ""] + ratio_lines + [""]
    lines += [f"- {note}" for note in notes if note]
    return "\n".join(lines).rstrip() + "\n"


RESULTS_HEAD = """# Benchmark results

Written by `python bench/run.py --write-results` (see README.md beside this
file for what each figure means). Each section is replaced by the next run of
the same size; the date, machine and versions are those of that run.
"""


def write_results(n: int, smoke: bool, text: str) -> None:
    key = f"{n}{'-smoke' if smoke else ''}"
    sections: dict[str, str] = {}
    if RESULTS.exists():
        for match in re.finditer(r"<!-- section: (\S+) -->\n(.*?)<!-- end section: \1 -->\n",
                                 RESULTS.read_text(encoding="utf-8"), re.S):
            sections[match.group(1)] = match.group(2)
    sections[key] = text
    order = sorted(sections, key=lambda k: (k.endswith("-smoke"), int(k.split("-")[0])))
    body = "".join(f"\n<!-- section: {k} -->\n{sections[k]}<!-- end section: {k} -->\n" for k in order)
    RESULTS.write_text(RESULTS_HEAD + body, encoding="utf-8")


# ---- main -------------------------------------------------------------------------------------


def bench_size(n: int, args, log) -> tuple[list[Run], list[Tool], list[str], bool]:
    notes: list[str] = []
    if args.keep:
        work = args.keep / str(n)
        work.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix=f"chorus-bench-{n}-")
        work = Path(cleanup.name)
    try:
        site = work / "site"
        started = time.perf_counter()
        counts = write_corpus(site, n, args.seed, archived_urls=not args.no_archived_url)
        log(f"bench: {n:,} entries ({', '.join(f'{v} {k}' for k, v in counts.items())}) written to {site} "
            f"in {time.perf_counter() - started:.1f} s")
        source_bytes = sum(p.stat().st_size for p in (site / "content").rglob("*.md"))
        notes.append(f"Corpus: {counts['article']:,} articles, {counts['take']:,} takes, {counts['thread']:,} threads "
                     f"and {counts['page']} pages (of the entries, {counts['withdrawn']} withdrawn and {counts['draft']} draft), "
                     f"{source_bytes / 1e6:.1f} MB of Markdown.")
        if args.no_archived_url:
            notes.append("Written with --no-archived-url: no entry has source.archived_url (see README.md).")
        chorus = chorus_tool(site, work / "chorus-out", args.jobs, log)
        tools = [chorus]
        runs = measure(chorus, CHORUS_PHASES, site, work, not args.no_hash, log)
        if args.peers:
            # The peers build the corpus as generated, without the edits made for Chorus's rebuilds.
            write_corpus(site, n, args.seed, archived_urls=not args.no_archived_url)
            peers = peer_tools(site, work, log)
            tools += peers
            for tool in peers:
                runs += measure(tool, PEER_PHASES, site, work, not args.no_hash, log)
            if len(peers) < 2:
                notes.append("Not every peer could be installed: see the run's log.")
        notes.append(f"1-minute load average before each build: {min(LOADS):.2f} to {max(LOADS):.2f} "
                     f"(other processes on the machine take cores from the builds)." if LOADS else "")
        LOADS.clear()
        failed = any(r.exit != 0 for r in runs)
        if failed:
            notes.append("Some builds failed (exit ≠ 0): their figures are not those of a complete build.")
        if args.keep:
            log(f"bench: kept everything in {work}")
        return runs, tools, notes, failed
    finally:
        if cleanup is not None:
            cleanup.cleanup()


def parse_sizes(values: list[str]) -> list[int]:
    sizes = []
    for value in values:
        for part in value.split(","):
            part = part.strip().replace("_", "")
            if part:
                sizes.append(int(part))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark Chorus (and, with --peers, Pelican and Hugo) on a "
                                                 "generated corpus.")
    parser.add_argument("--entries", nargs="+", metavar="N",
                        help="corpus sizes, e.g. 1000 or 1000,10000 (default: 1000 10000 50000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--peers", action="store_true", help="also build the corpus with Pelican and Hugo")
    parser.add_argument("--jobs", type=int, help="passed to `chorus build --jobs` when Chorus has that option")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR/<N>/ and keep the corpus and outputs (default: a temporary folder)")
    parser.add_argument("--write-results", action="store_true", help="update this size's section of bench/RESULTS.md")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_SIZE} entries, every Chorus phase, no peers; exit 1 if a build fails (for CI)")
    parser.add_argument("--rev", metavar="REV",
                        help="measure generator/ as of this git revision (e.g. HEAD), not the working tree")
    parser.add_argument("--no-hash", action="store_true", help="skip the 'changed' count (no digest of the output)")
    parser.add_argument("--no-archived-url", action="store_true",
                        help="leave source.archived_url out of the corpus (Chorus crashed on it before 2202ef7)")
    args = parser.parse_args(argv)
    if args.smoke:
        if args.peers:
            parser.error("--smoke does not build the peers")
        sizes = [SMOKE_SIZE]
    else:
        sizes = parse_sizes(args.entries) if args.entries else list(DEFAULT_SIZES)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    global CHORUS_SRC, REV
    snapshot_dir = None
    if args.rev:
        snapshot_dir = tempfile.TemporaryDirectory(prefix="chorus-bench-src-")
        REV = snapshot_rev(args.rev, Path(snapshot_dir.name))
        CHORUS_SRC = Path(snapshot_dir.name)
        log(f"bench: measuring generator/ as of commit {REV}")
    info = machine()
    log(f"bench: {info['cores']} cores, {info['memory']}, {info['cpu']}, Python {info['python']}")
    failed_any = False
    for n in sizes:
        runs, tools, notes, failed = bench_size(n, args, log)
        failed_any |= failed
        text = section(n, args.seed, runs, tools, notes, args.smoke)
        print(text)
        if args.write_results:
            write_results(n, args.smoke, text)
            log(f"bench: updated {RESULTS}")
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main())
