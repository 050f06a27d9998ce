"""The integer inference of an exported model (numpy int64, NCHW), as docs/numerics.md defines it for
imported models ("Imported models": ties to even everywhere) and as the C++ importer and golden model
compute it, so both give the same integers element by element."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

MAX_SHIFT = 62
MAX_MULTIPLIER = (1 << 31) - 1


class ExportError(ValueError):
    """A model this frontend cannot export or run in integers; the message names the block."""


@dataclass(frozen=True)
class TensorQuant:
    """real = scale * (q - zero_point); q has `bits` bits, signed or unsigned; `scale` is a float32
    value (held as a Python float, widened to double for every computation)."""

    scale: float
    zero_point: int
    bits: int
    signed: bool

    @property
    def qmin(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def qmax(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1


@dataclass
class Layer:
    """One layer of the integer model. `kind`: conv, dense, maxpool, avgpool, flatten, add, relu.
    Window fields use ONNX's order: pads (top, left, bottom, right)."""

    name: str
    kind: str
    inputs: List[str]
    out: TensorQuant
    activation: str = "none"  # none | relu | leaky_relu (conv, dense, add)
    leaky_shift: int = 0  # LeakyReLU slope 2^-leaky_shift
    weights: Optional[np.ndarray] = None  # int64, conv (O, I, kh, kw), dense (O, I)
    weight_scales: Optional[np.ndarray] = None  # float32 (O,)
    weight_bits: int = 8  # symmetric: weights in +-(2^(bits-1) - 1)
    bias: Optional[np.ndarray] = None  # int64 (O,), accumulator units
    kernel: Tuple[int, int] = (1, 1)
    stride: Tuple[int, int] = (1, 1)
    pads: Tuple[int, int, int, int] = (0, 0, 0, 0)
    global_pool: bool = False
    requant: List[Tuple[int, int]] = field(default_factory=list)  # conv, dense: (M, s) per channel
    add: Tuple[int, int, int] = (0, 0, 0)  # add: (Ma, Mb, shift)


@dataclass
class IntegerModel:
    """The graph input's quantisation and the layers in execution order; the last one is the output."""

    input_quant: TensorQuant
    input_shape: Tuple[int, ...]  # without the batch dimension: (C, H, W)
    layers: List[Layer]


def llround(x: float) -> int:
    """C's llround: nearest integer, halves away from zero (exact for every double)."""
    f = math.floor(x)
    d = x - f  # exact: the fractional part of a double is a double
    return int(f) + (1 if d > 0.5 or (d == 0.5 and x >= 0) else 0)


def requant_for_scale(scale: float, where: str) -> Tuple[int, int]:
    """(M, s) with M / 2^s ~= scale, as generators/synthesize.cpp's requant_for_scale(scale, false)."""
    if not scale > 0:
        return 0, 0
    mantissa, exponent = math.frexp(scale)
    m = llround(math.ldexp(mantissa, 31))
    shift = 31 - exponent
    if m > MAX_MULTIPLIER:
        m //= 2
        shift -= 1
    if shift < 0:
        raise ExportError(f"{where}: requantisation scale {scale!r} exceeds 2^31 (a left shift)")
    if shift > MAX_SHIFT:
        m = llround(math.ldexp(scale, MAX_SHIFT))
        shift = MAX_SHIFT
    return m, shift


def output_requant(layer: Layer, input_scale: float) -> List[Tuple[int, int]]:
    """Per output channel: r = sx * sw[o] / sy in double, then requant_for_scale."""
    assert layer.weight_scales is not None
    result = []
    for o, sw in enumerate(layer.weight_scales.tolist()):
        r = float(input_scale) * float(sw) / float(layer.out.scale)
        m, s = requant_for_scale(r, f"layer '{layer.name}' channel {o}")
        if layer.activation == "leaky_relu" and s + layer.leaky_shift > MAX_SHIFT:
            raise ExportError(
                f"layer '{layer.name}' channel {o}: shift {s} + LeakyReLU shift {layer.leaky_shift}"
                f" exceeds {MAX_SHIFT}")
        result.append((m, s))
    return result


