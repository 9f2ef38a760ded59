#!/usr/bin/env python3
"""Side-by-side benchmark: simplepipe against the alternatives, on this machine.

For each artifact size (10, 1,000 and 100,000 series, mixing all four metric
types), each tool pushes the same metrics to a real Pushgateway that is wiped
before every run (its consistency check slows down as it holds more):

  simplepipe          the release binary (protobuf on the wire, the default)
  simplepipe --text   the same, sending the text format
  simplepipe --gzip   the same, protobuf gzip-compressed
  simplepipe stdin    the same, the artifact piped in (`push -`)
  simplepipe remote-write  the same artifact by remote write 1.0 to a real
                      Prometheus 2.42 (--web.enable-remote-write-receiver)
  python              benches/python_pusher.py: jsonschema + prometheus_client.push_to_gateway
  curl text           curl -X PUT --data-binary @body, text body prepared in advance
  curl protobuf       the same with the protobuf body: the physical floor

Reported: median wall time and peak RSS over --runs runs (with min and max),
and the ratios BENCHMARKS.md tracks. Every tool's result is
checked once against what the gateway holds, so a tool that pushed less can't
look fast. No figure here is asserted: this prints, it doesn't judge.

usage: python3 benches/compare.py [--sizes 10,1000,100000] [--runs 5] [--bin PATH]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
TEXT = "text/plain; version=0.0.4; charset=utf-8"


def artifact(n):
    """n series in the native format, a quarter of each type, ~200 bytes each."""
    metrics = []
    for i in range(n):
        kind = ("gauge", "counter", "histogram", "summary")[i % 4]
        labels = {"shard": f"shard-{i:06d}", "stage": ("train", "eval")[i % 2], "host": f"node-{i % 37:02d}.cluster.local"}
        name = f"pipeline_{kind}_{i % 25}"
        if kind == "gauge":
            m = {"name": name, "type": "gauge", "help": "A gauge.", "value": i * 0.5, "labels": labels}
        elif kind == "counter":
            m = {"name": name + "_total", "type": "counter", "help": "A counter.", "value": i, "labels": labels}
        elif kind == "histogram":
            m = {"name": name + "_seconds", "type": "histogram", "help": "A histogram.", "labels": labels,
                 "buckets": [{"le": 0.1, "count": 1}, {"le": 1, "count": 4}, {"le": 10, "count": 9}],
                 "sum": 31.5, "count": 10}
        else:
            m = {"name": name + "_latency", "type": "summary", "help": "A summary.", "labels": labels,
                 "quantiles": [{"quantile": 0.5, "value": 0.2}, {"quantile": 0.99, "value": 0.9}],
                 "sum": 4.1, "count": 20}
        metrics.append(m)
    return {"labels": {"pipeline": "bench"}, "metrics": metrics}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, timeout=30):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def flat_series(n):
    """Series remote write sends for artifact(n): a histogram is 4 buckets
    (+Inf included), _sum and _count; a summary 2 quantiles, _sum, _count."""
    per_kind = {"gauge": 1, "counter": 1, "histogram": 6, "summary": 4}
    return sum(per_kind[("gauge", "counter", "histogram", "summary")[i % 4]] for i in range(n))


class Receiver:
    """A real Prometheus receiving remote write, its TSDB in a temp dir.
    Nothing is wiped between runs: each push appends one sample per series
    at a later time, which costs the receiver the same every run."""

    def __init__(self, tmp):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global: {}\n")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--web.enable-remote-write-receiver"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                http("GET", self.url + "/-/ready", 1)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("prometheus did not start")

    def series(self):
        """Series with job=bench, user=bench seen in the last 5 minutes."""
        q = urllib.parse.quote('count({job="bench",user="bench"})')
        res = json.loads(http("GET", f"{self.url}/api/v1/query?query={q}"))["data"]["result"]
        return int(res[0]["value"][1]) if res else 0

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Gateway:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{self.port}",
             "--persistence.file=", "--web.enable-admin-api"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                http("GET", self.url + "/-/ready", 1)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("pushgateway did not start")

    def wipe(self):
        http("PUT", self.url + "/api/v1/admin/wipe")

    def series(self):
        """Series the gateway holds for job=bench, user=bench (histogram and
        summary count once each)."""
        data = json.loads(http("GET", self.url + "/api/v1/metrics"))["data"]
        total = 0
        for group in data:
            if group["labels"].get("job") != "bench":
                continue
            for name, fam in group.items():
                if isinstance(fam, dict) and "metrics" in fam and not name.startswith("push_"):
                    total += len(fam["metrics"])
        return total

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def measure(cmd, log, stdin=None):
    """Run cmd (stdin from the file `stdin`, if given); return (wall
    seconds, peak RSS in MB, exit code).

    Peak RSS comes from GNU time (/usr/bin/time), which forks and execs the
    command from its own tiny process: a fork from this Python process would
    report Python's resident size for every command (ru_maxrss counts the
    pages a child holds before exec)."""
    rss_file = log + ".rss"
    with open(log, "ab") as err, open(stdin or os.devnull, "rb") as inp:
        t0 = time.perf_counter()
        code = subprocess.call(["/usr/bin/time", "-o", rss_file, "-f", "%M"] + cmd,
                               stdin=inp, stdout=subprocess.DEVNULL, stderr=err)
        wall = time.perf_counter() - t0
    with open(rss_file) as f:
        kb = int(f.read().split()[-1])
    return wall, kb / 1024, code


def fmt_s(xs):
    med = statistics.median(xs)
    unit, k = ("ms", 1000) if med < 1 else ("s", 1)
    return f"{med * k:.3g} {unit} ({min(xs) * k:.3g}–{max(xs) * k:.3g})"


def fmt_mb(xs):
    return f"{statistics.median(xs):.1f} MB ({min(xs):.1f}–{max(xs):.1f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10,1000,100000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/simplepipe"),
                    help="simplepipe binary (default: the release build, built if missing)")
    args = ap.parse_args()
    if args.bin.endswith("target/release/simplepipe"):
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.abspath(args.bin)
    schema = os.path.join(ROOT, "schemas/metrics.json")
    pusher = os.path.join(ROOT, "benches/python_pusher.py")
    tmp = tempfile.mkdtemp(prefix="simplepipe-bench-")
    log = os.path.join(tmp, "stderr.log")
    gw = Gateway()
    rx = Receiver(tmp)
    target = f"{gw.url}/metrics/job/bench/user/bench"
    results = {}
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            path = os.path.join(tmp, f"artifact-{n}.json")
            with open(path, "w") as f:
                json.dump(artifact(n), f)
            bodies = {}
            for fmt in ("text", "protobuf"):
                out = subprocess.run([binary, "push", path, "bench", "--user", "bench", "--dry-run", "--format", fmt],
                                     capture_output=True, check=True)
                bodies[fmt] = os.path.join(tmp, f"body-{n}.{fmt}")
                with open(bodies[fmt], "wb") as f:
                    f.write(out.stdout)
            sp = [binary, "push", path, "bench", "--user", "bench", "--gateway", gw.url, "--quiet", "--retries", "0"]
            tools = {
                "simplepipe": sp,
                "simplepipe 1 thread": ["env", "SIMPLEPIPE_THREADS=1"] + sp,
                "simplepipe --text": sp + ["--format", "text"],
                "simplepipe --gzip": sp + ["--compress", "gzip"],
                "simplepipe stdin": [binary, "push", "-"] + sp[3:],
                "simplepipe remote-write": [binary, "push", path, "bench", "--user", "bench", "--quiet",
                                            "--retries", "0", "--remote-write", rx.url + "/api/v1/write"],
                "python": [sys.executable, pusher, path, f"127.0.0.1:{gw.port}", "bench", "bench", schema],
                "curl text": ["curl", "-sS", "--fail", "-X", "PUT", "--data-binary", "@" + bodies["text"],
                              "-H", "Content-Type: " + TEXT, target],
                "curl protobuf": ["curl", "-sS", "--fail", "-X", "PUT", "--data-binary", "@" + bodies["protobuf"],
                                  "-H", "Content-Type: " + PROTO, target],
            }
            size_mb = os.path.getsize(path) / 1e6
            print(f"\n== {n} series: JSON {size_mb:.2f} MB, text body {os.path.getsize(bodies['text']) / 1e6:.2f} MB, "
                  f"protobuf body {os.path.getsize(bodies['protobuf']) / 1e6:.2f} MB", flush=True)
            walls = {t: [] for t in tools}
            rss = {t: [] for t in tools}
            for run in range(args.runs):
                for name, cmd in tools.items():  # interleaved, so drift hits every tool alike
                    gw.wipe()
                    wall, mb, code = measure(cmd, log, path if name == "simplepipe stdin" else None)
                    if code != 0:
                        raise SystemExit(f"{name} failed (exit {code}); see {log}")
                    if run == 0 and name.endswith("remote-write"):
                        held, want = rx.series(), flat_series(n)
                        if held != want:
                            raise SystemExit(f"{name}: Prometheus holds {held} series, expected {want}")
                    elif run == 0:
                        held = gw.series()
                        if held != n:
                            raise SystemExit(f"{name}: the gateway holds {held} series, expected {n}")
                    walls[name].append(wall)
                    rss[name].append(mb)
            print(f"{'tool':<24} {'wall, median (min–max)':<28} {'peak RSS, median (min–max)':<28}")
            for name in tools:
                print(f"{name:<24} {fmt_s(walls[name]):<28} {fmt_mb(rss[name]):<28}")
            med = {t: statistics.median(v) for t, v in walls.items()}
            ratios = {
                "simplepipe / curl protobuf": med["simplepipe"] / med["curl protobuf"],
                "1 thread / curl protobuf": med["simplepipe 1 thread"] / med["curl protobuf"],
                "simplepipe / curl text": med["simplepipe"] / med["curl text"],
                "python / simplepipe": med["python"] / med["simplepipe"],
                "remote-write / pushgateway": med["simplepipe remote-write"] / med["simplepipe"],
            }
            for k, v in ratios.items():
                print(f"  {k:<28} {v:.2f}x")
            results[n] = {"walls": walls, "rss": rss, "ratios": ratios}
    finally:
        gw.stop()
        rx.stop()

    size = os.path.getsize(binary)
    print(f"\nbinary: {binary}, {size / 1e6:.2f} MB")
    if not args.bin.endswith("target/release/simplepipe"):
        return
    print("\ntargets (BENCHMARKS.md; issues 15 and 31):")
    rows = []
    small = min(results) if results else None
    if 10 in results:
        rows.append(("10 series, wall, simplepipe / curl protobuf", results[10]["ratios"]["simplepipe / curl protobuf"], "<=", 0.9))
        rows.append(("10 series, wall, python / simplepipe", results[10]["ratios"]["python / simplepipe"], ">=", 20))
    if 100000 in results:
        r = results[100000]
        rows.append(("100k series, wall, simplepipe / curl protobuf", r["ratios"]["simplepipe / curl protobuf"], "<=", 1.2))
        rows.append(("100k series, wall, simplepipe / curl text", r["ratios"]["simplepipe / curl text"], "<=", 0.35))
        for tool in ("simplepipe", "simplepipe 1 thread", "simplepipe --text", "simplepipe --gzip", "simplepipe stdin"):
            rows.append((f"100k series, peak RSS, {tool} (MB)", statistics.median(r["rss"][tool]), "<=", 40))
        rows.append(("100k series, wall, python / simplepipe", r["ratios"]["python / simplepipe"], ">=", 40))
    rows.append(("stripped release binary (MB)", size / 1e6, "<=", 10))
    for what, got, op, want in rows:
        ok = got <= want if op == "<=" else got >= want
        print(f"  {what:<48} {got:8.2f}   target {op} {want:<5} {'met' if ok else 'MISSED'}")
    del small


if __name__ == "__main__":
    main()
