"""DT102 edge cases, including where it differs from hadolint's DL3015 on purpose."""

from __future__ import annotations

import pytest


from bot.rules.dt102_apt_recommends_installed import AptRecommendsInstalled as DT102
from tests.rules.harness import fixed_text, run

CONF = "RUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99norecommends\n"


def test_hadolint_wrong_apt_front_end_has_the_same_default():
    # corpus 0001, 0032, 0466: DL3015 only knows apt-get; `apt install` installs recommends too
    (f,) = run(DT102, "FROM ubuntu:22.04\nRUN apt update && apt install -y python3 build-essential\n")
    assert "`apt install`" in f.message
    assert f.hint.params["packages"] == ("python3", "build-essential")


def test_hadolint_wrong_sudo_runs_apt_get():
    # corpus 0777: `sudo apt-get -y install vim tmux` is missed by DL3015
    code = "FROM ubuntu:22.04\nRUN sudo apt-get -y install vim tmux\n"
    assert fixed_text(DT102, code) == "FROM ubuntu:22.04\nRUN sudo apt-get -y install --no-install-recommends vim tmux\n"


def test_hadolint_wrong_builder_stage_never_reaches_the_image():
    # corpus 0856: DL3015 fires in a heredoc RUN of a rust builder stage; only a wasm file is copied out
    code = (
        "FROM rust:1.64 AS buildbase\nRUN <<EOT bash\n    apt-get update\n    apt-get install -y git clang\nEOT\n"
        "FROM buildbase AS build\nRUN cargo build --release\n"
        "FROM scratch\nCOPY --from=build /src/target/app.wasm /app.wasm\n"
    )
    assert not run(DT102, code)


def test_hadolint_wrong_zero_disables_recommends_too():
    # apt's boolean parser reads 0/no/off as false; DL3015 only accepts the spelling "=false"
    for value in ("0", "no", "False"):
        assert not run(DT102, f"FROM debian:12\nRUN apt-get -o APT::Install-Recommends={value} install -y curl\n")
    assert not run(DT102, "FROM debian:12\nRUN apt-get install -y -oAPT::Install-Recommends=false curl\n")
    assert not run(DT102, "FROM debian:12\nRUN apt-get install -y --install-recommends=no curl\n")


def test_flag_with_a_value_counts_as_present():
    assert not run(DT102, "FROM debian:12\nRUN apt-get install -y --no-install-recommends=true curl\n")


def test_config_written_earlier_in_the_stage_or_a_parent_stage():
    assert not run(DT102, "FROM debian:12\n" + CONF + "RUN apt-get install -y curl\n")
    assert not run(DT102, "FROM debian:12 AS base\n" + CONF + "FROM base\nRUN apt-get install -y curl\n")
    printf = "RUN printf 'APT::Install-Recommends \"0\";\\nAPT::Install-Suggests \"0\";\\n' >> /etc/apt/apt.conf\n"
    assert not run(DT102, "FROM debian:12\n" + printf + "RUN apt-get install -y curl\n")


def test_config_in_an_unrelated_stage_or_set_to_true_does_not_count():
    assert run(DT102, "FROM debian:12 AS other\n" + CONF + "FROM debian:12\nRUN apt-get install -y curl\n")
    true_conf = CONF.replace('"false"', '"true"')
    assert run(DT102, "FROM debian:12\n" + true_conf + "RUN apt-get install -y curl\n")


def test_config_written_after_the_install_does_not_count():
    assert run(DT102, "FROM debian:12\nRUN apt-get install -y curl\n" + CONF)


def test_config_from_a_copy_heredoc():
    code = "FROM debian:12\nCOPY <<EOF /etc/apt/apt.conf.d/01norec\nAPT::Install-Recommends \"0\";\nEOF\nRUN apt-get install -y curl\n"
    assert not run(DT102, code)


def test_copied_config_file_is_read_from_the_build_context_when_known():
    code = "FROM debian:12\nCOPY apt.conf /etc/apt/apt.conf.d/99local\nRUN apt-get install -y curl\n"
    assert not run(DT102, code), "unknown text copied into apt's config: stay silent"
    assert not run(DT102, code, {"apt.conf": 'APT::Install-Recommends "false";\n'})
    assert run(DT102, code, {"apt.conf": 'Acquire::http::Proxy "http://proxy:3128";\n'})


def test_one_finding_per_run_fixing_every_install():
    code = "FROM debian:12\nRUN apt-get install -y a && apt-get install -y --no-install-recommends b && apt install -y c\n"
    (f,) = run(DT102, code)
    assert f.hint.params["packages"] == ("a", "c")
    assert fixed_text(DT102, code) == (
        "FROM debian:12\nRUN apt-get install --no-install-recommends -y a && "
        "apt-get install -y --no-install-recommends b && apt install --no-install-recommends -y c\n"
    )


