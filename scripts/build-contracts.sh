#!/usr/bin/env bash
# Builds every contract under contracts/ into artifacts/<name>.wasm that cosmwasm-vm 3.0 accepts,
# checks each with cosmwasm-check and writes artifacts/checksums.txt.
#
#   scripts/build-contracts.sh              all contracts
#   scripts/build-contracts.sh registry     only the named ones (directory names under contracts/)
#
# Why the lowering: rustc 1.95 emits bulk-memory instructions (memory.copy/fill) for wasm32, even
# in the precompiled std, and cosmwasm-vm 3.0 rejects them. lower-memory-ops.py turns each into a
# call to a function of wasm/memory-ops.wat that moves 8 bytes a step (checked first by
# wasm/test-memory-ops.mjs); binaryen's own --llvm-memory-copy-fill-lowering moves one byte a step
# and makes a place_bid about 7 % slower. The contract goes through binaryen's text (wasm-dis),
# and wasm-opt then reads it with bulk memory disabled, so an instruction left over fails the build.
#
# Why -ocimfs 2000: binaryen inlines every function that has one caller, whatever its size, so
# a contract's `execute` entry point absorbs its handlers and can pass the VM's limit of 100
# locals per function. Functions over 2,000 bytes stay calls (same size, same gas within noise).
#
# Why -sp memory-packing: that pass splits the data into a segment per run of non-zero bytes
# (about 160 per contract) to leave out the zeros between them. The VM initializes every segment
# again for every instance, that is for every contract call, and its per-segment work costs more
# than copying the zeros: one segment saves about 15 µs a call (the market's params query 6 %,
# a place_bid 2.5 % faster, gas unchanged) for under 1 KB more wasm.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

ensure_wasm_target
ensure_wasm_opt
need_cmd python3 "Python 3 lowers the contracts' bulk-memory instructions"
ensure_cosmwasm_check

ARTIFACTS="$ROOT/artifacts"
target_dir="$(cargo_target_dir)"
contracts="$(list_contracts)"
[[ -n "$contracts" ]] || die "no contract crates (cdylib) found under $ROOT/contracts"

# Choose the contracts named on the command line, if any.
selected=()
while read -r pkg dir; do
  if (($# == 0)) || [[ " $* " == *" $dir "* ]]; then selected+=("$pkg $dir"); fi
done <<<"$contracts"
for want in "$@"; do
  grep -q " $want\$" <<<"$contracts" || die "unknown contract '$want'; known: $(cut -d' ' -f2 <<<"$contracts" | paste -sd' ')"
done

# Panic messages embed source paths; mapping the machine-specific prefixes away keeps home
# directories out of the artifacts and makes them comparable across machines. Set for the wasm
# target only, so host builds (and their cache) are untouched. An explicit RUSTFLAGS overrides it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:---remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo}"

mkdir -p -- "$ARTIFACTS"
log "$(node "$SCRIPTS_DIR/wasm/test-memory-ops.mjs")"
# The contracts' text (about 16 MB each) lives only while this script runs.
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
built=()
for entry in "${selected[@]}"; do
  pkg=${entry% *}
  name=${entry#* }
  start=$SECONDS
  log "building $name ($pkg)"
  # One cargo invocation per contract: with several -p in one call, cargo unifies features across
  # them, and a contract that depends on another with its `library` feature would strip that
  # contract's entry points.
  (cd -- "$ROOT" && cargo build --profile contract --target "$WASM_TARGET" -p "$pkg" --lib --locked)
  raw="$target_dir/$WASM_TARGET/contract/${pkg//-/_}.wasm"
  [[ -f "$raw" ]] || die "cargo did not produce $raw"

  out="$ARTIFACTS/$name.wasm"
  "$WASM_DIS" "$raw" -o "$work/$name.wat"
  log "$name: $(python3 "$SCRIPTS_DIR/lower-memory-ops.py" "$work/$name.wat" \
    "$SCRIPTS_DIR/wasm/memory-ops.wat" "$work/$name.lowered.wat") lowered to calls"
  "$WASM_OPT" -Os -ocimfs 2000 -sp memory-packing \
    --strip-debug --strip-producers --strip-target-features \
    --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    "$work/$name.lowered.wat" -o "$out.tmp"
  mv -f -- "$out.tmp" "$out"
  log "$name: $(fmt_duration $((SECONDS - start))), $(wc -c <"$raw") bytes from cargo, $(wc -c <"$out") after wasm-opt"
  built+=("$out")
done

# Rejects bulk-memory ops and anything else the VM would refuse (exports, imports, capabilities).
log "cosmwasm-check $(cosmwasm-check --version | awk '{print $NF}')"
cosmwasm-check "${built[@]}"

# The checksums cover the whole artifacts/ folder, so artifacts of contracts that no longer exist
# must go; on a partial build the others are kept.
if (($# == 0)); then
  declare -A fresh=()
  for f in "${built[@]}"; do fresh[$f]=1; done
  for f in "$ARTIFACTS"/*.wasm; do
    if [[ -e "$f" && -z "${fresh[$f]:-}" ]]; then
      log "removing stale $(basename -- "$f")"
      rm -f -- "$f"
    fi
  done
fi
(cd -- "$ARTIFACTS" && sha256sum -- *.wasm | LC_ALL=C sort -k2 >checksums.txt)

log "artifacts (bytes):"
(cd -- "$ARTIFACTS" && for f in *.wasm; do printf '  %-24s %9d\n' "$f" "$(wc -c <"$f")"; done) >&2
