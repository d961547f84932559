"""The `chorus` command: build, check, serve, new and import.

Exit status: 0 done; 1 the content has errors; 2 bad usage. Errors go to stderr,
one per line, all at once; never a traceback (unless --debug).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path

from . import __version__
from .build import InternalError, build
from .errors import BuildFailed, summary_line
from .progress import Progress

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 on bad usage, as the contract says
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"chorus: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chorus", description="Build a static archive of a hashtag campaign.")
    parser.add_argument("--version", action="version", version=f"chorus {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    build_cmd = commands.add_parser("build", help="build the archive into output/",
                                    description="Build the archive into output/ (or --out).")
    _site_arg(build_cmd)
    build_cmd.add_argument("--out", metavar="DIR", type=Path,
                           help="where to write the site (default: DIR/output/ of --site)")
    build_cmd.add_argument("--drafts", action="store_true", help="also build entries marked draft: true")
    build_cmd.add_argument("--base-url", metavar="URL", help="override site.yaml's base_url")
    _build_args(build_cmd)

    check_cmd = commands.add_parser("check", help="validate everything a build would, write nothing",
                                    description="Validate everything a build would; write nothing.")
    _site_arg(check_cmd)
    check_cmd.add_argument("--drafts", action="store_true", help="also check the pages of drafts")
    _build_args(check_cmd)

    serve_cmd = commands.add_parser(
        "serve", help="build, serve on 127.0.0.1, rebuild on change, reload the browser",
        description="Build the site into a temporary folder, serve it on 127.0.0.1, rebuild when content/, "
                    "layouts/ or site.yaml change, and reload open pages. Errors are shown in the browser "
                    "over the last good page. Ctrl-C stops.")
    _site_arg(serve_cmd)
    serve_cmd.add_argument("--port", metavar="N", type=_port, default=8000,
                           help="the port to serve on (default: 8000; 0 picks a free one)")
    serve_cmd.add_argument("--bind", metavar="ADDR", default="127.0.0.1",
                           help="the address to serve on (default: 127.0.0.1, this machine only; "
                                "0.0.0.0 lets other machines see the site)")
    serve_cmd.add_argument("--drafts", action="store_true", help="also build entries marked draft: true")
    serve_cmd.add_argument("--open", action="store_true", help="open the site in the web browser")
    _debug_arg(serve_cmd)

    new_cmd = commands.add_parser(
        "new", help="write a new entry with its front matter, print its path",
        description="Write content/<kind>s/<slug>.md with the front matter of its kind, the slug made "
                    "from the title, and print its path. An existing file is never overwritten.")
    new_cmd.add_argument("kind", choices=list(KINDS), metavar="KIND", help="article, take, thread or page")
    new_cmd.add_argument("title", metavar="TITLE", help='the title, in quotes: "My title"')
    _site_arg(new_cmd)

    import_cmd = commands.add_parser(
        "import", help="turn a platform's export into draft threads, every author private unless public_accounts "
                       "lists them",
        description="Read twarc2 output (X API v2, JSON Lines), Twitter's account archive (data/tweets.js) or a "
                    "Mastodon export (outbox.json) and write each thread (the posts of one conversation by one "
                    "author) as a draft in content/threads/. Every author is private unless site.yaml's "
                    "public_accounts lists them. An existing file is never overwritten; nothing goes to the "
                    "network. See docs/import.md.")
    import_cmd.add_argument("files", nargs="+", metavar="FILE", help="the export's files")
    import_cmd.add_argument("--into", choices=("threads", "posts"), default="threads",
                            help="threads: write thread files (default); posts: print ```post blocks to paste "
                                 "into an entry")
    _site_arg(import_cmd)
    import_cmd.add_argument("--conversation", metavar="ID", default="",
                            help="import only the thread of this conversation (or of the post with this id)")
    import_cmd.add_argument("--dry-run", action="store_true", help="say what would be written, write nothing")
    import_cmd.add_argument("--update", action="store_true",
                            help="add the new posts of threads already imported to their files")
    import_cmd.add_argument("--strict", action="store_true", help="write nothing when a file has an error")
    _debug_arg(import_cmd)
    return parser


KINDS = ("article", "take", "thread", "page")


def _port(value: str) -> int:
    hint = "give a number from 1 to 65535, or 0 for any free port"
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number ({hint})") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number ({hint})")
    return port


def _site_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", metavar="DIR", type=Path, default=Path("."),
                        help="the archive's folder, holding site.yaml (default: the current folder)")


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of processes (give 1 or more)")
    return jobs


def _build_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", metavar="N", type=_jobs, default=None,
                        help="processes that read and render in parallel (default: the machine's cores)")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _debug_arg(parser)


def _debug_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show a traceback for internal errors")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


INTERRUPT_AGAIN_AFTER = 0.01
"""Seconds after which an interrupt that native code swallowed is raised again."""


def _unraisable(unraisable) -> None:
    """An interrupt raised in a callback from native code (nh3's attribute filter), which cannot pass it on and
    would print it and go on: raised again in a moment, by a timer, where Python code can take it."""
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        signal.setitimer(signal.ITIMER_REAL, INTERRUPT_AGAIN_AFTER)
        return
    sys.__unraisablehook__(unraisable)


def handle_interrupts() -> None:
    """SIGTERM stops a command as Ctrl-C does (a build removes its temporary tree and keeps the output), wherever
    the signal lands."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGALRM, _interrupt)
    sys.unraisablehook = _unraisable


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    site_dir: Path = args.site
    if not site_dir.is_dir():
        print(f"chorus: error: --site {site_dir}: no such folder (give the folder that holds site.yaml)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.command == "serve":
        from .serve import serve
        return serve(site_dir, port=args.port, bind=args.bind, drafts=args.drafts, open_browser=args.open,
                     debug=args.debug)
    progress = Progress()
    try:
        if args.command == "new":
            return _new(site_dir, args.kind, args.title)
        if args.command == "import":
            return _import(site_dir, args)
        if args.command == "build":
            report = _build(progress, site_dir, args.out, drafts=args.drafts, base_url=args.base_url,
                            jobs=args.jobs, strict=args.strict)
            _warnings(report)
            written = f"{report.files} written, {report.bytes / 1e6:.1f} MB" if report.files else "0 written"
            print(f"built {report.entries} entries: {report.pages} pages, {report.feeds} feeds, {report.outputs} files "
                  f"({written}) in {report.seconds:.2f} s -> {report.out_dir}")
        else:
            report = _build(progress, site_dir, drafts=args.drafts, write=False, jobs=args.jobs,
                            strict=args.strict, use_cache=False)
            _warnings(report)
            print(f"checked {report.entries} entries and {report.pages} pages: no errors")
        return EXIT_OK
    except BuildFailed as failed:
        for error in failed.errors:
            print(error, file=sys.stderr)
        print(summary_line(failed.errors), file=sys.stderr)
        return EXIT_CONTENT
    except InternalError as exc:
        if getattr(args, "debug", False):
            if exc.details:
                print(exc.details, file=sys.stderr, end="")
            else:
                traceback.print_exception(exc.original)
        print(f"chorus: {exc} (run with --debug for details, and please report it)", file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        progress.done()
        print("chorus: interrupted; the previous output is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"chorus: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONTENT
    except Exception as exc:  # a bug of ours: one line and how to report it, never a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"chorus: internal error: {message} (run with --debug for details, and please report it)",
              file=sys.stderr)
        return EXIT_CONTENT


def _build(progress: Progress, *args, **kwargs):
    """build(), with a progress counter on stderr when it is a terminal."""
    try:
        return build(*args, progress=progress, **kwargs)
    finally:
        progress.done()


def _warnings(report) -> None:
    for warning in getattr(report, "warnings", None) or []:
        print(warning, file=sys.stderr)


def _new(site_dir: Path, kind: str, title: str) -> int:
    from .scaffold import DRAFT_NOTE, NewEntryError, new_entry
    try:
        path = new_entry(site_dir, kind, title)
    except NewEntryError as exc:
        print(f"chorus: error: {exc}", file=sys.stderr)
        return exc.code
    print(path)  # alone on stdout, for a script: $EDITOR "$(chorus new take "Title")"
    print(DRAFT_NOTE, file=sys.stderr)
    return EXIT_OK


def _import(site_dir: Path, args: argparse.Namespace) -> int:
    """`chorus import`: the report on stdout (on stderr with --into posts, whose blocks are stdout), then
    every warning and error of the files on stderr."""
    import shlex
    from .config import load_config
    from .imports import Request, run as run_import
    if args.update and args.into == "posts":
        print("chorus: error: --update adds posts to thread files: leave out --into posts", file=sys.stderr)
        return EXIT_USAGE
    config, errors = load_config(site_dir)
    if config is None:
        raise BuildFailed(errors)
    again = " ".join(["chorus import", *map(shlex.quote, args.files)]
                     + (["--site", shlex.quote(str(args.site))] if args.site != Path(".") else [])
                     + (["--conversation", shlex.quote(args.conversation)] if args.conversation else []))
    outcome = run_import(site_dir, config, Request(tuple(args.files), args.into, args.conversation, args.dry_run,
                                                   args.update, args.strict, again))
    if outcome.blocks:
        print("\n\n".join(outcome.blocks))
    for line in outcome.lines:
        print(line, file=sys.stderr if args.into == "posts" else sys.stdout)
    for problem in sorted(dict.fromkeys(outcome.problems)):
        print(problem, file=sys.stderr)
    if outcome.errors:
        print(summary_line(outcome.errors), file=sys.stderr)
        return EXIT_CONTENT
    return EXIT_OK


def run() -> None:
    handle_interrupts()
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # under a profiler or a coverage tool: let it write its report at exit
    # Leave at once: everything the command made is written and closed, and tearing down the heap of a large
    # build object by object (0.3 s at 10,000 entries) would only delay the shell. When interrupted, this also
    # keeps exit hooks from waiting on workers stopped mid-task.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe (`chorus ... | head`): nothing more can be said
    os._exit(code)
