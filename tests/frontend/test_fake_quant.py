"""Fake quantisation in float: the values docs/numerics.md's integers give (ties to even, saturation,
per-channel symmetric weights, float32 or power-of-two scales), the straight-through gradient, observed
activation scales, and training with an ordinary optimiser."""

import unittest

import support  # noqa: F401  (fails naming tools/install-deps.sh when a package is missing)
import numpy as np
import torch

import dnnvp_torch as dt
from dnnvp_torch.quant import ActQuant, bias_quant, fake_quantize


class FakeQuantize(unittest.TestCase):
    def test_rounds_ties_to_even_and_saturates_signed_8_bit(self):
        t = dt.TensorQuant(scale=0.5, zero_point=0, bits=8, signed=True)
        x = torch.tensor([0.25, 0.75, 1.25, -0.25, -0.75, 100.0, -100.0])
        self.assertEqual(fake_quantize(x, t).tolist(), [0.0, 1.0, 1.0, 0.0, -1.0, 63.5, -64.0])

    def test_saturates_unsigned_4_bit(self):
        t = dt.TensorQuant(scale=1.0, zero_point=0, bits=4, signed=False)
        x = torch.tensor([3.5, 4.5, 20.0, -3.0])
        self.assertEqual(fake_quantize(x, t).tolist(), [4.0, 4.0, 15.0, 0.0])

    def test_zero_point_shifts_the_range(self):
        t = dt.TensorQuant(scale=1.0, zero_point=-100, bits=8, signed=True)
        x = torch.tensor([-40.0, 300.0, 26.5])  # stored -140 -> -128 (real -28); 200 -> 127 (real 227)
        self.assertEqual(fake_quantize(x, t).tolist(), [-28.0, 227.0, 26.0])

    def test_gradient_passes_inside_the_range_and_stops_where_saturated(self):
        t = dt.TensorQuant(scale=1.0, zero_point=0, bits=4, signed=True)  # -8 .. 7
        x = torch.tensor([0.3, -7.9, 6.9, 7.6, -9.0], requires_grad=True)
        fake_quantize(x, t).sum().backward()
        self.assertEqual(x.grad.tolist(), [1.0, 1.0, 1.0, 0.0, 0.0])


class Weights(unittest.TestCase):
    def conv(self, q: dt.QConfig) -> dt.Conv2D:
        c = dt.Conv2D(2, 2, 1, qconfig=q)
        with torch.no_grad():
            c.weight.copy_(torch.tensor([[1.27, -0.3], [0.5, -0.2]]).reshape(2, 2, 1, 1))
        return c

    def test_each_output_channel_has_its_own_float32_scale(self):
        q, s = self.conv(dt.QConfig()).quantized_weight()
        self.assertEqual(s.dtype, torch.float32)
        self.assertEqual(s.tolist(), [float(np.float32(1.27 / 127)), float(np.float32(0.5 / 127))])
        self.assertEqual(q.flatten().tolist(), [127.0, -30.0, 127.0, -51.0])

    def test_per_tensor_uses_the_largest_channel_scale(self):
        q, s = self.conv(dt.QConfig(per_channel=False)).quantized_weight()
        self.assertEqual(s.tolist(), [float(np.float32(1.27 / 127))] * 2)
        self.assertEqual(q.flatten().tolist(), [127.0, -30.0, 50.0, -20.0])

    def test_power_of_two_scales_are_rounded_up(self):
        q, s = self.conv(dt.QConfig(power_of_two=True)).quantized_weight()
        self.assertEqual(s.tolist(), [2.0 ** -6, 2.0 ** -7])  # 1.27/127 = 0.01; 0.5/127 = 0.0039
        self.assertEqual(q.flatten().tolist(), [81.0, -19.0, 64.0, -26.0])

    def test_4_bit_weights_are_symmetric(self):
        q, _ = self.conv(dt.QConfig(weight_bits=4)).quantized_weight()
        self.assertEqual(q.flatten().tolist(), [7.0, -2.0, 7.0, -3.0])

    def test_bias_is_quantised_half_to_even_in_accumulator_units(self):
        b = torch.tensor([0.1875, 0.3125, -0.1875])  # / (0.5 * 0.25) = 1.5, 2.5, -1.5
        self.assertEqual(bias_quant(b, 0.5, torch.tensor([0.25] * 3)).tolist(), [2.0, 2.0, -2.0])

    def test_bias_that_does_not_fit_int32_names_its_channel(self):
        with self.assertRaisesRegex(OverflowError, "output channel 1 .* does not fit int32"):
            bias_quant(torch.tensor([1.0, 1e6]), 2.0 ** -12, torch.tensor([2.0 ** -12] * 2))

    def test_weight_gradient_is_the_gradient_of_the_quantised_weight(self):
        torch.manual_seed(0)
        c = dt.Dense(3, 2, bias=False)
        x = dt.QTensor(torch.tensor([[1.0, -2.0, 0.5]]), dt.TensorQuant(0.5, 0, 8, True))
        g = torch.tensor([[0.5, -2.0]])  # a linear loss: its gradient is g inside the output's range
        (c(x).value * g).sum().backward()
        q, s = c.quantized_weight()
        w = (q * s.double()[:, None]).float().requires_grad_(True)
        (torch.nn.functional.linear(x.value, w) * g).sum().backward()
        self.assertTrue(torch.allclose(c.weight.grad, w.grad))


