"""A small real Keras training on JAX, written as a user would:
fit(..., validation_split=..., verbose=2). Run by tests/suite/frameworks.rs
under `simplepipe run`.

argv[1]: where to write what the last printed lines say, as
{metric name: value as printed}. Keras prints `Epoch 3/3`, then
`5/5 - 0s - 1ms/step - accuracy: 0.6200 - loss: 0.6390 - ...`, each value
with 4 decimals (or as 1.2345e-05 when it is that small).
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 4)).astype("float32")
y = (X[:, 0] + X[:, 1] > 0).astype("int32")
model = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
epochs = 3
history = model.fit(X, y, epochs=epochs, batch_size=32, validation_split=0.25, verbose=2)


def printed(v):
    return float(f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}")


expected = {k: printed(v[-1]) for k, v in history.history.items()}
expected["epoch"] = epochs
with open(sys.argv[1], "w") as f:
    json.dump(expected, f)
