"""The integer inference against hand-computed cases of docs/numerics.md (ties to even, saturation, zero
points, window padding) and the multiplier/shift choices of generators/synthesize.cpp and add.cpp."""

import unittest

import support  # noqa: F401  (fails naming tools/install-deps.sh when a package is missing)
import numpy as np

from dnnvp_torch import integer
from dnnvp_torch.integer import ExportError, Layer, TensorQuant

INT8 = TensorQuant(scale=0.5, zero_point=0, bits=8, signed=True)
UINT8 = TensorQuant(scale=0.5, zero_point=0, bits=8, signed=False)


def run_one(layer, x, xq=INT8, b=None, bq=INT8):
    values = {"a": np.array(x, dtype=np.int64), "b": np.array(b if b is not None else x, dtype=np.int64)}
    return integer.run_layer(layer, values, {"a": xq, "b": bq}).tolist()


class RequantForScale(unittest.TestCase):
    def test_mantissa_becomes_a_31_bit_multiplier_and_the_exponent_the_shift(self):
        self.assertEqual(integer.requant_for_scale(0.5, "t"), (1 << 30, 31))
        self.assertEqual(integer.requant_for_scale(0.75, "t"), (1610612736, 31))
        self.assertEqual(integer.requant_for_scale(3.0, "t"), (1610612736, 29))

    def test_multiplier_rounds_halves_away_from_zero_like_llround(self):
        self.assertEqual(integer.requant_for_scale(0.5 + 2.0 ** -32, "t"), ((1 << 30) + 1, 31))

    def test_multiplier_rounding_up_to_2_pow_31_is_halved(self):
        self.assertEqual(integer.requant_for_scale(1.0 - 2.0 ** -40, "t"), (1 << 30, 30))

    def test_tiny_scale_uses_the_largest_shift(self):
        self.assertEqual(integer.requant_for_scale(2.0 ** -40, "t"), (1 << 22, 62))

    def test_scale_needing_a_left_shift_is_an_error_naming_the_place(self):
        with self.assertRaisesRegex(ExportError, "layer 'x' channel 3"):
            integer.requant_for_scale(2.0 ** 31, "layer 'x' channel 3")


