#!/usr/bin/env bash
# The whole market on this machine in one command: builds what it needs, starts a dev chain and
# two providers with different prices, runs `tessera job run examples/demo.yaml` as alice (the
# cheaper provider wins the auction, renders the frames, attests their Merkle root on chain;
# every output leaf is checked against that root before the PNGs are written), prints where the
# frames are and the verification summary, and stops everything it started, also on Ctrl-C or
# failure. Needs no GPU; a provider on a host with one runs the same kernel on CUDA.
#
#   scripts/demo.sh                 frames in ./demo-out/
#   scripts/demo.sh OTHER.yaml      any manifest the providers can run
#   DEMO_OUT=/tmp/x scripts/demo.sh
#   DEMO_KEEP=1 scripts/demo.sh     keep the chain and provider homes (their path is printed)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
cd -- "$ROOT"

MANIFEST="${1:-$ROOT/examples/demo.yaml}"
OUT="${DEMO_OUT:-$ROOT/demo-out}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tessera-demo.XXXXXX")"
PIDS=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 ]]; then
    warn "the demo failed; the last lines of each log:"
    for f in "$WORK"/*.log; do
      [[ -f $f ]] && { printf '\n--- %s\n' "$f" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  if [[ -n ${DEMO_KEEP:-} ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback TCP port (nothing answers on it).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

"$SCRIPTS_DIR/setup.sh"
ensure_cometbft
ensure_contracts
log "building tesserad, tessera and tessera-provider (release)"
cargo build --release --locked -p tesserad -p tessera-cli -p tessera-provider
BIN="$CARGO_TARGET_DIR/release"

CHAIN="$WORK/chain"
export TESSERA_HOME="$WORK/cli" TESSERA_KEYRING_BACKEND=test
RPC_PORT=$(free_port)
export TESSERA_NODE="http://127.0.0.1:$RPC_PORT"
mkdir -p "$CHAIN/config"
cat >"$CHAIN/config/app.toml" <<TOML
[abci]
address = "127.0.0.1:$(free_port)"
[metrics]
address = "127.0.0.1:$(free_port)"
[grpc]
address = "127.0.0.1:$(free_port)"
[cometbft]
rpc_address = "tcp://127.0.0.1:$RPC_PORT"
p2p_address = "tcp://127.0.0.1:$(free_port)"
prometheus_address = "127.0.0.1:$(free_port)"
TOML
log "starting the dev chain (logs: $WORK/chain.log)"
"$BIN/tesserad" init --dev --home "$CHAIN" --artifacts "$ROOT/artifacts" >"$WORK/chain.log" 2>&1
"$BIN/tesserad" start --dev --home "$CHAIN" >>"$WORK/chain.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do
  height=$("$BIN/tessera" status -o json 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p' || true)
  [[ ${height:-0} -ge 2 ]] && break
  sleep 0.5
done
[[ ${height:-0} -ge 2 ]] || die "the dev chain did not start; see $WORK/chain.log"

# Dev accounts from the genesis (chain-config/dev-accounts.json): well-known test keys.
dev_mnemonic() {
  python3 -c 'import json,sys; print(next(a["mnemonic"] for a in json.load(open(sys.argv[1]))["accounts"] if a["name"]==sys.argv[2]))' \
    "$ROOT/chain-config/dev-accounts.json" "$1"
}
for name in alice bob provider; do
  dev_mnemonic "$name" | "$BIN/tessera" keys add "$name" --recover >/dev/null
done
"$BIN/tessera" keys add provider2 >/dev/null
PROVIDER2=$("$BIN/tessera" keys show provider2 -o json | sed -n 's/.*"address":"\([^"]*\)".*/\1/p')
"$BIN/tessera" tx bank send bob "$PROVIDER2" 1000tsr >/dev/null

# Two providers: the same machine, different prices per CPU core-hour.
start_provider() {
  local key=$1 price=$2 home="$WORK/$1"
  local api; api=$(free_port)
  "$BIN/tessera-provider" init --home "$home" --node "$TESSERA_NODE" --key "$key" \
    --keyring-backend test --keyring-home "$TESSERA_HOME" --listen "127.0.0.1:$api" \
    --insecure-loopback --metrics "127.0.0.1:$(free_port)" --cpu-price "$price" >/dev/null
  "$BIN/tessera" provider register --host-uri "http://127.0.0.1:$api" --bond 100tsr --from "$key" >/dev/null
  "$BIN/tessera-provider" run --home "$home" >"$WORK/$key.log" 2>&1 &
  PIDS+=($!)
  log "provider $key: $price utsr per core-hour, API on 127.0.0.1:$api (log: $WORK/$key.log)"
}
start_provider provider 300000
start_provider provider2 120000

log "running $(basename "$MANIFEST") as alice"
rm -rf "$OUT"
"$BIN/tessera" job run "$MANIFEST" --out "$OUT" --bid-window 5 --from alice -o json >"$WORK/summary.json"

python3 - "$WORK/summary.json" "$OUT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for out in s["outputs"]:
    lease = out["lease"]
    print(f"\nlease {lease['owner']}/{lease['dseq']}/{lease['gseq']}/{lease['oseq']} won by {lease['provider']}")
    print(f"  {out['work_units']} work units, {out['leaves']} leaves ({out['bytes']} bytes), "
          f"every leaf verified against the output root attested on chain:\n  {out['output_root']}")
    check = out["check"]
    print(f"  the {len(check['sampled'])} leaves the chain sampled from attestation {check['seq']} "
          f"recomputed on this CPU: {len(check['wrong'])} wrong")
    for f in out["files"]:
        print(f"  {out['dir']}/{f['name']}  {f['size']} bytes  sha256 {f['sha256']}")
print(f"\nopen the frames: {sys.argv[2]}/")
PY
