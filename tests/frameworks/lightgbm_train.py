"""A small real LightGBM training, written as a user would: valid_sets and
log_evaluation(1). Run by tests/suite/frameworks.rs under `simplepipe run`.

argv[1]: where to write what the last printed line says, as
{metric name simplepipe gives it: value as printed}. LightGBM prints
`[20]\ttraining's l2: 0.123456\t...`, each value with %g.
"""
import json
import sys

import lightgbm as lgb
import numpy as np

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5))
y = 2 * X[:, 0] - X[:, 1] + rng.normal(scale=0.1, size=300)
train = lgb.Dataset(X[:200], label=y[:200])
valid = lgb.Dataset(X[200:], label=y[200:], reference=train)
record = {}
rounds = 20
lgb.train(
    {"objective": "regression", "metric": ["l2", "l1"], "verbose": -1, "num_threads": 1},
    train,
    num_boost_round=rounds,
    valid_sets=[train, valid],
    callbacks=[lgb.log_evaluation(1), lgb.record_evaluation(record)],
)
expected = {f"{s}_{m}": float(f"{v[-1]:g}") for s, ms in record.items() for m, v in ms.items()}
expected["iteration"] = rounds
with open(sys.argv[1], "w") as f:
    json.dump(expected, f)
