"""The benchmark of issues #7 and #15: Chorus's builds on a generated corpus, and optionally Pelican's and Hugo's.

    python bench/run.py --entries 1000 [--peers] [--jobs N] [--keep DIR] [--write-results]
    python bench/run.py                 # N = 1,000, 10,000 and 50,000
    python bench/run.py --smoke         # 200 entries, every phase, no peers: for CI (< 60 s)

For each N it writes the corpus (bench/corpus.py), then runs each build as a
separate process and measures it:

  cold          output folder and <site>/.chorus-cache/ deleted first
  no-change     the same build again
  edit-body     after appending a paragraph to one article's body
  edit-tags     after adding a tag to another article
  edit-template after copying the built-in entry.html into the site's layouts/ and changing a line
  serve         `chorus serve`: the time from saving an article to the reload event, median of three saves

With --peers, the corpus is converted for Pelican and Hugo (bench/peers.py),
which are installed into bench/.venv-peers when missing. They get the cold,
no-change and edit-body builds, and Hugo its server's save to reload; each
phase runs for every tool before the next phase starts, so that Chorus and its
peers are measured under the same load.

Figures: wall time; CPU time (user + system of the child and the processes it
waited for, from os.wait4); peak memory (the largest sum of PSS over the
process and all its descendants, sampled every 50 ms: bench/proctree.py);
each phase's wall and CPU time as a share of the same tool's cold build;
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
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import write_corpus  # noqa: E402
from proctree import MEASURE, SAMPLE_SECONDS, PeakMemory  # noqa: E402
from reload import HOST, ChorusEvents, HugoLiveReload, ServeResult, ServeSpec, measure_serve  # noqa: E402

if TYPE_CHECKING:
    from peers import Peer

RESULTS = HERE / "RESULTS.md"
DEFAULT_SIZES = (1000, 10000, 50000)
SMOKE_SIZE = 200
PHASES = ("cold", "no-change", "edit-body", "edit-tags", "edit-template", "serve")
TITLES = {"serve": "serve: save to reload"}
COMPARED = ("cold", "no-change", "edit-body", "serve")
"""Phases that Chorus and a peer can both have: the peers rebuild after the same body edit."""
BENCH_TAG = "TimesUp"
SERVE_TIMEOUT = (60.0, 10.0)
"""A server gets 60 s plus 10 times its tool's cold build to serve its first site, and as long for each reload."""

Log = Callable[[str], None]


@dataclass
class Context:
    """What every phase of one run needs to know."""

    src: Path
    """The folder holding the generator/ package measured: this checkout, or a snapshot of --rev."""
    rev: str
    """The commit measured with --rev ('' for the working tree)."""
    hashing: bool
    log: Log
    loads: list[float] = field(default_factory=list)
    """The 1-minute load average before each build: other work on the machine skews the figures."""


# ---- measuring one process ------------------------------------------------------------


@dataclass
class Run:
    tool: str
    phase: str
    wall: float = 0.0
    cpu: float | None = 0.0
    peak_mib: float = 0.0
    touched: int | None = None
    changed: int | None = None
    files: int | None = None
    exit: int = 0
    tail: str = ""
    """The last lines of stderr (stdout when stderr is empty), when the build failed."""
    detail: str = ""
    """What the figures of a serve phase are made of."""


@dataclass
class Measured:
    wall: float
    cpu: float
    peak_mib: float
    exit: int
    tail: str