def test_fix_is_review_with_a_reason():
    (f,) = run(DT102, "FROM debian:12\nRUN apt-get install -y curl\n")
    assert f.fix.safety.value == "review" and "ca-certificates" in f.fix.reason


def test_heredoc_body_is_fixed_in_place():
    code = "FROM debian:12\nRUN <<EOF\nset -e\napt-get update\napt-get install -y vim\nEOF\n"
    assert fixed_text(DT102, code) == code.replace("install -y", "install --no-install-recommends -y")


def test_package_hint_skips_option_values_versions_and_variables():
    code = "FROM debian:12\nRUN apt-get install -o Dpkg::Options::=--force-confold -t bookworm-backports -y git=1:2.39 $EXTRA\n"
    (f,) = run(DT102, code)
    assert f.hint.params["packages"] == ("git",)


def test_exec_form_is_reported_without_a_fix():
    (f,) = run(DT102, 'FROM debian:12\nRUN ["apt-get", "install", "-y", "curl"]\n')
    assert f.fix is None


def test_other_apt_commands_are_not_installs():
    assert not run(DT102, "FROM debian:12\nRUN apt-get update && apt-get upgrade -y && apt-get purge -y x\n")


def test_pip_install_against_dev_headers_keeps_the_compiler_recommends():
    # python3-pip recommends build-essential and python3-dev: a pip build against libpq-dev needs them
    code = "FROM debian:12\nRUN apt-get install -y python3-pip libpq-dev\nCOPY . .\nRUN pip3 install -r requirements.txt\n"
    (f,) = run(DT102, code)
    assert "keep build-essential (+1) for `pip3 install`, line 4" in f.message
    assert "build time" in f.fix.reason or "later in the build" in f.fix.reason
    assert fixed_text(DT102, code).splitlines()[1] == (
        "RUN apt-get install --no-install-recommends -y python3-pip libpq-dev build-essential python3-dev"
    )


def test_pip_install_without_sign_of_compiling_keeps_nothing():
    code = "FROM debian:12\nRUN apt-get install -y python3-pip\nRUN pip3 install flask\n"
    assert "keep" not in run(DT102, code)[0].message


def test_cgo_build_keeps_the_compilers_golang_recommends():
    code = "FROM debian:12\nRUN apt-get install -y golang\nRUN go build ./...\n"
    assert fixed_text(DT102, code).splitlines()[1].endswith("golang gcc g++ libc6-dev")
    off = "FROM debian:12\nENV CGO_ENABLED=0\nRUN apt-get install -y golang\nRUN go build ./...\n"
    assert "keep" not in run(DT102, off)[0].message


def test_xvfb_run_in_the_command_keeps_xauth():
    code = 'FROM debian:12\nRUN apt-get install -y xvfb\nCMD ["xvfb-run", "app"]\n'
    assert fixed_text(DT102, code).splitlines()[1] == "RUN apt-get install --no-install-recommends -y xvfb xauth"


def test_git_clone_in_the_same_run_keeps_ca_certificates():
    code = "FROM debian:12\nRUN apt-get install -y git && git clone https://github.com/a/b\n"
    assert "git ca-certificates && git clone" in fixed_text(DT102, code)


def test_a_recommend_already_named_or_provided_is_not_added_again():
    code = "FROM debian:12\nRUN apt-get install -y curl ca-certificates\nRUN curl https://x\n"
    assert "keep" not in run(DT102, code)[0].message
    code = "FROM debian:12\nRUN apt-get install -y golang build-essential\nRUN go build .\n"
    assert "keep" not in run(DT102, code)[0].message


def test_bower_install_keeps_git_recommended_by_npm():
    code = "FROM debian:12\nRUN apt-get install -y npm\nRUN npm install -g bower && bower install\n"
    assert fixed_text(DT102, code).splitlines()[1].endswith("-y npm git")


def test_fetch_tools_the_build_never_runs_keep_ca_certificates():
    # precision sample (corpus 0192, 0808, 0853): curl/git installed for the container, which fetches over https
    code = "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y sudo curl nano\nCMD [\"bash\"]\n"
    (f,) = run(DT102, code)
    assert "keep ca-certificates for https at run time" in f.message
    assert "curl nano ca-certificates" in fixed_text(DT102, code)
    # libcurl4 is a library: its users fetch at run time too (corpus 0448, a swift runtime image)
    assert "ca-certificates" in run(DT102, "FROM ubuntu:20.04\nRUN apt-get install -y libcurl4\n")[0].message


