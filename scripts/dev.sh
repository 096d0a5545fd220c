#!/usr/bin/env bash
# The local dev chain in one command: installs what is missing (scripts/setup.sh), builds the
# contracts and tesserad, then runs `tesserad start --dev`: the app and CometBFT together, about
# one block per second, with the contracts deployed and funded dev accounts
# (chain-config/dev-accounts.json). Ctrl-C stops both; running it again resumes the same chain.
#
#   scripts/dev.sh                       home ~/.tesserad
#   scripts/dev.sh --home /tmp/devnet    any `tesserad start` option is passed on
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}"
cd -- "$ROOT"

build_node
exec "$CARGO_TARGET_DIR/release/tesserad" start --dev --artifacts "$ROOT/artifacts" "$@"
