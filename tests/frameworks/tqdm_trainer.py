"""A training loop drawn with a real tqdm bar on stderr, with
set_postfix(...), that logs as Hugging Face's Trainer does: its
ProgressCallback prints each log dict with `bar.write(str(logs))`, a
single-quoted Python dict on stdout. (transformers itself is too heavy for
CI; the lines are the same.) Run by tests/suite/frameworks.rs under
`simplepipe run`.

argv[1]: where to write the last printed value of each metric. tqdm
prints a number in a postfix as '{:2.3g}'; str(dict) prints floats exactly.
"""
import json
import sys

from tqdm import tqdm

expected = {}
steps = 20
bar = tqdm(total=steps, desc="Epoch 0")
for step in range(1, steps + 1):
    loss = 1.0 / step
    # A string value (mode) is not a metric, and must not be a warning.
    bar.set_postfix(batch_loss=loss, lr=1e-4, mode="train")
    bar.update(1)
    expected.update(batch_loss=float(f"{loss:2.3g}"), lr=float(f"{1e-4:2.3g}"))
    if step % 5 == 0:
        logs = {
            "loss": round(loss, 4),
            "grad_norm": 1.5 / step,
            "learning_rate": 5e-05 * (1 - step / steps),
            "epoch": step / steps,
        }
        bar.write(str(logs))
        expected.update(logs)
bar.close()
evaluation = {"eval_loss": 0.3512, "eval_runtime": 0.51, "eval_samples_per_second": 78.4, "epoch": 1.0}
print(evaluation)
expected.update(evaluation)
summary = {"train_runtime": 1.25, "train_samples_per_second": 16.0, "train_loss": 0.1799, "epoch": 1.0}
print(summary)
expected.update(summary)
with open(sys.argv[1], "w") as f:
    json.dump(expected, f)
