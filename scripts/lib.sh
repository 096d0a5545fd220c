# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it, don't run it:
#   source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# Every ensure_* function is idempotent: it installs only what is missing or at the wrong version.

# Versions the build depends on. The wasm-opt (binaryen) version is pinned in scripts/package.json
# and scripts/package-lock.json instead, so that `npm ci` can install it.
# cosmwasm-check must match the host's cosmwasm-vm (=3.0.10, see the workspace Cargo.toml).
COSMWASM_CHECK_VERSION=3.0.10
# The consensus engine tesserad runs under (ABCI 2.0); keep in step with COMETBFT_VERSION in
# node/tesserad/src/node/cometbft.rs. v0.38.0-v0.38.4 are retracted.
COMETBFT_VERSION=v0.38.26
WASM_TARGET=wasm32-unknown-unknown
# NVRTC (CUDA C -> PTX at run time) for the provider runtime, from NVIDIA's PyPI wheel: no GPU and
# no CUDA toolkit needed. Its major version must match cudarc's `cuda-12090` feature (workspace
# Cargo.toml) and should not be newer than the oldest driver providers run.
NVRTC_WHEEL_VERSION=12.9.86

SCRIPTS_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd -- "$SCRIPTS_DIR/.." && pwd)"
WASM_OPT="$SCRIPTS_DIR/node_modules/.bin/wasm-opt"
WASM_DIS="$SCRIPTS_DIR/node_modules/.bin/wasm-dis"

# `cargo install` puts binaries here; a CI shell may not have it on PATH yet.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in
  *":$CARGO_BIN:"*) ;;
  *) PATH="$CARGO_BIN:$PATH" ;;
esac
export PATH

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH${2:+ ($2)}"
}

# ensure_rust_component rustfmt|clippy
ensure_rust_component() {
  local component=$1 probe
  case $component in
    rustfmt) probe=(cargo fmt --version) ;;
    clippy) probe=(cargo clippy --version) ;;
    *) die "ensure_rust_component: unknown component $component" ;;
  esac
  "${probe[@]}" >/dev/null 2>&1 && return 0
  need_cmd rustup "install the Rust component '$component' by hand"
  log "installing Rust component $component"
  rustup component add "$component"
}

ensure_wasm_target() {
  need_cmd rustc "install Rust with rustup: https://rustup.rs"
  # The sysroot check also covers toolchains that were not installed with rustup.
  if [[ -d "$(rustc --print sysroot)/lib/rustlib/$WASM_TARGET" ]]; then
    return 0
  fi
  need_cmd rustup "install the Rust target $WASM_TARGET by hand"
  log "installing Rust target $WASM_TARGET"
  rustup target add "$WASM_TARGET"
}

# binaryen's wasm-opt from npm, into scripts/node_modules. A stamp (a copy of the lockfile taken
# after a successful `npm ci`) tells whether node_modules is current, so the common case costs
# no npm call at all.
ensure_wasm_opt() {
  local stamp="$SCRIPTS_DIR/node_modules/.tessera-lock"
  if [[ -x "$WASM_OPT" && -x "$WASM_DIS" ]] && cmp -s "$SCRIPTS_DIR/package-lock.json" "$stamp"; then
    return 0
  fi
  need_cmd node "Node.js 18+ runs binaryen's wasm-opt"
  need_cmd npm "npm installs binaryen's wasm-opt"
  log "installing binaryen (wasm-opt) from scripts/package-lock.json"
  (cd -- "$SCRIPTS_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  [[ -x "$WASM_OPT" && -x "$WASM_DIS" ]] || die "npm ci did not install $WASM_OPT and $WASM_DIS"
  cp -- "$SCRIPTS_DIR/package-lock.json" "$stamp"
}

cosmwasm_check_is_current() {
  command -v cosmwasm-check >/dev/null 2>&1 &&
    [[ "$(cosmwasm-check --version 2>/dev/null)" == *" $COSMWASM_CHECK_VERSION" ]]
}

# cosmwasm-check runs the same static checks as the node's cosmwasm-vm. Its install compiles
# wasmer (about 5 minutes on 2 cores), in a target dir of its own so that it neither pollutes the
# workspace's target dir nor is thrown away (a rerun after a version bump reuses most of it).
ensure_cosmwasm_check() {
  cosmwasm_check_is_current && return 0
  need_cmd cargo
  log "installing cosmwasm-check $COSMWASM_CHECK_VERSION (takes a few minutes)"
  CARGO_TARGET_DIR="${TESSERA_INSTALL_TARGET_DIR:-$HOME/.cache/tessera/install-target}" \
    cargo install cosmwasm-check --version "=$COSMWASM_CHECK_VERSION" --locked --force
  cosmwasm_check_is_current ||
    die "cosmwasm-check $COSMWASM_CHECK_VERSION was installed but '$(command -v cosmwasm-check)' reports '$(cosmwasm-check --version 2>&1)'"
}

# Prints the directory holding libnvrtc.so.12 from the nvidia-cuda-nvrtc-cu12 wheel, as the
# python3 on PATH sees it; fails when it is not installed.
nvrtc_dir() {
  python3 -c '
import os, sys
try:
    import nvidia.cuda_nvrtc as m
except ImportError:
    sys.exit(1)
d = os.path.join(list(m.__path__)[0], "lib")
if not os.path.exists(os.path.join(d, "libnvrtc.so.12")):
    sys.exit(1)
print(d)' 2>/dev/null
}

nvrtc_is_current() {
  [[ "$(python3 -m pip show nvidia-cuda-nvrtc-cu12 2>/dev/null | awk '/^Version:/ { print $2 }')" == "$NVRTC_WHEEL_VERSION" ]] &&
    nvrtc_dir >/dev/null
}

# NVRTC for tessera-runtime's tests (every .cu compiles in the suite; under CI=true a missing
# NVRTC fails them). Exports TESSERA_NVRTC_DIR, which the runtime and its tests load it from.
ensure_nvrtc() {
  need_cmd python3 "Python 3 with pip installs NVRTC (the wheel nvidia-cuda-nvrtc-cu12)"
  if ! nvrtc_is_current; then
    log "installing NVRTC: pip install nvidia-cuda-nvrtc-cu12==$NVRTC_WHEEL_VERSION (about 90 MB)"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
      "nvidia-cuda-nvrtc-cu12==$NVRTC_WHEEL_VERSION"
    nvrtc_is_current || die "pip installed nvidia-cuda-nvrtc-cu12 but python3 finds no libnvrtc.so.12 in it"
  fi
  TESSERA_NVRTC_DIR="$(nvrtc_dir)"
  export TESSERA_NVRTC_DIR
}

# Go installs binaries here; a CI shell may not have it on PATH yet.
go_bin_dir() {
  printf '%s/bin' "$(go env GOPATH)"
}

cometbft_is_current() {
  command -v cometbft >/dev/null 2>&1 && [[ "v$(cometbft version 2>/dev/null)" == "$COMETBFT_VERSION" ]]
}

# CometBFT from its Go module at the pinned release (a minute or two of download and build).
ensure_cometbft() {
  if command -v go >/dev/null 2>&1; then
    case ":$PATH:" in
      *":$(go_bin_dir):"*) ;;
      *) PATH="$(go_bin_dir):$PATH" ;;
    esac
    export PATH
  fi
  cometbft_is_current && return 0
  need_cmd go "Go 1.22+ builds CometBFT (go install github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION)"
  log "installing CometBFT $COMETBFT_VERSION with go install"
  go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
  cometbft_is_current || die "go install put '$(command -v cometbft)' on PATH, which reports '$(cometbft version 2>&1)'"
}

