"""The layer-state model: a saving is the image as written minus the image with the fix."""

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Options, analyse_text
from bot.estimate import textdata
from bot.estimate.layers.graph import PARTS, Graph, decode_row, encode_row, graph, part_path, providers_of
from bot.estimate.layers.state import base_key
from bot.rules.base import BuildContext

MB = 1_000_000
ALL = Options(min_saving=0)


def findings(text, rule, options=ALL, context=None):
    return [f for f in analyse_text("Dockerfile", text, options, context).findings if f.rule_id == rule]


def one(text, rule, options=ALL, context=None):
    found = findings(text, rule, options, context)
    assert len(found) == 1, [(f.rule_id, f.message) for f in analyse_text("Dockerfile", text, options).findings]
    return found[0]


# ------------------------------------------------------------------ the package graph
def test_graph_bases_hold_what_their_dockerfiles_install():
    g = graph()
    assert "apt" in g.bases["debian-12"] and "gcc" not in g.bases["debian-12"]
    assert {"curl", "wget", "ca-certificates"} <= g.bases["buildpack-deps-12-curl"]
    assert {"git", "gcc", "libssl-dev", "make"} <= g.bases["buildpack-deps-12"]
    assert g.bases["debian-12"] < g.bases["buildpack-deps-12-curl"] < g.bases["buildpack-deps-12-scm"] < g.bases["buildpack-deps-12"]


def test_graph_rows_decode_as_stored_and_a_list_graph_resolves_the_same():
    """The data file keeps each row as one string, decoded on first use; a graph built from
    decoded lists (as scripts/gen_apt_graph.py builds one) must answer the same."""
    stored = graph()
    raw = textdata.rows(part_path("packages"))
    rows = {name: decode_row(text) for name, text in raw.items()}
    assert all(encode_row(row) == raw[name] for name, row in rows.items())
    assert rows["curl"][0] > 0 and "libcurl4" in rows["curl"][1] and "ca-certificates" in rows["libcurl4"][2]
    lists = Graph(rows, {}, {})
    assert lists.providers == {name: stored.provided_by(name) for name in stored.providers}
    base = stored.bases["debian-12"]
    for names in (["curl"], ["python3-pip", "python3-dev"], ["build-essential", "cmake", "git"]):
        for recommends in (False, True):
            assert lists.resolve(names, base, recommends) == stored.resolve(names, base, recommends)


def test_the_graph_files_agree_with_each_other_and_read_back_as_written(tmp_path):
    """What scripts/gen_apt_graph.py writes: providers derived from the rows' Provides, bases
    of known packages, a .deb size for every package but those the meta names as missing;
    and textdata.write of the tables read gives back the same bytes."""
    g = graph()
    packages = textdata.rows(part_path("packages"))
    assert textdata.rows(part_path("providers")) == {k: ",".join(v) for k, v in sorted(providers_of(packages).items())}
    assert all(base <= packages.keys() for base in g.bases.values())
    meta = dict(g.meta)
    assert meta["distro"] == "debian-12-bookworm-amd64" and meta["date"] and meta["source"]
    missing = sorted(name for name in packages if g.deb_size(name) is None)
    assert missing == meta["downloads"]["missing"] and len(packages) - len(missing) == meta["downloads"]["packages"]
    assert g.deb_size("curl") > 100_000 and g.deb_size("no-such-package") is None
    for part in PARTS:
        table = textdata.rows(part_path(part))
        textdata.write(str(tmp_path / part), table)
        with open(part_path(part), "rb") as a, open(tmp_path / part, "rb") as b:
            assert a.read() == b.read(), part
    assert json.loads(textdata.rows(part_path("meta"))["downloads"]) == meta["downloads"]


def test_a_malformed_table_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"curl 1 2\nwget\nzlib 3\n")
    with pytest.raises(ValueError, match=r"t\.txt:2: the row 'wget' has no value"):
        textdata.rows(str(path))
    path.write_bytes(b"curl 1 2\nwget 3")
    with pytest.raises(ValueError, match=r"t\.txt: empty, or its last line has no line break"):
        textdata.rows(str(path))
    path.write_bytes(b"curl \xff\n")
    with pytest.raises(ValueError, match=r"t\.txt: not UTF-8"):
        textdata.rows(str(path))
    with pytest.raises(ValueError, match="cannot be stored"):
        textdata.write(str(path), {"a b": "1"})
    with pytest.raises(ValueError, match="cannot be stored"):
        textdata.write(str(path), {"a": "1\n2"})
    textdata.write(str(path), {"a": "1 2", "b": ""})
    assert textdata.rows(str(path)) == {"a": "1 2", "b": ""} and os.path.getsize(path) == len("a 1 2\nb \n")


