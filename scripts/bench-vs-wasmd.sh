#!/usr/bin/env bash
# tesserad beside the reference CosmWasm chain, wasmd, under the same public-RPC load: builds
# wasmd v0.61.0 from its Go module (once, into ~/.cache/tessera/wasmd-v0.61.0), starts a
# one-validator wasmd chain and then `tesserad start --dev`, each with 1 s blocks and a minimum
# gas price of 0.025, drives each with tessera-loadgen (bank sends from many senders) twice, as
# fast as the node takes them (committed tx/s, FinalizeBlock time per tx) and at a fixed offered
# rate (commit latency at the same load for both), and prints the reports and the ratios. Not
# part of CI: it takes minutes and needs the Go module proxy.
#
#   scripts/bench-vs-wasmd.sh                      32 senders × 500 sends, paced run at 1,000 tx/s
#   LOADGEN_SENDERS=64 LOADGEN_TXS_PER_SENDER=300 LOADGEN_RATE=800 scripts/bench-vs-wasmd.sh
#
# Both chains use the default RPC (26657), P2P (26656) and CometBFT metrics (26660) ports, one
# after the other: stop a dev chain on them first.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"

WASMD_VERSION=v0.61.0
# wasmd v0.61.0's go.mod pins a sonic that does not build with Go 1.26.
SONIC_VERSION=v1.15.5
WASMD_DIR="$HOME/.cache/tessera/wasmd-$WASMD_VERSION"
WASMD="$WASMD_DIR/wasmd"
SENDERS="${LOADGEN_SENDERS:-32}"
TXS="${LOADGEN_TXS_PER_SENDER:-500}"
WINDOW="${LOADGEN_WINDOW:-100}"
RATE="${LOADGEN_RATE:-1000}"
MNEMONIC="$(python3 -c 'import json,sys; print(next(a["mnemonic"] for a in json.load(open(sys.argv[1]))["accounts"] if a["name"] == "alice"))' "$ROOT/chain-config/dev-accounts.json")"

for port in 26656 26657 26660; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use: stop the node on it (a dev chain?) first"
  fi
done

build_wasmd() {
  [[ -x "$WASMD" ]] && return 0
  need_cmd go "Go builds wasmd"
  log "building wasmd $WASMD_VERSION (once; several minutes)"
  local dir
  dir="$(go mod download -json "github.com/CosmWasm/wasmd@$WASMD_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  rm -rf -- "$WASMD_DIR/src"
  mkdir -p -- "$WASMD_DIR"
  cp -r -- "$dir" "$WASMD_DIR/src"
  chmod -R u+w -- "$WASMD_DIR/src"
  (cd -- "$WASMD_DIR/src" && go get "github.com/bytedance/sonic@$SONIC_VERSION" && go build -o "$WASMD" ./cmd/wasmd)
}

build_node
build_wasmd
log "building tessera-loadgen (release)"
(cd -- "$ROOT" && cargo build --release --locked -p tessera-loadgen)
LOADGEN="$CARGO_TARGET_DIR/release/tessera-loadgen"

work="$(mktemp -d)"
node_pid=""
stop_node() {
  if [[ -n "$node_pid" ]]; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
    node_pid=""
  fi
  # tesserad --dev runs CometBFT as its child; make sure nothing holds the ports.
  pkill -f "cometbft start --home $work" 2>/dev/null || true
}
trap 'stop_node; rm -rf -- "$work"' EXIT

wait_for_height() {
  local want=$1 h=0
  for _ in $(seq 1 120); do
    h="$(curl -fsS http://127.0.0.1:26657/status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["sync_info"]["latest_block_height"])' 2>/dev/null || echo 0)"
    ((h >= want)) && return 0
    sleep 1
  done
  die "the node did not reach height $want (see $work/*.log)"
}

run_load() { # name, loadgen args...
  local name=$1
  shift
  log "load on $name: $SENDERS senders × $TXS sends${*:+ ($*)}"
  "$LOADGEN" --senders "$SENDERS" --txs-per-sender "$TXS" --window "$WINDOW" \
    --comet-metrics 127.0.0.1:26660 --funder-mnemonic "$MNEMONIC" --json "$@" | tee "$work/$name.out" >&2
  tail -n 1 "$work/$name.out" >"$work/$name.json"
}

