#!/usr/bin/env bash
# Starts the center, 2 regions and 4 sites of this example, each its own process, on
# 127.0.0.1:7080-7086, and stops them all on Ctrl-C. Children retry until their parent is up, so
# the order does not matter. Set EDGESUM to the command that runs edgesum (default: edgesum on the
# PATH; in a checkout of edgesum: EDGESUM="npm run -s edgesum --").
set -euo pipefail
cd "$(dirname "$0")"
read -r -a edgesum <<< "${EDGESUM:-edgesum}"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for level in center region-1 region-2 region-1-site-1 region-1-site-2 region-2-site-1 region-2-site-2; do
  "${edgesum[@]}" serve --config "$PWD/$level.yaml" &
  pids+=($!)
done
wait
