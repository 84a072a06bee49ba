"""Command line: ``dockerdiet check | fix | review | rules | explain | docs | ...``.

Exit codes (as ruff and hadolint): 0 clean, 1 findings, 2 usage, configuration or
I/O error. Errors go to stderr and name the file and the reason.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

# argparse (with typing's import before it) is imported where a parser is made: after run()
# has set the collector's pace, which its imports then run at (see run)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# the collector's pace during a check (cmd_check says why): a young pass every 100,000
# allocations, and the older generations hardly ever
CHECK_GC_THRESHOLD = (100_000, 50, 100)
FORMATS = ["text", "json", "sarif", "rdjson", "rdjsonl", "github"]


class UsageError(Exception):
    pass


def _ids(value: str) -> list[str]:
    return [v for v in value.replace(" ", ",").split(",") if v]


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", type=_ids, default=[], help="only these rules (ids, names or prefixes like DT1)")
    p.add_argument("--ignore", type=_ids, default=[], help="skip these rules (added to the configured ones)")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: nearest .dockerdiet.toml or pyproject.toml)")


def _check_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("-f", "--format", default="text", choices=FORMATS, help="output format")
    check.add_argument("--no-estimate", action="store_true", help="skip size estimates")
    check.add_argument("--online", action="store_true", help="allow live size look-ups (registry, PyPI)")
    check.add_argument("--fail-on", metavar="LEVEL", help="exit 1 at this severity, 'never', or a size like 50MB")
    check.add_argument("-q", "--quiet", action="store_true", help="print findings only: no hints, summary or progress")
    check.add_argument("--statistics", action="store_true", help="counts per rule and estimated savings instead of findings")
    _add_selection(check)


def _fix_arguments(fix: argparse.ArgumentParser) -> None:
    fix.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    fix.add_argument("--unsafe", action="store_true", help="also apply fixes that need review")
    fix.add_argument("--diff", action="store_true", help="print a unified diff instead of writing")
    _add_selection(fix)


def _review_arguments(review: argparse.ArgumentParser) -> None:
    review.add_argument("path", nargs="?", default=".", metavar="PATH")
    review.add_argument("--base", required=True, metavar="REF", help="git revision to diff against (e.g. origin/main)")
    review.add_argument("--online", action="store_true", help="allow live size look-ups")
    review.add_argument("--max-comments", type=int, default=30, help="inline comment cap (as the action)")
    review.add_argument("--config", default="", metavar="FILE",
                        help="configuration file in the repository, read at --base like the action's config input "
                             "(default: .dockerdiet.toml, else pyproject.toml [tool.dockerdiet], at --base)")


def _config_arguments(config: argparse.ArgumentParser) -> None:
    config.add_argument("path", nargs="?", default=".", metavar="PATH")
    config.add_argument("--config", metavar="FILE", help="configuration file")


def _explain_arguments(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("rule", metavar="RULE")


def _docs_arguments(docs: argparse.ArgumentParser) -> None:
    docs.add_argument("--check", action="store_true", help="fail when they are stale")
    docs.add_argument("--root", default=".", help="repository root")


def _no_arguments(_: argparse.ArgumentParser) -> None:
    pass


# name, help, its arguments, whether argparse adds -h (measure's own parser lives with it and is
# loaded only when it runs)
SUBCOMMANDS = (
    ("check", "report findings", _check_arguments, True),
    ("fix", "apply fixes in place", _fix_arguments, True),
    # -- review / action (GitHub layer) --
    ("review", "print the PR review dockerdiet would post, from a local git diff", _review_arguments, True),
    ("action", "run as the GitHub Action (reads GITHUB_* and INPUT_* variables)", _no_arguments, True),
    ("config", "print the effective configuration and where each value came from", _config_arguments, True),
    ("rules", "list the rules", _no_arguments, True),
    ("explain", "show a rule's documentation", _explain_arguments, True),
    ("docs", "regenerate the rule docs in README.md and docs/rules.md", _docs_arguments, True),
    ("measure", "build before and after the fixes and report real layer sizes", _no_arguments, False),
    ("inspect", "measured waste of a built image, tied to Dockerfile lines", _no_arguments, False),
)


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's formatter, told the terminal's width. argparse makes one for every argument
    it adds, only to try its metavar, and without a width each imports shutil (with bz2 and
    lzma), 7M instructions of a small check's start-up. The width is shutil's answer: COLUMNS,
    else the terminal of standard output, else 80."""
    import argparse

    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return argparse.HelpFormatter(prog, width=columns - 2)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command``, only that subcommand's parser (start-up time:
    making parsers is most of argparse's cost). The result is the same for any command line
    that starts with ``command``: the other subparsers are never reached from it."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="dockerdiet",
        description="Find image-size, layer and build-cache waste in Dockerfiles.",
        formatter_class=_help_formatter,
    )
    from bot import __version__

    parser.add_argument("--version", action="version", version=f"dockerdiet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text, add_arguments, add_help in SUBCOMMANDS:
        if command is None or name == command:
            add_arguments(sub.add_parser(name, help=help_text, add_help=add_help, formatter_class=_help_formatter))
    return parser


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """``argv`` as the whole command line parses it. A subcommand's arguments go to its own
    parser alone, which is all the whole one does with them (start-up time: each parser asks
    gettext for its texts). Arguments it does not know are the whole parser's to report."""
    import argparse

    command = argv[0] if argv and argv[0] in COMMANDS else None
    for name, _, add_arguments, add_help in SUBCOMMANDS:
        if name == command:
            parser = argparse.ArgumentParser(prog=f"dockerdiet {name}", add_help=add_help,
                                             formatter_class=_help_formatter)
            add_arguments(parser)
            args, unknown = parser.parse_known_args(argv[1:], argparse.Namespace(command=name))
            if not unknown:
                return args
    return build_parser(command).parse_args(argv)


# ---------------------------------------------------------------------------- commands


def _config(args: argparse.Namespace):
    """The configuration file's values, then the command line's on top."""
    from bot import config as configuration

    paths = getattr(args, "paths", None) or [getattr(args, "path", ".")]
    try:
        cfg = configuration.load(paths[0], getattr(args, "config", None))
        if getattr(args, "select", None):
            cfg.select = configuration._selectors(args.select, "--select", "")
            cfg.sources["select"] = "--select"
        if getattr(args, "ignore", None):
            cfg.ignore = cfg.ignore + configuration._selectors(args.ignore, "--ignore", "")
            cfg.sources["ignore"] = "--ignore"
        if getattr(args, "fail_on", None):
            cfg.fail_on = configuration.parse_fail_on(args.fail_on, "--fail-on")
            cfg.sources["fail-on"] = "--fail-on"
        if getattr(args, "online", False):
            cfg.online = True
            cfg.sources["online"] = "--online"
    except configuration.ConfigError as exc:
        raise UsageError(str(exc)) from None
    return cfg


def _discover(paths: Sequence[str]) -> list[str]:
    from bot.engine import discover

    files, errors = discover(paths)
    for e in errors:
        print(f"dockerdiet: error: {e}", file=sys.stderr)
    if errors:
        raise UsageError("some paths do not exist")
    return files


class _Progress:
    """``[12/5000] path`` on stderr while checking, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.last = total, enabled and total > 1 and sys.stderr.isatty(), 0.0

    def update(self, i: int, path: str) -> None:
        import time

        now = time.monotonic()
        if self.enabled and now - self.last > 0.1:
            self.last = now
            sys.stderr.write(f"\r\x1b[K[{i}/{self.total}] {path[-60:]}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")


def _fails(cfg, result) -> bool:
    fail = cfg.fail_on
    if fail.never or fail.measured is not None:  # measured waste needs a built image: measure/inspect
        return False
    findings = result.findings
    if fail.bytes is not None:
        from bot.estimate import totals

        return totals(findings).bytes_low >= fail.bytes
    return any(f.severity.rank >= fail.severity.rank for f in findings)


def _render(fmt: str, result, args) -> str:
    if fmt == "json":
        from bot.report import json_report

        return json_report.render(result)
    if fmt == "sarif":
        from bot.report import sarif

        return sarif.render(result)
    if fmt == "rdjson":
        from bot.report import rdjson

        return rdjson.render(result)
    if fmt == "rdjsonl":
        from bot.report import rdjson

        return rdjson.render_lines(result)
    if fmt == "github":
        from bot.report import annotations

        return annotations.render(result)
    from bot.report import text

    if args.statistics:
        return text.statistics(result)
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    out = text.render(result, colour=colour, show_fixes=not args.quiet)
    if not args.quiet and sys.stdout.isatty():
        out += text.summary_line(result) + "\n"
    return out


def cmd_check(args: argparse.Namespace) -> int:
    # A check allocates many objects and frees few by the collector: its modules, classes and
    # tables live to the end, and a file's objects mostly go by reference counting. At the
    # default pace (a pass every 700 allocations, over every object not yet frozen) the
    # collector costs 2-3% of a check: the objects made before sit out (freeze) and passes
    # are rarer from here on, both undone after. Few of a check's objects are cyclic garbage:
    # the corpus checked four times over peaks at the same memory with the collector off.
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*CHECK_GC_THRESHOLD)
    try:
        return _check(args)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _check(args: argparse.Namespace) -> int:
    from bot.engine import LintResult, OnDemandEstimator, analyse_file, build_context_for

    cfg = _config(args)
    options = cfg.options(estimate=not args.no_estimate)
    files = _discover(args.paths)
    estimator = OnDemandEstimator(options.online) if options.estimate else None
    progress = _Progress(len(files), not args.quiet)
    results = []
    for i, path in enumerate(files, 1):
        progress.update(i, path)
        results.append(analyse_file(path, options, build_context_for(path), estimator))
    progress.done()
    result = LintResult(tuple(results))
    sys.stdout.write(_render(args.format, result, args))
    for r in result.errors:
        print(f"dockerdiet: error: {r.path}: {r.error}", file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if _fails(cfg, result) else EXIT_CLEAN


def cmd_config(args: argparse.Namespace) -> int:
    sys.stdout.write(_config(args).describe())
    return EXIT_CLEAN


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

    options = _config(args).options(estimate=False)
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
            import difflib

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


def cmd_review(args: argparse.Namespace) -> int:
    from bot.github.local import ReviewError, local_review

    try:
        result = local_review(args.base, args.path, online=args.online, max_comments=args.max_comments,
                              config=args.config)
    except ReviewError as exc:
        print(f"dockerdiet: review: {exc}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(result.markdown)
    return EXIT_FINDINGS if result.plan.new_findings else EXIT_CLEAN


def cmd_action(args: argparse.Namespace) -> int:
    from bot.action import main as action_main

    return action_main()


COMMANDS = {
    "check": cmd_check,
    "fix": cmd_fix,
    "config": cmd_config,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "docs": cmd_docs,
    "review": cmd_review,
    "action": cmd_action,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["measure"], ["inspect"]):
        if argv[0] == "measure":
            from bot.measure.cli import main as measure_main
        else:
            from bot.measure.layers.cli import main as measure_main

        try:
            return measure_main(argv[1:])
        except SystemExit as exc:  # its argparse exits on --help and usage errors
            return int(exc.code or 0)
    try:
        args = parse_arguments(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not args.command:
        build_parser().print_help(sys.stderr)
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


def run() -> None:
    """The ``dockerdiet`` program (the console script). A check ends without the interpreter's
    teardown, as mypy's hard_exit does: freeing every object and a last full collection are
    9% of a small check's instructions, and a check holds nothing that needs them (it writes
    only to stdout and stderr, flushed here, and leaves no temporary file or atexit handler).
    Every other command exits as usual. A check runs at cmd_check's collector pace from
    here, before it imports argparse, typing, the model and the rules: at the default pace
    their imports alone set off a dozen collections, 2% of a small check's instructions."""
    if sys.argv[1:2] == ["check"]:
        gc.set_threshold(*CHECK_GC_THRESHOLD)
    code = main()
    if sys.argv[1:2] == ["check"]:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:  # the reader went away (`| head`): nothing is left to say
            pass
        except OSError as exc:
            print(f"dockerdiet: error: writing the report: {exc}", file=sys.stderr)
            code = EXIT_ERROR
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
