"""Command-line option tables of the tools the rules read, one full table per tool: which
options take a separate value (``--cache-dir /x``), so a parse never takes that value
for an operand (a package, a URL, a directory). Data only: ``facts.operands`` does the
parse. Each table names the documentation it was taken from."""

from __future__ import annotations

from bot.model.records import Record, field
from bot.model.records import Record, field


class Getopt(Record):
    """A tool that reads its options as getopt_long does (``facts.getopt`` parses them):
    short options cluster (``-fsSL``); a short option's value is the rest of its word or
    the next word (``-ofile``, ``-o file``), a long one's follows ``=`` or is the next word;
    ``--`` ends the options. The sets name the options that take a value."""

    __slots__ = ()
    _fields = ("value_short", "value_long")
    value_short = field(0, "frozenset[str]")
    value_long = field(1, "frozenset[str]")

    def __new__(cls, value_short, value_long):
        return tuple.__new__(cls, (value_short, value_long))

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


# curl. Source: curl(1) (https://curl.se/docs/manpage.html): the options shown with an
# argument, the ones the rules meet. -n is --netrc and takes none.
CURL = Getopt(frozenset("oHdeuAxXwmrTFbcKECyYzDPQtU"), frozenset((
    "--output", "--header", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--user",
    "--user-agent", "--proxy", "--request", "--write-out", "--max-time", "--connect-timeout",
    "--retry", "--retry-delay", "--retry-max-time", "--range", "--upload-file", "--form", "--cookie",
    "--cookie-jar", "--config", "--cert", "--cacert", "--capath", "--continue-at", "--limit-rate",
    "--referer", "--output-dir", "--resolve", "--interface", "--max-filesize", "--proto",
    "--proto-redir", "--ciphers", "--key", "--pass", "--time-cond", "--url", "--noproxy",
    "--socks5", "--socks5-hostname", "--speed-limit", "--speed-time", "--netrc-file", "--dns-servers",
    "--max-redirs", "--expect100-timeout", "--keepalive-time", "--oauth2-bearer", "--proxy-user",
)))  # fmt: skip

# wget. Source: wget(1) (https://www.gnu.org/software/wget/manual/wget.html). -n takes the
# letters after it as its value: -nv is --no-verbose, -nc --no-clobber, -nd
# --no-directories (wget's getopt table gives -n a required argument).
WGET = Getopt(frozenset("OoaPiBtTwQUelARDXIn"), frozenset((
    "--output-document", "--directory-prefix", "--output-file", "--append-output", "--input-file",
    "--tries", "--timeout", "--wait", "--user", "--password", "--header", "--user-agent",
    "--post-data", "--post-file", "--referer", "--base", "--level", "--accept", "--reject",
    "--domains", "--http-user", "--http-password", "--ca-certificate", "--certificate",
    "--private-key", "--load-cookies", "--save-cookies", "--bind-address", "--limit-rate",
)))  # fmt: skip

# useradd. Source: shadow-utils useradd(8) (https://man7.org/linux/man-pages/man8/useradd.8.html).
USERADD = Getopt(frozenset("bcdefgGkKpPRsuZ"), frozenset((
    "--base-dir", "--comment", "--home-dir", "--expiredate", "--inactive", "--gid", "--groups", "--skel",
    "--key", "--password", "--prefix", "--root", "--shell", "--uid", "--selinux-user")))  # fmt: skip
