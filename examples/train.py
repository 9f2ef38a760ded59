"""A stand-in for a training script: three short epochs, each logging one
line of metrics as `name=value` pairs, the way a real script would print
them. `simplepipe run -- python3 examples/train.py` pushes them while it
runs (docs/live-metrics.md). It trains nothing and writes nothing."""
import math
import time

for epoch in range(1, 4):
    time.sleep(1)
    loss = math.exp(-epoch / 2)
    print(f"epoch={epoch} loss={loss:.4f} accuracy={1 - loss / 2:.4f} lr=1e-5 images_total={epoch * 1200}")
print("training finished")
