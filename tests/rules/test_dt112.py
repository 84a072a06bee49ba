"""DT112 edge cases: cpanm, composer and cargo caches."""

from __future__ import annotations

from bot.model.findings import Safety
from bot.rules.dt112_package_cache_in_layer import PackageCacheInLayer as DT112
from tests.rules.harness import fixed_text, run


def test_cpanm_and_composer_fixes_are_safe_cargo_review():
    (cpanm,) = run(DT112, "FROM perl:5.38\nRUN cpanm -n Plack\n")
    (composer,) = run(DT112, "FROM php:8.3\nRUN composer require monolog/monolog\n")
    (cargo,) = run(DT112, "FROM rust:1.79\nRUN cargo install ripgrep\n")
    assert cpanm.fix.safety is Safety.SAFE and composer.fix.safety is Safety.SAFE
    assert cargo.fix.safety is Safety.REVIEW and cargo.fix.reason


def test_perl_cpanm_home_env_is_followed():
    assert not run(DT112, "FROM perl:5.38\nENV PERL_CPANM_HOME=/tmp/cpanm\nRUN cpanm Plack && rm -rf /tmp/cpanm\n")
    assert run(DT112, "FROM perl:5.38\nENV PERL_CPANM_HOME=/tmp/cpanm\nRUN cpanm Plack && rm -rf ~/.cpanm\n")


def test_composer_phar_is_called_as_written():
    code = "FROM php:8.3\nRUN php composer.phar install --no-dev\n"
    assert fixed_text(DT112, code).endswith("install --no-dev && php composer.phar clear-cache\n")
    code = "FROM php:8.3\nRUN /usr/local/bin/composer install\n"
    assert fixed_text(DT112, code).endswith("&& /usr/local/bin/composer clear-cache\n")


def test_cargo_offline_and_cargo_home_variable():
    assert not run(DT112, "FROM rust:1.79\nRUN cargo build --offline --release\n")
    assert not run(DT112, 'FROM rust:1.79\nRUN cargo build --release && rm -rf "$CARGO_HOME/registry"\n')


def test_a_later_cargo_run_takes_the_fix_away():
    (f,) = run(DT112, "FROM rust:1.79\nRUN cargo fetch\nRUN cargo build --release\n")[:1]
    assert f.fix is None and "a later RUN" in f.message
