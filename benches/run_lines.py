#!/usr/bin/env python3
"""What `simplepipe run` costs per line of a child's output (issue 25).

A file of 1,000,000 mixed lines (by default an equal share of plain log
lines, name=value pairs, JSON objects, Keras, XGBoost and LightGBM lines,
Hugging Face dicts and tqdm bars, ~70 bytes each; --kinds picks others) is printed by `cat` under
`simplepipe run`, pushing to a real Pushgateway every second; its stdout
goes to /dev/null.

Reported per binary, over --runs interleaved runs: simplepipe's own CPU
time (GNU time's user+sys for simplepipe and cat, less cat's, which
simplepipe pushes as run_cpu_seconds_total) per line, wall time and peak RSS
(median, with min and max), and how many families the last push held
(a binary that reads fewer formats pushes fewer). No figure is asserted:
this prints, it doesn't judge.

usage: python3 benches/run_lines.py [--lines 1000000] [--runs 5] [--kinds plain,pairs,...] BIN [BIN...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Gateway, http  # noqa: E402

KINDS = {
    "plain": lambda i: f"2026-11-21 10:00:{i % 60:02d} INFO data loader worker {i % 8} fetched shard {i} of the training set",
    "pairs": lambda i: f"step={i} loss={1 / (i + 1):.6f} accuracy={0.5 + (i % 500) / 1000:.4f} lr=1e-05",
    "json": lambda i: '{"step": %d, "loss": %.6f, "tokens_total": %d}' % (i, 1 / (i + 1), i * 512),
    "keras": lambda i: f"5/5 - 0s - 544us/step - accuracy: {0.5 + (i % 500) / 1000:.4f} - loss: {1 / (i + 1):.4f} - val_loss: 0.8404",
    "xgboost": lambda i: f"[{i}]\ttrain-rmse:{1 / (i + 1):.5f}\teval-rmse:0.51770",
    "lightgbm": lambda i: f"[{i}]\ttraining's l2: {1 / (i + 1):g}\tvalid_1's l2: 2.3008",
    "hf": lambda i: "{'loss': %.4f, 'grad_norm': 1.2, 'learning_rate': 4.5e-05, 'epoch': %.2f}" % (1 / (i + 1), i / 1e6),
    "tqdm": lambda i: f"Epoch 0:  50%|█████     | {i % 20}/20 [00:01<00:01, 48.1it/s, train_loss={1 / (i + 1):.3g}, v_num=0]",
}


def lines_file(n, path, kinds=tuple(KINDS)):
    with open(path, "w") as f:
        for i in range(n):
            f.write(KINDS[kinds[i % len(kinds)]](i))
            f.write("\n")


def one_run(binary, gw, path, job):
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", binary, "run", "--gateway", gw.url, "--job", job,
           "--interval", "1s", "-q", "--", "cat", path]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    wall, user, system, rss_kb = p.stderr.strip().splitlines()[-1].split()
    groups = json.loads(http("GET", gw.url + "/api/v1/metrics"))["data"]
    fams = next(g for g in groups if g["labels"].get("job") == job)
    child_cpu = float(fams["run_cpu_seconds_total"]["metrics"][0]["value"])
    return {
        "cpu": float(user) + float(system) - child_cpu,
        "wall": float(wall),
        "rss": int(rss_kb) * 1024,
        "families": sorted(k for k, v in fams.items() if isinstance(v, dict) and "metrics" in v),
    }


def med(xs, scale=1.0, unit=""):
    return f"{statistics.median(xs) * scale:.3g}{unit} ({min(xs) * scale:.3g}–{max(xs) * scale:.3g})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kinds", default=",".join(KINDS),
                    help=f"the kinds of line, in equal shares (default all: {','.join(KINDS)})")
    ap.add_argument("bins", nargs="+")
    args = ap.parse_args()
    gw = Gateway()
    try:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "lines.txt")
            kinds = args.kinds.split(",")
            lines_file(args.lines, path, kinds)
            size = os.path.getsize(path)
            print(f"{args.lines:,} lines ({', '.join(kinds)}), {size / 1e6:.1f} MB, "
                  f"{args.runs} runs per binary, interleaved")
            results = {b: [] for b in args.bins}
            for r in range(args.runs):
                for b in args.bins:
                    gw.wipe()
                    results[b].append(one_run(b, gw, path, "bench"))
            print("| binary | simplepipe CPU per line | wall | peak RSS | families pushed |")
            print("|---|---|---|---|---|")
            for b, rs in results.items():
                cpu = [x["cpu"] / args.lines for x in rs]
                print(f"| {b} | {med(cpu, 1e6, ' µs')} | {med([x['wall'] for x in rs], 1, ' s')} | "
                      f"{med([x['rss'] for x in rs], 1e-6, ' MB')} | {len(rs[-1]['families'])} |")
    finally:
        gw.proc.kill()
        gw.proc.wait()


if __name__ == "__main__":
    main()
