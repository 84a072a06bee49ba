"""Totals count each claim once; the text format is stable."""

from bot.estimate import Totals, totals
from bot.estimate.format import format_bytes, format_estimate
from bot.model.findings import Confidence, Finding, Severity, SizeEstimate, SizeHint
from bot.model.text import Position, Span

MB = 1_000_000
SPAN = Span(Position(1, 1), Position(1, 2))


def finding(rule, low, high, claims=(), path="Dockerfile", estimate=True):
    e = SizeEstimate(low, high, "b", Confidence.MEDIUM, "table") if estimate else None
    return Finding(rule, "n", Severity.WARNING, path, SPAN, "m", hint=SizeHint("k", {}, tuple(claims)), estimate=e)


def test_overlapping_claims_count_once_with_the_max():
    fs = [
        finding("DT101", 18 * MB, 22 * MB, ["apt-lists@1"]),
        finding("DT201", 17 * MB, 23 * MB, ["apt-lists@1"]),
        finding("DT105", 1 * MB, 2 * MB, ["pip@2"]),
    ]
    t = totals(fs)
    assert isinstance(t, Totals)
    assert (t.bytes_low, t.bytes_high, t.count) == (19 * MB, 25 * MB, 3)
    assert t.by_rule["DT101"].bytes_high == 22 * MB and t.by_rule["DT201"].count == 1


def test_claims_chain_transitively_and_stay_per_file():
    fs = [
        finding("DT101", 10, 10, ["a"]),
        finding("DT201", 20, 20, ["a", "b"]),
        finding("DT204", 5, 5, ["b"]),
        finding("DT101", 10, 10, ["a"], path="other/Dockerfile"),
    ]
    t = totals(fs)
    assert (t.bytes_low, t.bytes_high) == (30, 30)


def test_findings_without_claims_or_estimates():
    fs = [finding("DT204", 1, 2), finding("DT204", 1, 2), finding("DT301", 0, 0, estimate=False)]
    t = totals(fs)
    assert (t.bytes_low, t.bytes_high, t.count, t.unestimated) == (2, 4, 2, 1)


def test_totals_of_nothing():
    t = totals([])
    assert (t.bytes_low, t.bytes_high, t.count, t.by_rule) == (0, 0, 0, {})


def test_format_estimate():
    e = SizeEstimate(15 * MB, 25 * MB, "b", Confidence.MEDIUM, "table")
    assert format_estimate(e) == "≈ 20 MB (15–25 MB)"
    assert format_estimate(SizeEstimate(0, 0, "b", Confidence.HIGH, "measured")) == "no image bytes"
    assert format_estimate(SizeEstimate(300_000, 1_200_000, "b", Confidence.LOW, "heuristic")) == "≈ 750 KB (300 KB–1.2 MB)"
    assert format_estimate(None) == "size impact unknown"


def test_format_bytes_rounding():
    assert [format_bytes(n) for n in (999_999, 4_240_000, 19_868_160, 1_100_000_000, 1500)] == [
        "1 MB", "4.2 MB", "20 MB", "1.1 GB", "1.5 KB",
    ]


def hinted(rule, low, high, kind, claims=()):
    e = SizeEstimate(low, high, "b", Confidence.MEDIUM, "table")
    return Finding(rule, "n", Severity.WARNING, "Dockerfile", SPAN, "m", hint=SizeHint(kind, {}, tuple(claims)), estimate=e)


def test_format_share_states_the_floor_and_the_share_on_one_basis():
    from bot.estimate.format import format_share

    base = SizeEstimate(600_000_000, 800_000_000, "table", Confidence.MEDIUM, "table")
    text = format_share([finding("DT105", 400_000_000, 600_000_000)], base, "python:3.12")
    # image floor = base + the layers' waste, both at their midpoints (700 + 500 MB); share 500/1200
    assert text == ("≈ 500 MB (400–600 MB) avoidable of an image of at least ≈ 1.2 GB (base `python:3.12` ≈ 700 MB "
                    "plus the waste in its layers): at most ≈ 42%")


