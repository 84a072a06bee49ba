"""One waste, one comment: the engine drops a finding another one supersedes, and the
totals count the bytes they share once (engine._collapse_same_waste)."""

from __future__ import annotations

from bot.engine import Options, analyse_text
from bot.estimate import totals

PIP = "COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
LIBPQ = "RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev && rm -rf /var/lib/apt/lists/*\n"


def rules(text: str, estimate: bool = False):
    res = analyse_text("Dockerfile", text, Options(select=("DT2", "DT4"), estimate=estimate, min_saving=0))
    assert res.error is None
    return res


def on(res, *ids):
    return [(f.rule_id, f.span.start.line, f.fix is not None) for f in res.findings if f.rule_id in ids]


def test_the_python_rewrite_answers_the_slim_swap_of_its_base():
    # DT401 (slim swap, no fix: slim has no gcc for the -dev headers) and DT402 (the
    # two-stage rewrite) both priced the full image minus -slim on line 1
    res = rules(f"FROM python:3.12\nWORKDIR /app\n{LIBPQ}{PIP}")
    assert on(res, "DT401", "DT402", "DT207") == [("DT402", 1, True)]


def test_a_slim_swap_with_a_fix_stays_when_the_rewrite_has_none():
    # examples/python-app: build-essential is installed by the file, so slim builds; the
    # rewrite is refused (a RUN that unpacks into /opt): the actionable comment stays
    code = ("FROM python:3.12\nRUN apt-get update && apt-get install -y build-essential curl && rm -rf /var/lib/apt/lists/*\n"
            "RUN curl -fsSLo /tmp/t.tgz https://example.com/t.tgz && tar -xzf /tmp/t.tgz -C /opt && rm /tmp/t.tgz\n"
            f"WORKDIR /app\n{PIP}")
    res = rules(code, estimate=True)
    assert on(res, "DT401", "DT402") == [("DT401", 1, True)]
    base = [f for f in res.findings if f.rule_id == "DT401"][0].estimate
    t = totals(res.findings)
    assert t.bytes_high < 2 * base.bytes_high  # the base difference once, not twice


def test_the_rewrite_on_slim_answers_the_build_packages_purge():
    # the same gcc and libpq-dev: DT207 (purge) and DT402 (build in a stage) on -slim
    res = rules(f"FROM python:3.12-slim\nWORKDIR /app\n{LIBPQ}{PIP}")
    assert on(res, "DT207", "DT402") == [("DT402", 1, True)]


def test_the_rewrite_answers_the_build_packages_of_every_run():
    code = (f"FROM python:3.12-slim\nWORKDIR /app\n{LIBPQ}"
            "RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*\n" + PIP)
    assert on(rules(code), "DT207", "DT402") == [("DT402", 1, True)]


def test_a_purge_fix_stays_beside_a_rewrite_advice_and_is_counted_once():
    # an unknown -dev package: no rewrite; DT207 can purge in the RUN that compiles
    code = ("FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends gcc libfoo-dev "
            "&& pip install --no-cache-dir -r requirements.txt && rm -rf /var/lib/apt/lists/*\n"
            "COPY . .\nCMD [\"python\", \"app.py\"]\n")
    res = rules(code, estimate=True)
    assert on(res, "DT207", "DT402") == [("DT402", 1, False), ("DT207", 4, True)]
    both = [f for f in res.findings if f.rule_id in ("DT207", "DT402") and f.estimate]
    t = totals(both)
    assert t.bytes_high == max(f.estimate.bytes_high for f in both)


def test_findings_that_share_bytes_but_not_a_remedy_both_stay():
    # corpus 0017: DT201's moved cleanup fixes line 3's cache only, DT104 also adds one to line 2
    code = ("FROM centos:7\nRUN yum install -y https://example.com/epel.rpm\nRUN yum update -y\n"
            "RUN yum clean all && rm -rf /var/cache/yum/*\n")
    res = analyse_text("Dockerfile", code, Options(select=("DT104", "DT201"), estimate=False))
    assert sorted(f.rule_id for f in res.findings) == ["DT104", "DT104", "DT201"]
