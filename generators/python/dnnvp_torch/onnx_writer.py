"""Writes an IntegerModel as ONNX (opset 13): QDQ (QuantizeLinear/DequantizeLinear, 8-bit) or QONNX
(`Quant` nodes of domain qonnx.custom_op.general, any width 2..8). docs/frontend.md describes both."""

from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .integer import ExportError, IntegerModel, Layer, TensorQuant

OPSET = 13
QONNX_DOMAIN = "qonnx.custom_op.general"


class _Graph:
    def __init__(self, form: str) -> None:
        self.form = form
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: List[str], output: str, name: str, domain: str = "", **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=name, domain=domain, **attrs))
        return output

    def quantize(self, x: str, t: TensorQuant, tensor: str) -> str:
        """The tensor `tensor` on the grid of `t`: QDQ: Q -> DQ; QONNX: one Quant. Returns the float
        (dequantised) tensor's name."""
        if self.form == "qdq":
            if t.bits != 8:
                raise ExportError(f"tensor '{tensor}' has {t.bits} bits: QDQ carries 8 bits only; use"
                                  " form='qonnx'")
            zp_type = np.int8 if t.signed else np.uint8
            scale = self.const(f"{tensor}_scale", np.array(t.scale, dtype=np.float32))
            zp = self.const(f"{tensor}_zero_point", np.array(t.zero_point, dtype=zp_type))
            q = self.node("QuantizeLinear", [x, scale, zp], f"{tensor}_q", f"{tensor}_quant")
            return self.node("DequantizeLinear", [q, scale, zp], f"{tensor}_dq", f"{tensor}_dequant")
        scale = self.const(f"{tensor}_scale", np.array(t.scale, dtype=np.float32))
        zp = self.const(f"{tensor}_zero_point", np.array(t.zero_point, dtype=np.float32))
        bits = self.const(f"{tensor}_bitwidth", np.array(t.bits, dtype=np.float32))
        return self.node("Quant", [x, scale, zp, bits], f"{tensor}_q", f"{tensor}_quant", QONNX_DOMAIN,
                         signed=int(t.signed), narrow=0, rounding_mode="ROUND")

    def weights(self, layer: Layer) -> str:
        assert layer.weights is not None and layer.weight_scales is not None
        n = layer.name
        scales = layer.weight_scales.astype(np.float32)
        if self.form == "qdq":
            if layer.weight_bits != 8:
                raise ExportError(f"layer '{n}' has {layer.weight_bits}-bit weights: QDQ carries 8 bits"
                                  " only; use form='qonnx'")
            w = self.const(f"{n}_weight", layer.weights.astype(np.int8))
            s = self.const(f"{n}_weight_scale", scales)
            zp = self.const(f"{n}_weight_zero_point", np.zeros(scales.shape, dtype=np.int8))
            return self.node("DequantizeLinear", [w, s, zp], f"{n}_weight_dq", f"{n}_weight_dequant",
                             axis=0)
        # float32(q * s) divided by s in double rounds back to q exactly (|q| < 2^7, 24-bit mantissa).
        shape = (-1,) + (1,) * (layer.weights.ndim - 1)
        real = (layer.weights.astype(np.float64) * scales.astype(np.float64).reshape(shape))
        w = self.const(f"{n}_weight", real.astype(np.float32))
        s = self.const(f"{n}_weight_scale", scales.reshape(shape))
        zp = self.const(f"{n}_weight_zero_point", np.array(0, dtype=np.float32))
        bits = self.const(f"{n}_weight_bitwidth", np.array(layer.weight_bits, dtype=np.float32))
        return self.node("Quant", [w, s, zp, bits], f"{n}_weight_q", f"{n}_weight_quant", QONNX_DOMAIN,
                         signed=1, narrow=1, rounding_mode="ROUND")

    def bias(self, layer: Layer, input_scale: float) -> str:
        """int32 bias and DequantizeLinear with scale float32(sx * sw[o]), in both forms (exact)."""
        assert layer.bias is not None and layer.weight_scales is not None
        n = layer.name
        scales = (float(input_scale) * layer.weight_scales.astype(np.float64)).astype(np.float32)
        b = self.const(f"{n}_bias", layer.bias.astype(np.int32))
        s = self.const(f"{n}_bias_scale", scales)
        zp = self.const(f"{n}_bias_zero_point", np.zeros(scales.shape, dtype=np.int32))
        return self.node("DequantizeLinear", [b, s, zp], f"{n}_bias_dq", f"{n}_bias_dequant", axis=0)

    def activation(self, layer: Layer, x: str) -> str:
        if layer.activation == "relu":
            return self.node("Relu", [x], f"{layer.name}_relu", f"{layer.name}_relu")
        if layer.activation == "leaky_relu":
            return self.node("LeakyRelu", [x], f"{layer.name}_leaky", f"{layer.name}_leaky",
                             alpha=float(2.0 ** -layer.leaky_shift))
        return x