def test_a_chain_of_installs_resolves_as_each_would_from_scratch():
    """A simulation's chain of installs, each on the set the last one left, resolves as fresh
    graphs do: the memos (installs, provided names) never change an answer."""
    packages = textdata.rows(part_path("packages"))
    bases = {k: v.split(",") for k, v in textdata.rows(part_path("bases")).items()}
    chained = Graph(dict(packages), bases, {})
    installed = chained.bases["debian-12"]
    for names, recommends in ((["curl"], True), (["python3-pip"], False), (["build-essential", "git"], True),
                              (["default-jre-headless"], False)):  # fmt: skip
        new = chained.install(names, installed, recommends)
        fresh = Graph(dict(packages), bases, {})
        assert new == fresh.resolve(names, installed, recommends) and new
        installed = installed | new
        assert chained._provided(installed) == fresh._provided(installed)


def _plain_provided(g: Graph, installed) -> set:
    """The names ``installed`` satisfies, from the decoded rows."""
    return set(installed).union(*(g.row(name)[3] for name in installed if g.row(name) is not None))


def _plain_resolve(g: Graph, requested, installed, recommends) -> set:
    """The resolver as first written (batch by batch, every pick through _pick, the provided
    names computed over the whole installed set): the reference for the tuned loop."""
    have = frozenset(installed)
    provided = _plain_provided(g, have)
    queue = [p for p in (g._pick(r, set()) for r in requested) if p]
    prefer, new = set(queue), set()
    provided.update(queue)
    while queue:
        batch, queue = queue, []
        for name in batch:
            if name in have or name in new or g.row(name) is None:
                continue
            new.add(name)
            row = g.row(name)
            provided.update(row[3])
            for groups in (row[1], row[2]) if recommends else (row[1],):
                for group in groups:
                    alts = group.split("|")
                    if any(a in provided for a in alts):
                        continue
                    picked = next(((g._pick(a, prefer), a) for a in alts if g._pick(a, prefer) is not None), None)
                    if picked is not None:  # the first alternative apt can install, and the name it satisfies
                        queue.append(picked[0])
                        prefer.add(picked[0])
                        provided.update(picked)
    return new


_NAMES = sorted(textdata.rows(part_path("packages")))[::7] + ["mail-transport-agent", "python3-pip", "no-such-package"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(textdata.rows(part_path("bases")))),
       st.lists(st.tuples(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4), st.booleans()), min_size=1, max_size=4))
def test_chained_installs_resolve_as_the_plain_resolver_does(base, chain):
    """Installs chained as a simulation chains them (each on the set the last one left, the
    provided names carried over) answer as the plain resolver on a fresh graph."""
    g = graph()
    fresh = Graph(dict(textdata.rows(part_path("packages"))), {}, {})
    installed = g.bases[base]
    for names, recommends in chain:
        known = [n for n in names if g.knows(n)]
        new = g.install(tuple(known), installed, recommends)
        assert new == _plain_resolve(fresh, known, installed, recommends)
        installed = installed | new
        assert g._provided(installed) == fresh._provided(installed) == _plain_provided(fresh, installed)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(textdata.rows(part_path("bases")))),
       st.lists(st.tuples(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4), st.booleans()), min_size=1, max_size=4))
def test_installs_onto_the_set_they_leave_answer_as_the_plain_resolver(base, chain):
    """install_onto, as a simulation chains it (each install on the set object the last one
    left, asked again from the memo), adds what the plain resolver adds and leaves installed | new."""
    g = graph()
    fresh = Graph(dict(textdata.rows(part_path("packages"))), {}, {})
    installed = g.bases[base]
    for names, recommends in chain:
        known = tuple(n for n in names if g.knows(n))
        new, after = g.install_onto(known, installed, recommends)
        assert (new, after) == g.install_onto(known, installed, recommends)
        assert new == g.install(known, installed, recommends) == _plain_resolve(fresh, known, installed, recommends)
        assert after == installed | new
        installed = after
        assert g._provided(installed) == _plain_provided(fresh, installed)


