#!/usr/bin/env python3
"""Offline validation of every manifest in argo/ (run by tests/suite/argo.rs).

- Argo objects (Workflow, WorkflowTemplate, CronWorkflow) are loaded into
  hera's Argo models, so a wrong type fails, and walked against the Argo
  CRD's openAPIV3Schema (tests/manifests/crds), so an unknown or misspelled
  key fails too (hera's models would silently ignore it). There is no
  CronWorkflow CRD offline: its `spec.workflowSpec` is walked against the
  Workflow CRD's `spec` (Argo documents them as the same type), and its own
  keys against the fields of hera's CronWorkflowSpec model, nested models
  included.
- Kubernetes objects are checked with kubernetes-validate in strict mode
  (unknown keys are errors).
- ServiceMonitor and PrometheusRule have no schema offline; their keys are
  checked against the fields of monitoring.coreos.com/v1 we use, and a
  PrometheusRule's groups go through `promtool check rules`.
- An AlertmanagerConfig is walked against the Prometheus Operator's CRD in
  ../shared/k8s-crds (beside the clone), its child routes included (the CRD
  leaves them free-form; the operator reads each as a route).
- Plain Prometheus rule files (top-level `groups`) go through `promtool
  check rules`, and promtool test files (top-level `rule_files`) through
  `promtool test rules`.
- Each Kustomize overlay (and argo/standard) is built with the real kustomize in kubectl, and the
  built output goes through the same checks.

usage: check.py [FILE.yaml ...]   (default: everything under argo/)
"""
import functools
import glob
import os
import subprocess
import sys

import types
import typing

import kubernetes_validate
import pydantic
import yaml
from hera.workflows.models import CronWorkflow, CronWorkflowSpec, Workflow, WorkflowTemplate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRDS = os.path.join(ROOT, "tests/manifests/crds")
OPERATOR_CRDS = os.path.join(os.path.dirname(ROOT), "shared/k8s-crds")
K8S_VERSION = "1.29"

SERVICE_MONITOR = {
    "apiVersion": str, "kind": str, "metadata": dict,
    "spec": {
        "selector": {"matchLabels": dict},
        "namespaceSelector": dict,
        "endpoints": [{"port": str, "path": str, "interval": str, "scrapeTimeout": str, "honorLabels": bool, "scheme": str}],
    },
}

PROMETHEUS_RULE = {
    "apiVersion": str, "kind": str, "metadata": dict,
    "spec": {
        "groups": [{"name": str, "interval": str, "rules": [
            {"alert": str, "record": str, "expr": str, "for": str, "labels": dict, "annotations": dict}]}],
    },
}


def promtool(args, text=None, cwd=None):
    """Run promtool on a file (or on `text` written to a temp file)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        if text is not None:
            path = os.path.join(tmp, "rules.yaml")
            with open(path, "w") as f:
                f.write(text)
            args = args + [path]
        r = subprocess.run(["promtool"] + args, capture_output=True, text=True, cwd=cwd)
    return [] if r.returncode == 0 else [f"promtool {' '.join(args[:2])}: {(r.stdout + r.stderr).strip()}"]


@functools.lru_cache(maxsize=None)
def crd_schema(kind):
    """Loaded once per kind, with libyaml: the CRDs are megabytes, and pure
    Python parsing them for every object took 50 s of a run."""
    if kind == "CronWorkflow":
        return cron_workflow_schema()
    name = {"Workflow": "argoproj.io_workflows.yaml", "WorkflowTemplate": "argoproj.io_workflowtemplates.yaml"}[kind]
    with open(os.path.join(CRDS, name)) as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


class CrdLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The operator's CRDs list `=` as an enum value, which YAML 1.1
    (PyYAML) reads as its "value" tag: take it as the string it is."""


CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@functools.lru_cache(maxsize=None)
def operator_schema(kind, api_version):
    name = {"AlertmanagerConfig": "monitoring.coreos.com_alertmanagerconfigs.yaml"}[kind]
    path = os.path.join(OPERATOR_CRDS, name)
    if not os.path.exists(path):
        raise SystemExit(f"no CRD at {path}: the Prometheus Operator's CRDs are expected in ../shared/k8s-crds beside the clone")
    with open(path) as f:
        crd = yaml.load(f, Loader=CrdLoader)
    version = api_version.rsplit("/", 1)[-1]
    versions = {v["name"]: v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"]}
    if version not in versions:
        return None
    schema = versions[version]
    route = schema["properties"]["spec"]["properties"]["route"]
    route["properties"]["routes"] = {"type": "array", "items": route}
    return schema


PRIMITIVES = {str: "string", bool: "boolean", int: "integer"}


def model_schema(annotation, seen=()):
    """The keys (and basic types) a hera/pydantic model accepts, as an
    openAPIV3Schema-like dict that walk() understands."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return model_schema(args[0], seen)
    if origin is typing.Annotated:
        return model_schema(args[0], seen)
    if origin is list and args:
        return {"type": "array", "items": model_schema(args[0], seen)}
    if origin is dict:
        return {"type": "object"}  # free-form, e.g. labels
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in seen:
            return {"type": "object"}
        return {"type": "object", "properties": {
            (f.alias or name): model_schema(f.annotation, seen + (annotation,))
            for name, f in annotation.model_fields.items()}}
    return {"type": PRIMITIVES[annotation]} if annotation in PRIMITIVES else {}


def cron_workflow_schema():
    workflow = crd_schema("Workflow")
    spec = model_schema(CronWorkflowSpec)
    spec["properties"]["workflowSpec"] = workflow["properties"]["spec"]
    spec["required"] = ["workflowSpec"]
    return {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": workflow["properties"]["metadata"], "spec": spec}}


TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def walk(node, schema, path, errors):
    """Unknown keys and basic types against an openAPIV3Schema."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    t = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(node, (int, str)) or isinstance(node, bool):
            errors.append(f"{path}: expected an integer or a string, got {node!r}")
        return
    if t == "integer" and (not isinstance(node, int) or isinstance(node, bool)):
        errors.append(f"{path}: expected an integer, got {node!r}")
        return
    if t in TYPES and not isinstance(node, TYPES[t]):
        errors.append(f"{path}: expected {t}, got {type(node).__name__} {node!r}")
        return
    if "enum" in schema and node not in schema["enum"]:
        errors.append(f"{path}: {node!r} is not one of {schema['enum']}")
    if isinstance(node, str) and len(node) < schema.get("minLength", 0):
        errors.append(f"{path}: shorter than {schema['minLength']}")
    if isinstance(node, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return  # free-form object (e.g. metadata)
        for key, value in node.items():
            if props and key in props:
                walk(value, props[key], f"{path}/{key}", errors)
            elif isinstance(extra, dict):
                walk(value, extra, f"{path}/{key}", errors)
            elif extra is not True:
                errors.append(f"{path}/{key}: unknown key")
        for key in schema.get("required", []):
            if key not in node:
                errors.append(f"{path}: missing required key {key!r}")
    elif isinstance(node, list) and "items" in schema:
        for i, item in enumerate(node):
            walk(item, schema["items"], f"{path}/{i}", errors)


def shape(node, spec, path, errors):
    """A small structural check for kinds without an offline schema."""
    if isinstance(spec, type):
        if not isinstance(node, spec):
            errors.append(f"{path}: expected {spec.__name__}, got {node!r}")
    elif isinstance(spec, list):
        if not isinstance(node, list):
            errors.append(f"{path}: expected a list")
        else:
            for i, item in enumerate(node):
                shape(item, spec[0], f"{path}/{i}", errors)
    elif not isinstance(node, dict):
        errors.append(f"{path}: expected an object")
    else:
        for key, value in node.items():
            if key not in spec:
                errors.append(f"{path}/{key}: unknown key")
            else:
                shape(value, spec[key], f"{path}/{key}", errors)


def check(doc, where):
    errors = []
    kind = doc.get("kind")
    if kind in ("Workflow", "WorkflowTemplate", "CronWorkflow"):
        model = {"Workflow": Workflow, "WorkflowTemplate": WorkflowTemplate, "CronWorkflow": CronWorkflow}[kind]
        try:
            model.model_validate(doc)
        except Exception as e:  # pydantic's ValidationError, with every field
            errors.append(f"hera: {e}")
        walk(doc, crd_schema(kind), "", errors)
    elif kind == "AlertmanagerConfig":
        schema = operator_schema(kind, doc.get("apiVersion", ""))
        if schema is None:
            errors.append(f"no {doc.get('apiVersion')} in the AlertmanagerConfig CRD")
        else:
            walk(doc, schema, "", errors)
    elif kind == "ServiceMonitor":
        shape(doc, SERVICE_MONITOR, "", errors)
    elif kind == "PrometheusRule":
        shape(doc, PROMETHEUS_RULE, "", errors)
        errors += promtool(["check", "rules"], yaml.safe_dump(doc.get("spec", {})))
    else:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"kubernetes-validate: {'/'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"no schema for kind {kind} ({doc.get('apiVersion')}) offline; teach check.py about it")
    return [f"{where}: {kind} {doc.get('metadata', {}).get('name') or doc.get('metadata', {}).get('generateName')}: {e}" for e in errors]


def check_promtool_file(doc, path):
    """A plain rule file or a promtool test file, or None for other YAML."""
    where = os.path.relpath(path, ROOT)
    if "kind" in doc:
        return None
    if "groups" in doc:
        return [f"{where}: {e}" for e in promtool(["check", "rules", os.path.basename(path)], cwd=os.path.dirname(path))]
    if "rule_files" in doc:
        return [f"{where}: {e}" for e in promtool(["test", "rules", os.path.basename(path)], cwd=os.path.dirname(path))]
    return None


def docs_of(text):
    return [d for d in yaml.safe_load_all(text) if d]


def main():
    files = sys.argv[1:] or sorted(
        f for f in glob.glob(os.path.join(ROOT, "argo/**/*.yaml"), recursive=True)
        # argo/chart holds Helm templates, not manifests: chart.py renders
        # and checks them.
        if os.path.basename(f) != "kustomization.yaml" and not f.startswith(os.path.join(ROOT, "argo/chart/")))
    errors, checked = [], 0
    for f in files:
        with open(f) as fh:
            for doc in docs_of(fh.read()):
                plain = check_promtool_file(doc, f)
                errors += plain if plain is not None else check(doc, os.path.relpath(f, ROOT))
                checked += 1
    if not sys.argv[1:]:
        for overlay in sorted(glob.glob(os.path.join(ROOT, "argo/overlays/*"))):
            built = subprocess.run(["kubectl", "kustomize", overlay], capture_output=True, text=True)
            if built.returncode != 0:
                errors.append(f"kubectl kustomize {overlay}: {built.stderr.strip()}")
                continue
            ns = os.path.basename(overlay)
            for doc in docs_of(built.stdout):
                where = f"kustomize {os.path.relpath(overlay, ROOT)}"
                errors += check(doc, where)
                if doc["kind"] != "Namespace" and doc["metadata"].get("namespace") != ns:
                    errors.append(f"{where}: {doc['kind']} {doc['metadata']['name']} is not in namespace {ns}")
                checked += 1
        standard = os.path.join(ROOT, "argo/standard")
        built = subprocess.run(["kubectl", "kustomize", standard], capture_output=True, text=True)
        if built.returncode != 0:
            errors.append(f"kubectl kustomize {standard}: {built.stderr.strip()}")
        for doc in docs_of(built.stdout):
            errors += check(doc, "kustomize argo/standard")
            checked += 1
    for e in errors:
        print(e)
    print(f"{checked} manifests checked, {len(errors)} problems")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
