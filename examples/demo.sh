#!/usr/bin/env bash
# The main job, for real, on this machine: build simplepipe, start a local
# Pushgateway on a free loopback port, push an example training run as
# user "demo", and show what the gateway now holds. Stops the gateway on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/deps.sh
need_apt prometheus-pushgateway prometheus-pushgateway

echo "--- building simplepipe (release)"
cargo build --release --locked --quiet
bin=target/release/simplepipe

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gateway="http://127.0.0.1:$port"
tmp=$(mktemp -d)
prometheus-pushgateway --web.listen-address="127.0.0.1:$port" --persistence.file= >"$tmp/pushgateway.log" 2>&1 &
pgw=$!
trap 'kill $pgw 2>/dev/null; rm -rf "$tmp"' EXIT

fetch() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$1"; }
for _ in $(seq 100); do fetch "$gateway/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done
echo "--- Pushgateway $(prometheus-pushgateway --version 2>&1 | head -1 | awk '{print $3}') listening on $gateway"

echo "--- $bin validate examples/training-run.json"
"$bin" validate examples/training-run.json

echo "--- $bin push examples/training-run.json training --user demo --gateway $gateway"
"$bin" push examples/training-run.json training --user demo --gateway "$gateway"

echo "--- what the gateway now holds for job=\"training\" (what Prometheus will scrape):"
fetch "$gateway/metrics" | grep -E '^# (HELP|TYPE) (run_time|images|model_acc|memory_peak)|job="training"'
