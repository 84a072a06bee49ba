import pytest

from bot.rules.dt301_broad_copy_before_install import BroadCopyBeforeInstall as R
from tests.rules.harness import fixed_text, run
from tests.rules.rewrite_checks import assert_clean_rewrite


def _fix(code, context=None):
    found = run(R, code, context)
    assert len(found) == 1, [f.message for f in found]
    return found[0].fix


def test_requirements_includes_are_copied_from_a_known_context():
    code = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements/prod.txt\n"
    ctx = {"requirements/prod.txt": "-r base.txt\nflask\n", "requirements/base.txt": "requests\n", "app.py": ""}
    after = assert_clean_rewrite(R, code, ctx)
    assert "COPY requirements/prod.txt requirements/base.txt ./requirements/\n" in after
    assert after.index("RUN pip install") < after.index("COPY . .")


def test_editable_line_in_requirements_gives_no_fix():
    code = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    assert _fix(code, {"requirements.txt": "-e .\n"}) is None


def test_missing_manifest_in_known_context_gives_no_fix():
    code = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
    assert _fix(code, {"src/index.js": ""}) is None


def test_go_replace_with_local_path_gives_no_fix():
    code = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n"
    assert _fix(code, {"go.mod": "module x\nreplace example.com/y => ./y\n", "go.sum": ""}) is None


def test_unknown_context_names_canonical_files_and_says_so():
    fix = _fix("FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN yarn install --frozen-lockfile\n")
    assert "assumed to exist" in fix.reason and "yarn.lock" in fix.reason


def test_relative_destination_without_workdir_gives_no_fix():
    # where `.` lands depends on the base image; hadolint DL3045 would also flag the new COPY
    assert _fix("FROM node:20-slim\nCOPY . .\nRUN npm ci\n") is None


def test_run_between_that_may_use_the_source_blocks_the_fix():
    code = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN ./scripts/prepare.sh\nRUN pip install -r requirements.txt\n"
    assert _fix(code) is None


def test_system_packages_between_stay_before_the_install():
    code = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
    )
    after = assert_clean_rewrite(R, code)
    assert after.splitlines()[2:] == [
        "COPY requirements.txt ./",
        "RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*",
        "RUN pip install --no-cache-dir -r requirements.txt",
        "COPY . .",
    ]


def test_manifest_copied_first_but_install_after_the_broad_copy():
    code = "FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nCOPY . .\nRUN npm ci\n"
    after = assert_clean_rewrite(R, code)
    assert after == "FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\n"


def test_chown_flag_is_kept_on_both_copies():
    code = "FROM node:20-slim\nWORKDIR /app\nCOPY --chown=node:node . .\nRUN npm ci\n"
    after = assert_clean_rewrite(R, code)
    assert "COPY --chown=node:node package*.json ./\nRUN npm ci\nCOPY --chown=node:node . .\n" in after


def test_multiline_run_split_keeps_continuations():
    code = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci && \\\n    npm run build\n"
    after = assert_clean_rewrite(R, code)
    assert after.endswith("RUN npm ci\nCOPY . .\nRUN npm run build\n")


@pytest.mark.parametrize(
    "build",
    ["go build -o /app .", "cargo build --release", "mvn -B package", "./gradlew bootJar", "gradle build",
     "dotnet publish -c Release -o /out", "dotnet publish App.csproj -o /out", "make", "npm run build",
     "go install ./cmd/app", "mvn clean install -DskipTests"],
)
def test_a_build_of_the_sources_is_not_a_dependency_install(build):
    # corpus 0393/0064/0893/0399...: the build needs the whole tree, nothing could be cached before the COPY
    assert run(R, f"FROM golang:1.22\nWORKDIR /app\nCOPY . .\nRUN {build}\n") == []


def test_a_build_is_reported_where_its_manifest_is_known_and_gets_the_dependency_step():
    code = "FROM maven:3-eclipse-temurin-21\nWORKDIR /app\nCOPY . .\nRUN mvn -B package\n"
    after = assert_clean_rewrite(R, code, {"pom.xml": "<project/>", "src/Main.java": ""})
    assert after.endswith("COPY pom.xml ./\nRUN mvn -B dependency:go-offline\nCOPY . .\nRUN mvn -B package\n")


def test_a_build_is_reported_where_the_stage_copied_its_manifest_earlier():
    code = "FROM golang:1.22\nWORKDIR /src\nCOPY go.mod go.sum ./\nCOPY . .\nRUN go build -o /app .\n"
    found = run(R, code)
    assert len(found) == 1 and found[0].span.start.line == 4 and "`go build`" in found[0].message


def test_cargo_build_is_not_reported_even_with_its_manifest():
    # cargo fetch needs the targets too (no manifests-only step without a stub): nothing to propose
    assert run(R, "FROM rust:1.79\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\n", {"Cargo.toml": "", "src/main.rs": ""}) == []


def test_poetry_split_runs_once_more_for_the_project_and_is_stable():
    code = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN poetry install --only main\n"
    after = assert_clean_rewrite(R, code)
    assert "RUN poetry install --no-root --only main\nCOPY . .\nRUN poetry install --only main\n" in after


def _system(findings):
    return [f for f in findings if "apt-get install" in f.message or "apk add" in f.message]


def test_system_install_moves_with_its_comment_above_the_copy_comment():
    code = ("FROM debian:12\nWORKDIR /app\n\n# the code\nCOPY . /app\n\n# os packages\n"
            "RUN apt-get update && apt-get install -y curl\n\nCMD [\"./run\"]\n")
    (f,) = _system(run(R, code))
    assert f.fix is not None
    assert fixed_text(R, code) == (
        "FROM debian:12\nWORKDIR /app\n\n# os packages\nRUN apt-get update && apt-get install -y curl\n\n"
        "# the code\nCOPY . /app\n\nCMD [\"./run\"]\n")


def test_system_install_after_user_or_another_run_has_no_fix():
    for between in ("USER app\n", "RUN make\n", "ARG V=1\n"):
        code = f"FROM debian:12\nCOPY . /app\n{between}RUN apt-get update && apt-get install -y curl\n"
        (f,) = _system(run(R, code))
        assert f.fix is None, between


def test_system_install_touching_the_copied_tree_has_no_fix():
    code = "FROM debian:12\nCOPY . /app\nRUN apt-get update && apt-get install -y curl && chmod +x /app/run\n"
    (f,) = _system(run(R, code))
    assert f.fix is None


def test_a_cleanup_for_the_split_run_lands_on_the_install_not_on_the_rest():
    # precision sample (seed 31337, corpus 0876): DT106's `npm cache clean` was computed for
    # `RUN npm install && npm run` and appended at its end in the same pass as DT301's split,
    # so it followed `npm run` into the new RUN and the install kept its cache
    from bot.engine import Options, fix_source
    from bot.model.source import Source

    code = "FROM node:20\nADD . /app\nWORKDIR /app\nRUN npm install && npm run build:css\nCMD [\"npm\", \"start\"]\n"
    fixed = fix_source(Source("Dockerfile", code), Options(estimate=False, select=("DT106", "DT301")), unsafe=True).fixed
    assert "RUN npm install && npm cache clean --force\nADD . /app\nRUN npm run build:css\n" in fixed, fixed
