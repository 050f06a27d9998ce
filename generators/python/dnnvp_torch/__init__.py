"""dnnvp_torch: quantisation-aware training of small CNNs in PyTorch and their export to dnn-vp (an ONNX
model, a scenario, input files) with an integer inference that equals the C++ golden model bit for bit.
Use it from the source tree: PYTHONPATH=<repo>/generators/python /usr/bin/python3 ... (docs/frontend.md)."""

from .blocks import (Add, AvgPool, Conv2D, Dense, Flatten, Input, LeakyReLU, MaxPool, QTensor, ReLU,
                     freeze)
from . import integer
from .export import Agreement, ExportResult, compare, export, trace
from .integer import ExportError, IntegerModel, Layer, TensorQuant
from .quant import QConfig

__all__ = ["Add", "Agreement", "AvgPool", "Conv2D", "Dense", "ExportError", "ExportResult", "Flatten",
           "Input", "IntegerModel", "Layer", "LeakyReLU", "MaxPool", "QConfig", "QTensor", "ReLU",
           "TensorQuant", "compare", "export", "freeze", "integer", "trace"]