def add_params(layer: Layer, scale_a: float, scale_b: float) -> Tuple[int, int, int]:
    """Multipliers and shift of an add as generators/layers/add.cpp picks them."""
    ra = float(scale_a) / float(layer.out.scale)
    rb = float(scale_b) / float(layer.out.scale)
    top = MAX_SHIFT - (layer.leaky_shift if layer.activation == "leaky_relu" else 0)
    shift = min(max(30 - math.ceil(math.log2(max(ra, rb))), 0), top)
    ma, mb = llround(math.ldexp(ra, shift)), llround(math.ldexp(rb, shift))
    if max(ma, mb) > MAX_MULTIPLIER:
        raise ExportError(f"layer '{layer.name}': add scale ratio {max(ra, rb)!r} exceeds 2^31")
    return ma, mb, shift


def shift_half_even(v: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """v / 2^shift rounded to nearest, ties to even (shift 0..62, elementwise)."""
    v = np.asarray(v, dtype=np.int64)
    shift = np.broadcast_to(np.asarray(shift, dtype=np.int64), v.shape)
    q = v >> shift  # floor
    rem = v - (q << shift)
    half = np.where(shift > 0, np.int64(1) << np.maximum(shift - 1, 0), np.int64(1) << 62)
    up = (rem > half) | ((rem == half) & ((q & 1) == 1))
    return q + up.astype(np.int64)


def divide_half_even(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """total / count (count > 0) rounded to nearest, ties to even."""
    q = np.floor_divide(total, count)
    twice_rem = 2 * (total - q * count)
    up = (twice_rem > count) | ((twice_rem == count) & ((q & 1) == 1))
    return q + up.astype(np.int64)


def saturate(v: np.ndarray, t: TensorQuant) -> np.ndarray:
    return np.clip(v, t.qmin, t.qmax).astype(np.int64)


def quantize_input(x: np.ndarray, t: TensorQuant) -> np.ndarray:
    """Float input to stored values: round_half_even(x / s) + zp, saturated, in double."""
    q = np.round(np.asarray(x, dtype=np.float64) / float(t.scale)).astype(np.int64)
    return saturate(q + t.zero_point, t)


def output_stage(v: np.ndarray, multiplier: np.ndarray, shift: np.ndarray, layer: Layer) -> np.ndarray:
    """sat(zy + round_half_even(act(v) * M / 2^s)); LeakyReLU folds 2^-k into the shift."""
    if layer.activation == "relu":
        v = np.maximum(v, 0)
    shift = np.broadcast_to(shift, v.shape)
    if layer.activation == "leaky_relu":
        shift = np.where(v < 0, shift + layer.leaky_shift, shift)
    return saturate(shift_half_even(v * multiplier, shift) + layer.out.zero_point, layer.out)


def _windows(x: np.ndarray, layer: Layer, fill: int) -> Tuple[np.ndarray, int, int]:
    """x padded with `fill` and its output size (no ceil mode)."""
    top, left, bottom, right = layer.pads
    padded = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
    (kh, kw), (sh, sw) = layer.kernel, layer.stride
    oh = (x.shape[2] + top + bottom - kh) // sh + 1
    ow = (x.shape[3] + left + right - kw) // sw + 1
    return padded, oh, ow


def _window(padded: np.ndarray, layer: Layer, ky: int, kx: int, oh: int, ow: int) -> np.ndarray:
    sh, sw = layer.stride
    return padded[:, :, ky:ky + sh * (oh - 1) + 1:sh, kx:kx + sw * (ow - 1) + 1:sw]


def conv(x: np.ndarray, zx: int, layer: Layer) -> np.ndarray:
    """acc[n,o,y,x] = bias[o] + sum (x - zx) * w; a padded position contributes 0."""
    assert layer.weights is not None and layer.bias is not None
    padded, oh, ow = _windows(x.astype(np.int64) - zx, layer, 0)
    acc = np.zeros((x.shape[0], layer.weights.shape[0], oh, ow), dtype=np.int64)
    kh, kw = layer.kernel
    for ky in range(kh):
        for kx in range(kw):
            patch = _window(padded, layer, ky, kx, oh, ow)
            acc += np.einsum("nchw,oc->nohw", patch, layer.weights[:, :, ky, kx])
    return acc + layer.bias[None, :, None, None]


def run_layer(layer: Layer, values: Dict[str, np.ndarray], quants: Dict[str, TensorQuant]) -> np.ndarray:
    x = values[layer.inputs[0]]
    qx = quants[layer.inputs[0]]
    if layer.kind in ("conv", "dense"):
        acc = conv(x, qx.zero_point, layer) if layer.kind == "conv" else (
            (x.astype(np.int64) - qx.zero_point) @ layer.weights.T + layer.bias[None, :])
        per_channel = (1, -1, 1, 1) if layer.kind == "conv" else (1, -1)
        m = np.array([r[0] for r in layer.requant], dtype=np.int64).reshape(per_channel)
        s = np.array([r[1] for r in layer.requant], dtype=np.int64).reshape(per_channel)
        return output_stage(acc, m, s, layer)
    if layer.kind == "maxpool":
        padded, oh, ow = _windows(x, layer, np.iinfo(np.int64).min)
        out = np.full((x.shape[0], x.shape[1], oh, ow), np.iinfo(np.int64).min, dtype=np.int64)
        for ky in range(layer.kernel[0]):
            for kx in range(layer.kernel[1]):
                out = np.maximum(out, _window(padded, layer, ky, kx, oh, ow))
        return out
    if layer.kind == "avgpool":  # z + the mean of (q - z) rounded, ONNX's rule (an odd z moves ties)
        if layer.global_pool:
            total = (x.astype(np.int64) - qx.zero_point).sum(axis=(2, 3), keepdims=True)
            return divide_half_even(total, np.int64(x.shape[2] * x.shape[3])) + qx.zero_point
        padded, oh, ow = _windows(x.astype(np.int64) - qx.zero_point, layer, 0)
        inside, _, _ = _windows(np.ones((1, 1) + x.shape[2:], dtype=np.int64), layer, 0)
        total = np.zeros((x.shape[0], x.shape[1], oh, ow), dtype=np.int64)
        count = np.zeros((1, 1, oh, ow), dtype=np.int64)
        for ky in range(layer.kernel[0]):
            for kx in range(layer.kernel[1]):
                total += _window(padded, layer, ky, kx, oh, ow)
                count += _window(inside, layer, ky, kx, oh, ow)
        return divide_half_even(total, count) + qx.zero_point
    if layer.kind == "flatten":
        return x.reshape(x.shape[0], -1)  # CHW order, as ONNX flattens
    if layer.kind == "relu":  # a Clip layer: lo = the zero point
        return np.maximum(x, qx.zero_point)
    if layer.kind == "add":
        b, qb = values[layer.inputs[1]], quants[layer.inputs[1]]
        ma, mb, shift = layer.add
        v = (x.astype(np.int64) - qx.zero_point) * ma + (b.astype(np.int64) - qb.zero_point) * mb
        return output_stage(v, np.int64(1), np.int64(shift), layer)
    raise ExportError(f"layer '{layer.name}': unknown kind '{layer.kind}'")


def run(model: IntegerModel, x: np.ndarray, quantized: bool = False) -> Dict[str, np.ndarray]:
    """Every layer's output (NCHW, or (N, F) after a flatten or dense) for a batch `x` (NCHW): float
    images, or stored integers when `quantized`. Key "input" holds the quantised input."""
    values: Dict[str, np.ndarray] = {
        "input": np.asarray(x, dtype=np.int64) if quantized else quantize_input(x, model.input_quant)}
    quants: Dict[str, TensorQuant] = {"input": model.input_quant}
    for layer in model.layers:
        values[layer.name] = run_layer(layer, values, quants)
        quants[layer.name] = layer.out
    return values


def dequantize(q: np.ndarray, t: TensorQuant) -> np.ndarray:
    return (np.asarray(q, dtype=np.float64) - t.zero_point) * float(t.scale)


def prepare(model: IntegerModel) -> None:
    """Derives every integer multiplier and shift from the float scales (done once, at export)."""
    quants: Dict[str, TensorQuant] = {"input": model.input_quant}
    for layer in model.layers:
        if layer.kind in ("conv", "dense"):
            layer.requant = output_requant(layer, quants[layer.inputs[0]].scale)
        elif layer.kind == "add":
            layer.add = add_params(layer, quants[layer.inputs[0]].scale, quants[layer.inputs[1]].scale)
        quants[layer.name] = layer.out

