#!/usr/bin/env bash
# Lints the C++ tree; exits non-zero on any finding.
#   1. clang-format --dry-run --Werror over every tracked *.cc / *.h (.clang-format).
#   2. clang-tidy (.clang-tidy) with build/ci/compile_commands.json over
#        - the translation units changed relative to a base: `git merge-base HEAD
#          origin/main` when origin/main exists, else HEAD~1 (the last commit), plus
#          uncommitted and untracked files; a changed header brings its own .cc;
#        - a small fixed set (TIDY_ALWAYS below), so every run checks each service.
#      clang-tidy 14 takes 5-35 s per file here: the whole tree does not fit in CI
#      (figures in docs/development.md).
#
#   scripts/lint.sh                  format check + clang-tidy on changed files + fixed set
#   scripts/lint.sh --all            clang-tidy on every translation unit (slow, ~25 min)
#   scripts/lint.sh --format-only    only the clang-format check
#   scripts/lint.sh FILE.cc ...      clang-tidy on the given files only (after the format check)
#   CARECAST_LINT_BASE=<rev>         compare against <rev> instead of the default base
#   CARECAST_LINT_JOBS=N             parallel clang-tidy processes (default 2)
#   CARECAST_LINT_MAX_CHANGED=N      check at most N changed files (default 30, about
#                                    5 min on 2 cores); the rest are named, not checked
# Needs clang-format and clang-tidy (Debian 12: 14) and a configured build/ci; the
# generated protobuf headers are built here if missing (cmake --build build/ci
# --target proto/all).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build/ci
jobs="${CARECAST_LINT_JOBS:-2}"
# One core of each service and the shared adapters most code goes through.
TIDY_ALWAYS=(
  services/planner/planner.cc
  services/publisher/publisher.cc
  services/listener/listener.cc
  services/metrics/metrics_service.cc
  services/common/bus/nats_connection.cc
  services/common/rpc/rpc_edge.cc
)

mode=changed
explicit=()
for arg in "$@"; do
  case "$arg" in
    --all) mode=all ;;
    --format-only) mode=format ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "lint: unknown option $arg" >&2; exit 2 ;;
    *) mode=files; explicit+=("$arg") ;;
  esac
done

for tool in clang-format clang-tidy; do
  command -v "$tool" >/dev/null || { echo "lint: $tool is missing (scripts/install-deps.sh --all)" >&2; exit 1; }
done

# --- 1. formatting -------------------------------------------------------------
start=$(date +%s)
mapfile -t sources < <(git ls-files '*.cc' '*.h')
echo "lint: clang-format check of ${#sources[@]} files"
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "lint: FAILED formatting; fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i" >&2
  exit 1
fi
[[ "$mode" == format ]] && { echo "lint: format OK"; exit 0; }

# --- 2. clang-tidy -------------------------------------------------------------
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake --preset ci >/dev/null
fi
# Generated headers (*.pb.h) must exist for the translation units to parse. Built
# only when absent: another build may be running in build/ci (scripts/test.sh
# lints right after its build, so they are current there).
if ! compgen -G "$BUILD_DIR/proto/carecast/v1/*.pb.h" >/dev/null; then
  cmake --build "$BUILD_DIR" --target proto/all >/dev/null
fi

# Translation units known to the compilation database (relative paths, no generated files).
mapfile -t db_files < <(python3 - "$BUILD_DIR/compile_commands.json" "$PWD" <<'EOF'
import json, sys
root = sys.argv[2].rstrip('/') + '/'
for entry in json.load(open(sys.argv[1])):
    f = entry['file']
    if f.startswith(root) and not f.startswith(root + 'build/'):
        print(f[len(root):])
EOF
)
declare -A in_db=()
for f in "${db_files[@]}"; do in_db["$f"]=1; done

candidates=()
case "$mode" in
  all) candidates=("${db_files[@]}") ;;
  files) candidates=("${explicit[@]}") ;;
  changed)
    base="${CARECAST_LINT_BASE:-}"
    if [[ -z "$base" ]]; then
      if git rev-parse -q --verify origin/main >/dev/null; then
        base=$(git merge-base HEAD origin/main)
      elif git rev-parse -q --verify HEAD~1 >/dev/null; then
        base=HEAD~1
      fi
    fi
    changed=()
    if [[ -n "$base" ]]; then
      mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- '*.cc' '*.h')
    fi
    mapfile -t -O "${#changed[@]}" changed < <(git ls-files --others --exclude-standard -- '*.cc' '*.h')
    echo "lint: ${#changed[@]} C++ files changed since ${base:-<no base>}"
    max="${CARECAST_LINT_MAX_CHANGED:-30}"
    declare -A picked=()
    skipped=()
    for f in "${changed[@]}"; do
      if [[ "$f" == *.h ]]; then f="${f%.h}.cc"; fi
      [[ -n "${in_db[$f]:-}" && -z "${picked[$f]:-}" ]] || continue
      if [[ ${#picked[@]} -lt $max ]]; then
        picked["$f"]=1
        candidates+=("$f")
      else
        skipped+=("$f")
      fi
    done
    if [[ ${#skipped[@]} -gt 0 ]]; then
      # A tree-wide change (reformatting, a rename) would take ~35 min of clang-tidy.
      echo "lint: NOTE ${#skipped[@]} more changed files exceed CARECAST_LINT_MAX_CHANGED=$max and are" \
        "NOT checked here: ${skipped[*]}; run scripts/lint.sh --all or name them" >&2
    fi
    candidates+=("${TIDY_ALWAYS[@]}")
    ;;
esac

# Keep files the build compiles (fuzz/ and bench/ may be absent from build/ci), once each.
declare -A seen=()
tidy_files=()
for f in "${candidates[@]}"; do
  if [[ -n "${in_db[$f]:-}" && -z "${seen[$f]:-}" ]]; then
    seen["$f"]=1
    tidy_files+=("$f")
  elif [[ "$mode" == files && -z "${in_db[$f]:-}" ]]; then
    echo "lint: $f is not in $BUILD_DIR/compile_commands.json; skipped" >&2
  fi
done

echo "lint: clang-tidy on ${#tidy_files[@]} files with $jobs jobs"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
if [[ ${#tidy_files[@]} -gt 0 ]]; then
  # Each file's findings go to its own log so parallel output does not interleave.
  printf '%s\n' "${tidy_files[@]}" | xargs -P "$jobs" -I{} sh -c \
    'log="$1/$(echo "$2" | tr / _).log"; if clang-tidy -p "$3" --quiet "$2" >"$log" 2>&1; then rm -f "$log"; fi' \
    _ "$out" {} "$BUILD_DIR" || true
  for log in "$out"/*.log; do
    [[ -e "$log" ]] || continue
    status=1
    grep -v ' warnings\? generated\.$' "$log" >&2 || true
  done
fi
if [[ $status -ne 0 ]]; then
  echo "lint: FAILED clang-tidy (findings above; see .clang-tidy and docs/development.md)" >&2
  exit 1
fi
echo "lint: OK in $(( $(date +%s) - start )) s"
