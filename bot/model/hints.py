"""The catalogue of size-hint kinds: the contract between rules and estimate/.

A rule says WHAT is wasted by creating ``SizeHint(kind, params, claims)`` with one
of the kinds below; ``bot/estimate`` says HOW MUCH. Params are plain data (strings,
ints, tuples of strings), never syntax. ``base_image`` is the resolved reference of
the stage's FROM (``"python:3.12-slim"``, ``""`` when unknown, ``"scratch"``), so the
estimator can pick the distro family and release.
"""

from __future__ import annotations

# Package-manager caches and extras (1xx)
APT_LISTS = "apt_lists"  # base_image
APT_RECOMMENDS = "apt_recommends"  # base_image, packages: tuple[str, ...]
APK_CACHE = "apk_cache"  # base_image
RPM_CACHE = "rpm_cache"  # base_image, manager: yum|dnf|microdnf|zypper
PIP_CACHE = "pip_cache"  # packages, requirements: tuple of requirement-file paths
NPM_CACHE = "npm_cache"  # packages (empty: from package.json), base_image
YARN_CACHE = "yarn_cache"  # packages (empty: from package.json), base_image
GEM_DOCS = "gem_docs"  # gems, base_image
BUNDLER_CACHE = "bundler_cache"  # base_image (gems come from Gemfile.lock)
CONDA_CACHE = "conda_cache"  # packages, manager: conda|mamba|micromamba, base_image
GO_CACHE = "go_cache"  # caches: tuple of "go-mod"|"go-build", base_image
JVM_BUILD_CACHE = "jvm_build_cache"  # caches: tuple of "maven"|"gradle"|"ivy", base_image
PACKAGE_CACHE = "package_cache"  # caches: tuple of "cpanm"|"composer"|"cargo", base_image

# Layer structure (2xx)
LATER_LAYER_CLEANUP = "later_layer_cleanup"  # cleaned: a kind above (e.g. apt_lists), + its params
CHOWN_DUPLICATE = "chown_duplicate"  # paths: tuple, sources: tuple of COPY sources
MERGE_RUNS = "merge_runs"  # count: int (layers saved; bytes only where a later RUN deletes)
ARCHIVE_LEFT = "archive_left"  # url: str ("" when unknown), path: str
ADDED_ARCHIVE = "added_archive"  # url or path, extracted: bool
BUILD_PACKAGES = "build_packages"  # base_image, manager, packages
LASTLOG = "lastlog"  # uid: int, base_image
BUILD_TREE = "build_tree"  # path: the source tree left behind, url ("" when unknown)

# Build cache and dependencies (3xx)
CACHE_BUSTING_COPY = "cache_busting_copy"  # ecosystem (time, not bytes)
DEV_DEPENDENCIES = "dev_dependencies"  # ecosystem

# Base images and stages (4xx)
BASE_IMAGE_SWAP = "base_image_swap"  # from_image, to_image (alternative, evidence: Alpine on evidence)
TOOLCHAIN_RUNTIME = "toolchain_runtime"  # from_image, to_image, ecosystem
COPY_WHOLE_FS = "copy_whole_fs"  # from_image

# Build context (5xx)
BUILD_CONTEXT = "build_context"  # missing: tuple of patterns, context_dir

# Build time, not image size (6xx): never part of the image-size totals
REBUILD_DOWNLOAD = "rebuild_download"  # managers, packages ("apt:curl"), recommends: bool, base_image
BUILD_TIME_KINDS = frozenset((REBUILD_DOWNLOAD,))  # their estimates are rebuild downloads, totalled apart

ALL_KINDS = frozenset(
    v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str) and k != "ALL_KINDS"
)
