# Stand-in for python:3.11-bookworm (no registry here): Debian 12's own CPython 3.11 and pip on the
# buildpack-deps:bookworm stand-in (buildpack-deps.Dockerfile), `python`/`pip` on PATH as in the official image.
FROM buildpack-deps:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv python3-dev \
    && ln -s /usr/bin/python3 /usr/local/bin/python \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore
CMD ["python3"]
