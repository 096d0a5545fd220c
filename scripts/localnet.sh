#!/usr/bin/env bash
# A network of validators on this machine: `tesserad testnet` writes the homes once, then each
# node runs as `tesserad start --home DIR/nodeI` (its app and its CometBFT child) in the
# background, its output in DIR/nodeI/tesserad.out.
#
#   scripts/localnet.sh start [--validators N] [--full-nodes M]   create (first time) and start
#   scripts/localnet.sh status                                    each node's height and app hash
#   scripts/localnet.sh stop                                      stop every node (SIGTERM)
#   scripts/localnet.sh reset                                     stop and delete the network
#
# LOCALNET_DIR (default ~/.tessera-localnet) holds the homes; LOCALNET_BASE_PORT (36600) is
# node0's first port, node I uses BASE+10·I+{0 p2p, 1 RPC, 2 ABCI, 3 gRPC, 4 metrics,
# 5 CometBFT metrics}. Options after `start` go to `tesserad testnet` on the first start.
# TESSERAD_BIN runs that tesserad instead of building the release one.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
DIR="${LOCALNET_DIR:-$HOME/.tessera-localnet}"
BASE_PORT="${LOCALNET_BASE_PORT:-36600}"
TESSERAD="${TESSERAD_BIN:-$CARGO_TARGET_DIR/release/tesserad}"

nodes() {
  local home
  for home in "$DIR"/node*; do
    [[ -d "$home" ]] && printf '%s\n' "$home"
  done
}

pid_of() { [[ -f "$1/tesserad.pid" ]] && cat "$1/tesserad.pid"; }
running() { local pid; pid="$(pid_of "$1")" && kill -0 "$pid" 2>/dev/null; }

rpc_port() {
  sed -n 's/^rpc_address = "tcp:\/\/[^:]*:\([0-9]*\)"/\1/p' "$1/config/app.toml"
}

build() {
  cd -- "$ROOT"
  [[ -n "${TESSERAD_BIN:-}" ]] && return 0
  build_node
}

start() {
  build
  if [[ ! -d "$DIR/node0" ]]; then
    "$TESSERAD" testnet --output "$DIR" --base-port "$BASE_PORT" --artifacts "$ROOT/artifacts" "$@"
  elif (($# > 0)); then
    warn "$DIR exists: options for a new network ($*) are ignored (reset first)"
  fi
  local home
  while read -r home; do
    if running "$home"; then
      log "$(basename "$home") is running (pid $(pid_of "$home"))"
      continue
    fi
    # Its own session: Ctrl-C in this shell does not reach it, `stop` does.
    setsid "$TESSERAD" start --home "$home" >>"$home/tesserad.out" 2>&1 </dev/null &
    echo $! >"$home/tesserad.pid"
    log "$(basename "$home") started (pid $!, RPC http://127.0.0.1:$(rpc_port "$home"))"
  done < <(nodes)
}

status() {
  [[ -d "$DIR" ]] || die "no network in $DIR: run scripts/localnet.sh start"
  local home port info
  printf '%-8s %-8s %-8s %s\n' node state height app_hash
  while read -r home; do
    port="$(rpc_port "$home")"
    if running "$home" &&
      info="$(curl -sf "http://127.0.0.1:$port/status" 2>/dev/null)"; then
      printf '%-8s %-8s %s\n' "$(basename "$home")" up "$(
        python3 -c 'import json,sys; s=json.load(sys.stdin)["result"]["sync_info"]; print(s["latest_block_height"].ljust(8), s["latest_app_hash"])' <<<"$info"
      )"
    else
      printf '%-8s %-8s\n' "$(basename "$home")" "$(running "$home" && echo starting || echo down)"
    fi
  done < <(nodes)
}

stop() {
  local home pid
  while read -r home; do
    running "$home" || continue
    pid="$(pid_of "$home")"
    kill -TERM "$pid"
    # tesserad stops its CometBFT child (SIGTERM, then kill after 15 s) before it exits.
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$home/tesserad.pid"
    log "$(basename "$home") stopped"
  done < <(nodes)
}

case "${1:-}" in
  start) shift; start "$@" ;;
  status) status ;;
  stop) stop ;;
  reset) stop; rm -rf -- "$DIR"; log "deleted $DIR" ;;
  *) die "usage: scripts/localnet.sh start [testnet options] | status | stop | reset" ;;
esac
