"""DT207 edge cases beyond the rule's examples."""

import pytest

from bot.rules.dt207_build_packages_in_final_image import BuildPackagesInFinalImage as R, is_build_package
from tests.rules.harness import run


def test_package_classification():
    assert all(map(is_build_package, ("gcc", "g++-12", "libpq-dev", "python3-dev", "musl-dev", "openssl-devel")))
    assert not any(map(is_build_package, ("udev", "libpq5", "java-17-openjdk-devel", "dpkg-dev", "curl")))


def test_official_image_pattern_apt_mark_auto_then_purge():
    code = ("FROM debian:12-slim\nRUN savedAptMark=\"$(apt-mark showmanual)\"; apt-get update; "
            "apt-get install -y gcc make; make -C /src; apt-mark auto '.*' > /dev/null; "
            "apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false\nCMD [\"/app\"]\n")
    assert run(R, code) == []


def test_named_dockerfile_dev_is_silent():
    from bot.engine import Options, analyse_text
    code = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\nCMD [\"python\"]\n"
    res = analyse_text("docker/Dockerfile.dev", code, Options(select=("DT207",), estimate=False))
    assert not res.findings
    res = analyse_text("docker/Dockerfile", code, Options(select=("DT207",), estimate=False))
    assert res.findings


def test_apk_mixed_line_gets_no_edit():
    code = "FROM alpine:3.20\nRUN apk add --no-cache libpq gcc musl-dev && make\nCMD [\"/app\"]\n"
    (f,) = run(R, code)
    assert f.fix is None and f.hint.params["packages"] == ("gcc", "musl-dev")


def test_no_cmd_on_language_base_still_reported_when_the_build_compiles():
    # an app started by compose whose dependencies the build compiles: afterwards the toolchain is waste
    code = ("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev\nCOPY . /app\n"
            "RUN pip install -r /app/requirements.txt\n")
    assert run(R, code)


@pytest.mark.parametrize(
    "command",
    ['CMD ["go", "test", "-race", "./..."]', 'CMD go test ./...', 'ENTRYPOINT ["sh", "-c", "make && ./app"]',
     'CMD ["/usr/bin/gcc", "--version"]'],
)
def test_a_command_that_compiles_at_run_time_keeps_its_compiler(command):
    code = f"FROM debian:12-slim\nRUN apt-get update && apt-get install -y gcc libc6-dev golang\n{command}\n"
    assert not run(R, code)


def test_a_package_is_reported_once_per_run():
    code = ("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev "
            "&& pip install psycopg2 && apt-get install -y gcc make\nCMD [\"python\", \"app.py\"]\n")
    names = [p for f in run(R, code) for p in f.hint.params["packages"]]
    assert sorted(names) == ["gcc", "libpq-dev", "make"]


def test_a_cache_cleanup_after_the_install_is_no_build_step():
    # corpus 0062: a node base image installs build-base for its children's node-gyp; after DT106
    # appended `npm cache clean`, DT207 took it for a build and deleted build-base right away
    code = ("FROM node:14-alpine\nRUN npm i -g npm@7 && apk add --no-cache build-base "
            "&& npm cache clean --force\nCMD [\"node\"]\n")
    assert all(f.fix is None for f in run(R, code))


def test_a_command_less_image_with_no_files_of_its_own_is_a_base_to_build_on():
    # precision sample (seed 4242, corpus 0062): node-alpine plus build-base for the children's node-gyp
    code = "FROM node:14-alpine\nRUN apk add --no-cache python2 curl build-base\n"
    assert not run(R, code)
    assert run(R, code + "COPY . /app\nRUN npm ci\n")  # the build compiles with it: then it is waste
    # the base compiles with them itself (php extensions): afterwards they are waste
    php = "FROM php:8.3-apache\nRUN apt-get update && apt-get install -y libpng-dev && docker-php-ext-install gd\n"
    assert run(R, php)


def test_a_command_less_dev_image_keeps_the_toolchain_its_run_time_commands_use():
    # precision sample (seed 90210, corpus 0208): ruby:alpine with build-base and postgresql-dev, the
    # Gemfile copied in and no bundle install in the build: compose's `bundle install` compiles with them
    code = ("FROM ruby:2.7-alpine\nRUN apk update && apk add bash build-base nodejs postgresql-dev tzdata\n"
            "WORKDIR /project\nCOPY Gemfile Gemfile.lock ./\n")
    assert not run(R, code)
    assert run(R, code + "RUN bundle install\n")  # the build compiles: the claim stands
    assert run(R, code + 'CMD ["rails", "server"]\n')  # a command of its own that does not compile


def test_make_without_a_compiler_is_a_tool_for_the_container():
    # precision sample (seed 8675309, corpus 0368): a node base with curl, bind-tools, bash and make;
    # nothing in the image can compile with make alone, so it is there to run Makefiles
    code = ("FROM alpine-node:latest\nRUN apk add --no-cache curl bind-tools make bash && npm i -g nodemon\n")
    assert not run(R, code)
    assert not run(R, "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y make\nCOPY . /app\n"
                      "RUN pip install -r /app/requirements.txt\nCMD [\"python\", \"app.py\"]\n")
    # with a compiler or headers in the image, make is part of the toolchain again
    (f,) = run(R, "FROM alpine:3.20\nRUN apk add --no-cache gcc musl-dev make && make -C /src\nCMD [\"/src/app\"]\n")
    assert "make" in f.hint.params["packages"]
    (g,) = run(R, "FROM php:8.3-fpm-alpine\nRUN apk add --no-cache $PHPIZE_DEPS make && pecl install redis\n"
                  "CMD [\"php-fpm\"]\n")
    assert g.hint.params["packages"] == ("make",)


def test_npm_installing_itself_compiles_nothing():
    # precision sample (seed 7777, corpus 0466): a node-slim base with python3, build-essential and
    # ENV PYTHON for node-gyp; its only npm step upgrades npm, so the toolchain serves its users
    code = ("FROM node:23-slim\nRUN apt update && apt install python3 build-essential git -y "
            "&& npm install -g npm@11.3.0 --python=python3\nENV PYTHON=python3\n")
    assert not run(R, code)
    assert run(R, code.replace("npm install -g npm@11.3.0", "npm install -g sqlite3"))  # that one compiles


def test_pip_upgrading_itself_compiles_nothing():
    # precision sample (seed 2718, corpus 0003): python3-dev next to `pip3 install --upgrade pip` only:
    # nothing in the build used the headers, so no purge is proposed at the end of that RUN
    code = ("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y python3-pip python3-dev "
            "&& pip3 install --upgrade pip setuptools wheel\nCMD [\"python3\"]\n")
    assert all(f.fix is None for f in run(R, code))
    assert not run(R, code.replace('CMD ["python3"]\n', ""))  # command-less: headers for run-time builds
    assert any(f.fix is not None for f in run(R, code.replace("--upgrade pip setuptools wheel", "psycopg2")))