def test_a_virtual_dependency_takes_a_provider_already_marked_as_the_plain_resolver_does():
    """A package needing a virtual name that a provider queued later will satisfy: the marked
    provider is taken (not the first by name), and it is added once."""
    rows = {"app": [1, ["mta", "tool|other"], [], [], None], "aaa-mta": [2, [], [], ["mta"], None],
            "zzz-mta": [4, [], [], ["mta"], None], "other": [8, [], [], [], None]}  # fmt: skip
    g = Graph(rows, {}, {})
    for requested in (["app", "zzz-mta"], ["app"], ["zzz-mta", "app", "app"]):
        for recommends in (True, False):
            assert g.resolve(requested, (), recommends) == _plain_resolve(Graph(rows, {}, {}), requested, (), recommends)
    assert g.resolve(["app", "zzz-mta"], (), False) == {"app", "zzz-mta", "other"}
    assert g.resolve(["app"], (), False) == {"app", "aaa-mta", "other"}


def test_the_column_sums_and_memos_answer_as_fresh_computations():
    """installed_bytes / deb_bytes sum what size / deb_size give one by one; split_known and
    Model.following keep what a fresh computation (a fresh graph's simulation) gives."""
    from bot.estimate.layers.saving import Model
    from bot.estimate.layers.state import simulate
    from bot.model import hints as K
    from bot.model.dockerfile import parse
    from bot.rules.base import Context
    from bot.rules.facts import cache_claim

    g = graph()
    names = g.install(["build-essential", "git"], g.bases["debian-12"], True) | {"no-such-package", "nodejs"}
    for _ in range(2):  # read, then kept; a generator is summed as a set is
        assert g.installed_bytes(names) == sum(g.size(n) for n in names) > 100_000_000
        assert g.deb_bytes(names) == sum(g.deb_size(n) or 0 for n in names) > 10_000_000
        assert g.deb_bytes(iter(names)) == g.deb_bytes(names) and g.installed_bytes(()) == 0
    asked = ("curl", "no-such-package", "mail-transport-agent", "git", "python")  # a virtual name is known
    for _ in range(2):  # computed, then kept
        assert g.split_known(asked) == (tuple(n for n in asked if g.knows(n)), tuple(n for n in asked if not g.knows(n)))
    assert g.split_known(asked)[0][:3] == ("curl", "mail-transport-agent", "git")
    df = parse("FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git\n")
    model = Model(Context(df, "Dockerfile"), g)
    claims = (cache_claim(K.APT_RECOMMENDS, df.instructions[2]),)
    kept = model.following(claims)
    assert model.following(claims) is kept and kept.debs < model.before.debs  # git without its recommends
    fresh = Graph(dict(textdata.rows(part_path("packages"))), {k: sorted(v) for k, v in g.bases.items()}, {})
    assert kept == simulate(df, fresh, drop=claims)


def test_recommends_follow_the_packages_apt_would_add():
    g = graph()
    base = g.bases["debian-12"]
    without = g.install(["curl"], base, recommends=False)
    with_rec = g.install(["curl"], base, recommends=True)
    assert "libcurl4" in without and "ca-certificates" not in without
    assert without < with_rec and "ca-certificates" in with_rec


def test_joint_resolution_counts_shared_dependencies_once():
    g = graph()
    base = g.bases["debian-12"]
    size = lambda names: sum(g.size(n) for n in names)  # noqa: E731
    a, b = g.install(["git"], base, True), g.install(["curl"], base, True)
    both = g.install(["git", "curl"], base, True)
    assert a & b  # they share libcurl and the certificates
    assert size(both) < size(a) + size(b)
    assert size(both) == size(a | b)


def test_language_images_start_from_their_buildpack_deps_set():
    g = graph()
    assert base_key("python:3.12", g) == "buildpack-deps-12"
    assert base_key("golang:1.22", g) == "golang-12"
    assert base_key("python:3.12-slim", g) == "python-12-slim"
    assert base_key("debian:bookworm-slim", g) == "debian-12"
    assert base_key("alpine:3.20", g) == ""


# ------------------------------------------------------------------ layouts
def test_merging_a_lone_update_into_the_install_saves_nothing():
    # a later install still reads the lists, so the fix only moves the update (and its lists)
    text = ("FROM debian:12\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n"
            "RUN apt-get install -y --no-install-recommends git\n")
    f = one(text, "DT203")
    assert f.fix is not None and f.estimate.bytes_high == 0
    assert "Still reported" in f.estimate.basis
    # DT203 is also about the stale cache: the default threshold keeps it
    assert findings(text, "DT203", Options())


