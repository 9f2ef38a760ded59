#!/usr/bin/env python3
"""Fleet benchmark: many pushes at once, as when an Argo cluster ends many
steps at the same moment.

--pushes pushes (default 1,000) of the same 10-series artifact, each to its
own group (user u0000, u0001, …), from --workers concurrent processes
(default 50), to one real Pushgateway, wiped before each tool's round:

  simplepipe   the release binary
  python       benches/python_pusher.py (jsonschema + prometheus_client)
  curl         curl PUTting the protobuf body prepared in advance: the floor

Reported: pushes per second for each tool (wall time of the whole round),
and a check that the gateway holds every group with every series afterwards,
so a tool that lost pushes can't look fast. Nothing here is asserted: the
test of what lands is tests/suite/fleet.rs.

usage: python3 benches/fleet.py [--pushes 1000] [--workers 50] [--bin PATH] [--tools simplepipe,python,curl]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import PROTO, ROOT, Gateway, http  # noqa: E402

# The same 10 series as tests/suite/fleet.rs: all four types.
ARTIFACT = {"labels": {"team": "fleet"}, "metrics": [
    *({"name": "step_gauge", "type": "gauge", "help": "g", "value": i + 1.5, "labels": {"i": str(i)}} for i in range(3)),
    *({"name": "step_total", "type": "counter", "value": 10 + i, "labels": {"i": str(i)}} for i in range(3)),
    *({"name": "step_seconds", "type": "histogram", "buckets": [{"le": 1, "count": 1}], "sum": 2, "count": 2,
       "labels": {"i": str(i)}} for i in range(2)),
    {"name": "step_latency", "type": "summary", "quantiles": [{"quantile": 0.5, "value": 0.1}], "sum": 1, "count": 5,
     "labels": {"i": "0"}},
    {"name": "step_untyped", "type": "untyped", "value": 7},
]}
SERIES = 10


def held(gw):
    """(groups of job=fleet, series in them) the gateway holds."""
    data = json.loads(http("GET", gw.url + "/api/v1/metrics"))["data"]
    groups = series = 0
    for group in data:
        if group["labels"].get("job") != "fleet":
            continue
        groups += 1
        for name, fam in group.items():
            if isinstance(fam, dict) and "metrics" in fam and not name.startswith("push_"):
                series += len(fam["metrics"])
    return groups, series


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pushes", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=50)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/simplepipe"))
    ap.add_argument("--tools", default="simplepipe,python,curl")
    args = ap.parse_args()
    if args.bin.endswith("target/release/simplepipe"):
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="simplepipe-fleet-")
    path = os.path.join(tmp, "artifact.json")
    with open(path, "w") as f:
        json.dump(ARTIFACT, f)
    body = os.path.join(tmp, "body.pb")
    with open(body, "wb") as f:
        f.write(subprocess.run([binary, "push", path, "fleet", "--user", "x", "--dry-run", "--format", "protobuf"],
                               capture_output=True, check=True).stdout)
    schema = os.path.join(ROOT, "schemas/metrics.json")
    pusher = os.path.join(ROOT, "benches/python_pusher.py")
    gw = Gateway()
    tools = {
        "simplepipe": lambda u: [binary, "push", path, "fleet", "--user", u, "--gateway", gw.url, "--quiet"],
        "python": lambda u: [sys.executable, pusher, path, f"127.0.0.1:{gw.port}", "fleet", u, schema],
        "curl": lambda u: ["curl", "-sS", "--fail", "-X", "PUT", "--data-binary", "@" + body,
                           "-H", "Content-Type: " + PROTO, f"{gw.url}/metrics/job/fleet/user/{u}"],
    }
    print(f"{args.pushes} pushes of {SERIES} series, {args.workers} concurrent processes, one gateway")
    print(f"{'tool':<12} {'pushes/s':>10} {'wall':>9} {'failed':>7}  landed")
    rates = {}
    try:
        for name, cmd in tools.items():
            if name not in args.tools.split(","):
                continue
            gw.wipe()

            def one(i):
                return subprocess.call(cmd(f"u{i:04d}"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                codes = list(pool.map(one, range(args.pushes)))
            wall = time.perf_counter() - t0
            groups, series = held(gw)
            failed = sum(c != 0 for c in codes)
            whole = groups == args.pushes and series == args.pushes * SERIES
            rates[name] = args.pushes / wall
            print(f"{name:<12} {rates[name]:>10.1f} {wall:>8.2f}s {failed:>7}  "
                  f"{groups} groups, {series} series{'' if whole else '  INCOMPLETE'}", flush=True)
    finally:
        gw.stop()
    if {"simplepipe", "curl"} <= rates.keys():
        print(f"  simplepipe / curl        {rates['simplepipe'] / rates['curl']:.2f}x the floor's rate")
    if {"simplepipe", "python"} <= rates.keys():
        print(f"  simplepipe / python      {rates['simplepipe'] / rates['python']:.2f}x")


if __name__ == "__main__":
    main()
