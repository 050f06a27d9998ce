"""Trains a small CNN on scikit-learn's digits (8x8 images, offline) with dnnvp_torch at 8 and at 4 bits
and exports both to scenarios/: digits/{digits_cnn,digits_cnn_4bit}.onnx, a held-out batch (images.npy,
labels.npy, each model's float predictions) and digits_cnn.yaml / digits_cnn_4bit.yaml.

    PYTHONPATH=generators/python /usr/bin/python3 generators/python/train_digits.py [--out scenarios]

Deterministic (seeded, one thread). Prints each model's held-out accuracy: float (the fake-quantised
model, whose predictions the scenarios carry as the reference) and integer (the export's integer
inference, which the virtual platform reproduces bit for bit)."""

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.datasets import load_digits

import dnnvp_torch as dt

HELD_OUT = 200
HARDWARE = {"rows": 4, "cols": 8}


class DigitsCnn(torch.nn.Module):
    """8x8x1 -> conv 16 -> conv 16 -> maxpool -> conv 32 -> global average -> dense 10."""

    def __init__(self, q: dt.QConfig) -> None:
        super().__init__()
        self.inp = dt.Input(scale=1.0, qconfig=q)  # the data set's pixels are integers 0..16
        self.conv1 = dt.Conv2D(1, 16, 3, padding=1, act=dt.ReLU(), qconfig=q)
        self.conv2 = dt.Conv2D(16, 16, 3, padding=1, act=dt.ReLU(), qconfig=q)
        self.pool = dt.MaxPool(2)
        self.conv3 = dt.Conv2D(16, 32, 3, padding=1, act=dt.ReLU(), qconfig=q)
        self.gap = dt.AvgPool(global_pool=True)
        self.flat = dt.Flatten()
        self.fc = dt.Dense(32, 10, qconfig=q)

    def forward(self, x: torch.Tensor) -> dt.QTensor:
        x = self.pool(self.conv2(self.conv1(self.inp(x))))
        return self.fc(self.flat(self.gap(self.conv3(x))))


def split(seed: int = 0):
    """(train images, train labels, held-out images, held-out labels): images N x 1 x 8 x 8 float32."""
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    images = digits.images[order].astype(np.float32)[:, None]
    labels = digits.target[order].astype(np.int64)
    return (torch.from_numpy(images[HELD_OUT:]), torch.from_numpy(labels[HELD_OUT:]),
            torch.from_numpy(images[:HELD_OUT]), torch.from_numpy(labels[:HELD_OUT]))


def train(q: dt.QConfig, x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int) -> DigitsCnn:
    """Adam with a cosine schedule; activation scales observed for the first 3/4 of the epochs, then
    frozen, so the last epochs train against the final scales."""
    torch.manual_seed(seed)
    model = DigitsCnn(q)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs)
    for epoch in range(epochs):
        if epoch == epochs * 3 // 4:
            dt.freeze(model)
        model.train()
        for batch in torch.randperm(len(y)).split(64):
            loss = torch.nn.functional.cross_entropy(model(x[batch]).value, y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        schedule.step()
    dt.freeze(model)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "scenarios"),
                        help="the scenarios directory (default: the repository's)")
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y, test_x, test_y = split()
    for name, q in (("digits_cnn", dt.QConfig(activation_bits=8, weight_bits=8)),
                    ("digits_cnn_4bit", dt.QConfig(activation_bits=4, weight_bits=4))):
        start = time.time()
        model = train(q, x, y, args.epochs, seed=1)
        result = dt.export(model, HARDWARE, os.path.join(args.out, "digits"), test_x, labels=test_y.numpy(),
                           name=name, scenario=os.path.join(args.out, f"{name}.yaml"),
                           description=f"dnnvp_torch's small CNN on scikit-learn's digits, "
                                       f"{q.activation_bits}-bit, {HELD_OUT} held-out images"
                                       " (generators/python/train_digits.py)")
        reference = np.load(result.files["reference"])
        integer_predictions = result.output.argmax(axis=1)
        float_accuracy = float((reference == test_y.numpy()).mean())
        integer_accuracy = float((integer_predictions == test_y.numpy()).mean())
        mismatches = sum(a.mismatches for a in result.agreement.values())
        print(f"{name}: held-out top-1 float {100 * float_accuracy:.1f}%, integer"
              f" {100 * integer_accuracy:.1f}%, predictions differing {int((reference != integer_predictions).sum())},"
              f" layer elements differing from fake quant {mismatches}, {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
