"""Bundle-style building blocks with quantisation-aware training. Blocks pass QTensors: the fake-quantised
values (real numbers on the tensor's integer grid) plus that grid's TensorQuant. A network is an ordinary
nn.Module whose forward() calls blocks; `model(x).value` is the output for a loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from .integer import TensorQuant
from .quant import (ActQuant, QConfig, bias_quant, leaky_shift_of, round_half_even, straight_through,
                    weight_quant)

IntPair = Union[int, Tuple[int, int]]


@dataclass
class QTensor:
    """A block's output: `value` (float, on the grid of `quant`) and its quantisation."""

    value: torch.Tensor
    quant: TensorQuant


class ReLU(nn.Module):
    """As `act=` of Conv2D, Dense or Add: the layer's activation (its output is unsigned). Called on a
    QTensor: max(x, 0) keeping the input's type and scale (the engine's Clip layer)."""

    def activate(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x)

    def forward(self, x: QTensor) -> QTensor:
        return _record(self, [x], QTensor(F.relu(_checked(self, x).value), x.quant))


class LeakyReLU(nn.Module):
    """As `act=` of Conv2D, Dense or Add only: slope alpha = 2^-k for negative values, folded into the
    layer's requantisation shift (docs/numerics.md)."""

    def __init__(self, alpha: float = 0.125) -> None:
        super().__init__()
        self.alpha = alpha
        self.shift = leaky_shift_of(alpha)

    def activate(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.alpha)

    def forward(self, x: QTensor) -> QTensor:
        raise TypeError("LeakyReLU is an activation: pass it as act= to Conv2D, Dense or Add")


Activation = Optional[Union[ReLU, LeakyReLU]]


def activation_name(act: Activation) -> str:
    return "relu" if isinstance(act, ReLU) else "leaky_relu" if isinstance(act, LeakyReLU) else "none"


class Input(nn.Module):
    """The network input: float images to the first quantised tensor. `scale`: fixed (e.g. 1/255 for
    pixels in 0..1 with 8 bits), else observed like any activation."""

    def __init__(self, signed: bool = False, scale: float = 0.0, qconfig: QConfig = QConfig()) -> None:
        super().__init__()
        self.quantizer = ActQuant(qconfig.activation_bits, signed, qconfig, scale)

    def forward(self, x: torch.Tensor) -> QTensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            raise TypeError("Input expects a float tensor N x C x H x W")
        y = self.quantizer(x)
        return _record(self, [], QTensor(y, self.quantizer.quant()))


def _pair(v: IntPair) -> Tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