# wasmd: one validator, the same block time and minimum gas price as the dev chain.
home="$work/wasmd"
"$WASMD" init bench --chain-id wasm-bench --home "$home" >/dev/null 2>&1
echo "$MNEMONIC" | "$WASMD" keys add alice --recover --keyring-backend test --home "$home" >/dev/null 2>&1
"$WASMD" genesis add-genesis-account alice 1000000000000000stake --keyring-backend test --home "$home"
"$WASMD" genesis gentx alice 1000000000stake --chain-id wasm-bench --keyring-backend test --home "$home" >/dev/null 2>&1
"$WASMD" genesis collect-gentxs --home "$home" >/dev/null 2>&1
sed -i -e 's/^timeout_commit = .*/timeout_commit = "1s"/' -e 's/^prometheus = .*/prometheus = true/' \
  -e 's/^prometheus_listen_addr = .*/prometheus_listen_addr = "127.0.0.1:26660"/' "$home/config/config.toml"
sed -i -e 's/^minimum-gas-prices = .*/minimum-gas-prices = "0.025stake"/' "$home/config/app.toml"
"$WASMD" start --home "$home" >"$work/wasmd.log" 2>&1 &
node_pid=$!
wait_for_height 2
wasmd_args=(--chain-id wasm-bench --prefix wasm --denom stake --gas-price 0.025)
run_load wasmd "${wasmd_args[@]}"
run_load wasmd-paced --rate "$RATE" "${wasmd_args[@]}"
stop_node

# tesserad --dev.
"$CARGO_TARGET_DIR/release/tesserad" init --dev --home "$work/tesserad" --artifacts "$ROOT/artifacts" >"$work/tesserad-init.log" 2>&1
"$CARGO_TARGET_DIR/release/tesserad" start --dev --home "$work/tesserad" >"$work/tesserad.log" 2>&1 &
node_pid=$!
wait_for_height 2
run_load tesserad
run_load tesserad-paced --rate "$RATE"
stop_node

python3 - "$work/wasmd.json" "$work/tesserad.json" "$work/wasmd-paced.json" "$work/tesserad-paced.json" <<'PY'
import json, sys
w, t, wp, tp = (json.load(open(p)) for p in sys.argv[1:5])
def row(name, key, fmt, better, paced=False):
    a, b = (wp, tp) if paced else (w, t)
    a, b = a.get(key), b.get(key)
    if a is None or b is None:
        print(f"{name:<40} {'-':>10} {'-':>10}")
        return
    ratio = (b / a if better == "higher" else a / b) if a and b else float("nan")
    print(f"{name:<40} {fmt.format(a):>10} {fmt.format(b):>10}   tesserad {ratio:.2f}x {'better' if ratio >= 1 else 'worse'}")
print(f"{'':<40} {'wasmd':>10} {'tesserad':>10}")
row("committed tx/s", "committed_tx_per_sec", "{:.0f}", "higher")
row("FinalizeBlock µs per tx", "finalize_us_per_tx", "{:.1f}", "lower")
row("FinalizeBlock per secp256k1 verify", "finalize_per_verify", "{:.2f}", "lower")
row(f"commit latency p50 at {wp['offered_tx_per_sec']:.0f} tx/s (ms)", "latency_p50_ms", "{:.0f}", "lower", paced=True)
row(f"commit latency p99 at {wp['offered_tx_per_sec']:.0f} tx/s (ms)", "latency_p99_ms", "{:.0f}", "lower", paced=True)
row("commit latency p50, saturated (ms)", "latency_p50_ms", "{:.0f}", "lower")
row("commit latency p99, saturated (ms)", "latency_p99_ms", "{:.0f}", "lower")
print(f"gas limit per send: wasmd {w['gas_limit']}, tesserad {t['gas_limit']}; txs committed: wasmd {w['committed']}/{w['signed']}, tesserad {t['committed']}/{t['signed']}")
PY
