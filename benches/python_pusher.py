"""The alternative a user would write in Python, the way the original
Simplepipe did it: load the JSON, validate it with `jsonschema` against the
same schema simplepipe uses, build a prometheus_client registry and call
`push_to_gateway` with a `user` grouping key.

Pre-aggregated histograms and summaries can't be fed to prometheus_client's
Histogram/Summary objects (they only `observe`), so a custom collector
yields metric families: the client library's documented way for this.

usage: python_pusher.py ARTIFACT GATEWAY JOB USER SCHEMA
"""
import json
import sys

import jsonschema
from prometheus_client import CollectorRegistry, push_to_gateway
from prometheus_client.core import Metric


def value(v):
    return float(v) if not isinstance(v, str) else {"NaN": float("nan"), "+Inf": float("inf"), "-Inf": float("-inf")}[v]


class ArtifactCollector:
    def __init__(self, doc):
        self.doc = doc

    def collect(self):
        top = self.doc.get("labels", {})
        families = {}
        for m in self.doc["metrics"]:
            name, kind = m["name"], m["type"]
            fam = families.get(name)
            if fam is None:
                fam = families[name] = Metric(name, m.get("help", ""), kind)
            labels = {**top, **m.get("labels", {})}
            if kind in ("gauge", "counter", "untyped"):
                fam.add_sample(name, labels, value(m["value"]))
            elif kind == "histogram":
                infinite_seen = False
                for b in m["buckets"]:
                    le = "+Inf" if b["le"] == "+Inf" else repr(float(b["le"]))
                    infinite_seen |= le == "+Inf"
                    fam.add_sample(name + "_bucket", {**labels, "le": le}, float(b["count"]))
                if not infinite_seen:
                    fam.add_sample(name + "_bucket", {**labels, "le": "+Inf"}, float(m["count"]))
                fam.add_sample(name + "_sum", labels, value(m["sum"]))
                fam.add_sample(name + "_count", labels, float(m["count"]))
            else:  # summary
                for q in m.get("quantiles", []):
                    fam.add_sample(name, {**labels, "quantile": repr(float(q["quantile"]))}, value(q["value"]))
                fam.add_sample(name + "_sum", labels, value(m["sum"]))
                fam.add_sample(name + "_count", labels, float(m["count"]))
        return list(families.values())


def main():
    artifact, gateway, job, user, schema = sys.argv[1:6]
    with open(artifact) as f:
        doc = json.load(f)
    with open(schema) as f:
        jsonschema.validate(doc, json.load(f))
    registry = CollectorRegistry()
    registry.register(ArtifactCollector(doc))
    push_to_gateway(gateway, job=job, registry=registry, grouping_key={"user": user})


if __name__ == "__main__":
    main()
