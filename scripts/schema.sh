#!/usr/bin/env bash
# Regenerates the committed JSON schemas: contracts/<name>/schema/ for every contract that has a
# src/bin/schema.rs. Run it after changing a contract's messages, then commit the result;
# scripts/test.sh fails when the committed schemas differ from what this produces.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

contracts="$(list_contracts)"
found=0
while read -r pkg dir; do
  contract="$ROOT/contracts/$dir"
  [[ -f "$contract/src/bin/schema.rs" ]] || continue
  found=1
  log "schema: $dir"
  # write_api! writes into ./schema and never deletes, so start empty to drop files of removed
  # messages.
  rm -rf -- "$contract/schema"
  (cd -- "$contract" && cargo run --quiet --locked -p "$pkg" --bin "$dir-schema" >/dev/null)
done <<<"$contracts"
((found)) || log "schema: no contract has src/bin/schema.rs"
