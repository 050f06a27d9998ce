"""Writes the small whole test models in the three forms quantised ONNX networks come in, with their inputs.

    make_models.py OUT_DIR

writes, deterministically (fixed seeds), for FORM in qoperator, qdq, qonnx:
    OUT_DIR/FORM.onnx         the model (input [1, C, 8, 8] float, output [1, 10] float)
    OUT_DIR/FORM_images.npy   a batch of float32 images [N, C, 8, 8] in the model's input layout (NCHW)

Scales are calibrated on the batch itself with the reference (onnx_ref.py, float64 reading). Biases are
chosen on their accumulator grid (an integer times s_x * s_w[o], also after BatchNormalization folding), so
the importer's bias quantisation is exact and only its multiplier approximation separates it from ONNX's
arithmetic.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_ref  # noqa: E402

BATCH = 4
SIZE = 8
CLASSES = 10
OPSET = 13
FORMS = ("qoperator", "qdq", "qonnx")


def f32(x):
    return np.asarray(x, dtype=np.float32)


def images(rng, channels, low, high):
    """Smooth random images (a few low-frequency cosines plus a little noise) spanning [low, high]."""
    yy, xx = np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij")
    out = np.zeros((BATCH, channels, SIZE, SIZE))
    for n in range(BATCH):
        for c in range(channels):
            for _ in range(3):
                fy, fx, phase = rng.uniform(0, 0.8), rng.uniform(0, 0.8), rng.uniform(0, 2 * np.pi)
                out[n, c] += rng.normal() * np.cos(fy * yy + fx * xx + phase)
            out[n, c] += 0.1 * rng.normal(size=(SIZE, SIZE))
    out = (out - out.min()) / (out.max() - out.min())
    return f32(low + (high - low) * out)


def asymmetric(values, qtype=np.uint8):
    """Scale and zero point mapping the 99.9th-percentile range of `values` (with 0) onto `qtype`."""
    lo = min(0.0, float(np.percentile(values, 0.1)))
    hi = max(0.0, float(np.percentile(values, 99.9)))
    qmin, qmax = np.iinfo(qtype).min, np.iinfo(qtype).max
    scale = f32((hi - lo) / (qmax - qmin))
    zero = np.clip(np.rint(qmin - lo / float(scale)), qmin, qmax).astype(qtype)
    return scale, zero


def per_channel_weights(rng, shape, qmax):
    """Symmetric per-output-channel integer weights and their float32 scales (channel gains differ)."""
    w = rng.normal(size=shape) * np.exp(rng.normal(scale=0.5, size=(shape[0],) + (1,) * (len(shape) - 1)))
    w *= np.sqrt(2.0 / np.prod(shape[1:]))
    scale = f32(np.abs(w).reshape(shape[0], -1).max(axis=1) / qmax)
    q = np.clip(np.rint(w / scale.reshape((-1,) + (1,) * (len(shape) - 1))), -qmax, qmax)
    return q, scale


class Graph:
    """A graph under construction whose tensors can be evaluated on the batch with the reference."""

    def __init__(self, name, batch):
        self.name = name
        self.batch = batch
        self.nodes = []
        self.initializers = []
        self.opsets = [helper.make_opsetid("", OPSET)]

    def const(self, name, value):
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op, inputs, output, name=None, domain="", **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name or output, domain=domain, **attrs))
        return output

    def model(self, output):
        channels = self.batch.shape[1]
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, channels, SIZE, SIZE])],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, CLASSES])],
            self.initializers)
        return helper.make_model(graph, opset_imports=self.opsets, producer_name="dnn-vp tests/onnx_models")

    def values(self, tensor):
        """The tensor's values for every image of the batch (exact-real reading), stacked on axis 0."""
        partial = helper.make_model(helper.make_graph(self.nodes, "partial", [], [], self.initializers))
        runs = [onnx_ref.run(partial, {"input": image[None]}, np.float64)[tensor] for image in self.batch]
        return np.concatenate(runs)


