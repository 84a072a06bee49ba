"""Build corpus Dockerfiles before and after DT402's Python rewrite on the Docker engine
of ../shared/tools/docker_engine.sh, start each image, and print the final image sizes
next to dockerdiet's estimate.

No registry is reachable, so every FROM python:* is rebased on the local stand-in
python:3.11-slim-bookworm (slim tags) or python:3.11-bookworm (full tags), and each
file gets a small made-up build context whose requirements need the -dev packages it
installs (psycopg2 for libpq-dev, mysqlclient for the MySQL headers, netifaces, a C
extension without wheels, for a bare compiler). The start check runs the image's own
CMD when it has one (a probe asks the server) or imports the compiled packages.

    eval "$(../shared/tools/docker_engine.sh start)"
    python scripts/measure_python_rewrite.py 0121 0124 0518 0745 0746
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from bot.engine import Options, analyse_text, apply_fixes  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "corpus", "dockerfiles")
if not os.path.isdir(CORPUS):
    CORPUS = "/work/shared/corpus/dockerfiles"

FASTAPI_APP = "from fastapi import FastAPI\nimport psycopg2\napp = FastAPI()\n\n@app.get('/')\ndef root():\n    return {'started': psycopg2.__libpq_version__}\n"
DJANGO_LIKE = ("import sys, time, MySQLdb, http.server\nprint('started', MySQLdb.version_info, flush=True)\n"
               "http.server.HTTPServer(('0.0.0.0', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n")

# mysqlclient 2.1.1: 2.2 needs pkg-config, which these files do not install (they predate it)
# corpus file -> (build-context files, probe run in the started container or "" to use the CMD's port)
CASES = {
    "0121": ({"pyproject.toml": "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = [\"a <a@b.c>\"]\n"
              "[tool.poetry.dependencies]\npython = \"^3.10\"\npsycopg2 = \"2.9.9\"\n"
              "[build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n",
              "poetry.lock": None},
             "import psycopg2; print('started', psycopg2.__libpq_version__)"),
    "0124": ({"pyproject.toml": "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = [\"a <a@b.c>\"]\n"
              "package-mode = false\n[tool.poetry.dependencies]\npython = \"^3.10\"\npsycopg2 = \"2.9.9\"\ncffi = \"*\"\n"
              "[build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n",
              "poetry.lock": None},
             "import psycopg2, cffi; print('started', psycopg2.__libpq_version__)"),
    "0316": ({"requirements.txt": "netifaces==0.11.0\n"}, "import netifaces; print('started', len(netifaces.interfaces()))"),
    "0518": ({"requirements.txt": "mysqlclient==2.1.1\n", "manage.py": DJANGO_LIKE}, ""),
    "0519": ({"requirements.txt": "mysqlclient==2.1.1\n"}, "import MySQLdb; print('started', MySQLdb.version_info)"),
    # gcc without libc6-dev (--no-install-recommends) compiles nothing: the app must use wheels
    "0745": ({"requirements.txt": "psycopg2-binary==2.9.9\nfastapi==0.115.0\nuvicorn==0.30.6\n", "app/__init__.py": "",
              "app/main.py": FASTAPI_APP}, ""),
    "0746": ({"backend/requirements.txt": "netifaces==0.11.0\nfastapi==0.115.0\nuvicorn==0.30.6\n",
              "backend/app/__init__.py": "", "backend/app/main.py": FASTAPI_APP.replace("psycopg2", "netifaces")
              .replace("netifaces.__libpq_version__", "len(netifaces.interfaces())")}, ""),
}


def sh(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, **kw)


# poetry, pipenv and uv bring their own CA stores: point them at the system bundle, where
# the stand-ins keep this machine's HTTPS-proxy certificates (pip reads /etc/pip.conf).
PROXY_TRUST = ("ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt "
               "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1\n")


def rebase(text: str) -> str:
    def repl(m: re.Match) -> str:
        return "FROM python:3.11-slim-bookworm" if "slim" in m.group(1) else "FROM python:3.11-bookworm"
    text = re.sub(r"^FROM (python:\S+)", repl, text, flags=re.M)
    end = text.index("\n") + 1
    return text[:end] + PROXY_TRUST + text[end:]


def dt402(text: str):
    res = analyse_text("Dockerfile", text, Options(select=("DT402",), estimate=True))
    return [f for f in res.findings if f.rule_id == "DT402"]


def build_and_start(name: str, text: str, files: dict, probe: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as ctx:
        for rel, body in {**files, "Dockerfile": text}.items():
            path = os.path.join(ctx, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if body is None:  # an empty poetry.lock is refused: let poetry lock instead
                continue
            with open(path, "w") as fh:
                fh.write(body)
        if "poetry.lock" in files:  # the file COPYs it: make the lock in a throwaway container
            text = re.sub(r"^(COPY .*?) ?poetry\.lock", r"\1", text, flags=re.M)
            with open(os.path.join(ctx, "Dockerfile"), "w") as fh:
                fh.write(text)
        tag = f"dockerdiet-measure/{name}"
        t0 = time.time()
        b = sh("docker", "build", "-q", "-t", tag, ctx, env={**os.environ, "DOCKER_BUILDKIT": "1"})
        if b.returncode:
            return -1, "build failed: " + b.stderr[-1500:]
        built = time.time() - t0
    size = int(sh("docker", "image", "inspect", "-f", "{{.Size}}", tag).stdout)
    if probe:
        r = sh("docker", "run", "--rm", tag, "python", "-c", probe, timeout=120)
        started = r.stdout.strip() or r.stderr.strip()[-300:]
    else:
        cid = sh("docker", "run", "-d", tag).stdout.strip()
        for _ in range(30):  # a loaded machine: the server may take a while to listen
            time.sleep(3)
            r = sh("docker", "exec", cid, "python", "-c",
                   "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/').read()[:80].decode())")
            if r.returncode == 0:
                break
        started = (r.stdout.strip() or r.stderr.strip()[-300:]) + " | log: " + sh("docker", "logs", cid).stdout.strip()[:80]
        sh("docker", "rm", "-f", cid)
    return size, f"{started} (built in {built:.0f} s)"


def main(names: list[str]) -> None:
    for name in names:
        files, probe = CASES[name]
        original = open(os.path.join(CORPUS, f"{name}.Dockerfile")).read()
        found = dt402(original)
        if not found or found[0].fix is None:
            print(f"{name}: DT402 offers no Python rewrite")
            continue
        est = found[0].estimate
        rewritten = apply_fixes(original, [found[0]], unsafe=True)[0]
        before_size, before_note = build_and_start(f"{name}-before", rebase(original), files, probe)
        after_size, after_note = build_and_start(f"{name}-after", rebase(rewritten), files, probe)
        est_text = f"{est.bytes_low / 1e6:.0f}-{est.bytes_high / 1e6:.0f} MB" if est else "none"
        saved = (before_size - after_size) / 1e6 if before_size > 0 and after_size > 0 else float("nan")
        print(f"{name}: before {before_size / 1e6:.1f} MB, after {after_size / 1e6:.1f} MB, saved {saved:.1f} MB; "
              f"estimate {est_text}\n  before: {before_note}\n  after:  {after_note}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(CASES))
