"""DT203 edge cases."""

from __future__ import annotations


from bot.rules.dt203_apt_update_in_own_layer import AptUpdateInOwnLayer

from tests.rules.harness import fixed_text, run

R = AptUpdateInOwnLayer


def test_reported_in_builder_stage_without_size():
    # the stale cache breaks builds in any stage; only the bytes need the final image
    code = "FROM debian:12 AS build\nRUN apt-get update\nRUN apt-get install -y gcc\nFROM scratch\nCOPY --from=build /x /x\n"
    (f,) = run(R, code)
    assert f.hint is None and f.fix is not None


def test_dt101_leaves_the_lone_update_to_dt203():
    from bot.rules.dt101_apt_lists_left_in_layer import AptListsLeftInLayer

    code = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n"
    (mine,) = run(R, code)
    assert mine.hint is not None and not run(AptListsLeftInLayer, code)


def test_user_between_blocks_fix():
    code = "FROM debian:12\nRUN apt-get update\nUSER app\nRUN sudo apt-get install -y curl\n"
    (f,) = run(R, code)
    assert f.fix is None


def test_run_between_that_does_not_use_apt_blocks_fix():
    code = "FROM debian:12\nRUN apt-get update\nRUN ./add-repo.sh\nRUN apt-get install -y curl\n"
    (f,) = run(R, code)
    assert f.fix is None


def test_update_with_or_true_is_not_alone():
    assert not run(R, "FROM debian:12\nRUN apt-get update || true\nRUN apt-get install -y curl\n")


def test_cache_mounted_update_is_not_reported():
    code = "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\nRUN apt-get install -y x\n"
    assert not run(R, code)


def test_export_in_lone_run_is_not_dropped():
    code = "FROM debian:12\nRUN export http_proxy=http://p:3128 && apt-get update\nRUN apt-get install -y x\n"
    assert not run(R, code)


def test_install_run_with_flags_keeps_them():
    code = "FROM debian:12\nRUN apt-get update\nRUN --mount=type=cache,target=/var/cache/apt apt-get install -y x\n"
    assert fixed_text(R, code) == (
        "FROM debian:12\nRUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y x"
        " && rm -rf /var/lib/apt/lists/*\n"
    )


def test_fix_is_idempotent_and_final():
    code = "FROM debian:12\nRUN apt-get update\nLABEL a=b\nRUN apt-get install -y curl\n"
    once = fixed_text(R, code)
    assert once == "FROM debian:12\nLABEL a=b\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    assert fixed_text(R, once) == once and not run(R, once)


def test_lone_update_gets_one_finding_the_actionable_one():
    # DT101 and DT203 describe the same apt lists on the same command: the engine keeps
    # DT203, whose fix merges the update into the install and removes the lists there
    from bot.engine import Options, analyse_text

    code = "FROM debian:12-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n"
    found = [f.rule_id for f in analyse_text("Dockerfile", code, Options(estimate=False)).findings]
    assert found.count("DT203") == 1 and "DT101" not in found


def test_lone_update_through_sudo_is_dt203s_not_dt204s():
    from bot.rules.dt204_consecutive_runs import ConsecutiveRuns

    code = "FROM debian:12\nUSER root\nRUN sudo apt update\nRUN sudo apt install -y curl\n"
    (f,) = run(R, code)
    assert "`apt update`" in f.message
    assert not run(ConsecutiveRuns, code)


def test_aptitude_update_alone_is_reported_like_apt_get():
    code = "FROM debian:12\nRUN aptitude update\nRUN aptitude install -y curl\n"
    found = run(AptUpdateInOwnLayer, code)
    assert len(found) == 1 and found[0].message.startswith("`aptitude update` alone in a RUN")
    assert fixed_text(AptUpdateInOwnLayer, code) == (
        "FROM debian:12\nRUN aptitude update && aptitude install -y curl && rm -rf /var/lib/apt/lists/*\n"
    )


def test_lists_stay_for_a_later_reader_and_go_before_a_later_update():
    code = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nRUN apt-cache policy curl\n"
    assert fixed_text(R, code) == "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-cache policy curl\n"
    code = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nRUN apt-get update && apt-get install -y git\n"
    assert fixed_text(R, code) == (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y git\n"
    )