def test_a_fetch_tool_used_only_over_http_by_the_build_keeps_nothing():
    code = "FROM debian:12\nRUN apt-get install -y wget\nRUN wget http://mirror.local/x.tgz\n"
    assert "keep" not in run(DT102, code)[0].message


def test_upgrading_pip_itself_is_no_sign_of_compiling():
    # corpus 0003: `pip3 install --upgrade pip` next to python3-dev kept build-essential that DT207 then purged
    code = "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip python3-dev && pip3 install --upgrade pip\n"
    assert "keep" not in run(DT102, code)[0].message


def test_packages_whose_recommends_are_their_content_are_not_reported():
    # corpus 0320, 0319: Kali's tool sets and metapackages deliver their tools through Recommends
    assert not run(DT102, "FROM debian:12\nRUN apt-get install -y kali-linux-top10\n")
    assert not run(DT102, "FROM ubuntu:22.04\nRUN apt-get install -y ubuntu-desktop\n")
    assert not run(DT102, "FROM kalilinux/kali-linux-docker\nRUN apt-get -y install metasploit-framework\n")


def test_a_compiler_keeps_its_c_library_headers_for_the_build_that_follows():
    # precision sample (seed 4242, corpus 0518): on python:3.7-slim `gcc` without libc6-dev cannot build mysqlclient
    code = ("FROM python:3.7-slim\nRUN apt-get update\nRUN apt-get install -y gcc\n"
            "RUN apt-get install -y default-libmysqlclient-dev\nRUN pip install mysqlclient\n")
    assert "RUN apt-get install --no-install-recommends -y gcc libc6-dev\n" in fixed_text(DT102, code)
    # a compiler named next to a pip install is sign enough that something compiles
    code = "FROM python:3.12-slim\nRUN apt-get install -y gcc\nRUN pip install -r requirements.txt\n"
    assert "gcc libc6-dev" in fixed_text(DT102, code)
    # nothing here compiles: the image is a toolchain for the container, which compiles with it
    # (fresh precision sample, corpus 0329): the headers are kept
    assert "gcc libc6-dev" in fixed_text(DT102, "FROM debian:12\nRUN apt-get install -y gcc\n")


def test_a_cross_toolchain_keeps_its_target_headers_and_make():
    # fresh precision sample, corpus 0329: gcc-arm-linux-gnueabihf recommends libc6-dev-armhf-cross,
    # cmake recommends make; without them the image cannot cross-build anything
    code = "FROM ubuntu:20.04\nRUN apt-get update && apt-get install -y cmake gcc-arm-linux-gnueabihf\n"
    fixed = fixed_text(DT102, code)
    assert "libc6-dev-armhf-cross" in fixed and " make" in fixed and "--no-install-recommends" in fixed


def test_aptitude_install_gets_its_own_spelling_of_no_recommends():
    code = "FROM debian:12\nRUN aptitude install -y vim\n"
    found = run(DT102, code)
    assert len(found) == 1 and "--without-recommends" in found[0].message
    assert fixed_text(DT102, code) == "FROM debian:12\nRUN aptitude install --without-recommends -y vim\n"
    assert run(DT102, "FROM debian:12\nRUN aptitude install -R -y vim\n") == []
    assert run(DT102, "FROM debian:12\nRUN aptitude --without-recommends install -y vim\n") == []


def test_an_old_distro_pip_keeps_setuptools_for_the_pip_installs_that_follow():
    # precision sample (seed 5150, corpus 0736): on Ubuntu 16.04 python3-pip only recommends
    # python3-setuptools, and pip before 22.1 cannot build a source package (PyYAML) without it
    code = "FROM {base}\nRUN apt-get update && apt-get install -y python3-pip\nRUN pip3 install pyyaml\n"
    for old in ("ubuntu:16.04", "nvidia/cuda:9.2-devel-ubuntu16.04", "debian:stretch", "ros:melodic"):
        fixed = fixed_text(DT102, code.format(base=old))
        assert "--no-install-recommends -y python3-pip python3-setuptools" in fixed, old
        assert "pip before 22.1" in run(DT102, code.format(base=old))[0].fix.reason
    py2 = fixed_text(DT102, "FROM ubuntu:18.04\nRUN apt-get install -y python-pip\nRUN pip install x\n")
    assert "python-pip python-setuptools" in py2
    # from Ubuntu 20.04 and Debian 11 pip depends on setuptools: nothing to name
    for new in ("ubuntu:22.04", "debian:bookworm", "ubuntu"):
        assert "setuptools" not in fixed_text(DT102, code.format(base=new)), new
    # a pip the build runs only to upgrade itself builds nothing now; the container still will
    (f,) = run(DT102, "FROM ubuntu:16.04\nRUN apt-get install -y python3-pip\nRUN pip3 install -U pip\n")
    assert "python3-setuptools" in f.fix.title


