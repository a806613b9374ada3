#!/usr/bin/env bash
# Builds the CareCast container images with podman, from Debian 12 and the suite's
# own build, without any registry and without RUN steps (they fail on rlimits here):
#   1. finds the shared libraries the built binaries load (ldd) and the Debian
#      runtime packages that ship them (dpkg -S);
#   2. makes a Debian 12 tree with debootstrap (minbase) and installs exactly those
#      runtime packages (+ ca-certificates, tzdata) in it with apt in a chroot
#      (cached in $CARECAST_IMAGE_CACHE, keyed by the package list);
#   3. copies from that tree only the libraries, certificates, time zones and
#      copyright files into rootfs/, adds a non-root user (65532), and builds
#      localhost/carecast/base FROM scratch with COPY;
#   4. builds one image per service and carecastctl on that base with COPY.
# usage: scripts/build-images.sh
#   Binaries from build/release (preset "release": no tests, no fault points),
#   configured and brought up to date first; CARECAST_BIN_DIR=<build dir> uses an
#   existing build instead, as is (the ops test passes its own test build).
# Needs root (debootstrap, chroot), podman, runc, debootstrap and the Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BIN_DIR=${CARECAST_BIN_DIR:-$ROOT/build/release}
TAG=${CARECAST_IMAGE_TAG:-$(awk '/^appVersion:/ {gsub(/"/, "", $2); print $2}' charts/carecast/Chart.yaml)}
CACHE=${CARECAST_IMAGE_CACHE:-/var/tmp/carecast-image-cache}
WORK=${CARECAST_IMAGE_WORK:-$ROOT/build/images}
SUITE=bookworm
export CONTAINERS_CONF=$ROOT/deploy/images/containers.conf

declare -A BINARIES=(
  [planner]=services/planner/carecast-planner
  [publisher]=services/publisher/carecast-publisher
  [listener]=services/listener/carecast-listener
  [metrics]=services/metrics/carecast-metrics
  [carecastctl]=tools/carecastctl/carecastctl
)
IMAGES=(planner publisher listener metrics carecastctl)

say() { printf 'build-images: %s\n' "$*"; }
die() { printf 'build-images: %s\n' "$*" >&2; exit 1; }

for tool in podman debootstrap ldd dpkg-query chroot strip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install podman runc debootstrap binutils)"
done
[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap and chroot)"

# --- 0. the release build (unless CARECAST_BIN_DIR names another) ----------------------
if [[ -z ${CARECAST_BIN_DIR:-} ]]; then
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}" CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
  [[ -f $BIN_DIR/build.ninja ]] || cmake --preset release >/dev/null || die "cannot configure build/release"
  say "building the release binaries in build/release (ccache keeps this short after the first time)"
  cmake --build --preset release -j"${CARECAST_BUILD_JOBS:-2}" >/dev/null || die "the release build failed (cmake --build --preset release shows why)"
fi

# --- 1. binaries, their libraries, and the packages that ship them --------------------
declare -A LIBS=()
for name in "${IMAGES[@]}"; do
  bin="$BIN_DIR/${BINARIES[$name]}"
  [[ -x "$bin" ]] || die "$bin is missing: build first (cmake --build --preset release, or CARECAST_BIN_DIR=...)"
  # Fault points read CARECAST_FAULT_AT; a binary that names it is a test build.
  grep -q CARECAST_FAULT_AT "$bin" && say "warning: $bin carries fault points (a test build); production images come from build/release"
  while read -r lib; do LIBS[$lib]=1; done < <(
    ldd "$bin" | awk '/not found/ { print "MISSING " $1; next }
                      /=> \// { print $3; next }
                      /^[ \t]*\// { print $1 }')
done
for lib in "${!LIBS[@]}"; do [[ $lib == MISSING* ]] && die "${lib#MISSING } (a library of the binaries) is not found on this machine"; done

owner_package() {  # path -> Debian package (tries the merged-/usr aliases dpkg may have recorded)
  local p=$1 real alt out
  real=$(readlink -f "$p")
  for alt in "$p" "$real" "${p#/usr}" "${real#/usr}" "/usr$p" "/usr$real"; do
    out=$(dpkg-query -S "$alt" 2>/dev/null | head -1 | cut -d: -f1) && [[ -n $out ]] && { echo "$out"; return 0; }
  done
  return 1
}
PKGS=(ca-certificates tzdata)
for lib in "${!LIBS[@]}"; do
  pkg=$(owner_package "$lib") || die "no Debian package owns $lib"
  PKGS+=("$pkg")
done
mapfile -t PKGS < <(printf '%s\n' "${PKGS[@]}" | sort -u)
say "${#LIBS[@]} shared libraries from ${#PKGS[@]} runtime packages: ${PKGS[*]}"

# --- 2. Debian 12 tree with the runtime packages (cached) ------------------------------
mirror() {  # the machine's own Debian mirror (never written into the repo)
  if [[ -n "${CARECAST_DEBIAN_MIRROR:-}" ]]; then echo "$CARECAST_DEBIAN_MIRROR"; return; fi
  local f=/etc/apt/sources.list.d/debian.sources
  if [[ -f $f ]]; then awk '/^URIs:/ { print $2; exit }' "$f"; return; fi
  awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list
}
mkdir -p "$CACHE"
MINBASE="$CACHE/$SUITE-minbase"
if [[ ! -f "$MINBASE/.complete" ]]; then
  say "debootstrap --variant=minbase $SUITE (first time only; a few minutes)"
  rm -rf "$MINBASE.tmp"
  debootstrap --variant=minbase "$SUITE" "$MINBASE.tmp" "$(mirror)" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log"; die "debootstrap failed"; }
  rm -rf "$MINBASE"; mv "$MINBASE.tmp" "$MINBASE"; touch "$MINBASE/.complete"
fi

KEY=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-16)
RUNTIME="$CACHE/$SUITE-runtime-$KEY"
if [[ ! -f "$RUNTIME/.complete" ]]; then
  say "installing the runtime packages into a copy of the Debian tree"
  rm -rf "$RUNTIME.tmp"; cp -a "$MINBASE" "$RUNTIME.tmp"; rm -f "$RUNTIME.tmp/.complete"
  # The machine's apt sources (release, updates, security) so the tree gets the same versions.
  cp /etc/apt/sources.list.d/debian.sources "$RUNTIME.tmp/etc/apt/sources.list.d/" 2>/dev/null || true
  [[ -f /etc/apt/sources.list ]] && cp /etc/apt/sources.list "$RUNTIME.tmp/etc/apt/sources.list"
  cp /etc/resolv.conf "$RUNTIME.tmp/etc/resolv.conf"
  in_tree() { chroot "$RUNTIME.tmp" env DEBIAN_FRONTEND=noninteractive LANG=C "$@"; }
  { in_tree apt-get update -qq &&
    in_tree apt-get -y -qq upgrade &&
    in_tree apt-get -y -qq install --no-install-recommends "${PKGS[@]}" &&
    in_tree apt-get clean; } >"$CACHE/apt-$KEY.log" 2>&1 || { tail -30 "$CACHE/apt-$KEY.log"; die "apt in the tree failed"; }
  in_tree dpkg-query -W -f '${Package}=${Version}\n' "${PKGS[@]}" > "$RUNTIME.tmp/.runtime-packages"
  rm -rf "$RUNTIME"; mv "$RUNTIME.tmp" "$RUNTIME"; touch "$RUNTIME/.complete"
  # Trees for earlier package sets are no longer needed.
  for old in "$CACHE/$SUITE"-runtime-*; do
    [[ $old == "$RUNTIME" || ! -d $old ]] || rm -rf "$old"
  done
