"""Go, JVM, other package caches, build trees, rebuild downloads: a measured floor or "unknown" with why."""

from bot.estimate import Estimator
from bot.estimate.tables import waste_models
from bot.model import hints as K
from bot.model.findings import Confidence, SizeHint

MB = 1_000_000


class Lookups:
    def __init__(self, sizes):
        self.sizes = sizes

    def content_length(self, url):
        return self.sizes.get(url)


def run(kind, lookups=None, **params):
    return Estimator(lookups).estimate(SizeHint(kind, params))


def test_go_build_cache_on_go_1_20_and_later_is_the_measured_standard_library():
    e, _ = run(K.GO_CACHE, caches=("go-build",), base_image="golang:1.22-bookworm")
    m = waste_models()[("go_build", "std")]
    assert (e.bytes_low, e.bytes_high) == (m.low, m.high) and 20 * MB < e.bytes_low < e.bytes_high < 60 * MB
    assert e.source == "measured" and e.confidence is Confidence.LOW and "not counted" in e.basis
    latest, _ = run(K.GO_CACHE, caches=("go-build", "go-mod"), base_image="golang:alpine")
    assert latest.bytes_low == e.bytes_low and "floor" in latest.basis and "go.sum" in latest.basis


def test_go_caches_without_a_defensible_number_say_unknown_and_why():
    old, reason = run(K.GO_CACHE, caches=("go-build",), base_image="golang:1.19")
    assert old is None and "precompiled" in reason and reason.startswith("unknown")
    other, reason = run(K.GO_CACHE, caches=("go-build",), base_image="debian:12")
    assert other is None and "Go version is not known" in reason
    mod, reason = run(K.GO_CACHE, caches=("go-mod",), base_image="golang:1.22")
    assert mod is None and "go.sum" in reason


def test_maven_cache_is_the_measured_floor_gradle_unknown():
    e, _ = run(K.JVM_BUILD_CACHE, caches=("maven",), base_image="maven:3.9")
    assert e.bytes_low == e.bytes_high == waste_models()[("maven_repo", "package")].low
    assert 15 * MB < e.bytes_low < 25 * MB and "floor" in e.basis
    both, _ = run(K.JVM_BUILD_CACHE, caches=("maven", "gradle"))
    assert both.bytes_low == e.bytes_low and "gradle" in both.basis and "not counted" in both.basis
    none, reason = run(K.JVM_BUILD_CACHE, caches=("gradle",))
    assert none is None and reason.startswith("unknown") and "gradle" in reason


def test_package_caches_are_unknown_with_a_basis():
    none, reason = run(K.PACKAGE_CACHE, caches=("cargo",))
    assert none is None and reason.startswith("unknown") and "cargo" in reason and "Cargo.lock" in reason


def test_build_tree_is_at_least_its_archive_online_and_unknown_offline():
    url = "https://example.org/src/redis-7.2.4.tar.gz"
    none, reason = run(K.BUILD_TREE, path="/tmp/redis", url=url)
    assert none is None and "look-ups are off" in reason
    e, _ = run(K.BUILD_TREE, Lookups({url: 3_400_000}), path="/tmp/redis", url=url)
    assert e.bytes_low == e.bytes_high == 3_400_000 and "floor" in e.basis and e.source == "live"
    failed, reason = run(K.BUILD_TREE, Lookups({}), path="/tmp/redis", url=url)
    assert failed is None and "failed" in reason
    assert run(K.BUILD_TREE, path="/src/app", url="")[0] is None


def test_rebuild_download_is_not_image_size():
    none, reason = run(K.REBUILD_DOWNLOAD, managers=("apt", "pip"))
    assert none is None and "not image size" in reason and "apt, pip" in reason


def test_the_quiet_threshold_hides_only_size_only_findings_priced_below_it():
    from bot.engine import Options, analyse_text
    from bot.estimate.quiet import ALSO_ABOUT

    files = [
        "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n",
        "FROM golang:1.19\nRUN go build -o /app .\n",
        "FROM maven:3.9-eclipse-temurin-21\nCOPY . .\nRUN mvn package\n",
        "FROM python:3.12-slim\nRUN pip install flask\nRUN pip install six\n",
        "FROM rust:1.80\nCOPY . .\nRUN cargo build --release\n",
        "FROM debian:12\nRUN useradd -u 100000 app\n",  # Debian 12 writes no lastlog: 0 bytes, hidden
    ]
    hidden = 0
    for text in files:
        everything = analyse_text("Dockerfile", text, Options(min_saving=0)).findings
        shown = analyse_text("Dockerfile", text, Options()).findings
        gone = [f for f in everything if (f.rule_id, f.span) not in {(g.rule_id, g.span) for g in shown}]
        hidden += len(gone)
        for f in gone:
            assert f.estimate is not None and f.estimate.bytes_high < MB and f.rule_id not in ALSO_ABOUT, (text, f)
        for f in shown:  # unknown stays reported, priced ones are at or above the threshold or also about more
            assert f.estimate is None or f.estimate.bytes_high >= MB or f.rule_id in ALSO_ABOUT, (text, f)
    assert hidden  # the threshold did hide something here
    go = [f for f in analyse_text("Dockerfile", files[0], Options()).findings if f.rule_id == "DT110"]
    assert go and go[0].estimate.bytes_low > 20 * MB
    old = [f for f in analyse_text("Dockerfile", files[1], Options()).findings if f.rule_id == "DT110"]
    assert old and old[0].estimate is None and "precompiled" in old[0].estimate_note
