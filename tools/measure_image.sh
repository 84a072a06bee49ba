#!/usr/bin/env bash
# Copied from the workplace shared/tools folder (the team's measuring recipe) so that CI is
# self-contained; keep it in step with the original.
# measure_image.sh - build a Dockerfile into a REAL OCI image without Docker and without
# any container registry, then print image and per-layer sizes as JSON lines.
#
# Usage:
#   measure_image.sh [options] <Dockerfile> <context-dir> [-- <extra buildah bud args>]
#   measure_image.sh --ensure-base          # only create/import the local base images
#
# Options:
#   -t, --tag NAME     tag for the built image (default: localhost/measure/<name>:latest,
#                      <name> derived from the Dockerfile path)
#   --keep             keep the built image tag afterwards (default: untag it; the image
#                      and intermediate --layers images stay as build cache, see --prune)
#   --no-cache         pass --no-cache to the build (fresh RUN steps, honest build time)
#   --squash           pass buildah's --squash: the WHOLE image incl. the base becomes ONE
#                      layer (differs from `docker build --squash`, which keeps the base)
#   --no-layers        buildah's default mode: one layer for ALL instructions of a stage.
#                      NOT Docker-like; only for comparison. Default here is --layers.
#   --top N            add the N largest files of each layer ("top":[[path,bytes],...])
#   --log FILE         build log file (default: $MEASURE_ROOT/logs/<name>.log)
#   --prune            afterwards remove all untagged (cache) images from the private store
#   --no-host-ca       do not bind-mount the host's /usr/local/share/ca-certificates into
#                      RUN steps (see "HTTPS" below)
#   -h, --help         this help
#   Anything after "--" is passed to `buildah bud` verbatim (e.g. --build-arg K=V,
#   --target STAGE).
#
# Output (stdout, one JSON object per line; all sizes in bytes):
#   {"record":"layer", "index":0.., "created_by":..., "from_base":bool, "diff_id":...,
#    "size":  uncompressed layer tar bytes (what podman/buildah report as layer size),
#    "gzip_size": compressed blob bytes as pushed to a registry (gzip, containers/image
#                 default level; Docker Hub's "compressed size"),
#    "content_bytes": sum of regular-file sizes in the layer (~ `docker history` SIZE),
#    "files": entries in the layer tar, "whiteouts": deletion markers (.wh.*) in the layer}
#   {"record":"image", "image":..., "image_id":..., "layers":N, "size", "gzip_size",
#    "content_bytes", "podman_size" (podman image inspect .Size), "base_image",
#    "base_layers", "base_size", "base_gzip_size", "added_size", "added_gzip_size",
#    "added_content_bytes", "build_seconds", "cached_steps" (steps served from the
#    layer cache; use --no-cache for honest timings), "measure_seconds", "storage_driver",
#    "isolation", "host_ca", "layers_mode"}
#   On a failed build: {"record":"error", ...} on stdout, build-log tail on stderr, exit 1.
#   Human-readable progress goes to stderr.
#
# Base images (created automatically on first use, ~75 s, needs only the apt mirror):
#   docker.io/library/debian:bookworm, debian:12, localhost/debian:bookworm
#       = "official-like": debootstrap --variant=minbase + debuerreotype-minimizing-config
#         (docker-clean / docker-gzip-indexes / docker-no-languages / docker-autoremove-
#         suggests apt config, force-unsafe-io, policy-rc.d) + deb822 sources incl.
#         bookworm-updates and bookworm-security + dist-upgrade + debuerreotype-tar (drops
#         apt lists/caches/logs). This is the recipe of the official Docker Hub `debian`
#         image (built with debuerreotype), minus the snapshot.debian.org pinning.
#   docker.io/library/debian:bookworm-slim, debian:12-slim, localhost/debian:bookworm-slim
#       = the above + debuerreotype-slimify (dpkg path-exclude docs/man/locales).
#   localhost/debian:bookworm-debootstrap
#       = same packages but WITHOUT the docker-* apt/dpkg config (like a plain debootstrap
#         or a "FROM scratch + rootfs" image): apt keeps downloaded .debs, stores indexes
#         uncompressed, fetches translations.
#   So an unmodified `FROM debian:bookworm` / `FROM debian:bookworm-slim` Dockerfile builds
#   with no network access to any registry (pull policy is "never"). Other bases
#   (python:*, node:*, alpine, ...) are NOT available -> the build fails fast.
#   Rootfs tarballs are kept in $MEASURE_ROOT/base/ and re-imported if the store is wiped.
#
# How it builds: buildah bud --layers --isolation chroot --pull=never --force-rm, storage
# driver overlay (native kernel overlayfs), in a private store $MEASURE_ROOT/storage.
# chroot isolation runs RUN steps in the host network namespace (no bridge/iptables
# changes); OCI isolation (crun) does not work on this host ("cgroups in hybrid mode not
# supported"). Compressed sizes come from `skopeo copy --dest-compress-format gzip` of the
# image into a temporary OCI layout, i.e. the exact blobs a `push` would upload.
#
# HTTPS inside RUN steps: this host reaches PyPI/npm/... through a TLS-intercepting egress
# proxy whose CA is trusted on the host via /usr/local/share/ca-certificates/*.crt. By
# default that directory is bind-mounted read-only at the same path into every RUN step
# (buildah bud -v; mounts are not committed). Whenever a build installs the
# `ca-certificates` package, update-ca-certificates then also trusts those CAs, so
# pip/apt-https/curl work. Cost: the extra CA(s) end up inside the image's
# /etc/ssl/certs/ca-certificates.crt (+~1-2 KB per CA), and the (empty) mountpoint dirs
# usr/local/share/ca-certificates end up in a layer (~1.5 KB of tar headers) - measured
# +1.5..5.6 KB per image, negligible for size work. The mount is not part of the layer
# cache key, so use --no-cache when comparing with/without it.
# Tools with their own CA store (e.g. upstream node/npm) still fail; set e.g.
# NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt in such a RUN line.
# pip caveat: the egress proxy strips Cache-Control headers, so pip's HTTP cache stays
# EMPTY here and `--no-cache-dir` seems to save nothing. To measure pip-cache effects as
# on the real PyPI use pypi_cache_headers_proxy.py (same folder) + build args
# PIP_INDEX_URL/PIP_TRUSTED_HOST (see its docstring).
#
# Environment:
#   MEASURE_ROOT            state dir (default /var/tmp/measure-image): storage/, run/,
#                           base/, logs/, lock
#   MEASURE_STORAGE_DRIVER  overlay (default) or vfs
#   MEASURE_SUITE           Debian suite for the bases (default bookworm)
#   MEASURE_MIRROR          Debian mirror (default: first http URI in the host's
#                           /etc/apt/sources.list(.d); required)
#   MEASURE_SECURITY_MIRROR (default: host's *-security URI, else the main mirror's /debian-security)
#
# Inspect the private store with e.g.:
#   podman --root /var/tmp/measure-image/storage --runroot /var/tmp/measure-image/run images
# Wipe everything: make sure no measure_image.sh runs, then
#   podman --root ... --runroot ... system reset -f; rm -rf /var/tmp/measure-image
#
# Requirements (Debian 12): apt-get install -y buildah podman skopeo debootstrap debuerreotype
# (fuse-overlayfs/uidmap are not needed as root). Must run as root.

