"""What the tests need to know about a test model, read from the model itself with the reference."""

import numpy as np
from onnx import numpy_helper

import onnx_ref

# The importer's integer arithmetic differs from the exact-real reading by less than 2^-22 of a value (in
# grid units): its multiplier approximation (below 2^-30 relative) and an int32 bias taken as stored while its
# DequantizeLinear scale may differ from s_x * s_w by up to 2^-22 (docs/numerics.md, "Imported models").
# A rounding point farther than this from a tie rounds the same way in both; closer ones are near-ties.
TIE_MARGIN = 2.0 ** -21  # twice the largest of those


def near_tie(pre):
    """Whether values before rounding are near-ties: within TIE_MARGIN · max(1, |value|) of x.5."""
    return tie_distance(pre) < TIE_MARGIN * np.maximum(1.0, np.abs(pre))


# Exact ties are decided the same way by both only where the importer's arithmetic is exact: averages
# (docs/numerics.md, "AvgPool": the sum of q - z over the count, ties to even, plus z).
EXACT_OPS = ("AveragePool", "GlobalAveragePool")


def producers(model):
    return {out: node for node in model.graph.node for out in node.output}


def output_tensor(model):
    """The quantised tensor the graph output holds: the input of a trailing DequantizeLinear, or the output
    of a trailing QONNX Quant."""
    name = model.graph.output[0].name
    node = producers(model)[name]
    if node.op_type == "DequantizeLinear":
        return node.input[0]
    if node.op_type == "Quant":
        return name
    raise ValueError(f"graph output {name}: produced by {node.op_type}, not a dequantisation")


def quantised_output(model, values):
    """The graph output's stored integers."""
    return stored_integers(model, values, output_tensor(model))


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


def input_quantiser(model):
    """The node that quantises the graph input (QuantizeLinear or QONNX Quant)."""
    name = model.graph.input[0].name
    return next(n for n in model.graph.node if n.input and n.input[0] == name)


def quantised_input_feeds(model, stored):
    """Feeds that start the reference from stored input integers [1, C, H, W] instead of the float input."""
    node = input_quantiser(model)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    if node.op_type == "QuantizeLinear":
        fed = stored.astype(inits[node.input[2]].dtype)
    else:  # QONNX Quant: its output is the float value of the grid point
        fed = (stored.astype(np.float64) - inits[node.input[2]]) * inits[node.input[1]]
    return {model.graph.input[0].name: np.zeros(stored.shape, np.float32), node.output[0]: fed}


def stored_integers(model, values, tensor):
    """Stored integers of a quantised tensor: 8-bit values as they are; float values on the grid of the QONNX
    Quant that produced them (directly or through MaxPool / Flatten / Reshape, which keep the grid)."""
    by_output = producers(model)
    value = values[tensor]
    if value.dtype in (np.uint8, np.int8):
        return value.astype(np.int64)
    node = by_output.get(tensor)
    while node is not None and node.op_type in ("MaxPool", "Flatten", "Reshape"):
        node = by_output.get(node.input[0])
    if node is None or node.op_type != "Quant":
        return None
    scale, zeropt = values[node.input[1]], values[node.input[2]]
    return np.rint(value.astype(np.float64) / scale + zeropt).astype(np.int64)


def layer_tensor(model, values, node_name):
    """The quantised tensor a node's layer ends in: the node's output if it is quantised, else the first
    quantised tensor down its chain of single consumers (BatchNormalization, Relu, the requantisation, ...);
    for Flatten / Reshape, its input [1, C, H, W] (the engine flattens in HWC order, ONNX in CHW). None if the
    node is not in the model or its chain ends unquantised."""
    node = next((n for n in model.graph.node if n.name == node_name), None)
    if node is None:
        return None
    if node.op_type in ("Flatten", "Reshape"):
        tensor = node.input[0]
        producer = producers(model).get(tensor)
        if producer is not None and producer.op_type == "DequantizeLinear":
            tensor = producer.input[0]
        return tensor if stored_integers(model, values, tensor) is not None else None
    tensor = node.output[0]
    while stored_integers(model, values, tensor) is None:
        consumers = [n for n in model.graph.node if tensor in n.input]
        if len(consumers) != 1:
            return None
        tensor = consumers[0].output[0]
    return tensor

