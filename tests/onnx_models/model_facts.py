"""What the tests need to know about a test model, read from the model itself with the reference."""

import numpy as np

import onnx_ref

# The importer's integer arithmetic differs from the exact-real reading only by its multiplier
# approximation: relative error below 2^-30 on values below 2^9 in grid units, so below 2^-21 absolute.
# A rounding point this far from a tie rounds the same way in both; closer ones are near-ties.
TIE_MARGIN = 1e-5

# Exact ties are decided the same way by both only where the importer's arithmetic is exact: averages
# (docs/numerics.md, "AvgPool": the sum over the count, ties to even).
EXACT_OPS = ("AveragePool", "GlobalAveragePool")


def producers(model):
    return {out: node for node in model.graph.node for out in node.output}


def quantised_output(model, values):
    """The graph output's stored integers: the input of a trailing DequantizeLinear, or the grid values of a
    trailing QONNX Quant."""
    name = model.graph.output[0].name
    node = producers(model)[name]
    if node.op_type == "DequantizeLinear":
        return values[node.input[0]].astype(np.int64)
    if node.op_type == "Quant":
        scale, zeropt = values[node.input[1]], values[node.input[2]]
        return np.rint(values[name].astype(np.float64) / scale + zeropt).astype(np.int64)
    raise ValueError(f"graph output {name}: produced by {node.op_type}, not a dequantisation")


def exact_input(model, tensor):
    """Whether the rounding point `tensor` rounds the result of an operation the importer computes exactly."""
    by_output = producers(model)
    node = by_output[tensor]
    seen = set()
    while node.op_type in ("QuantizeLinear", "DequantizeLinear", "Quant") and node.input[0] in by_output:
        if node.name in seen:
            break
        seen.add(node.name)
        node = by_output[node.input[0]]
    return node.op_type in EXACT_OPS


def reference(model, image, ftype=np.float64):
    """All tensor values for one image [C, H, W] and the values before rounding at every rounding point."""
    rounding = {}
    values = onnx_ref.run(model, {model.graph.input[0].name: image[None]}, ftype, rounding)
    return values, rounding


def tie_distance(pre):
    """How far each value before rounding is from the nearest tie (x.5), in grid units."""
    return np.abs(pre - np.floor(pre) - 0.5)