def qoperator(seed=11):
    """QuantizeLinear -> QLinearConv (uint8 output with zero point 0: ReLU by the requantiser's limits) ->
    MaxPool (uint8) -> ConvInteger + requantisation (Cast, Mul by the Mul of input and weight scales, as
    onnxruntime writes it, then QuantizeLinear) -> Reshape -> QLinearMatMul -> DequantizeLinear."""
    rng = np.random.default_rng(seed)
    g = Graph("qoperator", images(rng, 3, -1.0, 1.0))
    s0, z0 = asymmetric(g.batch)
    g.const("s0", s0), g.const("z0", z0)
    x = g.node("QuantizeLinear", ["input", "s0", "z0"], "x_q", name="quantize_input")

    w1, sw1 = per_channel_weights(rng, (8, 3, 3, 3), 127)
    b1 = rng.integers(-400, 400, size=8).astype(np.int32)
    g.const("w1", w1.astype(np.int8)), g.const("sw1", sw1), g.const("zw1", np.zeros(8, np.int8))
    g.const("b1", b1)
    # Calibrate with y = real accumulator units (scale 1, zero point 0) first, then set the real scale.
    acc = (sw1.reshape(1, -1, 1, 1).astype(np.float64) * float(s0)
           * onnx_ref.conv_integer(g.values(x), w1.astype(np.int8), z0, None, {"pads": [1, 1, 1, 1]})
           + (b1 * float(s0) * sw1.astype(np.float64)).reshape(1, -1, 1, 1))
    s1 = f32(np.percentile(np.maximum(acc, 0), 99.9) / 255)
    g.const("s1", s1), g.const("z1", np.uint8(0))
    x = g.node("QLinearConv", [x, "s0", "z0", "w1", "sw1", "zw1", "s1", "z1", "b1"], "conv1_q", name="conv1",
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    x = g.node("MaxPool", [x], "pool1_q", name="pool1", kernel_shape=[2, 2], strides=[2, 2])

    # ConvInteger with a non-zero (per-tensor) weight zero point: stored weights w + zw, |w| <= 120.
    w2, sw2 = per_channel_weights(rng, (8, 8, 3, 3), 120)
    zw2 = np.int8(3)
    g.const("w2", (w2 + zw2).astype(np.int8)), g.const("zw2", zw2)
    acc2 = g.node("ConvInteger", [x, "w2", "z1", "zw2"], "conv2_acc", name="conv2", kernel_shape=[3, 3],
                  pads=[1, 1, 1, 1])
    # onnxruntime's form: the accumulator scale is a Mul node of the input and weight scales.
    g.const("sw2", sw2.reshape(-1, 1, 1))
    scale = g.node("Mul", ["s1", "sw2"], "conv2_scale", name="conv2_scale")
    accf = g.node("Cast", [acc2], "conv2_acc_f", name="conv2_cast", to=TensorProto.FLOAT)
    real = g.node("Mul", [accf, scale], "conv2_real", name="conv2_rescale")
    s2, z2 = asymmetric(g.values(real))
    g.const("s2", s2), g.const("z2", z2)
    x = g.node("QuantizeLinear", [real, "s2", "z2"], "conv2_q", name="conv2_quantize")
    g.const("flat_shape", np.array([1, -1], np.int64))
    x = g.node("Reshape", [x, "flat_shape"], "flat_q", name="flatten")

    w3, sw3 = per_channel_weights(rng, (CLASSES, 8 * 4 * 4), 127)
    g.const("w3", w3.T.astype(np.int8)), g.const("sw3", sw3), g.const("zw3", np.zeros(CLASSES, np.int8))
    logits = (g.values(x).astype(np.float64) - float(z2)) * float(s2) @ (w3.T * sw3.astype(np.float64))
    s3, z3 = asymmetric(logits)
    g.const("s3", s3), g.const("z3", z3)
    x = g.node("QLinearMatMul", [x, "s2", "z2", "w3", "sw3", "zw3", "s3", "z3"], "fc_q", name="fc")
    g.node("DequantizeLinear", [x, "s3", "z3"], "output", name="dequantize_output")
    return g


def qdq(seed=12):
    """Q/DQ -> Conv + BatchNormalization + Relu -> MaxPool -> Conv -> Add (residual) -> LeakyRelu(2^-3) ->
    GlobalAveragePool -> Flatten -> Gemm -> DQ output; int8 per-channel weights (DequantizeLinear axis 0),
    int32 biases, asymmetric uint8 activations."""
    rng = np.random.default_rng(seed)
    g = Graph("qdq", images(rng, 3, -1.0, 1.0))

    def qdq_pair(tensor, name, scale, zero):
        g.const(f"{name}_s", scale), g.const(f"{name}_z", zero)
        q = g.node("QuantizeLinear", [tensor, f"{name}_s", f"{name}_z"], f"{name}_q", name=f"{name}_quantize")
        return g.node("DequantizeLinear", [q, f"{name}_s", f"{name}_z"], f"{name}_dq", name=f"{name}_dequantize")

    def weights(name, q, scale, bias_q, s_in):
        g.const(f"{name}_wq", q.astype(np.int8)), g.const(f"{name}_ws", scale)
        g.const(f"{name}_wz", np.zeros(q.shape[0], np.int8))
        w = g.node("DequantizeLinear", [f"{name}_wq", f"{name}_ws", f"{name}_wz"], f"{name}_w",
                   name=f"{name}_weight_dequantize", axis=0)
        g.const(f"{name}_bq", bias_q.astype(np.int32)), g.const(f"{name}_bs", f32(s_in * scale))
        g.const(f"{name}_bz", np.zeros(q.shape[0], np.int32))
        b = g.node("DequantizeLinear", [f"{name}_bq", f"{name}_bs", f"{name}_bz"], f"{name}_b",
                   name=f"{name}_bias_dequantize", axis=0)
        return w, b

    s0, z0 = asymmetric(g.batch)
    x = qdq_pair("input", "input", s0, z0)

    w1, sw1 = per_channel_weights(rng, (8, 3, 3, 3), 127)
    w, b = weights("conv1", w1, sw1, rng.integers(-300, 300, size=8), s0)
    x = g.node("Conv", [x, w, b], "conv1_out", name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    # BatchNormalization with positive gains; its mean and beta on conv1's accumulator grid after folding
    # (mean = m * s_x * s_w, beta = k * s_x * s_w * gamma / sqrt(var + eps)), so the folded bias is an integer.
    eps = 1e-5
    gamma = f32(np.exp(rng.normal(scale=0.3, size=8)))
    var = f32(np.exp(rng.normal(scale=0.5, size=8)))
    unit = float(s0) * sw1.astype(np.float64)
    fold = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + np.float64(np.float32(eps)))
    g.const("bn_gamma", gamma), g.const("bn_var", var)
    g.const("bn_mean", f32(rng.integers(-200, 200, size=8) * unit))
    g.const("bn_beta", f32(rng.integers(-200, 200, size=8) * unit * fold))
    x = g.node("BatchNormalization", [x, "bn_gamma", "bn_beta", "bn_mean", "bn_var"], "bn1_out", name="bn1",
               epsilon=eps)
    x = g.node("Relu", [x], "relu1_out", name="relu1")
    s1, z1 = asymmetric(g.values(x))
    skip = qdq_pair(x, "conv1", s1, z1)
    x = g.node("MaxPool", [skip], "pool1_out", name="pool1", kernel_shape=[2, 2], strides=[2, 2])
    skip = qdq_pair(x, "pool1", s1, z1)

    w2, sw2 = per_channel_weights(rng, (8, 8, 3, 3), 127)
    w, b = weights("conv2", w2, sw2, rng.integers(-300, 300, size=8), s1)
    x = g.node("Conv", [skip, w, b], "conv2_out", name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    s2, z2 = asymmetric(g.values(x))
    x = qdq_pair(x, "conv2", s2, z2)
    x = g.node("Add", [skip, x], "add1_out", name="add1")
    x = g.node("LeakyRelu", [x], "leaky1_out", name="leaky1", alpha=0.125)
    s3, z3 = asymmetric(g.values(x))
    x = qdq_pair(x, "add1", s3, z3)
    x = g.node("GlobalAveragePool", [x], "gap_out", name="gap")
    x = qdq_pair(x, "gap", s3, z3)
    x = g.node("Flatten", [x], "flat_out", name="flatten", axis=1)

    w3, sw3 = per_channel_weights(rng, (CLASSES, 8), 127)
    w, b = weights("fc", w3, sw3, rng.integers(-100, 100, size=CLASSES), s3)
    x = g.node("Gemm", [x, w, b], "fc_out", name="fc", transB=1)
    s4, z4 = asymmetric(g.values(x))
    g.const("fc_s", s4), g.const("fc_z", z4)
    q = g.node("QuantizeLinear", [x, "fc_s", "fc_z"], "fc_q", name="fc_quantize")
    g.node("DequantizeLinear", [q, "fc_s", "fc_z"], "output", name="dequantize_output")
    return g


def qonnx(seed=13):
    """QONNX Quant nodes: 8-bit unsigned input, Conv (4-bit weights) + Relu -> 4-bit unsigned activation ->
    MaxPool -> Conv (4-bit weights) + Relu -> 6-bit unsigned activation -> MaxPool -> Flatten -> Gemm (5-bit
    weights) -> 8-bit signed output."""
    rng = np.random.default_rng(seed)
    g = Graph("qonnx", images(rng, 1, 0.0, 1.0))
    g.opsets.append(helper.make_opsetid(onnx_ref.QONNX_DOMAIN, 1))

    def quant(tensor, name, scale, bits, signed, narrow=0, output=None):
        g.const(f"{name}_scale", f32(scale)), g.const(f"{name}_zeropt", f32(0))
        g.const(f"{name}_bits", f32(bits))
        return g.node("Quant", [tensor, f"{name}_scale", f"{name}_zeropt", f"{name}_bits"],
                      output or f"{name}_quant",
                      name=f"{name}_quant", domain=onnx_ref.QONNX_DOMAIN, signed=signed, narrow=narrow,
                      rounding_mode="ROUND")

    def unsigned_scale(values, bits):
        return f32(np.percentile(values, 99.9) / (2 ** bits - 1))

    x = quant("input", "input", 1.0 / 255, 8, 0)
    s_in = f32(1.0 / 255)

    def conv_layer(x, name, cin, cout, s_x, act_bits):
        q, sw = per_channel_weights(rng, (cout, cin, 3, 3), 7)  # 4-bit signed, narrow range
        g.const(f"{name}_w", f32(q * sw.reshape(-1, 1, 1, 1)))
        w = quant(f"{name}_w", f"{name}_weight", sw.reshape(-1, 1, 1, 1), 4, 1, narrow=1)
        g.const(f"{name}_b", f32(rng.integers(-20, 20, size=cout) * float(s_x) * sw.astype(np.float64)))
        x = g.node("Conv", [x, w, f"{name}_b"], f"{name}_out", name=name, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        x = g.node("Relu", [x], f"{name}_relu", name=f"{name}_relu")
        s = unsigned_scale(g.values(x), act_bits)
        return quant(x, name, s, act_bits, 0), s

    x, s1 = conv_layer(x, "conv1", 1, 8, s_in, 4)
    x = g.node("MaxPool", [x], "pool1_out", name="pool1", kernel_shape=[2, 2], strides=[2, 2])
    x, s2 = conv_layer(x, "conv2", 8, 8, s1, 6)
    x = g.node("MaxPool", [x], "pool2_out", name="pool2", kernel_shape=[2, 2], strides=[2, 2])
    x = g.node("Flatten", [x], "flat_out", name="flatten", axis=1)

    q, sw = per_channel_weights(rng, (CLASSES, 8 * 2 * 2), 15)  # 5-bit signed
    g.const("fc_w", f32(q * sw.reshape(-1, 1)))
    w = quant("fc_w", "fc_weight", sw.reshape(-1, 1), 5, 1)
    g.const("fc_b", f32(rng.integers(-50, 50, size=CLASSES) * float(s2) * sw.astype(np.float64)))
    x = g.node("Gemm", [x, w, "fc_b"], "fc_out", name="fc", transB=1)
    s = f32(np.percentile(np.abs(g.values(x)), 99.9) / 127)
    quant(x, "fc", s, 8, 1, output="output")
    return g


BUILDERS = {"qoperator": qoperator, "qdq": qdq, "qonnx": qonnx}


def build(form):
    """The model and its image batch."""
    g = BUILDERS[form]()
    model = g.model("output")
    return model, g.batch


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(f"usage: {argv[0]} OUT_DIR\n")
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for form in FORMS:
        model, batch = build(form)
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, os.path.join(out, f"{form}.onnx"))
        np.save(os.path.join(out, f"{form}_images.npy"), batch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
