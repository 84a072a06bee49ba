"""The repository's configuration (read from the BASE commit) and the build context (the
git tree of the head commit), end to end through ``python -m bot.action``."""

from __future__ import annotations

import re

from tests.fakes.github_server import blob_sha
from tests.integration.github.conftest import run_action

APT = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y {pkg}\n"  # DT101 + DT102
NODE = ('FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN chown -R node:node /app\n'
        'CMD ["node", "index.js"]\n')
BIG = "x" * 2_000_000


def rules_of(run) -> set[str]:
    return {f["rule_id"] for f in run.report["findings"]}


def finding(run, rule: str) -> dict:
    return next(f for f in run.report["findings"] if f["rule_id"] == rule)


# -- configuration ------------------------------------------------------------------------
def test_config_is_read_from_the_base_branch_and_the_pr_cannot_switch_it_off(fake, tmp_path):
    base = {".dockerdiet.toml": 'ignore = ["DT102"]\nfail-on = "warning"\n'}
    head = {".dockerdiet.toml": 'ignore = ["DT101", "DT102"]\nfail-on = "never"\n',  # the PR's attempt
            "Dockerfile": APT.format(pkg="curl")}
    fake.open_pull(1, base, head)
    run = run_action(fake, tmp_path, 1)
    assert rules_of(run) - {"DT601"} == {"DT101"}  # DT102 ignored by the base config, DT101 kept despite the PR
    assert run.code == 1  # fail-on = "warning" from the base config
    assert "configuration: .dockerdiet.toml (base branch)" in run.stdout
    (query,) = fake.graphql_queries  # configuration and Dockerfiles in one request
    reads = [v for k, v in query["variables"].items() if k not in ("owner", "name")]
    config_reads = [v for v in reads if v.endswith((".toml", ".yaml", ".yml"))]
    assert config_reads and all(v.startswith(fake.pulls[1].base_sha + ":") for v in config_reads)
    assert f"{fake.pulls[1].head_sha}:Dockerfile" in reads
    assert not fake.calls("GET", r"/contents/\.dockerdiet\.toml")  # no REST read of the PR's copy


def test_pyproject_table_and_inputs_override_the_file(fake, tmp_path):
    base = {"pyproject.toml": '[project]\nname = "x"\n\n[tool.dockerdiet]\nselect = ["DT102"]\nfail-on = "warning"\n',
            ".hadolint.yaml": "ignored: [DL3008]\n"}
    fake.open_pull(2, base, dict(base, Dockerfile=APT.format(pkg="curl")))
    run = run_action(fake, tmp_path, 2, inputs={"fail_on": "never"})
    assert rules_of(run) == {"DT102"}
    assert run.code == 0  # the input beats the file's fail-on


def test_per_file_ignores_and_min_saving_apply(fake, tmp_path):
    base = {".dockerdiet.toml": '[per-file-ignores]\n"legacy/**" = ["DT1"]\n'}
    head = dict(base, **{"legacy/Dockerfile": APT.format(pkg="curl"), "new/Dockerfile": APT.format(pkg="curl")})
    fake.open_pull(3, base, head)
    run = run_action(fake, tmp_path, 3)
    assert run.code == 0, run.stdout
    assert {f["path"] for f in run.report["findings"] if f["rule_id"] != "DT601"} == {"new/Dockerfile"}


def test_a_pyproject_without_a_dockerdiet_table_means_defaults(fake, tmp_path):
    base = {"pyproject.toml": '[tool.black]\nline-length = 100\n'}
    fake.open_pull(4, base, dict(base, Dockerfile=APT.format(pkg="curl")))
    run = run_action(fake, tmp_path, 4)
    assert run.code == 0 and rules_of(run) == {"DT101", "DT102", "DT601"}
    assert "configuration:" not in run.stdout


def test_bad_config_is_a_clear_error_exit_2_and_in_the_job_summary(fake, tmp_path):
    base = {".dockerdiet.toml": 'select = ["DT101"]\nfail-on = "sometimes"\n'}
    fake.open_pull(5, base, dict(base, Dockerfile=APT.format(pkg="curl")))
    run = run_action(fake, tmp_path, 5)
    assert run.code == 2
    assert re.search(r"^dockerdiet: error: bad configuration: \.dockerdiet\.toml: fail-on: expected", run.stdout, re.M)
    assert "Traceback" not in run.stdout + run.stderr
    assert "Configuration error" in run.summary and "fail-on" in run.summary
    assert run.outputs["outcome"] == "bad configuration"
    assert fake.reviews_of(5) == [] and not fake.calls("GET", r"/git/blobs/")  # nothing analysed


def test_invalid_toml_names_the_file(fake, tmp_path):
    base = {"ci/diet.toml": "select = [\n"}
    fake.open_pull(6, base, dict(base, Dockerfile=APT.format(pkg="curl")))
    run = run_action(fake, tmp_path, 6, inputs={"config": "ci/diet.toml"})
    assert run.code == 2 and "ci/diet.toml: invalid TOML" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_config_input_must_exist_on_the_base_branch(fake, tmp_path):
    # The PR adds the file it names: it exists only at the head, so it does not count.
    head = {"ci/diet.toml": 'ignore = ["DT1"]\n', "Dockerfile": APT.format(pkg="curl")}
    fake.open_pull(7, {}, head)
    run = run_action(fake, tmp_path, 7, inputs={"config": "ci/diet.toml"})
    assert run.code == 2
    assert "ci/diet.toml: no such file on the base branch" in run.stdout
    bad = run_action(fake, tmp_path, 7, run_id="101", inputs={"config": "../../etc/passwd"})
    assert bad.code == 2 and "expected a file path inside the repository" in bad.stdout


