#!/usr/bin/env python3
"""Peak RSS and wall time of one binary on the hostile shapes of issue 23.

Each shape is built at each size (default 4 and 16 MiB) in a temporary
directory and run once under the binary, its stdout counted and thrown
away. Peak RSS is the child's own `ru_maxrss` (os.wait4, the figure GNU
`time -v` prints as "Maximum resident set size"); a run past --timeout is
killed, its CPU time until then shown as `>CPU`. The goal the issue sets is printed beside
each figure: RSS at most 8 x the input + 64 MB, and a 16/4 time ratio near
4 (linear), not 16 (quadratic). The time is the child's CPU time (user +
system), which a busy machine does not inflate as it does the wall time
(also shown). This prints; tests/suite/memory.rs asserts.

usage: python3 benches/memory.py [--sizes 4,16] [--timeout 120] [--only v0,...] BIN
"""
import argparse
import os
import subprocess
import sys
import tempfile

MIB = 1 << 20


def repeat(head, item, tail, size):
    """head + item,item,… + tail, about `size` bytes in all."""
    n = max(1, (size - len(head) - len(tail)) // (len(item) + 1))
    return head + ",".join([item] * n) + tail


def standard(size):
    """A standard (JSON, which is YAML) with as many distinct metrics as fit."""
    head = ('{"apiVersion":"simplepipe/v1","kind":"Standard","metadata":{"name":"big"},'
            '"spec":{"jobs":["training"],"metrics":[')
    item = '{"name":"m%08d","type":"gauge"}'
    n = (size - len(head)) // (len(item % 0) + 1)
    return head + ",".join(item % i for i in range(n)) + "]}}"


def standard_yaml(size):
    """The same standard in block-style YAML, one `- name:` entry a metric."""
    head = ("apiVersion: simplepipe/v1\nkind: Standard\nmetadata:\n  name: big\n"
            "spec:\n  jobs: [training]\n  metrics:\n")
    item = "    - name: m%08d\n      type: gauge\n"
    n = (size - len(head)) // len(item % 0)
    return head + "".join(item % i for i in range(n))


# A small artifact validated against a big standard ({a} in an argv).
ARTIFACT = ('{"metrics":[{"name":"m00000001","type":"gauge","value":1},'
            '{"name":"m00000007","type":"gauge","value":2}]}')


def under_the_limit(item, size, brackets="[]"):
    """As many `item % (i, pad)` as fit in `size` bytes, but fewer than
    --max-series (100,000): each padded to fill the size."""
    n = min(max(1, size // (len(item % (0, "")) + 1)), 99_000)
    pad = "x" * max(0, size // n - len(item % (0, "")) - 1)
    return brackets[0] + ",".join(item % (i, pad) for i in range(n)) + brackets[1]


# name -> (build(size) -> text, argv after the binary, with {f} the file)
SHAPES = {
    "v0": (lambda s: repeat("[", "0", "]", s), ["validate", "{f}"]),
    "metrics-empty": (lambda s: repeat('{"metrics":[', "{}", "]}", s), ["validate", "{f}"]),
    "a-array": (lambda s: repeat('{"a":[', "0", "]}", s), ["validate", "{f}"]),
    "v0-json": (lambda s: repeat("[", "0", "]", s), ["validate", "--output", "json", "{f}"]),
    "token": (
        lambda s: '{"metrics":[{"name":"a","type":"gauge","value":1,"help":"'
        + "x" * (s - 64) + '"}]}',
        ["validate", "{f}"],
    ),
    "v0-valid": (
        lambda s: under_the_limit('{"name":"m%08d","description":"%s","value":1,"metric_type":"gauge"}', s),
        ["validate", "{f}"],
    ),
    "simple-valid": (lambda s: under_the_limit('"m%08d%s":1', s, "{}"), ["validate", "{f}"]),
    "standard": (standard, ["rules", "{f}"]),
    "yaml-standard": (standard_yaml, ["rules", "{f}"]),
    "dashboard": (standard, ["dashboard", "{f}"]),
    "schema-from-std": (standard, ["schemas", "--from", "{f}"]),
    "validate-std": (standard, ["validate", "--schema", "{f}", "{a}"]),
    "validate-yaml-std": (standard_yaml, ["validate", "--schema", "{f}", "{a}"]),
    "yaml-deep": (lambda s: "[" * (s // 2) + "]" * (s // 2), ["rules", "{f}"]),
}


# Run from a fresh, small Python: Linux counts the memory of the process
# that starts the child into the child's peak RSS, and this one has built
# 16 MiB inputs (over 100 MB).
MEASURE = r"""
import os, signal, sys, subprocess, time
timeout = float(sys.argv[1])
start = time.monotonic()
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
out = 0
os.set_blocking(child.stdout.fileno(), False)
while True:
    chunk = child.stdout.read(1 << 16)
    out += len(chunk or b"")
    pid, status, use = os.wait4(child.pid, os.WNOHANG)
    if pid:
        break
    if time.monotonic() - start > timeout:
        child.send_signal(signal.SIGKILL)
        _, status, use = os.wait4(child.pid, 0)
        status = None
        break
    if not chunk:
        time.sleep(0.005)
out += len(child.stdout.read() or b"")
child.returncode = 0
code = "-" if status is None else os.waitstatus_to_exitcode(status)
print(use.ru_maxrss * 1024, use.ru_utime + use.ru_stime, time.monotonic() - start, code, out)
"""


def measure(argv, timeout):
    """(peak RSS bytes, CPU seconds (user + system), wall seconds, exit code
    or None when killed, stdout bytes)."""
    out = subprocess.run([sys.executable, "-c", MEASURE, str(timeout)] + argv,
                         capture_output=True, text=True, check=True).stdout.split()
    rss, cpu, wall, code, size = out
    return int(rss), float(cpu), float(wall), None if code == "-" else int(code), int(size)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin")
    p.add_argument("--sizes", default="4,16")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--only", default=",".join(SHAPES))
    a = p.parse_args()
    sizes = [float(s) for s in a.sizes.split(",")]
    print(f"{'shape':18} {'MiB':>5} {'peak RSS':>10} {'goal':>8} {'CPU':>9} {'wall':>9} {'exit':>4} {'stdout':>10}")
    with tempfile.TemporaryDirectory() as d:
        artifact = os.path.join(d, "artifact.json")
        with open(artifact, "w") as f:
            f.write(ARTIFACT)
        for name in a.only.split(","):
            build, args = SHAPES[name]
            times = []
            for mib in sizes:
                path = os.path.join(d, f"{name}.{'yaml' if 'yaml' in name else 'json'}")
                with open(path, "w") as f:
                    f.write(build(int(mib * MIB)))
                size = os.path.getsize(path)
                argv = [a.bin] + [x.replace("{f}", path).replace("{a}", artifact) for x in args]
                rss, secs, wall, code, out = measure(argv, a.timeout)
                goal = 8 * size + 64 * 10**6
                shown = f">{secs:.1f}s" if code is None else f"{secs:.2f}s"
                times.append(None if code is None else secs)
                print(f"{name:18} {mib:5g} {rss / 1e6:8.0f}MB {goal / 1e6:6.0f}MB {shown:>9} {wall:8.2f}s "
                      f"{'-' if code is None else code:>4} {out:>10}", flush=True)
            if len(times) == 2 and None not in times and times[0] > 0:
                print(f"{'':18} ratio {times[1] / times[0]:.1f} (linear 4, quadratic 16)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