def run_process(argv: list[str], cwd: Path, env: dict, log_dir: Path, label: str) -> Measured:
    """Run argv as a child: its time from os.wait4, its tree's peak memory from /proc while it runs."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{label}.out", log_dir / f"{label}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        with PeakMemory(child.pid) as memory:
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = code = os.waitstatus_to_exitcode(status)
    return Measured(wall, usage.ru_utime + usage.ru_stime, memory.peak_mib, code,
                    log_tail(err_path, out_path) if code != 0 else "")


def log_tail(*paths: Path, lines: int = 8) -> str:
    """The last lines of the first of these logs that is not empty."""
    for path in paths:
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        if text:
            return "\n".join(text.splitlines()[-lines:])
    return ""


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


def _live(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    front = text.split("\n---\n", 1)[0]
    return "\ndraft: true" not in front and "\nwithdrawn:" not in front


@dataclass
class Targets:
    """The articles the edits change, chosen once from the corpus as generated, so that every tool
    edits the same ones (the peers' projects keep the file names: content/articles/<name>.md)."""

    body: Path
    """edit-body's: the middle live article in file order."""
    tags: Path
    """edit-tags': a third of the way in."""
    saves: list[Path]
    """The serve phase's, one per save: at 1/8, 3/8 and 5/8, none of the others."""

    @classmethod
    def of(cls, site: Path) -> Targets:
        live = [p for p in sorted((site / "content" / "articles").glob("*.md")) if _live(p)]
        return cls(live[len(live) // 2], live[len(live) // 3], [live[len(live) * k // 8] for k in (1, 3, 5)])


def append_paragraph(path: Path, text: str) -> str:
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\n{text}\n")
    return f"{path.parent.name}/{path.name}"


def edit_body(path: Path) -> str:
    return append_paragraph(path, "A paragraph added by the benchmark, to measure a rebuild after one body changes.")


def save_body(path: Path, n: int) -> str:
    return append_paragraph(path, f"A paragraph saved by the benchmark while the server runs (save {n}).")


def edit_tags(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^tags: \[(.*)\]$", text, re.M)
    tags = match.group(1)
    extra = BENCH_TAG if BENCH_TAG.lower() not in tags.lower() else "NOTokay"
    path.write_text(text[:match.start()] + f'tags: [{tags}, "{extra}"]' + text[match.end():], encoding="utf-8")
    return f"{path.parent.name}/{path.name} (+{extra})"


def edit_template(site: Path, src: Path) -> str:
    source = src / "generator" / "theme" / "templates" / "entry.html"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if "{% block main %}" in line), None)
    if at is None:
        raise SystemExit(f"bench: {source} has no '{{% block main %}}' line to edit after")
    lines.insert(at + 1, '<p class="bench-edit" hidden>edited by bench/run.py</p>\n')
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts" / "entry.html").write_text("".join(lines), encoding="utf-8")
    return "layouts/entry.html (one line added to the built-in entry.html)"


def _in(project: Path, article: Path) -> Path:
    """The peer's copy of a Chorus article."""
    return project / "content" / "articles" / article.name


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
    edits: dict[str, Callable[[], str]] = field(default_factory=dict)
    """Phase -> the edit made before that build."""
    serve: ServeSpec | None = None

    @property
    def phases(self) -> tuple[str, ...]:
        return ("cold", "no-change", *self.edits) + (("serve",) if self.serve else ())


def chorus_tool(site: Path, out: Path, targets: Targets, jobs: int | None, ctx: Context) -> Tool:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ctx.src)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    version = chorus_version(env, ctx.src)
    chorus = [sys.executable, "-m", "generator"]
    argv = chorus + ["build", "--site", str(site), "--out", str(out)]
    parallel = ""
    if "--jobs" in chorus_help(chorus + ["build", "--help"], env, ctx.src):
        parallel = f", --jobs {jobs}" if jobs else ", default --jobs (one process per core)"
        argv += ["--jobs", str(jobs)] if jobs else []
    elif jobs:
        ctx.log(f"bench: this Chorus's build has no --jobs option: --jobs {jobs} is ignored")
    edits = {"edit-body": partial(edit_body, targets.body), "edit-tags": partial(edit_tags, targets.tags),
             "edit-template": partial(edit_template, site, ctx.src)}
    serve = None
    if re.search(r"\bserve\b", chorus_help(chorus + ["--help"], env, ctx.src)):
        serve = ServeSpec(lambda port: chorus + ["serve", "--site", str(site), "--port", str(port)], ChorusEvents,
                          [partial(save_body, path, n) for n, path in enumerate(targets.saves, 1)], ctx.src, env)
    else:
        ctx.log("bench: this Chorus has no serve command: the serve phase is skipped")
    return Tool("Chorus", version + _git_state(ctx.rev) + parallel, argv, ctx.src, out, [site / ".chorus-cache"],
                env, edits, serve)


def chorus_version(env: dict, src: Path) -> str:
    """The version of the generator/ that the builds will import; it must be the one in src."""
    probe = subprocess.run([sys.executable, "-c", "import generator; print(generator.__version__, generator.__file__)"],
                           env=env, capture_output=True, text=True, cwd=src)
    if probe.returncode != 0:
        raise SystemExit("bench: this Python cannot import Chorus's generator; run it with the project's venv, "
                         "e.g. .venv/bin/python bench/run.py, made with the versions known to work: "
                         "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e .\n"
                         f"{probe.stderr.strip()}")
    version, _, where = probe.stdout.strip().partition(" ")
    if not Path(where).resolve().is_relative_to(src.resolve()):
        raise SystemExit(f"bench: the child imports generator from {where}, not from {src}")
    return version


def chorus_help(argv: list[str], env: dict, src: Path) -> str:
    """A --help text: what this Chorus offers (an older commit measured with --rev may lack an option)."""
    return subprocess.run(argv, env=env, capture_output=True, text=True, cwd=src).stdout


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


def compile_bytecode(src: Path) -> None:
    """Compile generator/'s bytecode once, as pip does when it installs a package (Pelican's in the peers' venv
    included): a snapshot of --rev has none, and an environment with PYTHONDONTWRITEBYTECODE set would have every
    Chorus process compile its modules again (about 0.1 s each)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "generator")], check=True,
                   stdout=subprocess.DEVNULL)


def _git_state(rev: str) -> str:
    if rev:
        return f" (commit {rev})"
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "generator"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
    return f" ({head}{', generator/ with uncommitted changes' if dirty else ''})" if head else ""


def peer_tools(site: Path, work: Path, targets: Targets, ctx: Context) -> list[Tool]:
    """Pelican and Hugo on the corpus as generated; call before Chorus's edits change it."""
    import peers
    peers.CHORUS_SRC = ctx.src
    installed = peers.ensure_peers(ctx.log)
    if not installed:
        return []
    started = time.perf_counter()
    items = peers.read_archive(site)
    tools = []
    if "pelican" in installed:
        tools.append(_pelican(peers.convert_pelican(site, work / "pelican", items), installed["pelican"], work,
                              targets))
    if "hugo" in installed:
        tools.append(_hugo(peers.convert_hugo(site, work / "hugo", items), installed["hugo"], work, targets))
    ctx.log(f"bench: converted the corpus for {', '.join(t.name for t in tools)} "
            f"in {time.perf_counter() - started:.1f} s")
    return tools


def _pelican(project: Path, peer: Peer, work: Path, targets: Targets) -> Tool:
    out = work / "pelican-out"
    argv = peer.command + [str(project / "content"), "-s", str(project / "pelicanconf.py"), "-o", str(out), "-q"]
    # Pelican's own server only serves files: it has no reload to measure.
    return Tool(peer.name, peer.version, argv, project, out, [project / "cache", project / "__pycache__"],
                dict(os.environ), {"edit-body": partial(edit_body, _in(project, targets.body))})


def _hugo(project: Path, peer: Peer, work: Path, targets: Targets) -> Tool:
    out = work / "hugo-out"
    env = dict(os.environ, HUGO_CACHEDIR=str(work / "hugo-cache"))
    argv = peer.command + ["--source", str(project), "--destination", str(out), "--logLevel", "error"]
    # The server as an editor starts it (its defaults: fast render mode, files written to disk), into a
    # folder of its own so that it does not disturb the builds' output.
    serve = ServeSpec(lambda port: peer.command + ["server", "--source", str(project), "--destination",
                                                   str(work / "hugo-serve-out"), "--bind", HOST, "--port",
                                                   str(port), "--logLevel", "error"],
                      HugoLiveReload, [partial(save_body, _in(project, p), n) for n, p in enumerate(targets.saves, 1)],
                      project, env)
    return Tool(peer.name, peer.version, argv, project, out,
                [project / "resources", work / "hugo-cache", project / ".hugo_build.lock"], env,
                {"edit-body": partial(edit_body, _in(project, targets.body))}, serve)


# ---- the phases -------------------------------------------------------------------------


def run_phases(tools: list[Tool], work: Path, ctx: Context) -> list[Run]:
    """Each phase for every tool that has it, before the next phase: paired figures under the same load."""
    before = {tool.name: Snapshot() for tool in tools}
    runs: list[Run] = []
    for phase in PHASES:
        for tool in tools:
            if phase not in tool.phases:
                continue
            if phase == "serve":
                cold = next((r for r in runs if r.tool == tool.name and r.phase == "cold"), None)
                runs.append(serve_phase(tool, cold.wall if cold else 0.0, work, ctx))
                continue
            run, before[tool.name] = build_phase(tool, phase, before[tool.name], work, ctx)
            runs.append(run)
    return runs


def build_phase(tool: Tool, phase: str, before: Snapshot, work: Path, ctx: Context) -> tuple[Run, Snapshot]:
    if phase == "cold":
        for path in [tool.out, *tool.caches]:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        before = Snapshot()
    elif phase in tool.edits:
        ctx.log(f"  {tool.name} {phase}: {tool.edits[phase]()}")
    ctx.loads.append(os.getloadavg()[0])
    m = run_process(tool.argv, tool.cwd, tool.env, work / "logs", f"{tool.name.lower()}-{phase}")
    after = snapshot(tool.out, before, ctx.hashing)
    touched, changed = compare(before, after, ctx.hashing)
    run = Run(tool.name, phase, m.wall, m.cpu, m.peak_mib, touched, changed, len(after.stat), m.exit, m.tail)
    ctx.log(f"  {tool.name} {phase}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU, {m.peak_mib:,.0f} MiB, {touched} touched"
            f"{'' if changed is None else f', {changed} changed'}, {len(after.stat)} files, exit {m.exit}")
    if m.exit != 0:
        ctx.log("    " + m.tail.replace("\n", "\n    "))
    return run, after


def serve_phase(tool: Tool, cold_wall: float, work: Path, ctx: Context) -> Run:
    assert tool.serve is not None
    ctx.log(f"  {tool.name} serve: starting the server")
    ctx.loads.append(os.getloadavg()[0])
    label = f"{tool.name.lower()}-serve"
    timeout = SERVE_TIMEOUT[0] + SERVE_TIMEOUT[1] * cold_wall
    result = measure_serve(tool.serve, work / "logs", label, timeout, lambda m: ctx.log(f"  {tool.name} serve: {m}"))
    tail = ""
    if result.exit != 0:
        server_log = log_tail(work / "logs" / f"{label}.err", work / "logs" / f"{label}.out")
        tail = "\n".join(line for line in (result.problem, server_log) if line)
    run = Run(tool.name, "serve", result.median, None, result.peak_mib, exit=result.exit, tail=tail,
              detail=serve_detail(tool.name, result))
    ctx.log(f"  {tool.name} serve: median {run.wall:.2f} s from a save to the reload, {run.peak_mib:,.0f} MiB, "
            f"exit {run.exit}")
    if run.exit != 0:
        ctx.log("    " + tail.replace("\n", "\n    "))
    return run


def serve_detail(name: str, result: ServeResult) -> str:
    """What a serve phase's figures are made of, for the notes under the table."""
    if not result.first:
        return f"{name}'s server served no site: {result.problem}"
    reloads = ", ".join(f"{t:.2f}" for t in result.reloads) or "none"
    busy = ", ".join(f"{t:.2f}" for t in result.busy) or "–"
    text = (f"{name}'s server served its first site {result.first:.1f} s after it started; the reload "
            f"followed each save after {reloads} s, and the server was idle again after {busy} s; "
            f"the whole session used {result.cpu:.1f} CPU s")
    return text + (f"; then {result.problem}" if result.problem else "")


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


def load_average() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def _share(part: float | None, whole: float | None) -> str:
    if not part or not whole:
        return "–"
    share = 100 * part / whole
    return f"{share:.1f}%" if share < 10 else f"{share:.0f}%"


def of_cold(run: Run, runs: list[Run]) -> str:
    """The run's wall time (and CPU time) as a share of its own tool's cold build."""
    cold = next((r for r in runs if r.tool == run.tool and r.phase == "cold" and r.exit == 0), None)
    if cold is None or run.exit != 0:
        return "–"
    if run.cpu is None:
        return _share(run.wall, cold.wall)
    return f"{_share(run.wall, cold.wall)} (CPU {_share(run.cpu, cold.cpu)})"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def table(runs: list[Run]) -> str:
    rows = [f"| tool | phase | wall s | of its cold build | CPU s | peak MiB ({MEASURE}, all processes) | touched | "
            "changed | output files | exit |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    tools = list(dict.fromkeys(r.tool for r in runs))
    for r in sorted(runs, key=lambda r: tools.index(r.tool)):  # run phase by phase, read tool by tool
        cpu = "–" if r.cpu is None else f"{r.cpu:.2f}"
        rows.append(f"| {r.tool} | {TITLES.get(r.phase, r.phase)} | {r.wall:.2f} | {of_cold(r, runs)} | {cpu} | "
                    f"{r.peak_mib:,.0f} | {_count(r.touched)} | {_count(r.changed)} | {_count(r.files)} | {r.exit} |")
    return "\n".join(rows)


MEASURES = (("wall s", "wall", "{:.2f}"), ("CPU s", "cpu", "{:.2f}"), ("peak MiB", "peak_mib", "{:,.0f}"))


def peer_table(runs: list[Run]) -> str:
    """Chorus's figure and each peer's for the phases both have, and their ratio; '' without peers."""
    good = {(r.tool, r.phase): r for r in runs if r.exit == 0}
    peers = list(dict.fromkeys(r.tool for r in runs if r.tool != "Chorus"))
    rows = []
    for phase in COMPARED:
        chorus = good.get(("Chorus", phase))
        if chorus is None or not any((peer, phase) in good for peer in peers):
            continue
        for label, attr, fmt in MEASURES:
            if getattr(chorus, attr) is None:
                continue  # a serve session's CPU time is not a phase's
            cells = [fmt.format(getattr(chorus, attr))]
            for peer in peers:
                other = getattr(good[(peer, phase)], attr) if (peer, phase) in good else None
                cells += ["–", "–"] if other is None else [fmt.format(other), _ratio(getattr(chorus, attr), other)]
            rows.append(f"| {TITLES.get(phase, phase)}, {label} | " + " | ".join(cells) + " |")
    if not rows:
        return ""
    head = "| phase | Chorus | " + " | ".join(f"{p} | Chorus ÷ {p}" for p in peers) + " |"
    return "\n".join([head, "|" + " --- |" + " ---: |" * (1 + 2 * len(peers))] + rows)


def _ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}×" if theirs else "–"


@dataclass
class SizeResult:
    n: int
    runs: list[Run]
    tools: list[Tool]
    notes: list[str]
    load_start: str
    load_end: str

    @property
    def failed(self) -> bool:
        return any(r.exit != 0 for r in self.runs)


def section(result: SizeResult, seed: int, smoke: bool) -> str:
    info = machine()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    heading = f"## {result.n:,} entries" + (" (smoke)" if smoke else "")
    lines = [heading, "",
             f"Run {when} on {info['cores']} cores, {info['memory']} of memory, {info['cpu']}; "
             f"Python {info['python']}, {info['os']}. Load average (1 / 5 / 15 min): {result.load_start} at the "
             f"start, {result.load_end} at the end. Corpus: `bench/corpus.py --entries {result.n} --seed {seed}`.", ""]
    lines += [f"- {t.name} {t.version}" for t in result.tools] + [""]
    lines += [table(result.runs), ""]
    paired = peer_table(result.runs)
    if paired:
        lines += ["Chorus against each peer, phase by phase in the same run (below 1×: Chorus is faster or "
                  "smaller):", "", paired, ""]
    lines += [f"- {note}" for note in result.notes if note]
    return "\n".join(lines).rstrip() + "\n"


RESULTS_HEAD = """# Benchmark results

Written by `python bench/run.py --write-results` (see README.md beside this
file for what each figure means). Each section is replaced by the next run of
the same size; the date, machine and versions are those of that run.
"""


def write_results(path: Path, n: int, smoke: bool, text: str) -> None:
    key = f"{n}{'-smoke' if smoke else ''}"
    sections: dict[str, str] = {}
    if path.exists():
        for match in re.finditer(r"<!-- section: (\S+) -->\n(.*?)<!-- end section: \1 -->\n",
                                 path.read_text(encoding="utf-8"), re.S):
            sections[match.group(1)] = match.group(2)
    sections[key] = text
    order = sorted(sections, key=lambda k: (k.endswith("-smoke"), int(k.split("-")[0])))
    body = "".join(f"\n<!-- section: {k} -->\n{sections[k]}<!-- end section: {k} -->\n" for k in order)
    path.write_text(RESULTS_HEAD + body, encoding="utf-8")


# ---- main -------------------------------------------------------------------------------------


def bench_size(n: int, args, ctx: Context) -> SizeResult:
    if args.keep:
        work = args.keep / str(n)
        work.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix=f"chorus-bench-{n}-")
        work = Path(cleanup.name)
    try:
        load_start = load_average()
        site = work / "site"
        notes = corpus_notes(site, n, args, ctx)
        targets = Targets.of(site)
        tools = [chorus_tool(site, work / "chorus-out", targets, args.jobs, ctx)]
        if args.peers:
            peers = peer_tools(site, work, targets, ctx)
            tools += peers
            if len(peers) < 2:
                notes.append("Not every peer could be installed: see the run's log.")
        runs = run_phases(tools, work, ctx)
        notes += [r.detail + "." for r in runs if r.detail]
        notes.append(f"Peak memory: the largest sum of {MEASURE} over the process and all its descendants (worker "
                     f"processes, Pagefind), sampled every {SAMPLE_SECONDS * 1000:.0f} ms from /proc.")
        if ctx.loads:
            notes.append(f"1-minute load average before each build: {min(ctx.loads):.2f} to {max(ctx.loads):.2f} "
                         f"(other processes on the machine take cores from the builds).")
        ctx.loads.clear()
        result = SizeResult(n, runs, tools, notes, load_start, load_average())
        if result.failed:
            result.notes.append("Some builds failed (exit ≠ 0): their figures are not those of a complete build.")
        if args.keep:
            ctx.log(f"bench: kept everything in {work}")
        return result
    finally:
        if cleanup is not None:
            cleanup.cleanup()