class _Weighted(nn.Module):
    """Conv2D and Dense: quantised weights and bias, the activation, the output quantiser."""

    weight: nn.Parameter
    bias: Optional[nn.Parameter]

    def __init__(self, act: Activation, qconfig: QConfig) -> None:
        super().__init__()
        if act is not None and not isinstance(act, (ReLU, LeakyReLU)):
            raise TypeError("act must be None, ReLU() or LeakyReLU(alpha)")
        self.act = act
        self.qconfig = qconfig
        self.out_quant = ActQuant(qconfig.activation_bits, not isinstance(act, ReLU), qconfig)

    def quantized_weight(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """(weight integers as float64, float32 scales per output channel)."""
        return weight_quant(self.weight, self.qconfig.weight_bits, self.qconfig)

    def quantized_bias(self, input_scale: float) -> torch.Tensor:
        _, scales = self.quantized_weight()
        if self.bias is None:
            return torch.zeros(scales.shape, dtype=torch.float64)
        return bias_quant(self.bias, input_scale, scales)

    def _fake_params(self, input_scale: float) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        q, scales = self.quantized_weight()
        shape = (-1,) + (1,) * (self.weight.dim() - 1)
        w = straight_through(self.weight, q * scales.to(torch.float64).reshape(shape))
        if self.bias is None:
            return w, None
        b = bias_quant(self.bias, input_scale, scales) * (float(input_scale) * scales.to(torch.float64))
        return w, straight_through(self.bias, b)

    def _finish(self, x: QTensor, acc: torch.Tensor) -> QTensor:
        if self.act is not None:
            acc = self.act.activate(acc)
        return _record(self, [x], QTensor(self.out_quant(acc), self.out_quant.quant()))


class Conv2D(_Weighted):
    """2-D convolution (NCHW) with per-channel quantised weights, an int32 bias and `act`."""

    def __init__(self, in_channels: int, out_channels: int, kernel: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, bias: bool = True, act: Activation = None,
                 qconfig: QConfig = QConfig()) -> None:
        super().__init__(act, qconfig)
        kh, kw = _pair(kernel)
        self.stride, self.padding = _pair(stride), _pair(padding)
        layer = nn.Conv2d(in_channels, out_channels, (kh, kw), bias=bias)  # torch's initialisation
        self.weight, self.bias = layer.weight, layer.bias

    def forward(self, x: QTensor) -> QTensor:
        x = _checked(self, x, dims=4)
        w, b = self._fake_params(x.quant.scale)
        return self._finish(x, F.conv2d(x.value, w, b, self.stride, self.padding))


class Dense(_Weighted):
    """Fully connected layer on an N x F input (after Flatten)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, act: Activation = None,
                 qconfig: QConfig = QConfig()) -> None:
        super().__init__(act, qconfig)
        layer = nn.Linear(in_features, out_features, bias=bias)
        self.weight, self.bias = layer.weight, layer.bias

    def forward(self, x: QTensor) -> QTensor:
        x = _checked(self, x, dims=2)
        w, b = self._fake_params(x.quant.scale)
        return self._finish(x, F.linear(x.value, w, b))


class MaxPool(nn.Module):
    """Maximum over each window; padding never wins. Keeps the input's type and scale."""

    def __init__(self, kernel: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel = _pair(kernel)
        self.stride = _pair(stride) if stride is not None else self.kernel
        self.padding = _pair(padding)

    def forward(self, x: QTensor) -> QTensor:
        x = _checked(self, x, dims=4)
        y = F.max_pool2d(x.value, self.kernel, self.stride, self.padding)
        return _record(self, [x], QTensor(y, x.quant))


class AvgPool(nn.Module):
    """Average over each window's in-bounds positions, rounded half to even on the input's grid (type
    and scale kept). `global_pool=True`: the whole input, N x C x 1 x 1."""

    def __init__(self, kernel: IntPair = 1, stride: Optional[IntPair] = None, padding: IntPair = 0,
                 global_pool: bool = False) -> None:
        super().__init__()
        self.kernel = _pair(kernel)
        self.stride = _pair(stride) if stride is not None else self.kernel
        self.padding = _pair(padding)
        self.global_pool = global_pool

    def forward(self, x: QTensor) -> QTensor:
        x = _checked(self, x, dims=4)
        if self.global_pool:
            mean = x.value.mean(dim=(2, 3), keepdim=True)
        else:
            mean = F.avg_pool2d(x.value, self.kernel, self.stride, self.padding, count_include_pad=False)
        # The grid's integers are exact in float; their mean rounds like the integer inference.
        scale, zp = float(x.quant.scale), x.quant.zero_point
        q = round_half_even(x.value.detach() / scale) + zp
        if self.global_pool:
            qmean = q.sum(dim=(2, 3), keepdim=True) / (q.shape[2] * q.shape[3])
        else:
            ones = torch.ones_like(q[:1, :1])
            total = F.avg_pool2d(q, self.kernel, self.stride, self.padding, divisor_override=1)
            count = F.avg_pool2d(ones, self.kernel, self.stride, self.padding, divisor_override=1)
            qmean = total / count
        y = (round_half_even(qmean) - zp) * scale
        return _record(self, [x], QTensor(straight_through(mean, y), x.quant))


class Flatten(nn.Module):
    """N x C x H x W to N x (C*H*W) in ONNX's (CHW) order; the importer reorders the next Dense."""

    def forward(self, x: QTensor) -> QTensor:
        x = _checked(self, x, dims=4)
        return _record(self, [x], QTensor(torch.flatten(x.value, 1), x.quant))


class Add(nn.Module):
    """Residual sum of two QTensors of one shape, with `act`, requantised to its own scale."""

    def __init__(self, act: Activation = None, qconfig: QConfig = QConfig()) -> None:
        super().__init__()
        if act is not None and not isinstance(act, (ReLU, LeakyReLU)):
            raise TypeError("act must be None, ReLU() or LeakyReLU(alpha)")
        self.act = act
        self.out_quant = ActQuant(qconfig.activation_bits, not isinstance(act, ReLU), qconfig)

    def forward(self, a: QTensor, b: QTensor) -> QTensor:
        a, b = _checked(self, a), _checked(self, b)
        if a.value.shape != b.value.shape:
            raise ValueError(f"Add: shapes differ: {tuple(a.value.shape)} vs {tuple(b.value.shape)}")
        v = a.value + b.value
        if self.act is not None:
            v = self.act.activate(v)
        return _record(self, [a, b], QTensor(self.out_quant(v), self.out_quant.quant()))


def freeze(model: nn.Module) -> None:
    """Stops every activation quantiser's observation: the scales are final (before export)."""
    for m in model.modules():
        if isinstance(m, ActQuant):
            m.freeze()


def _checked(block: nn.Module, x: QTensor, dims: int = 0) -> QTensor:
    if not isinstance(x, QTensor):
        raise TypeError(f"{type(block).__name__}: input must be a QTensor from another block (start the"
                        f" network with Input()), got {type(x).__name__}")
    if dims and x.value.dim() != dims:
        raise ValueError(f"{type(block).__name__}: input must have {dims} dimensions, got shape"
                         f" {tuple(x.value.shape)}")
    return x


# Export records the blocks a forward pass calls, in order: (block, input QTensors, output QTensor).
_recording: Optional[List[Tuple[nn.Module, Sequence[QTensor], QTensor]]] = None


def _record(block: nn.Module, inputs: Sequence[QTensor], out: QTensor) -> QTensor:
    if _recording is not None:
        _recording.append((block, list(inputs), out))
    return out


class Recording:
    """Context manager: the list of block calls made inside it."""

    def __enter__(self) -> List[Tuple[nn.Module, Sequence[QTensor], QTensor]]:
        global _recording
        _recording = []
        return _recording

    def __exit__(self, *exc: object) -> None:
        global _recording
        _recording = None
