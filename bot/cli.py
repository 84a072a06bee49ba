"""Command line: ``dockerdiet check | fix | review | rules | explain | docs | ...``.

Exit codes (as ruff and hadolint): 0 clean, 1 findings, 2 usage, configuration or
I/O error. Errors go to stderr and name the file and the reason.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from typing import Sequence

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _ids(value: str) -> list[str]:
    return [v for v in value.replace(" ", ",").split(",") if v]


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", type=_ids, default=[], help="only these rules (ids, names or prefixes like DT1)")
    p.add_argument("--ignore", type=_ids, default=[], help="skip these rules")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockerdiet",
        description="Find image-size, layer and build-cache waste in Dockerfiles.",
    )
    from bot import __version__

    parser.add_argument("--version", action="version", version=f"dockerdiet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="report findings")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("-f", "--format", default="text", choices=["text", "json"], help="output format")
    check.add_argument("--no-estimate", action="store_true", help="skip size estimates")
    check.add_argument("--online", action="store_true", help="allow live size look-ups (registry, PyPI)")
    _add_selection(check)

    fix = sub.add_parser("fix", help="apply fixes in place")
    fix.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    fix.add_argument("--unsafe", action="store_true", help="also apply fixes that need review")
    fix.add_argument("--diff", action="store_true", help="print a unified diff instead of writing")
    _add_selection(fix)

    sub.add_parser("rules", help="list the rules")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="RULE")

    docs = sub.add_parser("docs", help="regenerate the rule docs in README.md and docs/rules.md")
    docs.add_argument("--check", action="store_true", help="fail when they are stale")
    docs.add_argument("--root", default=".", help="repository root")
    return parser


# ---------------------------------------------------------------------------- commands


def _options(args: argparse.Namespace, estimate: bool = True):
    from bot import rules
    from bot.engine import Options

    try:
        rules.select(args.select, args.ignore)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return Options(tuple(args.select), tuple(args.ignore), estimate=estimate, online=getattr(args, "online", False))


def _discover(paths: Sequence[str]) -> list[str]:
    from bot.engine import discover

    files, errors = discover(paths)
    for e in errors:
        print(f"dockerdiet: error: {e}", file=sys.stderr)
    if errors:
        raise UsageError("some paths do not exist")
    return files


def cmd_check(args: argparse.Namespace) -> int:
    from bot.engine import LintResult, analyse_file, build_context_for

    options = _options(args, estimate=not args.no_estimate)
    files = _discover(args.paths)
    estimator = None
    if options.estimate:
        from bot.estimate import Estimator, default_lookups

        estimator = Estimator(lookups=default_lookups() if options.online else None)
    result = LintResult(tuple(analyse_file(p, options, build_context_for(p), estimator) for p in files))
    if args.format == "json":
        from bot.report import json_report

        sys.stdout.write(json_report.render(result))
    else:
        from bot.report import text

        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        sys.stdout.write(text.render(result, colour=colour))
        if sys.stdout.isatty():
            print(text.summary_line(result))
    for r in result.errors:
        print(f"dockerdiet: error: {r.path}: {r.error}", file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def _write(path: str, data: bytes) -> None:
    """Replace the file atomically, keeping its mode."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.dockerdiet.tmp")
    mode = os.stat(path).st_mode
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def cmd_fix(args: argparse.Namespace) -> int:
    from bot.engine import build_context_for, fix_source
    from bot.model.source import SourceError, read

    options = _options(args, estimate=False)
    files = _discover(args.paths)
    errors = remaining = fixed_files = fixed_count = 0
    for path in files:
        try:
            source = read(path)
        except SourceError as exc:
            print(f"dockerdiet: error: {path}: {exc}", file=sys.stderr)
            errors += 1
            continue
        outcome = fix_source(source, options, unsafe=args.unsafe, build_context=build_context_for(path))
        if outcome.rejected:
            print(f"dockerdiet: warning: {path}: {outcome.rejected}; left unchanged", file=sys.stderr)
        remaining += len(outcome.remaining)
        if outcome.fixed == outcome.original:
            continue
        fixed_files += 1
        fixed_count += len(outcome.applied)
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    outcome.original.splitlines(keepends=True),
                    outcome.fixed.splitlines(keepends=True),
                    fromfile=f"a/{path}",
                    tofile=f"b/{path}",
                )
            )
        else:
            try:
                _write(path, source.render(outcome.fixed))
            except OSError as exc:
                print(f"dockerdiet: error: {path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
                errors += 1
    verb = "Would fix" if args.diff else "Fixed"
    print(f"{verb} {fixed_count} finding(s) in {fixed_files} file(s); {remaining} remaining.", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if fixed_files else EXIT_CLEAN
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


def cmd_rules(args: argparse.Namespace) -> int:
    from bot.report import ruledocs

    sys.stdout.write(ruledocs.rules_table())
    return EXIT_CLEAN


def cmd_explain(args: argparse.Namespace) -> int:
    from bot import rules
    from bot.report import ruledocs

    try:
        ids = rules.resolve_selector(args.rule)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    by_id = rules.by_id()
    sys.stdout.write("\n".join(ruledocs.rule_section(by_id[i]) for i in sorted(ids)))
    return EXIT_CLEAN


def cmd_docs(args: argparse.Namespace) -> int:
    from bot.report import ruledocs

    stale = ruledocs.sync(args.root, check=args.check)
    for path in stale:
        print(f"dockerdiet: {'stale' if args.check else 'updated'}: {path}", file=sys.stderr)
    return EXIT_FINDINGS if (stale and args.check) else EXIT_CLEAN


COMMANDS = {
    "check": cmd_check,
    "fix": cmd_fix,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "docs": cmd_docs,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"dockerdiet: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