def test_the_fix_that_also_removes_the_lists_saves_them():
    text = "FROM debian:12-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n"
    f = one(text, "DT203")
    assert f.fix.title.endswith("remove the lists there")
    assert 15 * MB < f.estimate.bytes_low <= f.estimate.bytes_high < 25 * MB


def test_merging_saves_the_lists_when_the_install_removes_them():
    text = ("FROM debian:12\nRUN apt-get update\n"
            "RUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n")
    f = one(text, "DT203")
    assert 15 * MB < f.estimate.bytes_low <= f.estimate.bytes_high < 25 * MB
    later = one(text, "DT201")  # no fix: priced by following its advice, and says so
    assert later.fix is None and "advice" in later.estimate.basis
    assert later.estimate.bytes_low > 15 * MB


def test_a_second_update_over_present_lists_adds_little():
    text = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends curl\n")
    first, second = sorted(findings(text, "DT101"), key=lambda f: f.span.start)
    # removing the first RUN's lists makes the second update download them all again
    assert first.estimate.bytes_high < 1 * MB
    assert second.estimate.bytes_high < 1 * MB
    assert not findings(text, "DT101", Options())  # size only, below 1 MB: quiet


def test_lists_left_by_a_single_run_cost_the_release_lists():
    f = one("FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", "DT101")
    assert 18 * MB <= f.estimate.bytes_low and f.estimate.bytes_high <= 22 * MB


def test_cache_mount_keeps_the_lists_out_of_the_layer():
    from bot.estimate.layers.state import simulate
    from bot.model.dockerfile import parse

    df = parse("FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl\n")
    assert simulate(df, graph()).lists_runs == ()