fi

# --- 3. the base rootfs: only what the binaries load ------------------------------------
CTX="$WORK/base"
rm -rf "$CTX"; mkdir -p "$CTX/rootfs"
R="$CTX/rootfs"
copy_from_tree() {  # absolute path in the tree -> same path in rootfs (symlinks resolved)
  local p=$1
  [[ -e "$RUNTIME$p" ]] || die "$p is not provided by the runtime packages"
  mkdir -p "$R$(dirname "$p")"
  cp -L "$RUNTIME$p" "$R$p"
}
for lib in "${!LIBS[@]}"; do copy_from_tree "$lib"; done
mkdir -p "$R/etc/ssl/certs" "$R/usr/share" "$R/usr/share/doc" "$R/usr/local/bin" "$R/tmp" \
         "$R/var/lib/carecast/sandbox" "$R/usr/share/carecast"
cp -L "$RUNTIME/etc/ssl/certs/ca-certificates.crt" "$R/etc/ssl/certs/"
cp -a "$RUNTIME/usr/share/zoneinfo" "$R/usr/share/"
while IFS='=' read -r pkg _; do
  [[ -f "$RUNTIME/usr/share/doc/$pkg/copyright" ]] || continue
  mkdir -p "$R/usr/share/doc/$pkg"; cp -L "$RUNTIME/usr/share/doc/$pkg/copyright" "$R/usr/share/doc/$pkg/"
done < "$RUNTIME/.runtime-packages"
cp "$RUNTIME/.runtime-packages" "$R/usr/share/carecast/runtime-packages.txt"
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
carecast:x:65532:65532:CareCast:/var/lib/carecast:/usr/sbin/nologin
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
carecast:x:65532:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$R/etc/nsswitch.conf"
chmod 1777 "$R/tmp"
chown -R 65532:65532 "$R/var/lib/carecast"
cp deploy/images/base.Containerfile "$CTX/Containerfile"

say "building localhost/carecast/base:$TAG"
podman build -q -t "localhost/carecast/base:$TAG" -t localhost/carecast/base:latest -f "$CTX/Containerfile" "$CTX" >/dev/null

# --- 4. one image per binary --------------------------------------------------------------
for name in "${IMAGES[@]}"; do
  ctx="$WORK/$name"
  rm -rf "$ctx"; mkdir -p "$ctx"
  bin="$BIN_DIR/${BINARIES[$name]}"
  strip --strip-debug -o "$ctx/$(basename "$bin")" "$bin"
  cp "deploy/images/$name.Containerfile" "$ctx/Containerfile"
  say "building localhost/carecast/$name:$TAG"
  podman build -q --build-arg "BASE_IMAGE=localhost/carecast/base:$TAG" --build-arg "VERSION=$TAG" \
    -t "localhost/carecast/$name:$TAG" -t "localhost/carecast/$name:latest" -f "$ctx/Containerfile" "$ctx" >/dev/null
done
podman image prune -f >/dev/null 2>&1 || true   # earlier builds' untagged layers
podman images --filter reference='localhost/carecast/*' --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep ":$TAG " | sort
say "done"