class Rounding(unittest.TestCase):
    def test_shift_rounds_ties_to_even_for_both_signs(self):
        v = np.array([5, 7, -5, -7, 6, -6, 10, 14, -10, 9, 11])
        s = np.array([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
        self.assertEqual(integer.shift_half_even(v, s).tolist(), [2, 4, -2, -4, 3, -3, 2, 4, -2, 2, 3])

    def test_shift_zero_is_the_identity(self):
        self.assertEqual(integer.shift_half_even(np.array([-3, 0, 7]), 0).tolist(), [-3, 0, 7])

    def test_division_rounds_ties_to_even(self):
        total = np.array([5, 7, -5, -7, 10, 11, 4, 5, -4])
        count = np.array([2, 2, 2, 2, 4, 4, 3, 3, 3])
        self.assertEqual(integer.divide_half_even(total, count).tolist(), [2, 4, -2, -4, 2, 3, 1, 2, -1])

    def test_float_input_is_quantised_half_to_even_and_saturated(self):
        x = [0.25, 0.75, 1.25, -0.25, -0.75, 200.0, -200.0]
        self.assertEqual(integer.quantize_input(np.array(x), INT8).tolist(), [0, 2, 2, 0, -2, 127, -128])
        self.assertEqual(integer.quantize_input(np.array(x), UINT8).tolist(), [0, 2, 2, 0, 0, 255, 0])


class OutputStage(unittest.TestCase):
    def stage(self, acc, activation="none", leaky_shift=0, out=INT8):
        layer = Layer("l", "conv", ["a"], out, activation=activation, leaky_shift=leaky_shift)
        return integer.output_stage(np.array(acc), np.int64(1 << 30), np.int64(31), layer).tolist()

    def test_halving_rounds_ties_to_even_and_saturates(self):
        self.assertEqual(self.stage([100, 3, 5, -3, -5, 1000, -1000]), [50, 2, 2, -2, -2, 127, -128])

    def test_relu_acts_on_the_accumulator(self):
        self.assertEqual(self.stage([-1000, 7], "relu", out=UINT8), [0, 4])

    def test_leaky_relu_is_folded_into_the_shift_and_rounded_once(self):
        # -24 * 0.5 / 16 = -0.75; -16 * 0.5 / 16 = -0.5 (tie to 0); -48 * 0.5 / 16 = -1.5 (to -2)
        self.assertEqual(self.stage([-24, -16, -48, 9], "leaky_relu", 4), [-1, 0, -2, 4])

    def test_zero_point_is_added_after_rounding_and_before_saturation(self):
        self.assertEqual(self.stage([5, 100], out=TensorQuant(0.5, 100, 8, True)), [102, 127])


class Layers(unittest.TestCase):
    def test_conv_padding_contributes_zero_after_the_input_zero_point(self):
        layer = Layer("c", "conv", ["a"], INT8, weights=np.array([[[[1, -1], [2, 0]]]]),
                      bias=np.array([10]), kernel=(2, 2), pads=(0, 0, 1, 1), requant=[(1 << 30, 31)])
        x = [[[[1, 2], [3, 4]]]]  # minus zero point 1: [[0, 1], [2, 3]]; acc [[13, 17], [9, 13]]
        self.assertEqual(run_one(layer, x, TensorQuant(0.5, 1, 8, True)), [[[[6, 8], [4, 6]]]])

    def test_dense_subtracts_the_input_zero_point(self):
        layer = Layer("d", "dense", ["a"], INT8, weights=np.array([[2, 1], [-1, 3]]), bias=np.array([1, 0]),
                      requant=[(1 << 30, 32), (1 << 30, 32)])
        # x - zx = [4, -1]: acc [8, -7], x 0.25: [2, -1.75]
        self.assertEqual(run_one(layer, [[3, -2]], TensorQuant(0.5, -1, 8, True)), [[2, -2]])

    def test_maxpool_padding_never_wins_over_negative_values(self):
        layer = Layer("p", "maxpool", ["a"], INT8, kernel=(2, 2), pads=(1, 1, 0, 0))
        self.assertEqual(run_one(layer, [[[[-5, -3], [-4, -6]]]]), [[[[-5, -3], [-4, -3]]]])

    def test_avgpool_divides_by_in_bounds_positions_ties_to_even(self):
        layer = Layer("p", "avgpool", ["a"], INT8, kernel=(2, 2), pads=(1, 1, 0, 0))
        self.assertEqual(run_one(layer, [[[[1, 2], [3, 4]]]]), [[[[1, 2], [2, 2]]]])

    def test_global_avgpool_rounds_ties_to_even(self):
        layer = Layer("g", "avgpool", ["a"], INT8, global_pool=True)
        x = [[[[1, 2], [3, 4]]], [[[1, 2], [3, 5]]], [[[1, 2], [4, 7]]]]
        self.assertEqual(run_one(layer, x), [[[[2]]], [[[3]]], [[[4]]]])

    def test_avgpool_rounds_the_mean_of_q_minus_an_odd_zero_point_to_even(self):
        zq = TensorQuant(scale=0.5, zero_point=3, bits=8, signed=False)
        # q - 3: [3, 4] -> 3.5 -> 4; [2, 3] -> 2.5 -> 2; [-3, -2] -> -2.5 -> -2; each + 3
        layer = Layer("p", "avgpool", ["a"], zq, kernel=(1, 2), stride=(1, 2))
        self.assertEqual(run_one(layer, [[[[6, 7, 5, 6, 0, 1]]]], zq), [[[[7, 5, 1]]]])
        glob = Layer("g", "avgpool", ["a"], zq, global_pool=True)
        self.assertEqual(run_one(glob, [[[[6, 7]]], [[[5, 6]]]], zq), [[[[7]]], [[[5]]]])

    def test_add_rescales_both_inputs_and_rounds_ties_to_even(self):
        layer = Layer("s", "add", ["a", "b"], TensorQuant(0.5, 1, 8, True), add=(1, 1, 1))
        # (a - 2) + b = [12, 6, -3] -> halved [6, 3, -2] -> + 1
        out = run_one(layer, [10, 3, -7], TensorQuant(0.5, 2, 8, True), [4, 5, 6])
        self.assertEqual(out, [7, 4, -1])

    def test_standalone_relu_clips_at_the_zero_point(self):
        layer = Layer("r", "relu", ["a"], TensorQuant(0.5, 3, 8, True))
        self.assertEqual(run_one(layer, [-4, 2, 3, 9], TensorQuant(0.5, 3, 8, True)), [3, 3, 3, 9])

    def test_flatten_keeps_channel_major_order(self):
        layer = Layer("f", "flatten", ["a"], INT8)
        self.assertEqual(run_one(layer, [[[[1, 2]], [[3, 4]]]]), [[1, 2, 3, 4]])


class AddParams(unittest.TestCase):
    def test_larger_multiplier_is_about_2_pow_30(self):
        layer = Layer("s", "add", ["a", "b"], TensorQuant(0.25, 0, 8, True))
        self.assertEqual(integer.add_params(layer, 0.5, 0.25), (1 << 30, 1 << 29, 29))

    def test_shift_is_clamped_leaving_room_for_the_leaky_shift(self):
        layer = Layer("s", "add", ["a", "b"], TensorQuant(1.0, 0, 8, True), activation="leaky_relu",
                      leaky_shift=3)
        self.assertEqual(integer.add_params(layer, 2.0 ** -40, 2.0 ** -41), (1 << 19, 1 << 18, 59))


if __name__ == "__main__":
    unittest.main()
