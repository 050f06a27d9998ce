"""An independent numpy reference of ONNX's semantics for the operators the test models use.

Written from the ONNX operator specification (opsets 10..13) and QONNX's Quant definition, not from the
importer: the tests compare the importer's golden model against it.

Precision. Every float tensor is held in the run's working type `ftype`:
- np.float32 (default) is what onnxruntime computes: QuantizeLinear divides in float32, DequantizeLinear
  multiplies in float32, QLinearConv/QLinearMatMul requantise with the float32 multiplier
  float32(float32(sx * sw) / sy) applied to float32(acc), as its kernels do.
- np.float64 is the exact-real reading of the same graph: scales are the model's float32 values widened,
  every product of a scale and an integer is exact, so a value that is exactly halfway in real arithmetic
  (an average of 4 values, a power-of-two ratio) stays exactly halfway and rounds to even, as the spec says.
  The importer's integer arithmetic (docs/numerics.md, "Imported models") implements this reading, up to its
  multiplier approximation (relative error below 2^-30), so the model tests compare against it.
Where the two readings differ: only at values within float32 rounding of a tie (a value computed from
float32 products and quotients lands on the other side of x.5); for the test models they give the same
integers at every rounding point (test_models.py).
Sums (Conv, Gemm, MatMul, pooling averages) accumulate in float64 and are rounded once to `ftype`;
onnxruntime sums in float32 in its own order, so its float results differ from these by float32 rounding
(the node tests' tolerance). Integer operators (ConvInteger, MatMulInteger, the accumulators of QLinearConv
and QLinearMatMul) are exact in int64.

Rounding points. `run()` records, for every tensor produced by rounding to an integer grid (QuantizeLinear,
QLinearConv, QLinearMatMul, QONNX Quant), the value before rounding in grid units (zero point added), so a
test can tell a near-tie from a real difference.
"""

import itertools

import numpy as np

QONNX_DOMAIN = "qonnx.custom_op.general"


class Unsupported(Exception):
    """A node this reference does not implement (op type or attribute value)."""


