#!/usr/bin/env bash
# Starts the hub, two leaf servers and the three edgesum nodes of this example, and stops them all
# on Ctrl-C. Needs nats-server on the PATH (a current upstream release for anything but a laptop).
# Set EDGESUM to the command that runs edgesum (default: edgesum on the PATH; in a checkout of
# edgesum: EDGESUM="npm run -s edgesum --").
set -euo pipefail
cd "$(dirname "$0")"
read -r -a edgesum <<< "${EDGESUM:-edgesum}"
mkdir -p data/nats
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for server in hub leaf-1 leaf-2; do
  nats-server -c "$PWD/$server.conf" &
  pids+=($!)
done
sleep 1
for level in center site-1 site-2; do
  "${edgesum[@]}" serve --config "$PWD/$level.yaml" &
  pids+=($!)
done
wait