def test_format_share_small_waste_on_a_wide_base_range_reads_consistently():
    from bot.estimate.format import format_share

    # once read "≈ 600 KB avoidable of an image of at least 111 MB (base ≈ 126 MB)": the floor took the
    # base's low end, the base its midpoint
    base = SizeEstimate(111_000_000, 141_000_000, "table", Confidence.MEDIUM, "table")
    text = format_share([finding("DT105", 300_000, 900_000)], base, "debian:12")
    assert text == ("≈ 600 KB (300–900 KB) avoidable of an image of at least ≈ 127 MB (base `debian:12` ≈ 126 MB "
                    "plus the waste in its layers): under 1%")


def test_a_files_total_never_exceeds_its_image_and_says_so():
    from bot.estimate.format import format_share
    from bot.estimate.totals import file_total, image_share
    from bot.model import hints as K

    base = SizeEstimate(280_000_000, 300_000_000, "table", Confidence.MEDIUM, "table")
    # a base swap saves out of the base; with a wide layer finding the sum once read
    # "310 MB avoidable of an image of at least 280 MB"
    fs = [hinted("DT401", 250_000_000, 290_000_000, K.BASE_IMAGE_SWAP), hinted("DT102", 20_000_000, 60_000_000, K.APT_RECOMMENDS)]
    share = image_share(fs, base)
    assert (share.image_low, share.image_high) == (300_000_000, 360_000_000)
    assert (share.low, share.high) == (270_000_000, 350_000_000) and not share.capped
    # a saving out of the base that the base's own estimate cannot hold (another table row or a live size)
    fs[0] = hinted("DT401", 250_000_000, 320_000_000, K.BASE_IMAGE_SWAP)
    share = image_share(fs, base)
    assert share.capped and share.high == share.image_high == 360_000_000 and share.low == 270_000_000
    assert file_total(fs, base) == (share.low, share.high)
    assert "capped at that size" in format_share(fs, base)
    assert "not known" in format_share([finding("DT105", 1, 2)], None)
    assert file_total([finding("DT105", 1, 2)], None) == (1, 2)


def test_json_report_carries_the_image_share(tmp_path, capsys):
    import json

    from bot.cli import main

    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.12\nRUN apt-get update && apt-get install -y curl\n")
    main(["check", "--format", "json", str(path)])
    image = json.loads(capsys.readouterr().out)["files"][0]["image"]
    assert image["base"] == "python:3.12" and image["base_size"]["bytes_low"] > 0
    assert 0 < image["avoidable"]["bytes_low"] <= image["avoidable"]["bytes_high"]


def test_repository_metadata_of_several_runs_counts_once():
    from bot.engine import Options, analyse_text

    text = "FROM rockylinux:9\nRUN dnf install -y git\nRUN dnf install -y make\n"
    found = [f for f in analyse_text("Dockerfile", text, Options(min_saving=0)).findings if f.rule_id == "DT104"]
    assert len(found) == 2 and all(f.estimate for f in found)
    t = totals(found)
    assert (t.bytes_low, t.bytes_high) == (found[0].estimate.bytes_low, found[0].estimate.bytes_high)


def test_two_ways_to_a_smaller_base_count_once():
    from bot.model import hints as K

    fs = [hinted("DT401", 772 * MB, 993 * MB, K.BASE_IMAGE_SWAP), hinted("DT402", 770 * MB, 990 * MB, K.TOOLCHAIN_RUNTIME),
          hinted("DT105", 1 * MB, 2 * MB, K.PIP_CACHE, ["pip@3"])]
    t = totals(fs)
    assert (t.bytes_low, t.bytes_high) == (773 * MB, 995 * MB)


def staged(rule, low, high, kind, claims=(), stage="0"):
    e = SizeEstimate(low, high, "b", Confidence.MEDIUM, "table")
    return Finding(rule, "n", Severity.WARNING, "Dockerfile", SPAN, "m", stage=stage,
                   hint=SizeHint(kind, {}, tuple(claims)), estimate=e)