def _attrs(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _int_range(dtype):
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _round_half_even(v):
    return np.rint(v)  # numpy's rint rounds halfway cases to even, as ONNX's QuantizeLinear


def _axis_shape(ndim, axis, length):
    shape = [1] * ndim
    shape[axis] = length
    return shape


def _per_axis(param, ndim, axis):
    """A scalar or a 1-D per-axis parameter, shaped to broadcast along `axis`."""
    param = np.asarray(param)
    if param.ndim == 0:
        return param
    if param.ndim != 1:
        raise Unsupported("a quantisation parameter must be a scalar or 1-D")
    return param.reshape(_axis_shape(ndim, axis % ndim, param.size))


# ---------------------------------------------------------------------------------------------- windows


def _window_geometry(spatial, kernel, strides, dilations, pads, auto_pad, ceil_mode):
    """Output size and begin padding per spatial dimension (ONNX's rules for Conv and pooling)."""
    nd = len(spatial)
    strides = list(strides or [1] * nd)
    dilations = list(dilations or [1] * nd)
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else (auto_pad or "NOTSET")
    out, begin = [], []
    for i in range(nd):
        extent = (kernel[i] - 1) * dilations[i] + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            o = -(-spatial[i] // strides[i])
            total = max(0, (o - 1) * strides[i] + extent - spatial[i])
            b = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
        elif auto_pad == "VALID":
            o = (spatial[i] - extent) // strides[i] + 1
            b = 0
        elif auto_pad == "NOTSET":
            p = list(pads or [0] * (2 * nd))
            span = spatial[i] + p[i] + p[i + nd] - extent
            o = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
            b = p[i]
        else:
            raise Unsupported(f"auto_pad {auto_pad}")
        out.append(o)
        begin.append(b)
    return out, begin, strides, dilations


def _positions(i, out, begin, strides, dilations, offset):
    """The input positions along spatial dimension i that one kernel offset reads for every output."""
    return np.arange(out[i]) * strides[i] - begin[i] + offset[i] * dilations[i]


def _gather(x, out, begin, strides, dilations, offset):
    """x[..., pos] for one kernel offset at every output position, and the mask of in-bounds positions."""
    nd = len(out)
    spatial = x.shape[-nd:]
    index, mask = [], None
    for i in range(nd):
        pos = _positions(i, out, begin, strides, dilations, offset)
        ok = (pos >= 0) & (pos < spatial[i])
        index.append(np.clip(pos, 0, spatial[i] - 1))
        shape = _axis_shape(nd, i, out[i])
        m = ok.reshape(shape)
        mask = m if mask is None else mask & m
    lead = (slice(None),) * (x.ndim - nd)
    return x[lead + np.ix_(*index)], mask


def _conv(x, w, attrs, acc_dtype):
    """N-d grouped convolution of already zero-point-shifted values; padded positions contribute 0."""
    kernel = attrs.get("kernel_shape", list(w.shape[2:]))
    group = attrs.get("group", 1)
    out, begin, strides, dilations = _window_geometry(
        x.shape[2:], kernel, attrs.get("strides"), attrs.get("dilations"), attrs.get("pads"),
        attrs.get("auto_pad"), False)
    n, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    acc = np.zeros([n, m] + out, dtype=acc_dtype)
    xa = x.astype(acc_dtype)
    wa = w.astype(acc_dtype)
    for offset in itertools.product(*[range(k) for k in kernel]):
        patch, mask = _gather(xa, out, begin, strides, dilations, offset)
        patch = patch * mask
        tap = wa[(slice(None), slice(None)) + offset]  # [M, C/group]
        for g in range(group):
            acc[:, g * mg:(g + 1) * mg] += np.einsum(
                "nc...,mc->nm...", patch[:, g * cg:(g + 1) * cg], tap[g * mg:(g + 1) * mg])
    return acc


def _pool(x, attrs, kind, kernel=None):
    nd = x.ndim - 2
    kernel = kernel or attrs["kernel_shape"]
    if kind == "max" and attrs.get("storage_order", 0) != 0:
        raise Unsupported("MaxPool storage_order 1")
    out, begin, strides, dilations = _window_geometry(
        x.shape[2:], kernel, attrs.get("strides"), attrs.get("dilations"), attrs.get("pads"),
        attrs.get("auto_pad"), attrs.get("ceil_mode", 0))
    if kind == "max":
        result = None
        for offset in itertools.product(*[range(k) for k in kernel]):
            patch, mask = _gather(x, out, begin, strides, dilations, offset)
            low = np.iinfo(x.dtype).min if np.issubdtype(x.dtype, np.integer) else -np.inf
            patch = np.where(mask, patch, low).astype(x.dtype)
            result = patch if result is None else np.maximum(result, patch)
        return result
    # Average: sum in float64, divide by the in-bounds count (or, with count_include_pad, by the count of
    # positions inside the explicitly padded input), round once to the input's float type.
    include_pad = attrs.get("count_include_pad", 0)
    pads = list(attrs.get("pads") or [0] * (2 * nd))
    total = np.zeros(x.shape[:2] + tuple(out), dtype=np.float64)
    count = np.zeros(out, dtype=np.float64)
    for offset in itertools.product(*[range(k) for k in kernel]):
        patch, mask = _gather(x.astype(np.float64), out, begin, strides, dilations, offset)
        total += patch * mask
        if include_pad:
            padded = None
            for i in range(nd):
                pos = _positions(i, out, begin, strides, dilations, offset)
                ok = ((pos >= -pads[i]) & (pos < x.shape[2 + i] + pads[i + nd])).reshape(
                    _axis_shape(nd, i, out[i]))
                padded = ok if padded is None else padded & ok
            count += padded
        else:
            count += mask
    return (total / count).astype(x.dtype)


# ------------------------------------------------------------------------------------------- operators


def quantize_linear(x, scale, zero_point=None, axis=1, ftype=np.float32, record=None):
    zp = np.asarray(zero_point if zero_point is not None else np.uint8(0))
    v = x.astype(ftype) / _per_axis(scale, x.ndim, axis).astype(ftype)
    lo, hi = _int_range(zp.dtype)
    zpb = _per_axis(zp, x.ndim, axis).astype(ftype)
    if record is not None:
        record.append(v + zpb)
    return np.clip(_round_half_even(v) + zpb, lo, hi).astype(zp.dtype)


def dequantize_linear(x, scale, zero_point=None, axis=1, ftype=np.float32):
    zp = np.zeros((), dtype=x.dtype) if zero_point is None else np.asarray(zero_point)
    shifted = x.astype(np.int64) - _per_axis(zp, x.ndim, axis).astype(np.int64)
    return (shifted.astype(ftype) * _per_axis(scale, x.ndim, axis).astype(ftype)).astype(ftype)


def _requantize(acc, multiplier, y_zero_point, ftype, record):
    """float(acc) * multiplier, rounded half to even, plus the zero point, saturated (QLinear* output)."""
    zp = np.asarray(y_zero_point)
    v = acc.astype(ftype) * multiplier.astype(ftype)
    if record is not None:
        record.append(v + zp.astype(ftype))
    lo, hi = _int_range(zp.dtype)
    return np.clip(_round_half_even(v) + zp.astype(np.int64), lo, hi).astype(zp.dtype)


def _qlinear_multiplier(a_scale, b_scale, y_scale, ftype):
    # onnxruntime: float32(a_scale * b_scale) / y_scale in float32; the exact-real reading in float64.
    return (np.asarray(a_scale).astype(ftype) * np.asarray(b_scale).astype(ftype)) / np.asarray(
        y_scale).astype(ftype)


def conv_integer(x, w, x_zero_point=None, w_zero_point=None, attrs=None):
    xz = 0 if x_zero_point is None else np.asarray(x_zero_point).astype(np.int64)
    wz = 0 if w_zero_point is None else _per_axis(w_zero_point, w.ndim, 0).astype(np.int64)
    acc = _conv(x.astype(np.int64) - xz, w.astype(np.int64) - wz, attrs or {}, np.int64)
    return acc.astype(np.int32)


def matmul_integer(a, b, a_zero_point=None, b_zero_point=None):
    az = 0 if a_zero_point is None else _per_axis(a_zero_point, a.ndim, -2).astype(np.int64)
    bz = 0 if b_zero_point is None else _per_axis(b_zero_point, b.ndim, -1).astype(np.int64)
    return np.matmul(a.astype(np.int64) - az, b.astype(np.int64) - bz).astype(np.int32)


def qlinear_conv(x, xs, xz, w, ws, wz, ys, yz, bias=None, attrs=None, ftype=np.float32, record=None):
    acc = conv_integer(x, w, xz, wz, attrs).astype(np.int64)
    if bias is not None:
        acc += bias.astype(np.int64).reshape(_axis_shape(acc.ndim, 1, bias.size))
    mult = _qlinear_multiplier(xs, ws, ys, ftype)
    return _requantize(acc, _per_axis(mult, acc.ndim, 1), yz, ftype, record)


def qlinear_matmul(a, a_s, a_z, b, b_s, b_z, ys, yz, ftype=np.float32, record=None):
    acc = matmul_integer(a, b, a_z, b_z).astype(np.int64)
    mult = _qlinear_multiplier(a_s, b_s, ys, ftype)
    return _requantize(acc, _per_axis(mult, acc.ndim, -1), yz, ftype, record)


def conv(x, w, bias=None, attrs=None, ftype=np.float32):
    y = _conv(x.astype(np.float64), w.astype(np.float64), attrs or {}, np.float64)
    if bias is not None:
        y = y + bias.astype(np.float64).reshape(_axis_shape(y.ndim, 1, bias.size))
    return y.astype(ftype)


def gemm(a, b, c=None, attrs=None, ftype=np.float32):
    attrs = attrs or {}
    a = a.astype(np.float64).T if attrs.get("transA", 0) else a.astype(np.float64)
    b = b.astype(np.float64).T if attrs.get("transB", 0) else b.astype(np.float64)
    y = attrs.get("alpha", 1.0) * (a @ b)
    if c is not None:
        y = y + attrs.get("beta", 1.0) * c.astype(np.float64)
    return y.astype(ftype)


def matmul(a, b, ftype=np.float32):
    return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(ftype)


def batch_normalization(x, scale, bias, mean, var, attrs=None, ftype=np.float32):
    attrs = attrs or {}
    if attrs.get("training_mode", 0):
        raise Unsupported("BatchNormalization training_mode")
    eps = np.asarray(attrs.get("epsilon", 1e-5), dtype=ftype)
    shape = _axis_shape(x.ndim, 1, x.shape[1])
    s = (scale.astype(ftype) / np.sqrt(var.astype(ftype) + eps)).reshape(shape)
    return ((x.astype(ftype) - mean.astype(ftype).reshape(shape)) * s
            + bias.astype(ftype).reshape(shape)).astype(ftype)


def leaky_relu(x, alpha=0.01):
    return np.where(x >= 0, x, x * x.dtype.type(alpha)).astype(x.dtype)


def clip(x, lo=None, hi=None):
    y = x
    if lo is not None:
        y = np.maximum(y, np.asarray(lo).astype(x.dtype))
    if hi is not None:
        y = np.minimum(y, np.asarray(hi).astype(x.dtype))
    return y.astype(x.dtype)


def flatten(x, axis=1):
    axis = axis % x.ndim if x.ndim else 0
    return x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), -1)


