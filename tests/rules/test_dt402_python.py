"""DT402's Python rewrite: one example per project layout, each rewritten, checked by
hadolint and parse, and (marker ``docker``) built on the Docker engine with local
python stand-ins and started: the runtime stage must import what the builder built."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from bot.model.dockerfile import parse
from bot.model.images import parse_image
from bot.rules.dt402_toolchain_image_as_runtime import ToolchainImageAsRuntime as R
from tests.rules.harness import fixed_text, run
from tests.rules.rewrite_checks import hadolint_codes

FULL, SLIM = "python:3.11-bookworm", "python:3.11-slim-bookworm"
APT_GCC = "RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\n"
MAIN = 'import six, sys\nprint("started", sys.prefix)\n'
PKG_INIT = 'def main():\n    import six\n    print("started", six.__name__)\n'

def assert_clean_rewrite(rule, code: str, context=None) -> str:
    """rewrite_checks' check, except that the runtime stage's apt install may repeat a
    hadolint code the author's own install already has (DL3008: versions not pinned)."""
    after = fixed_text(rule, code, context)
    assert after != code and not parse(after).errors
    assert not run(rule, after, context), f"{rule.id} still fires after its fix"
    before, now = hadolint_codes(code), hadolint_codes(after)
    if before is not None:
        assert not (set(now) - set(before)), f"new hadolint codes: {set(now) - set(before)}"
    return after