# -- build context ------------------------------------------------------------------------
def node_tree(extra: dict[str, str] | None = None) -> dict[str, str]:
    tree = {"app/Dockerfile": NODE, "app/package.json": "{}", "app/package-lock.json": "{}",
            "app/index.js": "console.log(1)\n", "app/node_modules/x/big.js": BIG,
            "other/huge.txt": BIG + BIG}  # outside the build context: never counted
    tree.update(extra or {})
    return tree


def test_build_context_comes_from_one_tree_listing(fake, tmp_path):
    head = node_tree()
    pull = fake.open_pull(8, {}, head)
    run = run_action(fake, tmp_path, 8)
    assert run.code == 0, run.stdout
    assert "DT501" in rules_of(run)  # node_modules sent into the image, no .dockerignore
    app_bytes = sum(len(v.encode()) for k, v in head.items() if k.startswith("app/"))
    assert finding(run, "DT202")["estimate"]["bytes_high"] == app_bytes
    trees = fake.calls("GET", r"/git/trees/")
    assert len(trees) == 1 and trees[0]["path"].endswith(pull.head_sha) and trees[0]["query"]["recursive"] == "1"
    # The Dockerfile came with the batched GraphQL read; blob reads are only what rules asked
    # about, never a file the tree says is absent or too big.
    read = {r["path"].rsplit("/", 1)[1] for r in fake.calls("GET", r"/git/blobs/")}
    assert blob_sha(NODE.encode()) not in read and blob_sha(BIG.encode()) not in read
    assert 1 <= len(read) <= 2


def test_dockerignore_is_read_lazily_and_honoured(fake, tmp_path):
    quiet_off = {".dockerdiet.toml": "min-saving = 0\n"}  # the kept files are far below the 1 MB default
    head = node_tree({"app/.dockerignore": "node_modules\n", **quiet_off})
    fake.open_pull(9, quiet_off, head)
    run = run_action(fake, tmp_path, 9)
    assert run.code == 0, run.stdout
    assert "DT501" not in rules_of(run)
    kept = sum(len(v.encode()) for k, v in head.items() if k.startswith("app/") and "node_modules" not in k)
    assert finding(run, "DT202")["estimate"]["bytes_high"] == kept
    ignore_sha = blob_sha(b"node_modules\n")
    assert len(fake.calls("GET", rf"/git/blobs/{ignore_sha}$")) == 1  # shared by every rule that asked


def test_truncated_tree_means_unknown_context(fake, tmp_path):
    pull = fake.open_pull(10, {}, node_tree())
    fake.truncated_trees.add(pull.head_sha)
    run = run_action(fake, tmp_path, 10)
    assert run.code == 0, run.stdout
    assert "DT501" not in rules_of(run)  # silent rather than guessing from half a listing
    assert finding(run, "DT202")["estimate"] is None
    assert "Build context unknown" in run.summary
    assert len(fake.calls("GET", r"/git/trees/")) == 1


def test_request_budget_with_build_context_for_20_dockerfiles(fake, tmp_path):
    head, base = {".dockerdiet.toml": "min-saving = 0\n"}, {".dockerdiet.toml": "min-saving = 0\n"}  # tiny DT202s
    for i in range(20):
        head[f"svc{i:02}/Dockerfile"] = (f"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
                                         f"RUN pip install --no-cache-dir -r requirements.txt\n"
                                         f"RUN chown -R 1000 /app && echo {i}\n")
        head[f"svc{i:02}/requirements.txt"] = f"pkg{i}==1.0\n"
        head[f"svc{i:02}/main.py"] = "print(1)\n" * 50
        base[f"svc{i:02}/Dockerfile"] = "FROM python:3.12-slim\nRUN echo base\n"
    fake.open_pull(11, base, head)
    run = run_action(fake, tmp_path, 11)
    assert run.code == 0, run.stdout
    assert len(fake.calls("GET", r"/git/trees/")) == 1
    assert "DT202" in rules_of(run) and finding(run, "DT202")["estimate"] is not None
    assert len(fake.requests) <= 2 * 20 + 8, [(r["method"], r["path"]) for r in fake.requests]


def test_without_graphql_the_config_and_base_files_come_from_rest(fake, tmp_path):
    base = {".dockerdiet.toml": 'ignore = ["DT102"]\n', "Dockerfile": "FROM debian:12-slim\nRUN echo base\n"}
    fake.open_pull(12, base, dict(base, Dockerfile=APT.format(pkg="curl")))
    fake.fail("POST", r"^/graphql$", 404, times=-1, body={"message": "Not Found"})  # e.g. an old GHES
    run = run_action(fake, tmp_path, 12)
    assert run.code == 0, run.stdout
    assert rules_of(run) - {"DT601"} == {"DT101"}
    base_sha = fake.pulls[12].base_sha
    # the configuration: one listing of the base tip, then the blob of the file found there
    assert [r["path"] for r in fake.calls("GET", r"/git/trees/")] == [
        f"/repos/octo/app/git/trees/{base_sha}", f"/repos/octo/app/git/trees/{fake.pulls[12].head_sha}"]
    blobs = {r["path"].rsplit("/", 1)[1] for r in fake.calls("GET", r"/git/blobs/")}
    assert blob_sha(base[".dockerdiet.toml"].encode()) in blobs
    # the base Dockerfile: the PR's patch reversed onto the head text, no read at all
    assert not fake.calls("GET", r"/contents/")
    assert run.outputs["new_findings"] == "2"  # DT101 + DT601 (style)
