"""DT111 edge cases: Maven/Gradle/sbt caches, their locations and later uses."""

from __future__ import annotations

from bot.rules.dt111_jvm_build_cache_in_layer import JvmBuildCacheInLayer as DT111
from tests.rules.harness import run


def test_gradle_user_home_env_removed_by_path():
    code = "FROM gradle:8\nENV GRADLE_USER_HOME=/cache/gradle\nRUN gradle build && rm -rf /cache/gradle\n"
    assert not run(DT111, code)


def test_gradle_home_flag_in_a_cache_mount():
    code = "FROM gradle:8\nRUN --mount=type=cache,target=/gh gradle -g /gh build\n"
    assert not run(DT111, code)


def test_non_root_user_home():
    code = "FROM maven:3.9\nUSER app\nRUN mvn package && rm -rf /home/app/.m2\n"
    assert not run(DT111, code)
    (f,) = run(DT111, "FROM maven:3.9\nUSER app\nRUN mvn package && rm -rf /root/.m2\n")
    assert "Maven" in f.message


def test_a_later_offline_build_takes_the_fix_away():
    code = "FROM maven:3.9\nRUN mvn package\nRUN mvn -o verify && rm -rf ~/.m2\n"
    first, = run(DT111, code)
    assert first.fix is None and "a later RUN" in first.message


def test_only_dependency_prefetch_with_no_later_build_is_silent():
    assert not run(DT111, "FROM maven:3.9\nRUN mvn dependency:go-offline\n")