# name -> (Dockerfile, build-context files, expected first word printed by the app)
VARIANTS = {
    "requirements": (
        f"FROM {FULL}\nWORKDIR /app\nENV PYTHONUNBUFFERED=1\n{APT_GCC}COPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8000\nCMD [\"python\", \"main.py\"]\n",
        {"requirements.txt": "six==1.16.0\n", "main.py": MAIN},
    ),
    "pip-install-dot": (
        f"FROM {SLIM}\nWORKDIR /srv/app\n{APT_GCC}COPY . .\nRUN pip install --no-cache-dir .\nUSER 1000\n"
        "CMD [\"hello\"]\n",
        {"pyproject.toml": "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n"
         "[project]\nname = \"hello\"\nversion = \"0.1\"\ndependencies = [\"six\"]\n"
         "[project.scripts]\nhello = \"hello:main\"\n", "hello/__init__.py": PKG_INIT},
    ),
    "pip-editable": (
        f"FROM {SLIM}\nWORKDIR /app\n{APT_GCC}COPY . .\nRUN pip install --no-cache-dir -e .\n"
        "ENTRYPOINT [\"hello\"]\n",
        {"pyproject.toml": "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n"
         "[project]\nname = \"hello\"\nversion = \"0.1\"\ndependencies = [\"six\"]\n"
         "[project.scripts]\nhello = \"hello:main\"\n", "hello/__init__.py": PKG_INIT},
    ),
    "poetry": (
        f"FROM {FULL}\nWORKDIR /app\n{APT_GCC}RUN pip install --no-cache-dir poetry==1.8.3\nCOPY . .\n"
        "RUN poetry config virtualenvs.create false && poetry install --no-interaction --only main\n"
        "CMD [\"hello\"]\n",
        {"pyproject.toml": "[tool.poetry]\nname = \"hello\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = [\"a <a@b.c>\"]\n"
         "packages = [{include = \"hello\"}]\n[tool.poetry.dependencies]\npython = \"^3.11\"\nsix = \"*\"\n"
         "[tool.poetry.scripts]\nhello = \"hello:main\"\n"
         "[build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n",
         "hello/__init__.py": PKG_INIT},
    ),
    "pipenv": (
        f"FROM {SLIM}\nWORKDIR /app\n{APT_GCC}RUN pip install --no-cache-dir pipenv==2024.0.1\nCOPY Pipfile ./\n"
        "RUN pipenv install --system --skip-lock\nCOPY . .\nCMD [\"python\", \"main.py\"]\n",
        {"Pipfile": "[packages]\nsix = \"*\"\n", "main.py": MAIN},
    ),
    "uv": (
        f"FROM {SLIM}\nWORKDIR /app\n{APT_GCC}RUN pip install --no-cache-dir uv==0.4.30\nCOPY . .\n"
        "RUN uv sync --no-dev\nCMD [\"hello\"]\n",
        {"pyproject.toml": "[project]\nname = \"hello\"\nversion = \"0.1\"\nrequires-python = \">=3.11\"\n"
         "dependencies = [\"six\"]\n[project.scripts]\nhello = \"hello:main\"\n"
         "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n",
         "hello/__init__.py": PKG_INIT},
    ),
    "c-extension": (
        f"FROM {FULL}\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev "
        "&& rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY . .\nCMD [\"python\", \"main.py\"]\n",
        {"requirements.txt": "psycopg2==2.9.9\nsix==1.16.0\n",
         "main.py": 'import psycopg2, six\nprint("started", psycopg2.__libpq_version__)\n'},
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_rewrites_into_builder_and_slim_runtime(name):
    code, files = VARIANTS[name]
    after = assert_clean_rewrite(R, code, files)
    df = parse(after)
    assert [s.name for s in df.stages] == ["build", ""]
    builder, runtime = df.stages
    assert builder.image == parse(code).stages[0].image
    assert parse_image(runtime.image).tag == "3.11-slim-bookworm"
    kept = lambda s: [i.body.text for i in s.instructions if i.keyword in ("CMD", "ENTRYPOINT", "EXPOSE", "USER")]  # noqa: E731
    assert kept(runtime) == kept(builder)
    copies = [(i.flag_values("from"), i.body.text) for i in runtime.instructions if i.keyword == "COPY"]
    assert copies[0] == (["build"], "/opt/venv /opt/venv")
    runtime_apt = " ".join(i.body.text for i in runtime.instructions if i.keyword == "RUN")
    assert "gcc" not in runtime_apt and ("libpq5" in runtime_apt) == (name == "c-extension")


def test_uv_sync_is_pointed_at_the_venv():
    after = assert_clean_rewrite(R, *VARIANTS["uv"])
    assert "UV_PROJECT_ENVIRONMENT=/opt/venv" in after.split("\n\n")[0]


def test_unknown_dev_package_keeps_the_finding_without_a_fix():
    code = (f"FROM {SLIM}\nWORKDIR /app\nRUN apt-get update && apt-get install -y gcc libfoo-dev\nCOPY . .\n"
            "RUN pip install -r requirements.txt\nCMD [\"python\", \"main.py\"]\n")
    (f,) = run(R, code)
    assert f.fix is None


def test_own_venv_gives_no_fix():
    code = (f"FROM {SLIM}\nWORKDIR /app\nRUN apt-get update && apt-get install -y gcc\nCOPY . .\n"
            "RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt\nCMD [\"python\", \"main.py\"]\n")
    (f,) = run(R, code)
    assert f.fix is None


def test_pip_install_user_gives_no_fix():
    code = (f"FROM {SLIM}\nWORKDIR /app\nRUN apt-get update && apt-get install -y gcc\nCOPY . .\n"
            "RUN pip install --user -r requirements.txt\nCMD [\"python\", \"main.py\"]\n")
    (f,) = run(R, code)
    assert f.fix is None


def test_slim_without_build_packages_is_quiet():
    code = f"FROM {SLIM}\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"main.py\"]\n"
    assert not run(R, code)


def test_alpine_is_not_rewritten():
    code = "FROM python:3.11-alpine\nRUN apk add gcc musl-dev\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\"]\n"
    assert not run(R, code)


# Debian/Ubuntu bases: the builder and the runtime are the same image, the runtime
# installs the release's python3 and the runtime libraries, not the -dev packages.
DEBIAN = "debian:bookworm"
DEBIAN_APP = (
    f"FROM {DEBIAN}\nENV DEBIAN_FRONTEND=noninteractive\nRUN apt-get update && apt-get install -y "
    "--no-install-recommends python3 python3-pip python3-dev gcc libpq-dev && rm -rf /var/lib/apt/lists/*\n"
    "WORKDIR /app\nCOPY requirements.txt .\nRUN pip3 install --no-cache-dir --break-system-packages -r requirements.txt\n"
    "COPY . .\nCMD [\"python3\", \"main.py\"]\n",
    VARIANTS["c-extension"][1],
)


def test_debian_base_rewrites_onto_the_same_base_with_the_release_python():
    after = assert_clean_rewrite(R, *DEBIAN_APP)
    builder, runtime = parse(after).stages
    assert builder.image == runtime.image == DEBIAN
    runtime_apt = " ".join(i.body.text for i in runtime.instructions if i.keyword == "RUN")
    assert "install -y --no-install-recommends python3 libpq5 " in runtime_apt
    assert not any(p in runtime_apt for p in ("gcc", "-dev", "python3-pip"))
    # the venv is made once python3 is there, before the first pip install; python3-venv for ensurepip
    lines = [i.body.text for i in builder.instructions]
    venv = next(n for n, t in enumerate(lines) if "python3 -m venv /opt/venv" in t)
    assert "python3-venv" in lines[venv] and "python3-dev" in lines[venv - 2] and "pip3 install" in lines[venv + 3]
    assert [i.body.text for i in runtime.instructions if i.keyword == "ENV"][0] == "DEBIAN_FRONTEND=noninteractive"


def test_debian_base_keeps_recommends_when_the_file_does():
    code = DEBIAN_APP[0].replace("--no-install-recommends ", "")
    runtime = parse(assert_clean_rewrite(R, code, DEBIAN_APP[1])).stages[1]
    assert "apt-get install -y python3 libpq5 " in " ".join(i.body.text for i in runtime.instructions)


def test_debian_base_with_its_own_python3_venv_makes_the_venv_only():
    code = DEBIAN_APP[0].replace("python3-pip", "python3-venv")
    builder = parse(assert_clean_rewrite(R, code, DEBIAN_APP[1])).stages[0]
    assert "python3 -m venv /opt/venv" in [i.body.text for i in builder.instructions]


@pytest.mark.parametrize("change, why", [
    (("python3 python3-pip", "python python-pip"), "Python 2: no venv module"),
    (("python3 python3-pip", "python3.11 python3-pip"), "a versioned python3.X: maybe not the release's python3"),
    (("&& rm -rf /var/lib/apt/lists/*", "&& pip3 install --break-system-packages six && rm -rf /var/lib/apt/lists/*"),
     "pip in the RUN that installs python3: no place for the venv before it"),
    (("python3 python3-pip python3-dev gcc libpq-dev", "gcc libpq-dev"), "no python3 installed: another Python"),
])
def test_debian_base_not_rewritten(change, why):
    code = DEBIAN_APP[0].replace(*change)
    assert code != DEBIAN_APP[0]
    assert all(f.fix is None for f in run(R, code)), why
    assert not run(R, code), "on Debian/Ubuntu only the rewrite is new: no finding without it"


def test_ubuntu_keeps_debian_library_names_only_where_ubuntu_has_them():
    code = DEBIAN_APP[0].replace(DEBIAN, "ubuntu:22.04").replace("--break-system-packages ", "")
    assert "libpq5" in fixed_text(R, code)
    assert not run(R, code.replace("libpq-dev", "libjpeg-dev")), "libjpeg62-turbo is libjpeg-turbo8 on Ubuntu"


# ------------------------------------------------------------------ real builds


def _docker_ready() -> str:
    if shutil.which("docker") is None or not os.environ.get("DOCKER_HOST"):
        return "no Docker engine: eval \"$(../shared/tools/docker_engine.sh start)\" first"
    for image in (FULL, SLIM):
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
            return f"{image} missing: ../shared/tools/docker_engine.sh python-standin {image}"
    return ""


# The stand-ins trust this machine's HTTPS proxy in the system bundle (pip reads it from
# /etc/pip.conf); poetry, pipenv and uv bring their own CA stores unless told so. Set in
# the builder stage only: the runtime stage under test stays as the rule wrote it.
PROXY_TRUST = ("ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt "
               "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1\n")


# debian:bookworm has no CA bundle: pip in its builder gets this machine's (the proxy's CA included)
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
DEBIAN_TRUST = "COPY host-ca.pem /etc/host-ca.pem\nENV PIP_CERT=/etc/host-ca.pem\n"


def _build_and_start(tmp_path, dockerfile: str, files: dict[str, str], trust: str = PROXY_TRUST) -> tuple[str, int]:
    first_line_end = dockerfile.index("\n") + 1
    dockerfile = dockerfile[:first_line_end] + trust + dockerfile[first_line_end:]
    for rel, text in {**files, "Dockerfile": dockerfile}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    tag = f"dockerdiet-test/python-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    try:
        built = subprocess.run(["docker", "build", "-q", "-t", tag, str(tmp_path)], capture_output=True, text=True,
                               env=env, timeout=900)  # fmt: skip
        assert built.returncode == 0, built.stderr[-3000:]
        ran = subprocess.run(["docker", "run", "--rm", tag], capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stderr[-2000:]
        size = int(subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", tag], capture_output=True,
                                  text=True).stdout)  # fmt: skip
        return ran.stdout, size
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


@pytest.mark.docker
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_rewrite_builds_and_starts(tmp_path, name):
    reason = _docker_ready()
    if reason:
        pytest.skip(reason)
    code, files = VARIANTS[name]
    after = assert_clean_rewrite(R, code, files)
    out, size = _build_and_start(tmp_path, after, files)
    assert out.startswith("started"), out
    if name == "c-extension":
        # psycopg2 compiled against libpq-dev in the builder imports on -slim: libpq5 is there
        assert int(out.split()[1]) > 100000


@pytest.mark.docker
def test_debian_rewrite_builds_and_starts(tmp_path):
    reason = _docker_ready()
    if not reason and subprocess.run(["docker", "image", "inspect", DEBIAN], capture_output=True).returncode:
        reason = f"{DEBIAN} missing: ../shared/tools/docker_engine.sh base"
    if reason:
        pytest.skip(reason)
    code, files = DEBIAN_APP
    after = assert_clean_rewrite(R, code, files)
    with open(HOST_CA) as fh:
        files = {**files, "host-ca.pem": fh.read()}
    out, size = _build_and_start(tmp_path, after, files, DEBIAN_TRUST)
    # psycopg2 compiled in the builder imports in the runtime: the release's python3 and libpq5
    assert out.startswith("started") and int(out.split()[1]) > 100000, out
