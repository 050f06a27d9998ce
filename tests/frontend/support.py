"""Shared by the frontend tests: the Debian packages they need (a missing one fails the test, naming the
fix) and a small model that uses every block."""

import importlib
import os

for _module, _package in (("numpy", "python3-numpy"), ("torch", "python3-torch"), ("onnx", "python3-onnx")):
    try:
        importlib.import_module(_module)
    except ImportError as e:
        raise ImportError(f"{_package} is missing for this Python ({e}): run tools/install-deps.sh, and"
                          " run the tests with /usr/bin/python3 (Debian's), not pyenv's python3") from e

import torch  # noqa: E402

import dnnvp_torch as dt  # noqa: E402


class EveryBlock(torch.nn.Module):
    """Input, Conv2D (ReLU, LeakyReLU, stride, padding), Add, MaxPool, AvgPool, global AvgPool, a
    standalone ReLU, Flatten, Dense."""

    def __init__(self, q: dt.QConfig, channels: int = 4, classes: int = 5) -> None:
        super().__init__()
        self.inp = dt.Input(signed=True, qconfig=q)
        self.c1 = dt.Conv2D(2, channels, 3, padding=1, act=dt.ReLU(), qconfig=q)
        self.c2 = dt.Conv2D(channels, channels, 3, padding=1, act=dt.LeakyReLU(0.25), qconfig=q)
        self.add = dt.Add(qconfig=q)
        self.relu = dt.ReLU()
        self.pool = dt.MaxPool(2)
        self.avg = dt.AvgPool(3, stride=1, padding=1)
        self.c3 = dt.Conv2D(channels, channels, 3, stride=2, padding=1, bias=False, qconfig=q)
        self.gap = dt.AvgPool(global_pool=True)
        self.flat = dt.Flatten()
        self.fc = dt.Dense(channels, classes, qconfig=q)

    def forward(self, x: torch.Tensor) -> dt.QTensor:
        x = self.inp(x)
        a = self.c1(x)
        y = self.relu(self.add(a, self.c2(a)))
        y = self.c3(self.avg(self.pool(y)))
        return self.fc(self.flat(self.gap(y)))


def trained(q: dt.QConfig, seed: int = 1, steps: int = 15, images: int = 8, size: int = 8) -> tuple:
    """EveryBlock trained a few Adam steps on random size x size data (scales observed), frozen; and its
    data."""
    torch.manual_seed(seed)
    model = EveryBlock(q)
    x = torch.randn(images, 2, size, size)
    target = torch.randint(0, 5, (images,))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x).value, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    dt.freeze(model)
    return model, x, target


def tool(variable: str) -> str:
    """The executable the environment variable names (ctest sets it to a built tool)."""
    path = os.environ.get(variable, "")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{variable} must name an executable (ctest sets it), got '{path}'")
    return path