set -Eeuo pipefail

MEASURE_ROOT="${MEASURE_ROOT:-/var/tmp/measure-image}"
DRIVER="${MEASURE_STORAGE_DRIVER:-overlay}"
SUITE="${MEASURE_SUITE:-bookworm}"
STORE_ROOT="$MEASURE_ROOT/storage"
STORE_RUN="$MEASURE_ROOT/run"
BASE_DIR="$MEASURE_ROOT/base"
LOG_DIR="$MEASURE_ROOT/logs"

log() { printf '[measure_image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit "${1:-0}"; }

BUILDAH=(buildah --root "$STORE_ROOT" --runroot "$STORE_RUN" --storage-driver "$DRIVER")
PODMAN=(podman --root "$STORE_ROOT" --runroot "$STORE_RUN" --storage-driver "$DRIVER")
STORE_SPEC="containers-storage:[$DRIVER@$STORE_ROOT+$STORE_RUN]"

# ---------------------------------------------------------------- arguments
TAG="" KEEP=0 NOCACHE=0 SQUASH=0 LAYERS=1 TOP=0 LOGFILE="" PRUNE=0 ENSURE_ONLY=0 HOSTCA=1
POS=() EXTRA=()
while [ $# -gt 0 ]; do
	case "$1" in
		-t|--tag) TAG="$2"; shift 2 ;;
		--keep) KEEP=1; shift ;;
		--no-cache) NOCACHE=1; shift ;;
		--squash) SQUASH=1; shift ;;
		--no-layers) LAYERS=0; shift ;;
		--top) TOP="$2"; shift 2 ;;
		--log) LOGFILE="$2"; shift 2 ;;
		--prune) PRUNE=1; shift ;;
		--no-host-ca) HOSTCA=0; shift ;;
		--ensure-base) ENSURE_ONLY=1; shift ;;
		-h|--help) usage 0 ;;
		--) shift; EXTRA=("$@"); break ;;
		-*) die "unknown option $1 (see --help)" ;;
		*) POS+=("$1"); shift ;;
	esac