def _window_attrs(layer: Layer) -> Dict[str, List[int]]:
    return {"kernel_shape": list(layer.kernel), "strides": list(layer.stride), "pads": list(layer.pads)}


def build(model: IntegerModel, form: str, graph_name: str, output_shape: Tuple[int, ...]) -> onnx.ModelProto:
    """The ONNX model; `output_shape`: the last layer's output without the batch dimension."""
    if form not in ("qdq", "qonnx"):
        raise ExportError(f"form must be 'qdq' or 'qonnx', got '{form}'")
    g = _Graph(form)
    dq: Dict[str, str] = {"input": g.quantize("input", model.input_quant, "input")}
    quants: Dict[str, TensorQuant] = {"input": model.input_quant}
    for layer in model.layers:
        n, x = layer.name, dq[layer.inputs[0]]
        if layer.kind == "conv":
            y = g.node("Conv", [x, g.weights(layer), g.bias(layer, quants[layer.inputs[0]].scale)],
                       f"{n}_out", n, **_window_attrs(layer))
            y = g.activation(layer, y)
        elif layer.kind == "dense":
            y = g.node("Gemm", [x, g.weights(layer), g.bias(layer, quants[layer.inputs[0]].scale)],
                       f"{n}_out", n, transB=1)
            y = g.activation(layer, y)
        elif layer.kind == "maxpool":
            y = g.node("MaxPool", [x], f"{n}_out", n, **_window_attrs(layer))
        elif layer.kind == "avgpool" and layer.global_pool:
            y = g.node("GlobalAveragePool", [x], f"{n}_out", n)
        elif layer.kind == "avgpool":
            y = g.node("AveragePool", [x], f"{n}_out", n, count_include_pad=0, **_window_attrs(layer))
        elif layer.kind == "flatten":
            y = g.node("Flatten", [x], f"{n}_out", n, axis=1)
        elif layer.kind == "relu":
            y = g.node("Relu", [x], f"{n}_out", n)
        elif layer.kind == "add":
            y = g.activation(layer, g.node("Add", [x, dq[layer.inputs[1]]], f"{n}_out", n))
        else:
            raise ExportError(f"layer '{n}': unknown kind '{layer.kind}'")
        dq[n] = g.quantize(y, layer.out, n)
        quants[n] = layer.out

    c, h, w = model.input_shape
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c, h, w])]
    outputs = [helper.make_tensor_value_info(dq[model.layers[-1].name], TensorProto.FLOAT,
                                                 ["N"] + list(output_shape))]
    graph = helper.make_graph(g.nodes, graph_name, inputs, outputs, g.inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if form == "qonnx":
        opsets.append(helper.make_opsetid(QONNX_DOMAIN, 1))
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="dnnvp_torch")
    proto.ir_version = 7  # what ONNX 1.12 writes for opset 13, readable by older runtimes too
    onnx.checker.check_model(proto)
    return proto


def write(model: IntegerModel, path: str, form: str, graph_name: str,
          output_shape: Tuple[int, ...]) -> None:
    onnx.save(build(model, form, graph_name, output_shape), path)
