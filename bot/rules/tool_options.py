"""Command-line option tables of the tools the rules read, one full table per tool: which
options take a separate value (``--cache-dir /x``), so a parse never takes that value
for an operand (a package, a URL, a directory). Data only: ``facts.operands`` does the
parse. Each table names the documentation it was taken from."""

from __future__ import annotations

# pip's general options that take a value, allowed before the command too
# (`pip --cache-dir /x install y`). Source: `pip --help` "General Options" (pip 23.2,
# https://pip.pypa.io/en/stable/cli/pip/#general-options); --log-file and --local-log
# are --log's aliases in pip's cmdoptions.
PIP_GENERAL_VALUES = frozenset((
    "--python", "--log", "--log-file", "--local-log", "--keyring-provider", "--proxy", "--retries", "--timeout",
    "--exists-action", "--trusted-host", "--cert", "--client-cert", "--cache-dir", "--use-feature",
    "--use-deprecated", "--resume-retries"))  # fmt: skip  (--resume-retries: pip 25.1)

# `pip install`'s own options that take a value, besides the general ones. Source:
# `pip install --help` "Install Options" and "Package Index Options" (pip 23.2,
# https://pip.pypa.io/en/stable/cli/pip_install/#options), plus --group (pip 25.1) and
# --install-option (removed in pip 23.1, still met with the older pips of older images).
PIP_INSTALL_VALUES = PIP_GENERAL_VALUES | frozenset((
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "--platform",
    "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src", "--upgrade-strategy",
    "-C", "--config-settings", "--global-option", "--install-option", "--no-binary", "--only-binary",
    "--progress-bar", "--root-user-action", "--report", "--group",
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links"))  # fmt: skip

# `git clone`'s options that take a separate value. Source: git-clone(1)
# (https://git-scm.com/docs/git-clone; `git clone -h` of git 2.39), plus --ref-format
# (git 2.45) and --revision (git 2.49). --recurse-submodules[=<pathspec>] takes its
# value only after `=`.
GIT_CLONE_VALUES = frozenset((
    "-j", "--jobs", "--template", "--reference", "--reference-if-able", "-o", "--origin", "-b", "--branch",
    "-u", "--upload-pack", "--depth", "--shallow-since", "--shallow-exclude", "--separate-git-dir",
    "-c", "--config", "--server-option", "--filter", "--bundle-uri", "--ref-format", "--revision"))  # fmt: skip
