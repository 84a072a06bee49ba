# The dockerdiet GitHub Action image (also usable as `docker run ... dockerdiet check`).
# Base images pinned to an exact release; bump deliberately. Releases publish this image
# prebuilt (.github/workflows/release.yml), so users pull it instead of building it.
ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm
ARG DOCKER_CLI_IMAGE=docker:27.3.1-cli

FROM ${DOCKER_CLI_IMAGE} AS docker-cli

# The dependency list alone: a pyproject.toml change that keeps it (a version, a test marker)
# leaves the install below cached, since COPY is cached by content.
FROM ${PYTHON_IMAGE} AS requirements
COPY pyproject.toml /src/
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("/src/pyproject.toml", "rb"))["project"]["dependencies"]))' >/src/requirements.txt

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# Wheels only: the image has no compiler and needs none.
COPY --from=requirements /src/requirements.txt /src/
RUN python -m venv /opt/dockerdiet \
    && /opt/dockerdiet/bin/pip install --only-binary=:all: -r /src/requirements.txt \
    && /opt/dockerdiet/bin/pip uninstall --yes pip

FROM ${PYTHON_IMAGE}
# For the opt-in `measure` input: the docker CLI and its buildx plugin (CLIs since 23.0 build
# with BuildKit only through it), driving the runner's engine through the mounted
# /var/run/docker.sock. No daemon is shipped.
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
COPY --from=docker-cli /usr/local/libexec/docker/cli-plugins/docker-buildx /usr/local/libexec/docker/cli-plugins/docker-buildx
COPY --from=deps /opt/dockerdiet /opt/dockerdiet
# The code last and as plain files (no pip, no build backend): a code change rebuilds two small
# layers; bytecode compiled here, since the container may not write it at run time.
COPY bot /opt/dockerdiet/app/bot
RUN python -m compileall -q /opt/dockerdiet/app \
    && printf '#!/opt/dockerdiet/bin/python\nfrom bot.cli import run\nrun()\n' >/opt/dockerdiet/bin/dockerdiet \
    && chmod 755 /opt/dockerdiet/bin/dockerdiet
ENV PATH=/opt/dockerdiet/bin:$PATH \
    PYTHONPATH=/opt/dockerdiet/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# No USER: GitHub runs container actions as the image's default user and documents that it
# must be root; the runner's GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files belong to the runner
# user. The action executes no pull-request code (except with `measure`, through the
# runner's engine) and hands the report it writes to the workspace's owner.
# Locally: docker run --user 65532 -v "$PWD:/w" -w /w IMAGE check .
ENTRYPOINT ["/opt/dockerdiet/bin/dockerdiet"]
CMD ["action"]
