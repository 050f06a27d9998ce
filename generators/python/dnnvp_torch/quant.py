"""Fake quantisation that gives the values of docs/numerics.md's integer arithmetic in float: round half
to even, saturation to the type, per-channel symmetric weights, float32 scales (multiplier scales, or
powers of two), and a straight-through estimator for the gradients."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Tuple

import torch
from torch import nn

from .integer import TensorQuant


@dataclass(frozen=True)
class QConfig:
    """How a block quantises. `power_of_two`: every scale is a power of two (then every requantisation
    multiplier is one and the float fake quantisation equals the integer inference exactly)."""

    activation_bits: int = 8
    weight_bits: int = 8
    power_of_two: bool = False
    per_channel: bool = True  # one weight scale per output channel (else one per layer)
    momentum: float = 0.9  # of the running |max| of activations during training

    def __post_init__(self) -> None:
        for what, bits in (("activation_bits", self.activation_bits), ("weight_bits", self.weight_bits)):
            if not 2 <= bits <= 8:
                raise ValueError(f"QConfig.{what} must be 2..8, got {bits}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"QConfig.momentum must be in [0, 1), got {self.momentum}")


def float32_scale(scale: torch.Tensor, power_of_two: bool) -> torch.Tensor:
    """A scale as the model stores it: a power of two at least `scale`, or `scale` rounded to float32."""
    scale = scale.detach().to(torch.float64).clamp(min=2.0 ** -60)
    if power_of_two:
        scale = torch.exp2(torch.ceil(torch.log2(scale)))
    return scale.to(torch.float32)


def round_half_even(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x)  # torch.round rounds half to even, as ONNX and docs/numerics.md do


def fake_quantize(x: torch.Tensor, t: TensorQuant) -> torch.Tensor:
    """scale * (sat(round_half_even(x / scale) + zp) - zp); the gradient passes where x is inside the
    type's range and is zero where it saturates (straight-through estimator)."""
    scale = float(t.scale)
    q = torch.clamp(round_half_even(x.detach() / scale) + t.zero_point, t.qmin, t.qmax)
    y = (q - t.zero_point) * scale
    inside = (x >= (t.qmin - t.zero_point) * scale) & (x <= (t.qmax - t.zero_point) * scale)
    return torch.where(inside, x + (y - x).detach(), y)


def weight_quant(w: torch.Tensor, bits: int, cfg: QConfig) -> Tuple[torch.Tensor, torch.Tensor]:
    """Symmetric weights: (integers as float64, scales float32 per output channel). s[o] = max|w_o| /
    (2^(bits-1) - 1), computed in double and stored as float32; q = round_half_even(w / s), saturated to
    +-(2^(bits-1) - 1)."""
    qmax = (1 << (bits - 1)) - 1
    flat = w.detach().to(torch.float64).reshape(w.shape[0], -1)
    top = flat.abs().amax(dim=1) if cfg.per_channel else flat.abs().amax().expand(w.shape[0])
    scales = float32_scale(top / qmax, cfg.power_of_two)
    q = torch.clamp(round_half_even(flat / scales.to(torch.float64)[:, None]), -qmax, qmax)
    return q.reshape(w.shape), scales


def bias_quant(b: torch.Tensor, input_scale: float, weight_scales: torch.Tensor) -> torch.Tensor:
    """int32 bias in accumulator units: round_half_even(b / (sx * sw[o])) in double; OverflowError naming
    the first channel that does not fit."""
    acc_scale = float(input_scale) * weight_scales.to(torch.float64)
    q = round_half_even(b.detach().to(torch.float64) / acc_scale)
    too_large = (q.abs() > 2 ** 31 - 1).nonzero()
    if len(too_large):
        o = int(too_large[0])
        raise OverflowError(f"bias of output channel {o} ({float(b[o])}) is {float(q[o]):.0f} accumulator"
                            f" units (s_x * s_w = {float(acc_scale[o])}): it does not fit int32")
    return q


def straight_through(x: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """`value` forward, the identity's gradient backward."""
    return x + (value.to(x.dtype) - x).detach()


class ActQuant(nn.Module):
    """An activation tensor's quantiser: while training (and not frozen) it follows a running maximum of
    |x| (the first batch sets it); the scale maps that maximum to the top of the type. A module that has
    seen no training batch calibrates on its first one. `scale` fixes it (e.g. 1/255 for images)."""

    def __init__(self, bits: int, signed: bool, cfg: QConfig, scale: float = 0.0) -> None:
        super().__init__()
        self.bits, self.signed, self.cfg = bits, signed, cfg
        self.register_buffer("running_max", torch.tensor(0.0, dtype=torch.float64))
        self.register_buffer("frozen", torch.tensor(False))
        if scale:
            fixed = float32_scale(torch.tensor(scale), cfg.power_of_two)
            self.running_max.fill_(float(fixed) * self.qmax)
            self.frozen.fill_(True)

    @property
    def qmax(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def freeze(self) -> None:
        self.frozen.fill_(True)

    def observe(self, x: torch.Tensor) -> None:
        if bool(self.frozen):
            return
        top = x.detach().abs().max().to(torch.float64)
        if float(self.running_max) == 0.0:
            self.running_max.fill_(float(top))
        elif self.training:
            m = self.cfg.momentum
            self.running_max.mul_(m).add_((1.0 - m) * top)

    def quant(self) -> TensorQuant:
        rm = float(self.running_max)
        scale = float(float32_scale(torch.tensor(rm / self.qmax if rm > 0 else 1.0), self.cfg.power_of_two))
        return TensorQuant(scale=scale, zero_point=0, bits=self.bits, signed=self.signed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.observe(x)
        return fake_quantize(x, self.quant())


# The engine's LeakyReLU shifts: a layer's leaky_shift is 1..7 (docs/scenarios.md, docs/onnx.md).
LEAKY_SHIFTS = range(1, 8)


def leaky_shift_of(alpha: float) -> int:
    """k for alpha = 2^-k with k in 1..7, else ValueError."""
    k = -math.log2(alpha) if alpha > 0 else 0.0
    if k != round(k) or round(k) not in LEAKY_SHIFTS:
        raise ValueError(f"LeakyReLU alpha must be 2^-k with k in 1..7 (0.5 .. 0.0078125), got {alpha}")
    return int(round(k))
