"""One-time work of a check done only where it is needed (start-up time, issue 12): tables
read without importing what they describe, patterns compiled on first use."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from bot import config, rules

from tests.conftest import ROOT

CLEAN = 'FROM python:3.12-slim\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n'
APT = "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl\nRUN echo done\n"

# a check in its own interpreter: its exit code, its output, then the modules it loaded
_PROBE = """
import contextlib, io, json, sys
import bot.cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = bot.cli.main(["check", "--no-estimate", "--format", "json", sys.argv[1]])
print(code)
print(",".join(sorted({f["rule"] for f in json.loads(out.getvalue())["files"][0]["findings"]})))
print(",".join(sorted(sys.modules)))
"""


def _check(tmp_path, text: str, files: dict[str, str]) -> tuple[int, str, set[str]]:
    for name, content in {"Dockerfile": text, **files}.items():
        (tmp_path / name).write_text(content)
    out = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "Dockerfile")], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    code, said, modules = out.stdout.split("\n")[:3]
    return int(code), said, set(modules.split(","))


def test_the_hadolint_table_is_what_the_rules_say():
    from_classes: dict[str, set[str]] = {}
    for rule in rules.all_rules():
        for code in rule.hadolint:
            from_classes.setdefault(code, set()).add(rule.id)
    assert rules.hadolint_map() == from_classes
    assert all(list(ids) == sorted(ids) for ids in rules.HADOLINT.values())
    assert list(rules.HADOLINT) == sorted(rules.HADOLINT)


def test_the_hadolint_map_is_a_fresh_copy():
    first = rules.hadolint_map()
    first["DL3009"].add("DT999")
    assert "DT999" not in rules.hadolint_map()["DL3009"]


def test_a_hadolint_config_is_honoured_without_importing_every_rule(tmp_path):
    (tmp_path / ".git").mkdir()  # the config search stops here
    plain = _check(tmp_path, APT, {})
    assert plain[0] == 1 and {"DT101", "DT102"} <= set(plain[1].split(","))
    code, said, modules = _check(tmp_path, APT, {".hadolint.yaml": "ignored:\n  - DL3009\n  - DL3008\n"})
    # DL3009 is DT101's (and DT203's); DL3008 none of ours
    assert code == 1 and set(said.split(",")) == set(plain[1].split(",")) - {"DT101"}
    assert "yaml" in modules and "json" in modules  # the probe's own json import: the list is complete
    # rules whose words the file does not say stay unloaded (rules.TRIGGERS), as without a config
    assert not {m for m in modules if m.startswith(("bot.rules.dt105", "bot.rules.dt5", "bot.rules.dt7"))}


def test_a_hadolint_config_read_from_text_maps_codes_as_the_rules_do():
    cfg = config.from_text(None, ".dockerdiet.toml", "ignored: [DL3009, dl3042, DL9999, 7]\n")
    assert cfg.ignore == ["DT101", "DT105", "DT203"]


# module-level patterns a check compiles only when it first uses them (facts.LazyPattern)
LAZY = {
    "bot.identity": ("_SUBCOMMAND",),
    "bot.rules.facts": ("PIP_NAME", "PYTHON_NAME"),
    "bot.rules.dt301_broad_copy_before_install": ("_REQ_INCLUDE", "_REQ_LOCAL"),
    "bot.estimate.manifests": ("_PNPM_KEY",),
}
_COMPILED_PROBE = """
import contextlib, io, re, sys
import bot.cli
with contextlib.redirect_stdout(io.StringIO()):
    code = bot.cli.main(["check", sys.argv[1]])
