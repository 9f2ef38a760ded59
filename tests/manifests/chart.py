#!/usr/bin/env python3
"""The Helm chart in argo/chart, through the real Helm v4 SDK (helm-python-sdk:
Helm's Go library behind a C ABI; no helm binary, no cluster, no network).
Run by tests/suite/helm.rs.

  chart.py check [--root DIR]
      - `helm lint --strict`, with the default values and with
        argo/chart/ci/full-values.yaml: no warning, no error;
      - both renders, every object checked as check.py checks argo/
        (hera and the CRD walk for Argo objects, kubernetes-validate
        --strict for core ones, promtool for rules), and the Argo and
        Prometheus Operator objects walked against the full CRDs in
        ../shared/argo-crds and ../shared/k8s-crds (CronWorkflow included);
      - drift: with the default values (monitoring switched on), the rendered
        objects equal `kubectl kustomize argo/base` and `argo/standard`,
        labels aside;
      - `helm package`: the archive (links resolved) renders the same.
      --root checks another copy of the argo/ tree (the tests plant bugs in
      one); the CRDs still come from this repository's ../shared.
  chart.py render [--values FILE]... [--set-json JSON]
      The rendered objects as a JSON list; values files, then the JSON, are
      merged over the chart's defaults as `helm -f ... --set-json` would.
      Values the schema refuses fail with Helm's message and exit 1.
"""
import argparse
import contextlib
import difflib
import json
import os
import subprocess
import sys
import tempfile

import helm_python
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (check.py, beside this file)

SHARED = os.path.join(os.path.dirname(check.ROOT), "shared")
RELEASE, NAMESPACE = "simplepipe", "alice"
# Switched on for the drift check: the monitoring objects are opt-in.
MONITORING_ON = {"monitoring": {"prometheusRule": {"enabled": True}, "dashboard": {"enabled": True}, "alertmanagerConfig": {"enabled": True}}}


def merge(base, over):
    """Helm's coalescing of values: maps merge key by key, the rest replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@contextlib.contextmanager
def helm_stderr():
    """Helm's loader logs every symlink it follows (files/base,
    files/standard) to stderr with Go's default logger, which the SDK's
    enable_logging does not reach: pass on everything else it writes."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            for line in tmp.read().decode(errors="replace").splitlines():
                if "found symbolic link in path" not in line:
                    print(line, file=sys.stderr)


def render(chart_dir, values):
    with helm_stderr(), helm_python.Chart.load(chart_dir) as chart:
        out = chart.render(values=values, name=RELEASE, namespace=NAMESPACE)
    return [d for _, text in sorted(out.items()) for d in yaml.safe_load_all(text) if d]


class CrdLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml (the CRDs are megabytes), reading a bare `=` (an enum value
    in the AlertmanagerConfig CRD) as the string it is."""


CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
CRDS = {}


def full_crd(doc):
    """The openAPIV3Schema of an object's kind and version, from the CRD
    file in ../shared named group_plural.yaml; None if there is none."""
    group, _, version = doc.get("apiVersion", "").rpartition("/")
    kind = doc.get("kind", "")
    if group not in ("argoproj.io", "monitoring.coreos.com"):
        return None
    if (group, kind) not in CRDS:
        folder = "argo-crds" if group == "argoproj.io" else "k8s-crds"
        path = os.path.join(SHARED, folder, f"{group}_{kind.lower()}s.yaml")
        with open(path) as f:
            CRDS[(group, kind)] = yaml.load(f, Loader=CrdLoader)
    versions = {v["name"]: v["schema"]["openAPIV3Schema"] for v in CRDS[(group, kind)]["spec"]["versions"]}
    return versions[version]


def check_object(doc, where):
    errors = check.check(doc, where)
    schema = full_crd(doc)
    if schema is not None:
        found = []
        check.walk(doc, schema, "", found)
        errors += [f"{where}: {doc['kind']} {doc['metadata']['name']}: full CRD: {e}" for e in found]
    return errors


def lint(chart_dir, values, where):
    with helm_stderr():
        report = helm_python.lint(chart_dir, values, strict=True)
    notes = [m for m in report["messages"] if m["severity"] < 2]
    for m in notes:
        print(f"{where}: lint note: {m['path']}: {m['error']}")
    return [f"{where}: helm lint --strict: {m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2] + \
        [f"{where}: helm lint --strict: {e}" for e in report["errors"]]


def normalized(docs, common):
    """Objects by (kind, name), without labels: metadata labels anywhere, and
    the kustomization's commonLabels that kustomize also puts in selectors."""
    def strip(node, key=None):
        if isinstance(node, dict):
            out = {k: strip(v, k) for k, v in node.items() if not (key == "metadata" and k == "labels")}
            if key in ("selector", "matchLabels"):
                out = {k: v for k, v in out.items() if k not in common}
            return out
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return {(d["kind"], d["metadata"]["name"]): strip(d) for d in docs}