done
[ "$(id -u)" = 0 ] || die "must run as root"
for t in buildah podman skopeo debootstrap debuerreotype-init python3 flock; do
	command -v "$t" >/dev/null || die "missing tool $t (apt-get install -y buildah podman skopeo debootstrap debuerreotype)"
done
if [ "$ENSURE_ONLY" = 0 ]; then
	[ "${#POS[@]}" = 2 ] || usage 2
	DOCKERFILE="$(readlink -f "${POS[0]}")"; CONTEXT="$(readlink -f "${POS[1]}")"
	[ -f "$DOCKERFILE" ] || die "no such Dockerfile: ${POS[0]}"
	[ -d "$CONTEXT" ] || die "no such context dir: ${POS[1]}"
fi

mkdir -p "$MEASURE_ROOT" "$BASE_DIR" "$LOG_DIR" "$STORE_ROOT" "$STORE_RUN"
# One run at a time per MEASURE_ROOT (2-core box; also makes stale-container cleanup safe).
exec 9>"$MEASURE_ROOT/lock"
flock 9

TMP="$(mktemp -d "$MEASURE_ROOT/tmp.XXXXXX")"
cleanup() {
	local rc=$?
	# working containers left by an interrupted build of ours (the lock guarantees no
	# other run of this script uses the store right now)
	"${BUILDAH[@]}" rm --all >/dev/null 2>&1 || :
	# a rootfs under construction may have bind mounts only inside its own unshare'd
	# namespace, so a plain rm is safe; refuse anyway if something is mounted there
	if ! grep -q " $TMP" /proc/mounts; then rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- base images
detect_mirror() { # $1 = grep -v filter for security; prints first matching http(s) URI
	local want="$1" f uris
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uris="$(grep -hoE '^(URIs:|deb( \[[^]]*\])?) +https?://[^ ]+' "$f" 2>/dev/null | grep -oE 'https?://[^ ]+' || true)"
		if [ "$want" = security ]; then uris="$(grep -E 'security' <<<"$uris" || true)"
		else uris="$(grep -vE 'security' <<<"$uris" | grep -E '/debian/?$' || true)"; fi
		[ -n "$uris" ] && { head -n1 <<<"$uris"; return; }
	done
	return 0
}
MIRROR="${MEASURE_MIRROR:-$(detect_mirror main)}"
[ -n "$MIRROR" ] || { echo "measure_image: no Debian mirror in /etc/apt/sources.list(.d); set MEASURE_MIRROR" >&2; exit 2; }
SECMIRROR="${MEASURE_SECURITY_MIRROR:-$(detect_mirror security)}"; SECMIRROR="${SECMIRROR:-${MIRROR%/debian}/debian-security}"

image_exists() { "${PODMAN[@]}" image exists "$1" 2>/dev/null; }

suite_version() { case "$SUITE" in bookworm) echo 12 ;; trixie) echo 13 ;; bullseye) echo 11 ;; *) echo "" ;; esac; }

