#!/usr/bin/env bash
# Installs every Debian package CareCast needs to build, run and test, and the npm
# tools it uses. Idempotent: installs only what is missing. Needs root (or sudo).
#   scripts/install-deps.sh          build + run (compilers, libraries, nats, redis)
#   scripts/install-deps.sh --all    also what the full test suite uses (ops tooling)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_AND_BUILD=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl jq openssl
  procps iproute2
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libnats-dev libhiredis-dev prometheus-cpp-dev libabsl-dev libre2-dev libvectorscan-dev
  libutf8proc-dev libsimdjson-dev libcurl4-openssl-dev libical-dev libssl-dev
  libphonenumber-dev libcpp-httplib-dev nlohmann-json3-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nats-server redis-server
  faketime tzdata
)
TEST_EXTRA=(
  prometheus yamllint unzip podman runc debootstrap uidmap fuse-overlayfs slirp4netns
  clang libclang-rt-14-dev clang-format clang-tidy
  chromium qpdf poppler-utils
)

packages=("${RUNTIME_AND_BUILD[@]}")
if [[ "${1:-}" == "--all" ]]; then packages+=("${TEST_EXTRA[@]}"); fi

# Node.js and npm run the lint and packaging tools (buf, helm's npm layer). A
# machine may already have its own Node (not Debian's); only a bare one gets Debian's.
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/tmp/carecast-apt.log 2>&1 || { tail -30 /tmp/carecast-apt.log; exit 1; }
else
  echo "install-deps: all ${#packages[@]} Debian packages present"
fi

# npm tools go into .tools/ (gitignored): buf for proto lint; puppeteer-core drives
# Debian's chromium (it downloads no browser) for the weekly report page test
# (tests/e2e/report_page_check.mjs). Installed together: a --no-save install of
# one would prune the other.
NPM_TOOLS=(@bufbuild/buf puppeteer-core@24)
if [[ ! -x .tools/node_modules/.bin/buf || ! -f .tools/node_modules/puppeteer-core/package.json ]]; then
  echo "install-deps: installing ${NPM_TOOLS[*]} into .tools/"
  npm install --no-save --no-audit --no-fund --prefix .tools "${NPM_TOOLS[@]}" >/tmp/carecast-npm.log 2>&1 \
    || { tail -20 /tmp/carecast-npm.log; exit 1; }
fi
echo "install-deps: done"