def reshape(x, shape, allowzero=0):
    shape = [int(d) for d in shape]
    if not allowzero:
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def qonnx_quant(x, scale, zero_point, bitwidth, signed=1, narrow=0, rounding_mode="ROUND",
                ftype=np.float32, record=None):
    """QONNX Quant: y = (clip(round(x / scale + zeropt), min, max) - zeropt) * scale, a float tensor."""
    mode = rounding_mode.decode() if isinstance(rounding_mode, bytes) else rounding_mode
    if mode.upper() != "ROUND":  # QONNX accepts either case
        raise Unsupported(f"Quant rounding_mode {mode}")
    bits = float(np.asarray(bitwidth))
    if bits != int(bits) or not 2 <= bits <= 8:
        raise Unsupported(f"Quant bitwidth {bits}")
    bits = int(bits)
    lo = -(2 ** (bits - 1)) + (1 if narrow else 0) if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1 - (1 if narrow else 0)
    s = np.asarray(scale).astype(ftype)
    z = np.asarray(zero_point).astype(ftype)
    v = x.astype(ftype) / s + z
    if record is not None:
        record.append(v)
    q = np.clip(_round_half_even(v), lo, hi)
    return ((q - z) * s).astype(ftype)


# ------------------------------------------------------------------------------------------------ graph