build_rootfs_tarballs() { # creates $BASE_DIR/$SUITE-{official,slim,debootstrap}.tar
	local r="$TMP/rootfs" t0 t1 flavor
	t0=$(date +%s)
	log "debootstrap --variant=minbase $SUITE from $MIRROR (takes ~40 s) ..."
	debootstrap --variant=minbase "$SUITE" "$r" "$MIRROR" >"$LOG_DIR/debootstrap-$SUITE.log" 2>&1 \
		|| { tail -n 20 "$LOG_DIR/debootstrap-$SUITE.log" >&2; die "debootstrap failed"; }
	date +%s >"$r/debuerreotype-epoch"
	rm -f "$r/etc/apt/sources.list"
	mkdir -p "$r/etc/apt/sources.list.d"
	cat >"$r/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $MIRROR
		Suites: $SUITE $SUITE-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: $SECMIRROR
		Suites: $SUITE-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	log "apt-get update + dist-upgrade inside the rootfs ..."
	{ debuerreotype-apt-get "$r" update -qq && debuerreotype-apt-get "$r" dist-upgrade -yqq \
		&& debuerreotype-apt-get "$r" clean; } >>"$LOG_DIR/debootstrap-$SUITE.log" 2>&1 \
		|| { tail -n 20 "$LOG_DIR/debootstrap-$SUITE.log" >&2; die "apt in rootfs failed"; }
	: >"$r/etc/resolv.conf"   # debootstrap copied the host's; builds bind-mount their own
	for flavor in debootstrap official slim; do
		local fr="$TMP/rootfs-$flavor"
		cp -a "$r" "$fr"
		case "$flavor" in
			official) debuerreotype-minimizing-config "$fr" ;;
			slim) debuerreotype-minimizing-config "$fr"; debuerreotype-slimify "$fr" >/dev/null ;;
		esac
		debuerreotype-tar "$fr" "$TMP/$SUITE-$flavor.tar"
		mv "$TMP/$SUITE-$flavor.tar" "$BASE_DIR/$SUITE-$flavor.tar"
		rm -rf "$fr"
	done
	rm -rf "$r"
	t1=$(date +%s)
	log "rootfs tarballs built in $((t1 - t0)) s: $(cd "$BASE_DIR" && du -b "$SUITE"-*.tar | tr '\n\t' '  ')"
}

import_base() { # $1 flavor, then tags
	local flavor="$1"; shift
	local tarball="$BASE_DIR/$SUITE-$flavor.tar" first="$1" tag
	log "importing $tarball as $*"
	"${PODMAN[@]}" import -q \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' \
		--message "measure_image.sh $SUITE $flavor base (debootstrap minbase, mirror $MIRROR)" \
		"$tarball" "$first" >/dev/null
	shift
	for tag in "$@"; do "${PODMAN[@]}" tag "$first" "$tag"; done
}

ensure_bases() {
	local v; v="$(suite_version)"
	local off=("localhost/debian:$SUITE" "docker.io/library/debian:$SUITE")
	local slim=("localhost/debian:$SUITE-slim" "docker.io/library/debian:$SUITE-slim")
	[ -n "$v" ] && off+=("docker.io/library/debian:$v") && slim+=("docker.io/library/debian:$v-slim")
	local raw=("localhost/debian:$SUITE-debootstrap")
	local missing=0 x
	for x in "${off[0]}" "${slim[0]}" "${raw[0]}"; do image_exists "$x" || missing=1; done
	[ "$missing" = 0 ] && return 0
	if [ ! -s "$BASE_DIR/$SUITE-official.tar" ] || [ ! -s "$BASE_DIR/$SUITE-slim.tar" ] \
		|| [ ! -s "$BASE_DIR/$SUITE-debootstrap.tar" ]; then
		build_rootfs_tarballs
	fi
	image_exists "${off[0]}" || import_base official "${off[@]}"
	image_exists "${slim[0]}" || import_base slim "${slim[@]}"
	image_exists "${raw[0]}" || import_base debootstrap "${raw[@]}"
}

"${BUILDAH[@]}" rm --all >/dev/null 2>&1 || :   # stale working containers (see cleanup)
ensure_bases
if [ "$ENSURE_ONLY" = 1 ]; then
	"${PODMAN[@]}" images --filter reference='*/debian' >&2
	exit 0