# ------------------------------------------------------------------ recommends
def test_recommends_are_resolved_for_the_whole_command():
    text = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y git curl && rm -rf /var/lib/apt/lists/*\n"
    f = one(text, "DT102")
    g = graph()
    base = g.bases["debian-12"]
    # the fix keeps ca-certificates by name (curl and git fetch over https in the container)
    assert "ca-certificates" in f.message
    joint = g.install(["git", "curl"], base, True) - g.install(["git", "curl", "ca-certificates"], base, False)
    installed = sum(g.size(n) for n in joint)
    assert f.estimate.bytes_low < installed < f.estimate.bytes_high
    assert "resolved jointly" in f.estimate.basis


def test_an_earlier_run_already_installed_what_is_recommended():
    # gnupg: no recommended package is kept by the fix, so the difference is the earlier RUN alone
    alone = one("FROM debian:bookworm-slim\nRUN apt-get install -y gnupg\n", "DT102")
    after = one("FROM debian:bookworm-slim\nRUN apt-get install -y --no-install-recommends libssl3 libldap-common\n"
                "RUN apt-get install -y gnupg\n", "DT102")
    assert after.estimate.bytes_high < alone.estimate.bytes_low


def test_a_full_language_image_already_has_most_recommends():
    slim = one("FROM python:3.12-slim-bookworm\nRUN apt-get install -y git\n", "DT102")
    full = one("FROM python:3.12-bookworm\nRUN apt-get install -y git\n", "DT102")
    assert full.estimate.bytes_high < slim.estimate.bytes_low


def test_packages_outside_the_data_are_named_and_lower_the_confidence():
    f = one("FROM debian:12\nRUN apt-get install -y curl no-such-package-xyz\n", "DT102")
    assert "no-such-package-xyz" in f.estimate.basis and f.estimate.confidence.value == "low"


# ------------------------------------------------------------------ language caches
def test_pip_requirements_are_read_from_the_build_context():
    text = ("FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
            "RUN pip install -r requirements.txt\n")
    ctx = BuildContext("/ctx", {"requirements.txt": 20, "base.txt": 10},
                       {"requirements.txt": "-r base.txt\nrequests==2.32.3  # http\n", "base.txt": "numpy>=1.26\n"})
    f = one(text, "DT105", context=ctx)
    assert f.estimate is not None and "requirements.txt in the build context" in f.estimate.basis
    assert f.estimate.bytes_low >= 15 * MB  # numpy's wheel


def test_pip_requirements_not_in_the_context_stay_unknown():
    text = "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    f = one(text, "DT105", context=BuildContext("/ctx", {}, {}))
    assert f.estimate is None and f.estimate_note


def test_npm_packages_come_from_the_lockfile():
    lock = '{"lockfileVersion": 3, "packages": {"": {}, "node_modules/typescript": {"version": "5.4.5"}}}'
    text = "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\n"
    ctx = BuildContext("/ctx", {"package.json": 2, "package-lock.json": len(lock)}, {"package.json": "{}", "package-lock.json": lock})
    f = one(text, "DT106", context=ctx)
    assert f.estimate is not None and "package-lock.json" in f.estimate.basis


@pytest.mark.parametrize("ref,release", [("node:20", "12"), ("ruby:3.3", "13"), ("python:3.11-slim-bookworm", "12")])
def test_language_images_get_the_release_of_their_current_tags(ref, release):
    from bot.estimate.images import distro_of

    assert distro_of(ref).release == release


def test_recommends_of_packages_outside_the_data_are_unknown_not_zero():
    f = one("FROM debian:12\nRUN apt-get install -y python3.6-venv\n", "DT102")
    assert f.estimate is None and "python3.6-venv" in f.estimate_note


def test_a_slim_swap_takes_off_what_the_runs_reinstall_on_the_smaller_base():
    """Held-out round 3 (0467): build-essential is in node:18-bookworm (buildpack-deps), so the
    RUN adds little there; on -slim the same RUN installs it. The swap measured 503 MB, about
    330 MB less than the same swap with no such RUN, and was estimated as if nothing came back."""
    bare = one("FROM node:18-bookworm\nCMD [\"node\"]\n", "DT401")
    text = ("FROM node:18-bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential "
            "python3 && rm -rf /var/lib/apt/lists/*\nCMD [\"node\"]\n")
    swap = one(text, "DT401")
    assert "the larger base already had" in swap.estimate.basis
    assert swap.estimate.bytes_high < bare.estimate.bytes_high - 100 * MB
    assert swap.estimate.bytes_low < bare.estimate.bytes_low - 100 * MB
    # nothing to reinstall: the plain swap (plus the docs that slim leaves out)
    plain = one("FROM node:18-bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends jq "
                "&& rm -rf /var/lib/apt/lists/*\nCMD [\"node\"]\n", "DT401")
    assert "the larger base already had" not in plain.estimate.basis


def test_a_run_that_configures_apt_without_recommends_installs_without_them_from_then_on():
    """The RUN's config write counts for its own installs and every later one, whether the RUN's
    operations are computed or taken from the memo (a second simulation, another file)."""
    from bot.estimate.layers.state import _configures_no_recommends, _ops, simulate
    from bot.model.dockerfile import parse
    from bot.rules.base import Context

    g = graph()
    config = "echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99norecommends"
    plain = parse("FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git\n")
    configured = parse(f"FROM debian:12\nRUN {config} && apt-get update && apt-get install -y curl\n"
                       "RUN apt-get install -y git\n")  # fmt: skip
    later = parse(f"FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN {config}\nRUN apt-get install -y git\n")
    with_rec = simulate(plain, g).debs
    base = g.bases["debian-12"]
    curl, git = g.install(("curl",), base, False), g.install(("git",), base | g.install(("curl",), base, False), False)
    for _ in range(2):  # computed, then from the memo
        assert simulate(configured, g).debs == curl | git < with_rec
        assert simulate(later, g).debs == g.install(("curl",), base, True) | g.install(("git",), base | g.install(("curl",), base, True), False)
    for df in (plain, configured, later):
        ctx = Context(df, "Dockerfile")
        for ins in ctx.runs():
            assert _ops(ctx, ins)[1] == _configures_no_recommends(ctx, ins)


def test_the_fixed_file_reads_the_same_build_context():
    """A COPY of an apt config from the build context is read for the file with the fix as for
    the file as written: a fix that only removes the lists saves no packages (the fixed file
    was once simulated without the context, so the unread config counted as no-recommends)."""
    text = ("FROM debian:12\nCOPY proxy.conf /etc/apt/apt.conf.d/01proxy\n"
            "RUN apt-get update && apt-get install -y curl\n")
    proxy = BuildContext("/ctx", {"proxy.conf": 40}, {"proxy.conf": 'Acquire::http::Proxy "http://p:3128";\n'})
    lists = one(text, "DT101", context=proxy)
    assert "packages fewer" not in lists.estimate.basis and lists.estimate.bytes_high < 25 * MB
    recommends = one(text, "DT102", context=proxy)
    assert "packages fewer" in recommends.estimate.basis