def drift(root, rendered):
    """The chart's objects against what kustomize builds from the same files."""
    errors, built = [], []
    common = {}
    for part in ("base", "standard"):
        d = os.path.join(root, "argo", part)
        out = subprocess.run(["kubectl", "kustomize", d], capture_output=True, text=True)
        if out.returncode != 0:
            return [f"kubectl kustomize {d}: {out.stderr.strip()}"]
        built += check.docs_of(out.stdout)
        with open(os.path.join(d, "kustomization.yaml")) as f:
            common.update(yaml.safe_load(f).get("commonLabels") or {})
    want, got = normalized(built, common), normalized(rendered, common)
    for key in sorted(set(want) | set(got)):
        if key not in got:
            errors.append(f"drift: {key[0]} {key[1]} is in the Kustomize build but not in the chart")
        elif key not in want:
            errors.append(f"drift: {key[0]} {key[1]} is in the chart but not in the Kustomize build")
        elif want[key] != got[key]:
            dump = lambda o: yaml.safe_dump(o, sort_keys=True).splitlines()
            diff = difflib.unified_diff(dump(want[key]), dump(got[key]), "kustomize", "helm", lineterm="", n=1)
            errors.append(f"drift: {key[0]} {key[1]} differs from the Kustomize build:\n  " + "\n  ".join(diff))
    return errors, len(want)


def packaged(chart_dir):
    """`helm package` copies what the links point to: the archive renders
    the same objects as the directory."""
    with tempfile.TemporaryDirectory() as tmp, helm_stderr():
        archive = helm_python.package(chart_dir, destination=tmp)
        same = render(archive, MONITORING_ON) == render(chart_dir, MONITORING_ON)
    return [] if same else [f"helm package {chart_dir}: the archive renders differently from the directory"]


def run_check(root):
    chart_dir = os.path.join(root, "argo/chart")
    with open(os.path.join(chart_dir, "ci/full-values.yaml")) as f:
        full = yaml.safe_load(f)
    errors, checked = [], 0
    for name, values in (("default values", {}), ("ci/full-values.yaml", full)):
        errors += lint(chart_dir, values, f"chart, {name}")
        for doc in render(chart_dir, values):
            errors += check_object(doc, f"chart, {name}")
            checked += 1
    found, compared = drift(root, render(chart_dir, MONITORING_ON))
    errors += found
    errors += packaged(chart_dir)
    for e in errors:
        print(e)
    print(f"{checked} rendered manifests checked, {compared} compared with kustomize, {len(errors)} problems")
    return 1 if errors else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--root", default=check.ROOT)
    r = sub.add_parser("render")
    r.add_argument("--values", action="append", default=[])
    r.add_argument("--set-json", default="{}")
    args = p.parse_args()
    if args.cmd == "check":
        sys.exit(run_check(os.path.abspath(args.root)))
    values = {}
    for path in args.values:
        with open(path) as f:
            values = merge(values, yaml.safe_load(f) or {})
    values = merge(values, json.loads(args.set_json))
    try:
        docs = render(os.path.join(check.ROOT, "argo/chart"), values)
    except helm_python.HelmError as e:
        print(f"chart.py render: {e}", file=sys.stderr)
        sys.exit(1)
    json.dump(docs, sys.stdout)


if __name__ == "__main__":
    main()
