#!/bin/sh
# Turns the deploy service's chain.json and a key file into the env the node's config reads
# (CHAIN_CONTRACTS, CARELEDGER_MEMBER_KEY), then starts the node.
set -eu
if [ -n "${CHAIN_FILE:-}" ]; then
  CHAIN_CONTRACTS="$(node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).contracts))' "$CHAIN_FILE")"
  export CHAIN_CONTRACTS
fi
if [ -n "${MEMBER_KEY_FILE:-}" ]; then
  CARELEDGER_MEMBER_KEY="$(cat "$MEMBER_KEY_FILE")"
  export CARELEDGER_MEMBER_KEY
fi
exec "$@"