print(code)
print(repr([key[1] for key in re._cache if isinstance(key[1], str)]))
"""


def _lazy(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(module), name)


def test_lazy_patterns_answer_as_the_compiled_ones():
    import re

    samples = ["pip", "pip3", "pip3.12", "python3.11", "python", "pipx", "get", "add-apt-repository", "Get", "x" * 30,
               "-r requirements.txt", "  --requirement=base.txt", "-e .", "./pkg", "file:../x", "flask==2.0",
               "  '/a@1.0.0':", "  b@2.0.0:", "   c:", "  /d/1.2.3: ", ""]
    for module, names in LAZY.items():
        for name in names:
            lazy = _lazy(module, name)
            compiled = re.compile(lazy.pattern, lazy.flags)
            for text in samples:
                for method in ("match", "fullmatch", "search"):
                    got, want = getattr(lazy, method)(text), getattr(compiled, method)(text)
                    assert (got and got.groups()) == (want and want.groups()), (module, name, method, text)


def test_a_clean_check_compiles_none_of_the_lazy_patterns(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(CLEAN)
    out = subprocess.run([sys.executable, "-c", _COMPILED_PROBE, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    code, listed = out.stdout.split("\n")[:2]
    compiled = ast.literal_eval(listed)
    assert code == "0"
    patterns = {_lazy(m, n).pattern for m, names in LAZY.items() for n in names}
    assert patterns.isdisjoint(compiled)
    assert r"\.(?:map|a|debug|pdb|dSYM)(?:/|$)" in compiled  # the probe sees a lazy pattern compiled


# ---------------------------------------------------------------------------- records

# records whose __new__ checks its values (they are tested with their modules)
CHECKED = ("bot.model.text.Span", "bot.model.findings.Fix", "bot.model.findings.SizeEstimate")


def _records():
    """Every record class a check may load (each rule, the size estimate), but those whose
    __new__ checks its values: their __new__ only builds the tuple."""
    import importlib
    import pkgutil

    import bot.estimate
    from bot.model.records import Record

    rules.all_rules()
    for module in pkgutil.walk_packages(bot.estimate.__path__, "bot.estimate."):
        importlib.import_module(module.name)
    for name in ("bot.config", "bot.engine", "bot.model.pragmas", "bot.model.shell"):
        importlib.import_module(name)
    found = [cls for cls in Record.__subclasses__() if f"{cls.__module__}.{cls.__qualname__}" not in CHECKED]
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def test_the_records_under_test_include_the_model_rules_and_estimates():
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in _records()}
    assert {"bot.model.dockerfile.Instruction", "bot.model.findings.Finding", "bot.engine.Options",
            "bot.rules.base.Valid", "bot.estimate.totals.Totals", "bot.model.shell._CommandFields"} <= names
    assert len(names) > 70


def _reference(cls):
    """The collections.namedtuple the record replaces: same name, fields and defaults."""
    import collections

    return collections.namedtuple(cls.__name__, cls._fields, defaults=cls.__new__.__defaults__)


def _outcome(how, record):
    try:
        return how(record)
    except TypeError as exc:
        return str(exc)


def _hash(record):
    try:
        return hash(record)
    except TypeError as exc:  # a default that is not hashable (SizeHint's params): so is the NamedTuple
        return str(exc)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_records_behave_as_the_namedtuples_they_replace(data):
    import copy
    import pickle

    values = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.tuples(st.integers()))
    for cls in _records():
        ref = _reference(cls)
        n, given_defaults = len(cls._fields), len(cls.__new__.__defaults__ or ())
        args = data.draw(st.lists(values, min_size=n - given_defaults, max_size=n))
        made, want = cls(*args), ref(*args)
        assert tuple(made) == tuple(want) and made == want
        assert _hash(made) == _hash(want)
        assert repr(made) == repr(want) and made._asdict() == want._asdict()
        assert [getattr(made, f) for f in cls._fields] == list(want)
        assert cls(**dict(zip(cls._fields, args))) == made
        name = data.draw(st.sampled_from(cls._fields))
        value = data.draw(values)
        assert made._replace(**{name: value}) == want._replace(**{name: value})
        assert type(made._replace(**{name: value})) is cls
        for how in (copy.copy, copy.deepcopy):
            other, reference = _outcome(how, made), _outcome(how, want)
            assert other == reference  # the same copy, or the same error (a mappingproxy is not deep-copied)
            assert type(other) is cls or type(reference) is not ref
        # pickled whenever its values are (the reference, made here, cannot be pickled by name)
        try:
            pickle.dumps(tuple(made))
        except (TypeError, pickle.PicklingError, AttributeError):
            pass  # a mappingproxy or a lambda default
        else:
            pickled = pickle.loads(pickle.dumps(made))
            assert pickled == made and type(pickled) is cls
        with pytest.raises(ValueError, match="unexpected field names"):
            made._replace(no_such_field=1)
        with pytest.raises(AttributeError):
            made.__dict__  # noqa: B018 (a record holds nothing but its items)
        with pytest.raises(TypeError):
            cls(*args, *([None] * (n + 1 - len(args))))  # one value too many


def test_a_check_defines_no_namedtuple():
    """collections.namedtuple compiles each class's __new__ from text (start-up time)."""
    code = (
        "import collections, sys\n"
        "made = []\n"
        "real = collections.namedtuple\n"
        "def counting(name, *args, **kwargs):\n"
        "    made.append((kwargs.get('module') or sys._getframe(1).f_globals.get('__name__')) + '.' + name)\n"
        "    return real(name, *args, **kwargs)\n"
        "collections.namedtuple = counting\n"
        "import importlib, pkgutil\n"
        "import bot.config, bot.engine, bot.estimate, bot.model.pragmas, bot.model.shell, bot.rules\n"
        "bot.rules.all_rules()\n"
        "for m in pkgutil.walk_packages(bot.estimate.__path__, 'bot.estimate.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(m for m in made if m.startswith('bot.')))\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('bot.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    made, modules = out.stdout.split("\n")[:2]
    assert {"bot.model.shell", "bot.rules.caches", "bot.estimate.totals"} <= set(modules.split(","))
    # typing.NamedTuple names the class's module; the standard library's own (pkgutil's, inspect's) do not count
    assert made == ""


def test_the_github_annotation_record_behaves_as_the_dataclass_it_replaces():
    import dataclasses

    from bot.report.annotations import Annotation

    @dataclasses.dataclass(frozen=True, slots=True)
    class Reference:
        level: str
        file: str
        line: int
        end_line: int
        title: str
        message: str
        column: int = 0
        end_column: int = 0

    for args in (("warning", "a,b:c", 3, 5, "DT101 x", "100% bad\n"), ("notice", "D", 1, 1, "t", "m", 2, 9)):
        made, want = Annotation(*args), Reference(*args)
        assert [getattr(made, f.name) for f in dataclasses.fields(Reference)] == list(dataclasses.astuple(want))
        # the dataclass's repr names its __qualname__: Annotation's was "Annotation"
        assert repr(made) == "Annotation(" + repr(want).split("(", 1)[1]
        assert hash(made) == hash(want) and made == Annotation(*args) and made != Annotation(*args[:-1], "other")
        with pytest.raises(AttributeError):
            made.line = 4  # frozen


def test_a_check_in_github_format_does_not_import_dataclasses(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(APT)
    code = (
        "import contextlib, io, sys\n"
        "import bot.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = bot.cli.main(['check', '--no-estimate', '--format', 'github', sys.argv[1]])\n"
        "print(code, out.getvalue().count('::warning'), 'dataclasses' in sys.modules, 'inspect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    code, warnings, dataclasses_loaded, inspect_loaded = out.stdout.split()
    assert code == "1" and int(warnings) > 0
    assert dataclasses_loaded == inspect_loaded == "False"


def test_records_work_without_collections_private_accessor():
    """``collections._tuplegetter`` is private: without it, fields are properties, as
    namedtuple's own fallback makes them, and a parse reads the same."""
    code = (
        "import collections; del collections._tuplegetter\n"
        "from bot.model.records import Record, field\n"
        "from bot.model.dockerfile import parse\n"
        "class P(Record):\n"
        "    __slots__ = ()\n"
        "    _fields = ('a', 'b')\n"
        "    a = field(0, 'first')\n"
        "    b = field(1)\n"
        "    def __new__(cls, a, b=2):\n"
        "        return tuple.__new__(cls, (a, b))\n"
        "p = P(1)\n"
        "assert (p.a, p.b, P.a.__doc__) == (1, 2, 'first') and isinstance(P.__dict__['a'], property)\n"
        "try:\n"
        "    p.a = 3\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('a field was writable')\n"
        "df = parse('FROM a AS b\\nRUN x && y\\n')\n"
        "print([(i.keyword, i.span.start.line) for i in df.instructions])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[('FROM', 1), ('RUN', 2)]"