# The .proto sources behind tesserad's gRPC reflection (node/tesserad/proto-deps.txt), from their
# Go modules into Go's module cache, where node/tesserad/build.rs reads them. `go mod download`
# answers from the cache when they are there already.
ensure_proto_sources() {
  need_cmd go "Go fetches the Cosmos .proto sources (go mod download)"
  local modules
  modules=$(awk '!/^#/ && NF >= 2 { print $1 "@" $2 }' "$ROOT/node/tesserad/proto-deps.txt")
  # shellcheck disable=SC2086 # one module@version per word
  # Outside any Go module (the repository has no go.mod), module@version arguments need none.
  (cd -- "$ROOT" && go mod download $modules) ||
    die "go mod download of the .proto sources failed: $(tr '\n' ' ' <<<"$modules")"
}

# ensure_npm_deps DIR: `npm ci` in DIR when its lockfile changed since the last install.
ensure_npm_deps() {
  local dir=$1 stamp="$1/node_modules/.tessera-lock"
  if [[ -d "$dir/node_modules" ]] && cmp -s "$dir/package-lock.json" "$stamp"; then
    return 0
  fi
  need_cmd npm "npm installs the packages of $dir"
  log "installing npm packages of $dir"
  (cd -- "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp -- "$dir/package-lock.json" "$stamp"
}

# Prints one line per contract crate: "<package name> <directory name>", sorted by directory.
# A contract is a workspace member under contracts/ whose lib target is a cdylib; this leaves out
# contracts/api (a plain library) and picks up new contracts without editing this script.
list_contracts() {
  need_cmd node
  (cd -- "$ROOT" && cargo metadata --no-deps --format-version 1 --locked) |
    node -e '
      const path = require("path");
      const root = process.argv[1];
      let json = "";
      process.stdin.on("data", (d) => (json += d));
      process.stdin.on("end", () => {
        const rows = [];
        for (const pkg of JSON.parse(json).packages) {
          const dir = path.dirname(pkg.manifest_path);
          if (path.dirname(dir) !== path.join(root, "contracts")) continue;
          const lib = pkg.targets.find((t) => t.kind.includes("cdylib"));
          if (lib) rows.push([pkg.name, path.basename(dir)]);
        }
        rows.sort((a, b) => a[1].localeCompare(b[1]));
        for (const r of rows) console.log(r.join(" "));
      });
    ' "$ROOT"
}

# Where cargo writes build output: CARGO_TARGET_DIR, build.target-dir from a cargo config,
# or <root>/target by default. cargo metadata resolves all three.
cargo_target_dir() {
  (cd -- "$ROOT" && cargo metadata --no-deps --format-version 1 --locked) |
    node -e 'let j="";process.stdin.on("data",d=>j+=d).on("end",()=>console.log(JSON.parse(j).target_directory))'
}

# Seconds as "1m05s" / "42s".
fmt_duration() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# Builds the contracts the genesis deploys unless every artifact is there.
ensure_contracts() {
  local name
  for name in registry market governance referee; do
    [[ -f "$ROOT/artifacts/$name.wasm" ]] || { "$SCRIPTS_DIR/build-contracts.sh"; return; }
  done
}

# What running a node needs: the toolchain, CometBFT, the contracts (built when missing) and the
# release tesserad.
build_node() {
  "$SCRIPTS_DIR/setup.sh"
  ensure_cometbft
  ensure_contracts
  log "building tesserad (release)"
  (cd -- "$ROOT" && cargo build --release --locked -p tesserad --bin tesserad)
}
