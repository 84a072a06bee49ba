"""DT206 edge cases beyond the rule's examples."""

from bot.rules.dt206_archive_left_in_copy_layer import ArchiveLeftInCopyLayer as R
from tests.rules.harness import run


def test_archive_bytes_from_context():
    code = "FROM debian:12-slim\nCOPY x.tar.gz /tmp/\nRUN tar -xzf /tmp/x.tar.gz -C /opt\n"
    (f,) = run(R, code, {"x.tar.gz": "z" * 300})
    assert f.hint.params == {"url": "", "path": "/tmp/x.tar.gz", "extracted": True, "bytes": 300}


def test_tar_without_dash_counts_as_extract():
    code = "FROM debian:12-slim\nCOPY x.tgz /tmp/\nRUN cd /tmp && tar xzf x.tgz\n"
    assert run(R, code)


def test_url_with_global_arg_only_gets_no_edit():
    # a global ARG is not visible to RUN unless redeclared in the stage
    code = ("ARG V=1\nFROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"
            "ADD https://e.com/t-${V}.tar.gz /tmp/t.tar.gz\nRUN tar -xzf /tmp/t.tar.gz\n")
    (f,) = run(R, code)
    assert f.fix is None


def test_zip_is_not_extracted_by_add():
    code = "FROM debian:12-slim\nADD app.zip /tmp/\nRUN unzip /tmp/app.zip -d /opt\n"
    (f,) = run(R, code)
    assert "ADD it to extract" not in f.message  # ADD only unpacks tar archives