fi

# ---------------------------------------------------------------- build
name="$(basename "$(dirname "$DOCKERFILE")")"
[ "$(basename "$DOCKERFILE")" != Dockerfile ] && name="$name-$(basename "$DOCKERFILE")"
name="$(tr 'A-Z' 'a-z' <<<"$name" | tr -c 'a-z0-9_.\n-' '-' | sed 's/^[-.]*//')"
name="${name:-image}"
TAG="${TAG:-localhost/measure/$name:latest}"
LOGFILE="${LOGFILE:-$LOG_DIR/$name.log}"
mkdir -p "$(dirname "$LOGFILE")"

BUD=(bud --isolation chroot --pull=never --force-rm --iidfile "$TMP/iid" -t "$TAG" -f "$DOCKERFILE")
[ "$LAYERS" = 1 ] && BUD+=(--layers) || BUD+=(--layers=false)
[ "$NOCACHE" = 1 ] && BUD+=(--no-cache)
[ "$SQUASH" = 1 ] && BUD+=(--squash)
CADIR=/usr/local/share/ca-certificates
if [ "$HOSTCA" = 1 ] && compgen -G "$CADIR/*.crt" >/dev/null; then
	BUD+=(-v "$CADIR:$CADIR:ro")
else
	HOSTCA=0
fi
BUD+=("${EXTRA[@]}" "$CONTEXT")

log "building $DOCKERFILE (context $CONTEXT) as $TAG; log: $LOGFILE"
t0=$(date +%s.%N)
set +e
BUILDAH_ISOLATION=chroot "${BUILDAH[@]}" "${BUD[@]}" >"$LOGFILE" 2>&1
rc=$?
set -e
t1=$(date +%s.%N)
build_s="$(python3 -c "print(round($t1-$t0,2))")"
if [ "$rc" != 0 ]; then
	tail -n 25 "$LOGFILE" >&2
	python3 -c 'import json,sys; print(json.dumps({"record":"error","dockerfile":sys.argv[1],"image":sys.argv[2],"exit_code":int(sys.argv[3]),"build_seconds":float(sys.argv[4]),"log":sys.argv[5]}))' \
		"$DOCKERFILE" "$TAG" "$rc" "$build_s" "$LOGFILE"
	exit 1
fi
log "build ok in ${build_s}s; exporting with gzip compression to measure ..."

# ---------------------------------------------------------------- measure
t2=$(date +%s.%N)
skopeo copy -q --dest-compress --dest-compress-format gzip \
	"$STORE_SPEC$TAG" "oci:$TMP/oci:img" >"$TMP/skopeo.log" 2>&1 \
	|| { cat "$TMP/skopeo.log" >&2; die "skopeo copy failed"; }
"${PODMAN[@]}" image inspect "$TAG" >"$TMP/inspect.json"
base_name="$(python3 - "$TMP/oci" <<-'EOF'
	import json, sys, os
	d = sys.argv[1]
	idx = json.load(open(os.path.join(d, "index.json")))
	m = json.load(open(os.path.join(d, "blobs", *idx["manifests"][0]["digest"].split(":"))))
	print(m.get("annotations", {}).get("org.opencontainers.image.base.name", ""))
	EOF
)"
if [ -n "$base_name" ] && image_exists "$base_name"; then
	"${PODMAN[@]}" image inspect "$base_name" >"$TMP/base_inspect.json"
else
	echo '[]' >"$TMP/base_inspect.json"
fi

