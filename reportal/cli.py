"""The `reportal` command line: build, check, serve, keys, inbox, deploy (see docs/ and README)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _build_or_check(args: argparse.Namespace, *, write: bool) -> Any:
    """Run the build (or only its checks); print every problem; None when it failed."""
    # The build uses no pydantic plugin; without this, pydantic's first model scans the entry
    # points of every installed distribution for plugins (about 30 ms). A value set by the user wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from reportal.site.build import Paths, build
    from reportal.site.config import ConfigError

    paths = Paths.under(Path(args.root), Path(args.sites) if args.sites else None)
    try:
        result = build(paths, Path(args.out), Path(args.function_out), args.site or None,
                       strict=args.strict, write=write)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        strict = " (warnings are errors under --strict)" if args.strict else ""
        print(f"{len(exc.problems)} problem(s){strict}; nothing was written.", file=sys.stderr)
        return None
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    return result


def _cmd_build(args: argparse.Namespace) -> int:
    from reportal.site.state import Paths, recorded

    # Nothing changed since the last build: answer from its record, before importing the build.
    paths = Paths.under(Path(args.root), Path(args.sites) if args.sites else None)
    previous = recorded(paths, Path(args.out), Path(args.function_out), args.site or None, strict=args.strict)
    if previous is not None:
        for line in previous.warning_lines:
            print(line, file=sys.stderr)
        print(f"built {len(previous.portals)} portal(s), {previous.pages} pages into {args.out}/ "
              f"(0 written, {previous.site_files} unchanged, 0 removed)")
        return 0
    result = _build_or_check(args, write=True)
    if result is None:
        return 1
    print(f"built {len(result.portals)} portal(s), {result.pages} pages into {args.out}/ "
          f"({result.site.written} written, {result.site.unchanged} unchanged, {result.site.removed} removed)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    result = _build_or_check(args, write=False)
    if result is None:
        return 1
    print(f"checked {len(result.portals)} portal(s), {result.pages} pages: "
          f"no errors, {len(result.warnings)} warning(s)")
    return 0


def _cmd_new_portal(args: argparse.Namespace) -> int:
    from reportal.site.config import ConfigError
    from reportal.site.scaffold import new_portal

    sites = Path(args.sites) if args.sites else Path(args.root) / "sites"
    languages = [tag.strip() for tag in args.languages.split(",") if tag.strip()]
    try:
        path = new_portal(sites, args.code, languages)
    except (ValueError, FileExistsError) as exc:
        print(f"reportal new-portal: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    print(f"wrote {path}; add partners and sourced help numbers (docs/portals.md), then `reportal check`")
    return 0


def _missing_extra(module: str, extra: str, command: str) -> bool:
    """True (after saying what to install) when `module`, which only the optional dependencies
    `extra` of pyproject.toml bring, is not installed: the hotline's machine installs core only."""
    from importlib.util import find_spec

    if find_spec(module) is not None:
        return False
    print(f"error: `reportal {command}` needs the `{extra}` extra: pip install 'reportal[{extra}]' "
          "(make run and make test install it)", file=sys.stderr)
    return True


def _cmd_serve(args: argparse.Namespace) -> int:
    if _missing_extra("moto", "preview", "serve"):
        return 2
    from reportal.preview import serve

    return serve(Path(args.root), port=args.port, host=args.host)


def _cmd_screenshots(args: argparse.Namespace) -> int:
    if _missing_extra("playwright", "screenshots", "screenshots"):
        return 2
    from reportal.screenshots import take_screenshots

    for path in take_screenshots(Path(args.root), Path(args.out), args.site):
        print(path)
    return 0


# The portal commands: their parser is made without importing the hotline side (inbox,
# workbench, deploy, stats), so `reportal build` with nothing to do starts and ends fast.
SITE_COMMANDS = ("build", "check", "new-portal", "serve", "screenshots")


def _command(argv: list[str]) -> str | None:
    """The subcommand named in `argv` (after the global `--root DIR`), or None."""
    rest = list(argv)
    while rest and rest[0].startswith("-"):
        if rest.pop(0) == "--root" and rest:
            rest.pop(0)
    return rest[0] if rest else None


def _parser(*, everything: bool = True) -> argparse.ArgumentParser:
    """The command line; `everything=False` leaves out all but `SITE_COMMANDS`."""
    parser = argparse.ArgumentParser(prog="reportal", description=__doc__)
    parser.add_argument("--root", default=".", help="repository root holding sites/, templates/, translations/")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="render every portal into static HTML")
    p.add_argument("--out", default="dist")
    p.add_argument("--function-out", default="build/function", help="data the submission function needs")
    p.add_argument("--sites", default=None, help="portal configs (default: ROOT/sites)")
    p.add_argument("--site", action="append", metavar="CC", help="build only this portal (repeatable); the output then holds only it, "
                   "and deploy refuses it")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("check", help="validate portal configs, catalogs and templates; write nothing")
    p.add_argument("--sites", default=None, help="portal configs (default: ROOT/sites)")
    p.add_argument("--site", action="append", metavar="CC", help="check only this portal (repeatable)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1)")
    p.set_defaults(func=_cmd_check, out="dist", function_out="build/function")

    p = sub.add_parser("new-portal", help="write a starter sites/<cc>.yaml from CLDR data")
    p.add_argument("code", metavar="CC", help="ISO 3166-1 alpha-2 country code, lowercase (e.g. gt)")
    p.add_argument("--languages", required=True, help="BCP 47 tags, comma-separated, default first (e.g. es,en)")
    p.add_argument("--sites", default=None, help="portal configs (default: ROOT/sites)")
    p.set_defaults(func=_cmd_new_portal)

    p = sub.add_parser("serve", help="local preview: site, function, queue and inbox on one machine")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("screenshots", help="a phone-width picture of each portal's report page (Debian Chromium)")
    p.add_argument("--out", default="docs/portals", help="folder for <cc>.png and README.md")
    p.add_argument("--site", action="append", metavar="CC", help="only this portal (repeatable)")
    p.set_defaults(func=_cmd_screenshots)
    if not everything:
        return parser

    from reportal import deploy_options, keys
    from reportal.inbox import commands as inbox_commands
    from reportal.stats import commands as stats_commands

    keys.add_commands(sub)  # keys {generate,rotate,recipients}
    inbox_commands.add_commands(sub)  # inbox {drain,list,show,assess,export,…}
    deploy_options.add_commands(sub)  # deploy [--domain D --certificate-arn ARN … --dry-run]
    from reportal.workbench import commands as workbench_commands

    workbench_commands.add_commands(sub)  # workbench
    stats_commands.add_commands(sub)  # stats
    from reportal.workbench import admin

    admin.add_commands(sub)  # analysts {add,list,disable,reset-otp}, audit {verify,head}
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `reportal` command line; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(everything=_command(argv) not in SITE_COMMANDS).parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