def _hold(x, ftype):
    """A value as the run holds it: the model's float32 tensors in the working type."""
    x = np.asarray(x)
    return x.astype(ftype) if x.dtype == np.float32 else x


def _cast(x, to, ftype):
    from onnx import mapping

    return _hold(x.astype(mapping.TENSOR_TYPE_TO_NP_TYPE[to]), ftype)


def run_node(node, args, ftype=np.float32, record=None):
    """The outputs of one node for its input values (None for an omitted optional input)."""
    a = _attrs(node)
    op = node.op_type
    domain = node.domain or ""

    def arg(i):
        return args[i] if i < len(args) else None

    if domain == QONNX_DOMAIN and op == "Quant":
        return [qonnx_quant(args[0], args[1], args[2], args[3], a.get("signed", 1), a.get("narrow", 0),
                            a.get("rounding_mode", "ROUND"), ftype, record)]
    if domain not in ("", "ai.onnx"):
        raise Unsupported(f"domain {domain}")
    if op == "QuantizeLinear":
        return [quantize_linear(args[0], args[1], arg(2), a.get("axis", 1), ftype, record)]
    if op == "DequantizeLinear":
        return [dequantize_linear(args[0], args[1], arg(2), a.get("axis", 1), ftype)]
    if op == "QLinearConv":
        return [qlinear_conv(*args[:8], bias=arg(8), attrs=a, ftype=ftype, record=record)]
    if op == "QLinearMatMul":
        return [qlinear_matmul(*args[:8], ftype=ftype, record=record)]
    if op == "ConvInteger":
        return [conv_integer(args[0], args[1], arg(2), arg(3), a)]
    if op == "MatMulInteger":
        return [matmul_integer(args[0], args[1], arg(2), arg(3))]
    if op == "Conv":
        return [conv(args[0], args[1], arg(2), a, ftype)]
    if op == "Gemm":
        return [gemm(args[0], args[1], arg(2), a, ftype)]
    if op == "MatMul":
        return [matmul(args[0], args[1], ftype)]
    if op == "BatchNormalization":
        return [batch_normalization(*args[:5], attrs=a, ftype=ftype)]
    if op == "Relu":
        return [np.maximum(args[0], args[0].dtype.type(0))]
    if op == "Clip":
        return [clip(args[0], arg(1), arg(2))]
    if op == "LeakyRelu":
        return [leaky_relu(args[0], a.get("alpha", 0.01))]
    if op == "MaxPool":
        if len(node.output) > 1 and node.output[1]:
            raise Unsupported("MaxPool Indices output")
        return [_pool(args[0], a, "max")]
    if op == "AveragePool":
        return [_pool(args[0], a, "average")]
    if op == "GlobalAveragePool":
        return [_pool(args[0], {}, "average", kernel=list(args[0].shape[2:]))]
    if op == "Add":
        return [(args[0] + args[1]).astype(np.result_type(args[0], args[1]))]
    if op == "Mul":
        return [(args[0] * args[1]).astype(np.result_type(args[0], args[1]))]
    if op == "Flatten":
        return [flatten(args[0], a.get("axis", 1))]
    if op == "Reshape":
        return [reshape(args[0], args[1], a.get("allowzero", 0))]
    if op == "Cast":
        return [_cast(args[0], a["to"], ftype)]
    raise Unsupported(f"op {op}")


def run(model, feeds, ftype=np.float32, rounding=None):
    """All tensor values of `model` for the input values `feeds` (name -> array; a node whose outputs are
    all fed is not run).

    `rounding`, if given, is filled with tensor name -> the value before rounding (grid units) for every
    tensor produced by rounding to an integer grid.
    """
    from onnx import numpy_helper

    values = {t.name: _hold(numpy_helper.to_array(t), ftype) for t in model.graph.initializer}
    for name, value in feeds.items():
        values[name] = _hold(value, ftype)
    for node in model.graph.node:
        if all(name in feeds for name in node.output):
            continue  # fed: start the run from a given intermediate tensor (e.g. a stored quantised input)
        args = [values[name] if name else None for name in node.input]
        captured = []
        outputs = run_node(node, args, ftype, captured)
        for name, value in zip(node.output, outputs):
            values[name] = value
        if rounding is not None and captured:
            rounding[node.output[0]] = captured[0]
    return values


def outputs(model, feeds, ftype=np.float32):
    values = run(model, feeds, ftype)
    return [values[o.name] for o in model.graph.output]