python3 - "$TMP/oci" "$TMP/inspect.json" "$TMP/base_inspect.json" "$TAG" "$DOCKERFILE" \
	"$CONTEXT" "$build_s" "$t2" "$DRIVER" "$LAYERS$SQUASH" "$TOP" "$base_name" \
	"$(grep -c -- '^--> Using cache' "$LOGFILE" || true)" "$HOSTCA" <<-'EOF'
	import json, sys, os, gzip, tarfile, time, heapq
	(oci, insp, binsp, tag, dockerfile, context, build_s, t2, driver, mode, top,
	 base_name, cached, hostca) = sys.argv[1:15]
	top = int(top)
	blob = lambda dg: os.path.join(oci, "blobs", *dg.split(":"))
	idx = json.load(open(os.path.join(oci, "index.json")))
	man = json.load(open(blob(idx["manifests"][0]["digest"])))
	cfg = json.load(open(blob(man["config"]["digest"])))
	insp = json.load(open(insp))[0]
	binsp = json.load(open(binsp))
	base_diff_ids = binsp[0]["RootFS"]["Layers"] if binsp else []
	diff_ids = cfg["rootfs"]["diff_ids"]
	nbase = len(base_diff_ids) if diff_ids[:len(base_diff_ids)] == base_diff_ids else 0
	hist = [h for h in cfg.get("history", []) if not h.get("empty_layer")]
	if len(hist) != len(man["layers"]):
	    hist = [{}] * len(man["layers"])   # history does not line up; report without it

	class Counter:
	    def __init__(self, f): self.f, self.n = f, 0
	    def read(self, k=-1):
	        b = self.f.read(k); self.n += len(b); return b

	def analyse(path):
	    with open(path, "rb") as raw:
	        c = Counter(gzip.GzipFile(fileobj=raw))
	        files = wh = content = 0
	        biggest = []
	        with tarfile.open(fileobj=c, mode="r|") as t:
	            for ti in t:
	                files += 1
	                base = os.path.basename(ti.name)
	                if base.startswith(".wh."):
	                    wh += 1
	                if ti.isreg():
	                    content += ti.size
	                    if top:
	                        item = (ti.size, ti.name)
	                        if len(biggest) < top: heapq.heappush(biggest, item)
	                        else: heapq.heappushpop(biggest, item)
	        while c.read(1 << 20):   # drain tar end-of-archive padding
	            pass
	    return c.n, content, files, wh, sorted(biggest, reverse=True)

	recs = []
	for i, (L, h) in enumerate(zip(man["layers"], hist)):
	    size, content, files, wh, biggest = analyse(blob(L["digest"]))
	    r = {"record": "layer", "image": tag, "index": i,
	         "created_by": h.get("created_by", ""), "from_base": i < nbase,
	         "diff_id": diff_ids[i], "size": size, "gzip_size": L["size"],
	         "content_bytes": content, "files": files, "whiteouts": wh}
	    if top:
	        r["top"] = [[n, s] for s, n in biggest]
	    recs.append(r)
	for r in recs:
	    print(json.dumps(r))
	S = lambda k, sel: sum(r[k] for r in recs if sel(r))
	allr, baser, addr = (lambda r: True), (lambda r: r["from_base"]), (lambda r: not r["from_base"])
	print(json.dumps({
	    "record": "image", "image": tag, "image_id": insp["Id"],
	    "dockerfile": dockerfile, "context": context, "layers": len(recs),
	    "size": S("size", allr), "gzip_size": S("gzip_size", allr),
	    "content_bytes": S("content_bytes", allr), "podman_size": insp.get("Size"),
	    "base_image": base_name, "base_layers": nbase,
	    "base_size": S("size", baser), "base_gzip_size": S("gzip_size", baser),
	    "added_size": S("size", addr), "added_gzip_size": S("gzip_size", addr),
	    "added_content_bytes": S("content_bytes", addr),
	    "build_seconds": float(build_s), "cached_steps": int(cached or 0),
	    "measure_seconds": round(time.time() - float(t2), 2),
	    "storage_driver": driver, "isolation": "chroot", "host_ca": hostca == "1",
	    "layers_mode": {"10": "layers", "11": "layers+squash", "00": "single-layer(buildah default)",
	                    "01": "squash"}.get(mode, mode)}))
	EOF

# ---------------------------------------------------------------- tidy up
if [ "$KEEP" = 0 ]; then
	# drop the tag; the image itself stays as an untagged layer-cache entry (like all
	# intermediate --layers images) so re-measuring is fast. --prune removes them.
	"${PODMAN[@]}" untag "$TAG" "$TAG" >/dev/null 2>&1 || :
fi
if [ "$PRUNE" = 1 ]; then
	"${PODMAN[@]}" image prune -f >/dev/null 2>&1 || :
fi
log "done"
