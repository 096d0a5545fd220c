#!/usr/bin/env bash
# End-to-end tests against a real `tesserad start --dev` (the app and a CometBFT child), on
# loopback ports free when it starts, so that a dev chain of yours or another run is left alone:
#   1. CosmJS (npm): connect, chain id, balance, market state, fee "auto", tx lookup, errors;
#      cosmrs + tendermint-rpc (crates.io): sign, broadcast_tx_sync, `tx`, queries;
#      cosmpy (PyPI) over gRPC: balance, contract query, a bank send with simulated gas
#   2. a small load run: abci_query latency p50/p99 at a fixed rate, and the block interval
#   3. kill -9 of the app in the middle of a stream of txs, restart: every tx committed before
#      the kill still there once at its height, the same app hash, no accepted tx twice
#   4. the same with kill -9 of CometBFT
#   5. Ctrl-C (SIGINT) stops both cleanly
# Run by scripts/test.sh; alone: scripts/../e2e/run.sh (needs artifacts/ and a built tesserad).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../scripts/lib.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
cd -- "$ROOT"

ensure_cometbft
ensure_npm_deps "$ROOT/e2e/cosmjs"
log "building tesserad and the cosmrs client"
cargo build --locked -p tesserad --bin tesserad -p tessera-e2e --bin cosmrs-e2e
TESSERAD="$CARGO_TARGET_DIR/debug/tesserad"
# Six free loopback ports, all held until all are picked (one at a time could repeat one).
read -r P_ABCI P_METRICS P_GRPC P_RPC P_P2P P_PROM < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
export TESSERA_GRPC="127.0.0.1:$P_GRPC"

HOME_DIR="$(mktemp -d -t tessera-e2e.XXXXXX)"
export TESSERA_RPC="http://127.0.0.1:$P_RPC"
node_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then kill -TERM "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  pkill -KILL -f "cometbft start --home $HOME_DIR/cometbft" 2>/dev/null || true
  if ((rc != 0)); then
    warn "e2e failed; the node's output and CometBFT's log follow"
    tail -n 40 "$HOME_DIR/tesserad.out" >&2 2>/dev/null || true
    tail -n 40 "$HOME_DIR/cometbft.log" >&2 2>/dev/null || true
  fi
  rm -rf -- "$HOME_DIR"
}
trap cleanup EXIT

mkdir -p "$HOME_DIR/config"
cat >"$HOME_DIR/config/app.toml" <<TOML
[abci]
address = "127.0.0.1:$P_ABCI"
[metrics]
address = "127.0.0.1:$P_METRICS"
[grpc]
address = "$TESSERA_GRPC"
[cometbft]
rpc_address = "tcp://127.0.0.1:$P_RPC"
p2p_address = "tcp://127.0.0.1:$P_P2P"
prometheus_address = "127.0.0.1:$P_PROM"
TOML
"$TESSERAD" init --dev --home "$HOME_DIR" --artifacts "$ROOT/artifacts" >/dev/null

height() {
  curl -sf "$TESSERA_RPC/status" | node -e 'let j="";process.stdin.on("data",d=>j+=d).on("end",()=>console.log(JSON.parse(j).result.sync_info.latest_block_height))' 2>/dev/null || echo 0
}

# wait_for_height N: until the chain has committed block N (60 s at most).
wait_for_height() {
  local want=$1 deadline=$((SECONDS + 60))
  until (($(height) >= want)); do
    ((SECONDS < deadline)) || die "the chain did not reach height $want within 60 s (at $(height))"
    sleep 0.5
  done
}

start_node() {
  "$TESSERAD" start --dev --home "$HOME_DIR" >>"$HOME_DIR/tesserad.out" 2>&1 &
  node_pid=$!
}

comet_pid() {
  pgrep -f "cometbft start --home $HOME_DIR/cometbft" | head -n 1
}

# crash_and_recover WHAT PID: streams txs, kill -9s PID mid-stream, restarts, verifies.
crash_and_recover() {
  local what=$1 victim=$2 sent="$HOME_DIR/sent-$1.jsonl" snap="$HOME_DIR/snap-$1.json" before
  log "crash test: kill -9 of $what during a stream of txs"
  (cd e2e/cosmjs && node crash.mjs stream "$sent") &
  local stream_pid=$!
  sleep 3
  (cd e2e/cosmjs && node crash.mjs snapshot "$sent" "$snap")
  before=$(height)
  kill -KILL "$victim"
  wait "$stream_pid" || die "the tx stream failed"
  # Whichever half survived stops on its own (CometBFT exits on a lost ABCI connection, tesserad
  # on a dead CometBFT child); make sure both are gone before the restart.
  wait "$node_pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while [[ -n "$(comet_pid)" ]] && ((SECONDS < deadline)); do sleep 0.2; done
  [[ -z "$(comet_pid)" ]] || die "CometBFT did not stop after the app died"
  start_node
  wait_for_height $((before + 3))
  (cd e2e/cosmjs && node crash.mjs verify "$sent" "$snap")
}

log "starting tesserad start --dev in $HOME_DIR"
start_node
wait_for_height 2

log "CosmJS"
(cd e2e/cosmjs && node test.mjs)
log "cosmrs + tendermint-rpc"
"$CARGO_TARGET_DIR/debug/cosmrs-e2e"
log "cosmpy over gRPC"
"$ROOT/e2e/cosmpy/run.sh"

log "load run"
(cd e2e/cosmjs && node load.mjs 50 10)

crash_and_recover app "$node_pid"
crash_and_recover cometbft "$(comet_pid)"

log "Ctrl-C stops the app and CometBFT"
kill -INT "$node_pid"
rc=0
wait "$node_pid" || rc=$?
((rc == 0)) || die "tesserad exited with $rc on SIGINT"
sleep 1
[[ -z "$(comet_pid)" ]] || die "CometBFT still runs after tesserad stopped"
node_pid=""
log "e2e: all passed"