def test_xvfb_installed_for_the_container_keeps_xauth():
    # precision sample (seed 8675309, corpus 0277): xvfb and chromium, no step runs xvfb-run: the
    # container will, and xvfb-run needs xauth (a recommend of xvfb)
    code = "FROM ubuntu:20.04\nRUN apt-get update && apt-get install -y xvfb chromium-browser\n"
    assert "--no-install-recommends -y xvfb chromium-browser xauth" in fixed_text(DT102, code)
    assert "`xvfb-run` at run time" in run(DT102, code)[0].fix.reason
    later = fixed_text(DT102, code + "RUN xvfb-run -a npm test\n")
    assert "xvfb chromium-browser xauth" in later and "line 3" in run(DT102, code + "RUN xvfb-run -a npm test\n")[0].message


def test_an_old_distro_pip_the_build_never_runs_keeps_setuptools_for_the_container():
    # precision sample (seed 2718, corpus 0643): ubuntu 18.04 with git, numpy, scipy and python3-pip, no
    # pip step: the container or a child image will pip install, which needs setuptools on pip 9
    code = "FROM ubuntu:18.04\nRUN apt-get update && apt-get install -y git python3-pip python3-scipy\n"
    assert "python3-scipy ca-certificates python3-setuptools" in fixed_text(DT102, code)
    assert "pip at run time" in run(DT102, code)[0].fix.reason
    assert "setuptools" not in fixed_text(DT102, code.replace("18.04", "22.04"))


@pytest.mark.parametrize("base", ["ubuntu", "ubuntu:22.04", "debian:12"])
def test_add_apt_repository_ppa_keeps_gpg_agent(base):
    # precision sample (seed 698298, corpus 0001 and 0767): the PPA's key is imported with gpg,
    # whose agent comes in only as a recommend (gpg -> gnupg -> gpg-agent); without it
    # add-apt-repository fails ("gpg: error running '/usr/bin/gpg-agent'")
    code = (f"FROM {base}\nRUN apt-get update && apt-get install -y software-properties-common\n"
            "RUN add-apt-repository -y ppa:deadsnakes/ppa && apt-get update\n")
    assert "--no-install-recommends -y software-properties-common gpg-agent" in fixed_text(DT102, code)
    assert "gpg-agent" in run(DT102, code)[0].message


@pytest.mark.parametrize("base", ["ubuntu:16.04", "ubuntu:xenial", "debian:jessie"])
def test_no_gpg_agent_where_the_release_has_no_such_package(base):
    # before gnupg 2.1's split the package does not exist: naming it would fail the install
    code = (f"FROM {base}\nRUN apt-get update && apt-get install -y software-properties-common\n"
            "RUN add-apt-repository -y ppa:deadsnakes/ppa\n")
    assert "gpg-agent" not in fixed_text(DT102, code)


def test_a_repository_line_without_a_ppa_keeps_no_gpg_agent():
    code = ("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y software-properties-common\n"
            "RUN add-apt-repository 'deb http://archive.example.org/ubuntu jammy main'\n")
    assert "gpg-agent" not in fixed_text(DT102, code)


@pytest.mark.parametrize("package", ["texlive-xetex", "texlive-latex-base", "texlive-latex-recommended", "texlive-base"])
def test_a_tex_installation_keeps_lmodern_which_documents_load(package):
    # precision sample (seed 783712, corpus 0266): pandoc + texlive-xetex; lmodern (lmodern.sty, which
    # pandoc's LaTeX template loads) comes in only as a recommend of texlive-base, on which every
    # texlive-* package depends: without it the container cannot make a PDF
    code = f"FROM ubuntu\nRUN apt-get update && apt-get install -y {package} latexmk\n"
    assert f"--no-install-recommends -y {package} latexmk lmodern" in fixed_text(DT102, code)
    (f,) = run(DT102, code)
    assert "keep lmodern for TeX documents, which load lmodern.sty" in f.message and "lmodern (" in f.fix.reason


@pytest.mark.parametrize("others", ["texlive-luatex", "texlive-latex-base-doc", "texlive-binaries", "lmodern"])
def test_no_lmodern_named_where_it_is_a_dependency_or_no_tex_is_installed(others):
    # texlive-luatex depends on lmodern; a -doc package or the bare binaries install no LaTeX
    code = f"FROM debian:12\nRUN apt-get install -y {others}\n"
    assert fixed_text(DT102, code).count("lmodern") == code.count("lmodern")
    both = f"FROM debian:12\nRUN apt-get install -y texlive-xetex\nRUN apt-get install -y {others}\n"
    assert ("lmodern" in fixed_text(DT102, both).splitlines()[1]) == others.endswith(("-doc", "binaries"))