def test_a_stage_rewrite_and_the_findings_about_its_layers_count_once():
    """Shaped like held-out file 0315: DT402's runtime stage removes gcc's install, whose recommends
    DT102 also claims; the two were summed (429 MB 'high' for a 390 MB image)."""
    from bot.model import hints as K

    rewrite = staged("DT402", 153 * MB, 362 * MB, K.BUILD_PACKAGES, ["stage@0", "build-packages@3"])
    recs = staged("DT102", 46 * MB, 66 * MB, K.APT_RECOMMENDS, ["apt_recommends@3"])
    assert (totals([rewrite, recs]).bytes_low, totals([rewrite, recs]).bytes_high) == (153 * MB, 362 * MB)
    # the others' bytes are all removed by the rewrite: when they add up to more, their sum counts
    lists = staged("DT101", 18 * MB, 22 * MB, K.APT_LISTS, ["apt-lists@3"])
    lists_again = staged("DT201", 17 * MB, 23 * MB, K.LATER_LAYER_CLEANUP, ["apt-lists@3"])
    pip = staged("DT105", 120 * MB, 300 * MB, K.PIP_CACHE, ["pip@5"])
    t = totals([rewrite, recs, lists, lists_again, pip])
    assert (t.bytes_low, t.bytes_high) == (max(153, 46 + 18 + 120) * MB, max(362, 66 + 23 + 300) * MB)
    # another stage, and what the runtime stage copies over (dev dependencies), stay apart
    other = staged("DT102", 5 * MB, 6 * MB, K.APT_RECOMMENDS, ["apt_recommends@9"], stage="1")
    dev = staged("DT302", 30 * MB, 40 * MB, K.DEV_DEPENDENCIES)
    t = totals([rewrite, recs, other, dev])
    assert (t.bytes_low, t.bytes_high) == ((153 + 5 + 30) * MB, (362 + 6 + 40) * MB)


def test_a_stage_rewrite_over_an_apt_install_with_recommends_counts_once_end_to_end():
    from bot.engine import Options, analyse_text
    from bot.estimate.totals import file_total

    text = ("FROM python:3.11-slim-bookworm\nRUN apt-get update && apt-get install -y gcc \\\n"
            "    && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\n"
            "RUN pip install --no-cache-dir -r requirements.txt\n")
    res = analyse_text("Dockerfile", text, Options(min_saving=0))
    by = {f.rule_id: f for f in res.findings if f.estimate is not None}
    assert {"DT402", "DT102"} <= set(by)
    low, high = file_total(res.findings, res.base_size)
    assert high < by["DT402"].estimate.bytes_high + by["DT102"].estimate.bytes_high
    assert (low, high) == (by["DT402"].estimate.bytes_low, by["DT402"].estimate.bytes_high)


def test_a_slim_bases_docs_of_recommended_packages_count_once_with_the_recommends():
    """Held-out round 3 (0620): the slim swap prices the docs of every package the RUNs install,
    and --no-install-recommends removes the recommended ones whole; summed, the file's total
    (665 MB high) passed the 657 MB image."""
    from bot.model import hints as K

    swap = Finding("DT401", "n", Severity.WARNING, "Dockerfile", SPAN, "m", hint=SizeHint(K.BASE_IMAGE_SWAP, {}, ()),
                   estimate=SizeEstimate(58 * MB, 156 * MB, "b", Confidence.MEDIUM, "table",
                                         overlaps=(("apt_recommends@4", 11 * MB, 73 * MB),)))
    recs = staged("DT102", 360 * MB, 512 * MB, K.APT_RECOMMENDS, ["apt_recommends@4"])
    other = staged("DT102", 5 * MB, 6 * MB, K.APT_RECOMMENDS, ["apt_recommends@9"])
    t = totals([swap, recs])
    assert (t.bytes_low, t.bytes_high) == ((58 + 360 - 11) * MB, (156 + 512 - 73) * MB)
    assert (totals([swap, other]).bytes_low, totals([swap, other]).bytes_high) == (63 * MB, 162 * MB)
    assert (totals([swap]).bytes_low, totals([swap]).bytes_high) == (58 * MB, 156 * MB)


def test_the_slim_swap_names_the_docs_that_no_install_recommends_also_removes():
    from bot.engine import Options, analyse_text
    from bot.estimate.totals import file_total

    text = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y postgresql-client python3-pip\n"
    res = analyse_text("Dockerfile", text, Options(min_saving=0))
    by = {f.rule_id: f for f in res.findings if f.estimate is not None}
    swap, recs = by["DT401"], by["DT102"]
    (claim, lo, hi), = swap.estimate.overlaps
    assert claim in recs.hint.claims and 0 < lo <= hi < swap.estimate.bytes_high
    t = totals([swap, recs])
    assert t.bytes_high == swap.estimate.bytes_high + recs.estimate.bytes_high - hi
    assert file_total(res.findings, res.base_size)[1] <= sum(f.estimate.bytes_high for f in by.values()) - hi
