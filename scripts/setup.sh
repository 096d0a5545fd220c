#!/usr/bin/env bash
# Installs the toolchain pieces the build and tests need, skipping what is already there:
# rustfmt, clippy, the wasm32-unknown-unknown target, binaryen's wasm-opt (npm, pinned in
# scripts/package-lock.json), cosmwasm-check, CometBFT (go install, pinned) and the Cosmos .proto
# sources behind gRPC reflection (go mod download, pinned in node/tesserad/proto-deps.txt) and NVRTC
# for the provider runtime (pip wheel nvidia-cuda-nvrtc-cu12, pinned in lib.sh). Needs rustup,
# cargo, Go 1.22+, Node.js 18+ with npm, and Python 3 with pip.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust_component rustfmt
ensure_rust_component clippy
ensure_wasm_target
ensure_wasm_opt
ensure_cosmwasm_check
ensure_cometbft
ensure_proto_sources
ensure_nvrtc
log "toolchain ready: $(rustc --version); wasm-opt $("$WASM_OPT" --version | awk '{print $3}'); $(cosmwasm-check --version); cometbft $(cometbft version); NVRTC in $TESSERA_NVRTC_DIR"
