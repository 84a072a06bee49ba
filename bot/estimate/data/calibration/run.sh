#!/usr/bin/env bash
# Build every calibration Dockerfile here with measure_image.sh (real buildah images on
# a debuerreotype Debian 12 base) and append its JSON records to results.jsonl.
# Usage: run.sh [name...]   (default: all sub-directories)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tool="${MEASURE_TOOL:-$(cd "$(dirname "$0")/../../../.." && pwd)/tools/measure_image.sh}"
out="${RESULTS:-$here/results.jsonl}"
cd "$here"
names=("$@"); [ ${#names[@]} = 0 ] && names=($(ls -d */ | tr -d /))
for n in "${names[@]}"; do
	echo "== $n" >&2
	"$tool" --no-cache -t "localhost/calib/$n:latest" "$here/$n/Dockerfile" "$here/$n" \
		| python3 -c 'import json,sys
n=sys.argv[1]
for line in sys.stdin:
    r=json.loads(line); r["calibration"]=n; print(json.dumps(r))' "$n" >>"$out"
done