class ActivationScales(unittest.TestCase):
    def test_running_maximum_follows_training_batches_then_freezes(self):
        a = ActQuant(8, True, dt.QConfig(momentum=0.5))
        a.train()
        a(torch.tensor([1.0, -2.0]))
        self.assertEqual(float(a.running_max), 2.0)
        a(torch.tensor([4.0]))
        self.assertEqual(float(a.running_max), 3.0)
        self.assertEqual(a.quant().scale, float(np.float32(3.0 / 127)))
        a.freeze()
        a(torch.tensor([100.0]))
        self.assertEqual(float(a.running_max), 3.0)

    def test_unobserved_quantiser_calibrates_on_its_first_eval_batch_only(self):
        a = ActQuant(8, False, dt.QConfig())
        a.eval()
        a(torch.tensor([2.55]))
        a(torch.tensor([100.0]))
        self.assertEqual(a.quant().scale, float(np.float32(2.55 / 255)))

    def test_power_of_two_scale_covers_the_maximum(self):
        a = ActQuant(4, True, dt.QConfig(power_of_two=True))
        a(torch.tensor([5.0]))  # 5 / 7 -> 2^0
        self.assertEqual(a.quant().scale, 1.0)

    def test_fixed_input_scale_is_float32_and_never_observed(self):
        inp = dt.Input(scale=1 / 255)
        inp.train()
        out = inp(torch.full((1, 1, 1, 1), 7.0))
        self.assertEqual(out.quant.scale, float(np.float32(1 / 255)))
        self.assertEqual(round(out.value.item() / out.quant.scale), 255)


class Blocks(unittest.TestCase):
    def test_avgpool_rounds_the_mean_of_grid_values_half_to_even(self):
        t = dt.TensorQuant(0.5, 0, 8, True)
        x = dt.QTensor(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]) * 0.5, t)  # stored 1 2 3 4
        out = dt.AvgPool(2, stride=1, padding=1)(x).value / 0.5
        # windows hang over every edge: 1, 1 2, 2 / 1 3, 1 2 3 4, 2 4 / 3, 3 4, 4
        self.assertEqual(out.flatten().tolist(), [1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0])

    def test_leaky_relu_alpha_must_be_2_pow_minus_1_to_7(self):
        self.assertEqual([dt.LeakyReLU(a).shift for a in (0.5, 0.125, 2.0 ** -7)], [1, 3, 7])
        for alpha in (0.3, 1.0, 2.0 ** -8, 0.0, -0.5):
            with self.assertRaisesRegex(ValueError, "2\\^-k with k in 1..7"):
                dt.LeakyReLU(alpha)

    def test_blocks_refuse_plain_tensors(self):
        with self.assertRaisesRegex(TypeError, "QTensor"):
            dt.Flatten()(torch.zeros(1, 1, 2, 2))

    def test_ordinary_optimiser_lowers_the_loss(self):
        model, x, target = support.trained(dt.QConfig(), steps=0)
        model.train()
        losses = []
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(25):
            loss = torch.nn.functional.cross_entropy(model(x).value, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertLess(losses[-1], 0.7 * losses[0])


if __name__ == "__main__":
    unittest.main()
