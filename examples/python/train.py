"""A stand-in for a training script that reports with regatta_job (see packages/sdk/python)."""
import argparse
import math

import regatta_job

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
args = parser.parse_args()

loss = 1.0
for step in range(1, 11):
    loss = math.exp(-args.lr * step)
    print(f"step {step} loss={loss:.4f}", flush=True)
    regatta_job.metric("loss", loss, step=step)
regatta_job.result({"test_loss": loss, "test_accuracy": 1 - loss})
