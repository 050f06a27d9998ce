"""The reference's QONNX Quant (onnx_ref.qonnx_quant) against hand-worked cases of QONNX's definition
(y = (clip(round_half_even(x / scale + zeropt), min, max) - zeropt) * scale; ONNX has no node tests for it).
"""

import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_ref  # noqa: E402


def grid(x, scale=1.0, zeropt=0.0, bits=4, signed=1, narrow=0, mode="ROUND"):
    """The Quant output in grid units (y / scale + zeropt), float64 reading."""
    y = onnx_ref.qonnx_quant(np.asarray(x, np.float64), np.float64(scale), np.float64(zeropt), np.float32(bits),
                             signed, narrow, mode, np.float64)
    return (y / scale + zeropt).tolist()


class QonnxQuant(unittest.TestCase):
    def test_ties_round_to_even(self):
        self.assertEqual(grid([5.5, 2.5, 1.6, 1.1, -1.1, -1.6, -2.5, -5.5]), [6, 2, 2, 1, -1, -2, -2, -6])

    def test_rounding_mode_name_is_case_insensitive(self):
        self.assertEqual(grid([2.5, -0.5], mode="round"), [2, 0])

    def test_signed_limits(self):
        self.assertEqual(grid([-9, -8.6, 7.4, 9], bits=4), [-8, -8, 7, 7])

    def test_signed_narrow_raises_the_minimum(self):
        self.assertEqual(grid([-9, 9], bits=4, narrow=1), [-7, 7])

    def test_unsigned_limits(self):
        self.assertEqual(grid([-3, 14.6, 20], bits=4, signed=0), [0, 15, 15])

    def test_unsigned_narrow_lowers_the_maximum(self):
        self.assertEqual(grid([-3, 20], bits=4, signed=0, narrow=1), [0, 14])

    def test_zero_point_shifts_before_rounding_and_clamping(self):
        # 0.25 / 0.5 + 3 = 3.5 -> 4 (even); -10 / 0.5 + 3 -> clamped at 0 unsigned.
        self.assertEqual(grid([0.25, -10.0], scale=0.5, zeropt=3, bits=3, signed=0), [4, 0])

    def test_other_widths(self):
        self.assertEqual(grid([-3, 3], bits=2), [-2, 1])
        self.assertEqual(grid([300, -300], bits=8), [127, -128])

    def test_per_channel_scale_broadcasts(self):
        x = np.array([[1.0, 1.0], [1.0, 1.0]])
        scale = np.array([[0.5], [0.25]])
        y = onnx_ref.qonnx_quant(x, scale, np.float64(0), np.float32(4), 1, 0, "ROUND", np.float64)
        self.assertEqual((y / scale).tolist(), [[2, 2], [4, 4]])

    def test_bit_widths_outside_2_to_8_are_refused(self):
        for bits in (1, 9, 4.5):
            with self.assertRaises(onnx_ref.Unsupported):
                grid([0.0], bits=bits)

    def test_rounding_point_is_recorded_before_rounding(self):
        record = []
        onnx_ref.qonnx_quant(np.array([1.25]), np.float64(0.5), np.float64(1), np.float32(4), 1, 0, "ROUND",
                             np.float64, record)
        self.assertEqual(record[0].tolist(), [3.5])


if __name__ == "__main__":
    unittest.main()
