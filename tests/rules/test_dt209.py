"""DT209 edge cases: which trees count, and when they are meant to stay."""

from __future__ import annotations

from bot.rules.dt209_build_tree_left_in_layer import BuildTreeLeftInLayer as DT209
from tests.rules.harness import run

BASE = "FROM debian:12\n"


def test_clone_into_the_workdir_is_the_application():
    assert not run(DT209, BASE + "WORKDIR /src\nRUN git clone https://x.example/a.git . && make install\n")


def test_unpack_then_cd_into_the_new_directory():
    code = BASE + "RUN cd /tmp && tar xzf /tmp/b-1.0.tgz && cd b-1.0 && ./configure && make install\n"
    (f,) = run(DT209, code)
    assert "/tmp/b-1.0" in f.message and f.fix is not None


def test_rm_with_a_variable_is_a_removal_we_cannot_judge():
    code = BASE + "RUN git clone https://x.example/a /tmp/a && cd /tmp/a && make install && rm -rf $SRC\n"
    assert not run(DT209, code)


def test_prefix_inside_the_tree_or_unknown_keeps_it():
    code = BASE + "RUN git clone https://x.example/a /tmp/a && cd /tmp/a && make PREFIX=/tmp/a/out install\n"
    assert not run(DT209, code)
    code = BASE + "RUN git clone https://x.example/a /tmp/a && cd /tmp/a && ./configure --prefix=$P && make install\n"
    assert not run(DT209, code)


def test_setup_py_develop_is_not_an_install():
    code = BASE + "RUN git clone https://x.example/a /tmp/a && cd /tmp/a && python3 setup.py develop\n"
    assert not run(DT209, code)


def test_clone_name_defaults_to_the_repository_name():
    code = BASE + "RUN cd /opt && git clone --depth 1 https://x.example/org/tool.git && cd tool && make install\n"
    (f,) = run(DT209, code)
    assert "/opt/tool" in f.message
