"""results.jsonl (measure_image.sh records) -> ../measured.csv: one row per before/after pair."""

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAIRS = {  # name: (before, after, what the fix is)
    "apt-lists": ("apt-lists-kept", "apt-lists-removed", "rm -rf /var/lib/apt/lists/* in the same RUN (debian:bookworm)"),
    "apt-lists-slim": ("apt-lists-kept-slim", "apt-lists-removed-slim", "same on debian:bookworm-slim"),
    "recommends-curl": ("rec-curl-with", "rec-curl-without", "--no-install-recommends curl"),
    "recommends-git": ("rec-git-with", "rec-git-without", "--no-install-recommends git"),
    "recommends-git-slim": ("rec-git-with-slim", "rec-git-without-slim", "--no-install-recommends git (slim)"),
    "recommends-imagemagick": ("rec-imagemagick-with", "rec-imagemagick-without", "--no-install-recommends imagemagick"),
    "recommends-python3-pip": ("rec-python3-pip-with", "rec-python3-pip-without", "--no-install-recommends python3-pip"),
    "lastlog-uid-100000": ("useradd-high-uid", "useradd-high-uid-l", "useradd -l -u 100000 (Debian 12)"),
    "merge-runs": ("merge-runs-split", "merge-runs-merged", "two apt-get install RUNs merged into one"),
    "build-packages": ("build-packages-kept", None, "build-essential installed (no recommends): layer size"),
}


def main() -> int:
    images = {}
    for line in (HERE / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r.get("record") == "image":
            images[r["calibration"]] = r  # last build of a name wins
    out = HERE.parent / "measured.csv"
    cols = ["name", "fix", "before_added_bytes", "after_added_bytes", "saving_bytes", "before_added_gzip",
            "after_added_gzip", "saving_gzip", "base_bytes", "base_gzip", "dockerfile_before", "dockerfile_after",
            "tool", "date"]
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for name, (before, after, fix) in PAIRS.items():
            b = images.get(before)
            a = images.get(after) if after else None
            if b is None or (after and a is None):
                print(f"skip {name}: not built", file=sys.stderr)
                continue
            ab, ag = (a["added_size"], a["added_gzip_size"]) if a else (0, 0)
            w.writerow([name, fix, b["added_size"], ab if a else "", b["added_size"] - ab,
                        b["added_gzip_size"], ag if a else "", b["added_gzip_size"] - ag,
                        b["base_size"], b["base_gzip_size"], f"calibration/{before}/Dockerfile",
                        f"calibration/{after}/Dockerfile" if after else "(single build)",
                        "measure_image.sh: buildah bud --layers --no-cache, chroot isolation, overlay; "
                        "skopeo gzip export; debuerreotype Debian 12 bases",
                        "2026-11-27"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
