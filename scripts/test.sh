#!/usr/bin/env bash
# The project's test command, run by CI (.ci/run) and by developers before pushing:
# format, lints, module import loops, contract wasm build + checks, schema drift, the workspace
# tests, then the end-to-end tests against a real `tesserad start --dev` (e2e/run.sh).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# A target dir outside the checkout: CI starts from a fresh clone each run, and on a shared
# machine the next run (and a developer's own builds) then reuse the compiled dependencies
# instead of rebuilding the whole workspace. An explicit CARGO_TARGET_DIR wins.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
# CI builds each clone once: incremental data (tens of GiB after a few runs in a shared target
# dir) would never be reused.
if [[ "${CI:-}" == "true" ]]; then export CARGO_INCREMENTAL=0; fi
cd -- "$ROOT"

STEPS=(setup fmt clippy modules contracts schemas test e2e)
declare -A took=()
current=""
t0=$SECONDS

summary() {
  local rc=$? step
  echo
  echo "==== summary ===="
  for step in "${STEPS[@]}"; do
    if [[ -n "${took[$step]:-}" ]]; then
      printf '  %-10s ok      %s\n' "$step" "$(fmt_duration "${took[$step]}")"
    elif [[ "$step" == "$current" ]]; then
      printf '  %-10s FAILED  %s\n' "$step" "$(fmt_duration $((SECONDS - step_start)))"
    fi
  done
  printf '  %-10s %-7s %s\n' total "$( ((rc == 0)) && echo ok || echo FAILED)" "$(fmt_duration $((SECONDS - t0)))"
}
trap summary EXIT

step_start=$SECONDS
# step <name> <command...>: runs one section with a header and records its time.
step() {
  local name=$1 i
  shift
  for i in "${!STEPS[@]}"; do [[ "${STEPS[$i]}" == "$name" ]] && break; done
  current=$name
  step_start=$SECONDS
  echo
  echo "==== [$((i + 1))/${#STEPS[@]}] $name: $* ===="
  "$@"
  took[$name]=$((SECONDS - step_start))
}

check_schemas() {
  "$SCRIPTS_DIR/schema.sh"
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    warn "not a git checkout: cannot compare schemas with the committed ones, skipped"
    return 0
  fi
  # Modified, deleted and new (untracked) schema files all count as drift.
  local drift
  drift="$(git status --porcelain --untracked-files=all -- ':(glob)contracts/*/schema/**')"
  if [[ -n "$drift" ]]; then
    printf '%s\n' "$drift" >&2
    git --no-pager diff --stat -- ':(glob)contracts/*/schema/**' >&2
    die "schemas drifted: run scripts/schema.sh and commit"
  fi
  log "schemas match the committed ones"
}

# No module of a crate imports one that imports it back (scripts/check-module-graph.sh), in
# every package of the workspace.
check_module_graphs() {
  local dir failed=0
  while IFS= read -r dir; do
    [[ -d "$dir/src" ]] || continue
    if ! "$SCRIPTS_DIR/check-module-graph.sh" "$dir/src" >/dev/null; then
      "$SCRIPTS_DIR/check-module-graph.sh" "$dir/src" | grep LOOP >&2 || true
      failed=1
    fi
  done < <(cargo metadata --no-deps --format-version 1 --locked |
    node -e 'let j="";process.stdin.on("data",d=>j+=d).on("end",()=>{for(const p of JSON.parse(j).packages)console.log(require("path").dirname(p.manifest_path))})')
  ((failed == 0)) || die "module import loops (above): make the dependency run one way"
  log "no module imports one that imports it back"
}

step setup "$SCRIPTS_DIR/setup.sh"
# setup.sh ran in a child shell: name NVRTC's directory here for tessera-runtime's tests (an
# explicit TESSERA_NVRTC_DIR wins; empty when missing, which fails those tests under CI=true).
TESSERA_NVRTC_DIR="${TESSERA_NVRTC_DIR:-$(nvrtc_dir || true)}"
export TESSERA_NVRTC_DIR
step fmt cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets --locked -- -D warnings
step modules check_module_graphs
step contracts "$SCRIPTS_DIR/build-contracts.sh"
step schemas check_schemas
# The CLI's end-to-end tests spawn tesserad and tessera-provider from the target dir, and
# `cargo test` builds another package's binaries only when that package has integration tests:
# build them all first so a fresh machine does not depend on what an earlier build left there.
run_tests() {
  cargo build --workspace --bins --locked
  cargo test --workspace --locked
  # The CUDA kernels against their CPU references: only where there is a GPU. Elsewhere the
  # test stays ignored (cargo lists it so), and this says so rather than counting it passed.
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
    cargo test -p tessera-runtime --test runtime --locked -- --ignored
  else
    warn "SKIP: no GPU (nvidia-smi finds none): cuda_backend_equals_cpu_backend_bit_for_bit did not run"
  fi
}

step test run_tests
step e2e "$ROOT/e2e/run.sh"