def corpus_notes(site: Path, n: int, args, ctx: Context) -> list[str]:
    """Write the corpus; the notes that describe it."""
    started = time.perf_counter()
    counts = write_corpus(site, n, args.seed, archived_urls=not args.no_archived_url)
    ctx.log(f"bench: {n:,} entries ({', '.join(f'{v} {k}' for k, v in counts.items())}) written to {site} "
            f"in {time.perf_counter() - started:.1f} s")
    source_bytes = sum(p.stat().st_size for p in (site / "content").rglob("*.md"))
    notes = [f"Corpus: {counts['article']:,} articles, {counts['take']:,} takes, {counts['thread']:,} threads "
             f"and {counts['page']} pages (of the entries, {counts['withdrawn']} withdrawn and {counts['draft']} "
             f"draft), {source_bytes / 1e6:.1f} MB of Markdown."]
    if args.no_archived_url:
        notes.append("Written with --no-archived-url: no entry has source.archived_url (see README.md).")
    return notes


def parse_sizes(values: list[str]) -> list[int]:
    sizes = []
    for value in values:
        for part in value.split(","):
            part = part.strip().replace("_", "")
            if part:
                sizes.append(int(part))
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    parser.add_argument("--results", type=Path, default=RESULTS, metavar="FILE",
                        help="the file --write-results updates (default: bench/RESULTS.md)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_SIZE} entries, every Chorus phase, no peers; exit 1 if a build fails (for CI)")
    parser.add_argument("--rev", metavar="REV",
                        help="measure generator/ as of this git revision (e.g. HEAD), not the working tree")
    parser.add_argument("--no-hash", action="store_true", help="skip the 'changed' count (no digest of the output)")
    parser.add_argument("--no-archived-url", action="store_true",
                        help="leave source.archived_url out of the corpus (Chorus crashed on it before 2202ef7)")
    args = parser.parse_args(argv)
    if args.smoke and args.peers:
        parser.error("--smoke does not build the peers")
    args.sizes = [SMOKE_SIZE] if args.smoke else parse_sizes(args.entries) if args.entries else list(DEFAULT_SIZES)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="chorus-bench-src-") as snapshot_dir:
        ctx = Context(REPO, "", not args.no_hash, log)
        if args.rev:
            ctx.rev, ctx.src = snapshot_rev(args.rev, Path(snapshot_dir)), Path(snapshot_dir)
            log(f"bench: measuring generator/ as of commit {ctx.rev}")
        compile_bytecode(ctx.src)
        info = machine()
        log(f"bench: {info['cores']} cores, {info['memory']}, {info['cpu']}, Python {info['python']}")
        failed_any = False
        for n in args.sizes:
            result = bench_size(n, args, ctx)
            failed_any |= result.failed
            text = section(result, args.seed, args.smoke)
            print(text)
            if args.write_results:
                write_results(args.results, n, args.smoke, text)
                log(f"bench: updated {args.results}")
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main())
