"""DT205 edge cases: which downloads are waste, and where the file lands."""

from __future__ import annotations

import pytest

from bot.rules.dt205_downloaded_archive_left import DownloadedArchiveLeft

from tests.rules.harness import fixed_text, run

R = DownloadedArchiveLeft


@pytest.mark.parametrize(
    "download,path",
    [
        ("curl -fsSL -o /tmp/a.tgz https://x.example/a.tgz", "/tmp/a.tgz"),
        ("curl -fsSLo /tmp/a.tgz https://x.example/a.tgz", "/tmp/a.tgz"),
        ("curl --output /tmp/a.tgz https://x.example/a.tgz", "/tmp/a.tgz"),
        ("curl -fsSLO https://x.example/v1/a.tgz", "/srv/a.tgz"),
        ("curl -O --output-dir /opt https://x.example/a.tgz", "/opt/a.tgz"),
        ("wget -q https://x.example/a.tgz", "/srv/a.tgz"),
        ("wget -qO /tmp/a.tgz https://x.example/a.tgz", "/tmp/a.tgz"),
        ("wget --output-document=/tmp/a.tgz https://x.example/a.tgz", "/tmp/a.tgz"),
        ("wget -P /opt https://x.example/a.tgz", "/opt/a.tgz"),
    ],
)
def test_where_the_download_lands(download, path):
    name = path.rsplit("/", 1)[-1]
    code = f"FROM debian:12\nWORKDIR /srv\nRUN {download} && tar -xzf {path}\n"
    (f,) = run(R, code)
    assert f.hint.params["path"] == path and name in f.message
    assert fixed_text(R, code).endswith(f" && rm -f {path}\n")


@pytest.mark.parametrize(
    "name, consumer",
    [("a.zip", "unzip /tmp/a.zip -d /opt"), ("a.deb", "dpkg -i /tmp/a.deb"), ("a.rpm", "rpm -ivh /tmp/a.rpm"),
     ("a.sh", "bash /tmp/a.sh"), ("get-pip.py", "python3 /tmp/get-pip.py"), ("a.tgz", "pip install /tmp/a.tgz"),
     ("a.tgz", "tar --extract --file=/tmp/a.tgz"), ("a.run", "chmod +x /tmp/a.run && /tmp/a.run --install"),
     ("installer", "sh /tmp/installer")],
)
def test_consumers(name, consumer):
    assert run(R, f"FROM debian:12\nRUN curl -o /tmp/{name} https://x.example/{name} && {consumer}\n")


@pytest.mark.parametrize(
    "name, consumer",
    [("app.js", "cp /tmp/app.js /srv/static/"), ("a.tgz", "cp /tmp/a.tgz /opt/"), ("a.tgz", "bash /tmp/a.tgz"),
     ("lib.js", "node /tmp/lib.js"), ("app.jar", "java -jar /tmp/app.jar --version"), ("a.conf", "sh /tmp/a.conf")],
)
def test_files_that_are_not_unpacked_or_installed_are_left_alone(name, consumer):
    # a script, library or config fetched into place is the product: deleting it breaks the image
    assert not run(R, f"FROM debian:12\nRUN curl -o /tmp/{name} https://x.example/{name} && {consumer}\n")


def test_a_js_file_fetched_into_the_app_directory_is_not_flagged():
    code = "FROM node:20\nWORKDIR /app\nRUN wget https://cdn.example/jquery.min.js && cp jquery.min.js public/\n"
    assert not run(R, code)


@pytest.mark.parametrize(
    "after",
    ["mv /tmp/a.tgz /opt/a.tgz", "chmod +x /tmp/a.tgz", "sha256sum /tmp/a.tgz", "gunzip /tmp/a.tgz"],
)
def test_not_consumed_or_not_left(after):
    assert not run(R, f"FROM debian:12\nRUN curl -o /tmp/a.tgz https://x.example/a.tgz && {after}\n")


def test_dynamic_rm_keeps_us_quiet():
    code = 'FROM debian:12\nRUN curl -o /tmp/a.tgz https://x.example/a.tgz && tar xzf /tmp/a.tgz && rm -rf "$TMP"\n'
    assert not run(R, code)


def test_glob_rm_counts():
    code = "FROM debian:12\nRUN curl -o /tmp/a.tgz https://x.example/a.tgz && tar xzf /tmp/a.tgz && rm /tmp/*.tgz\n"
    assert not run(R, code)


def test_later_mention_blocks_the_fix():
    code = ("FROM debian:12\nRUN curl -o /tmp/a.tgz https://x.example/a.tgz && tar xzf /tmp/a.tgz\n"
            "RUN sha256sum /tmp/a.tgz\n")
    (f,) = run(R, code)
    assert f.fix is None


def test_url_with_query_has_no_known_name():
    assert not run(R, "FROM debian:12\nRUN wget https://x.example/a.tgz?raw=1 && tar xzf a.tgz\n")


def test_cache_mount_over_the_download_dir():
    code = ("FROM debian:12\nRUN --mount=type=tmpfs,target=/tmp curl -o /tmp/a.tgz https://x.example/a.tgz "
            "&& tar xzf /tmp/a.tgz\n")
    assert not run(R, code)


def test_quoted_path_in_fix():
    code = "FROM debian:12\nRUN curl -o '/tmp/my app.tgz' https://x.example/a.tgz && tar xzf '/tmp/my app.tgz'\n"
    assert fixed_text(R, code).endswith(" && rm -f '/tmp/my app.tgz'\n")


def test_relative_download_without_workdir_and_a_later_cd_has_no_fix():
    # the base image's WORKDIR is unknown, and the RUN leaves it before the end
    code = "FROM golang:1.22\nRUN wget https://x.example/a.tgz && tar xzf a.tgz && cd a && make\n"
    (f,) = run(R, code)
    assert f.fix is None
