"""The `chorus` command: build and check.

Exit status: 0 done; 1 the content has errors; 2 bad usage. Errors go to stderr,
one per line, all at once; never a traceback (unless --debug).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import __version__
from .build import InternalError, build
from .errors import BuildFailed, summary_line

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
    _debug_arg(build_cmd)

    check_cmd = commands.add_parser("check", help="validate everything a build would, write nothing",
                                    description="Validate everything a build would; write nothing.")
    _site_arg(check_cmd)
    check_cmd.add_argument("--drafts", action="store_true", help="also check the pages of drafts")
    _debug_arg(check_cmd)
    return parser


def _site_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", metavar="DIR", type=Path, default=Path("."),
                        help="the archive's folder, holding site.yaml (default: the current folder)")


def _debug_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show a traceback for internal errors")


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    site_dir: Path = args.site
    if not site_dir.is_dir():
        print(f"chorus: error: --site {site_dir}: no such folder (give the folder that holds site.yaml)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "build":
            report = build(site_dir, args.out, drafts=args.drafts, base_url=args.base_url)
            print(f"built {report.entries} entries: {report.pages} pages, {report.files} files "
                  f"({report.bytes / 1e6:.1f} MB) in {report.seconds:.2f} s -> {report.out_dir}")
        else:
            report = build(site_dir, drafts=args.drafts, write=False)
            print(f"checked {report.entries} entries and {report.pages} pages: no errors")
        return EXIT_OK
    except BuildFailed as failed:
        for error in failed.errors:
            print(error, file=sys.stderr)
        print(summary_line(failed.errors), file=sys.stderr)
        return EXIT_CONTENT
    except InternalError as exc:
        if args.debug:
            traceback.print_exception(exc.original)
        print(f"chorus: {exc} (run with --debug for details, and please report it)", file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("chorus: interrupted; the previous output is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"chorus: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONTENT


def run() -> None:
    sys.exit(main())
