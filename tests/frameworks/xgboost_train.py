"""A small real XGBoost training, written as a user would: evals and
verbose_eval. Run by tests/suite/frameworks.rs under `simplepipe run`.

argv[1]: where to write what the last printed line says, as
{metric name simplepipe gives it: value as printed}. XGBoost prints each
result with 5 decimals (`[19]\ttrain-rmse:0.12345\t...`).
"""
import json
import sys

import numpy as np
import xgboost as xgb

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5))
y = 2 * X[:, 0] - X[:, 1] + rng.normal(scale=0.1, size=300)
dtrain = xgb.DMatrix(X[:200], label=y[:200])
deval = xgb.DMatrix(X[200:], label=y[200:])
result = {}
rounds = 20
xgb.train(
    {"objective": "reg:squarederror", "eval_metric": ["rmse", "mae"], "max_depth": 3, "nthread": 1},
    dtrain,
    num_boost_round=rounds,
    evals=[(dtrain, "train"), (deval, "eval")],
    evals_result=result,
    verbose_eval=5,  # iterations 0, 5, 10, 15 and the last, 19
)
expected = {f"{s}_{m}": float(f"{v[-1]:.5f}") for s, ms in result.items() for m, v in ms.items()}
expected["iteration"] = rounds - 1
with open(sys.argv[1], "w") as f:
    json.dump(expected, f)
