"""DT103 edge cases, including where it differs from hadolint's DL3019 on purpose."""

from __future__ import annotations

from bot.rules.dt103_apk_cache_in_layer import ApkCacheInLayer as DT103
from tests.rules.harness import fixed_text, run


def test_hadolint_wrong_cache_removed_in_the_same_run():
    # corpus 0175, 0582, 0639, 0758: DL3019 fires although /var/cache/apk/* is removed in the same layer
    assert not run(DT103, "FROM alpine:3.20\nRUN apk --update add python3 bash git && \\\n    rm -rf /var/cache/apk/*\n")
    # corpus 0618: a plain rm of the files is enough, the indexes are files
    assert not run(DT103, "FROM alpine:3.20\nRUN apk --update add git openssh && \\\n    rm /var/cache/apk/*\n")


def test_hadolint_wrong_update_before_no_cache_add_still_stores_the_index():
    # corpus 0139, 0254, 0641, 0737: DL3019 is silent, but apk update wrote /var/cache/apk
    code = "FROM alpine:3.20\nRUN apk update && \\\n    apk add --no-cache \\\n      bash \\\n      openssl-dev\n"
    (f,) = run(DT103, code)
    assert "`apk update`" in f.message
    assert fixed_text(DT103, code) == "FROM alpine:3.20\nRUN apk add --no-cache \\\n      bash \\\n      openssl-dev\n"


def test_hadolint_wrong_builder_stage_never_reaches_the_image():
    # corpus 0359: certificates are copied out of an alpine stage into scratch
    code = "FROM alpine:latest AS alpine\nRUN apk -U add ca-certificates\nFROM scratch\nCOPY --from=alpine /etc/ssl/certs /etc/ssl/certs\n"
    assert not run(DT103, code)


def test_no_cache_update_stores_nothing():
    # corpus 0583: `apk --no-cache update` only checks the repositories
    assert not run(DT103, "FROM alpine:3.20\nRUN apk --no-cache update \\\n    && apk --no-cache add curl\n")


def test_removal_before_the_add_does_not_count():
    code = "FROM alpine:3.20\nRUN rm -rf /var/cache/apk/* && apk add curl\n"
    assert fixed_text(DT103, code) == "FROM alpine:3.20\nRUN rm -rf /var/cache/apk/* && apk add --no-cache curl\n"


def test_lone_update_is_reported_without_a_fix():
    # the next RUN may read the index: removing it here is DT203's business (merge the RUNs)
    (f,) = run(DT103, "FROM alpine:3.20\nRUN apk update\nRUN apk add --no-cache curl\n")
    assert f.fix is None and f.span.start.line == 2


def test_update_is_dropped_only_when_its_removal_is_clean():
    # a comment inside the continuation would go with it: keep the update, remove the cache instead
    code = "FROM alpine:3.20\nRUN apk update \\\n  # refresh\n  && apk add curl\n"
    assert fixed_text(DT103, code) == (
        "FROM alpine:3.20\nRUN apk update \\\n  # refresh\n  && apk add --no-cache curl \\\n  && rm -rf /var/cache/apk/*\n"
    )
    # a repository option on the update changes what the add sees
    code = "FROM alpine:3.20\nRUN apk -X https://example.org/repo update && apk add curl\n"
    assert fixed_text(DT103, code).endswith("apk add --no-cache curl && rm -rf /var/cache/apk/*\n")


def test_leading_operator_style_and_several_adds():
    code = "FROM alpine:3.20\nRUN apk update \\\n    && apk add curl \\\n    && apk add --virtual .deps gcc\n"
    assert fixed_text(DT103, code) == (
        "FROM alpine:3.20\nRUN apk add --no-cache curl \\\n    && apk add --no-cache --virtual .deps gcc\n"
    )


def test_sudo_keeps_sudo_on_the_cleanup():
    code = "FROM alpine:3.20\nUSER app\nRUN sudo apk update && sudo apk add curl\n"
    assert fixed_text(DT103, code).endswith("sudo apk add --no-cache curl && sudo rm -rf /var/cache/apk/*\n")


def test_cache_mount_on_the_apk_cache_symlink():
    assert not run(DT103, "FROM alpine:3.20\nRUN --mount=type=cache,target=/etc/apk/cache apk add curl\n")


def test_heredoc_update_line_is_removed():
    code = "FROM alpine:3.20\nRUN <<EOF\nset -e\napk update\napk add curl\nEOF\n"
    assert fixed_text(DT103, code) == "FROM alpine:3.20\nRUN <<EOF\nset -e\napk add --no-cache curl\nEOF\n"


def test_hint_lists_packages_without_versions_or_virtual_names():
    (f,) = run(DT103, "FROM alpine:3.20\nRUN apk add -t .deps gcc 'python3=~3.12' musl-dev\n")
    assert f.hint.params["packages"] == ("gcc", "python3", "musl-dev")
