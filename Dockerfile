# The dockerdiet GitHub Action image (also usable as `docker run ... dockerdiet check`).
# Pinned to an exact Python patch release and Debian release; bump deliberately.
FROM python:3.12.8-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN python -m venv /opt/dockerdiet \
    && /opt/dockerdiet/bin/pip install --no-cache-dir . \
    && /opt/dockerdiet/bin/pip uninstall --yes pip

FROM python:3.12.8-slim-bookworm
COPY --from=build /opt/dockerdiet /opt/dockerdiet
# The static docker CLI, for the opt-in `measure` input: it drives the runner's engine
# through the mounted /var/run/docker.sock. No daemon is shipped.
COPY --from=docker:27.3.1-cli /usr/local/bin/docker /usr/local/bin/docker
ENV PATH=/opt/dockerdiet/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# No USER: GitHub runs container actions as the image's default user and documents that it
# must be root; the runner's GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files belong to the runner
# user, so a non-root user could not write them. The action executes no pull-request code
# and writes only its report. Locally: docker run --user 65532 -v "$PWD:/w" -w /w IMAGE check .
ENTRYPOINT ["/opt/dockerdiet/bin/dockerdiet"]
CMD ["action"]
