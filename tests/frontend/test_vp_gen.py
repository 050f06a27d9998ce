"""The frontend's integer inference equals the C++ importer and golden model bit for bit: trained models are
exported (QDQ 8-bit, QONNX 4-bit, power-of-two scales), `vp_gen --onnx model.onnx --dump-layers` writes
every layer's integers, and each is compared element by element with the Python inference started from
vp_gen's own quantised input. ctest names the vp_gen binary in DNNVP_VP_GEN."""

import os
import re
import subprocess
import tempfile
import unittest

import support
import numpy as np

import dnnvp_torch as dt


def to_hwc(values: np.ndarray, layer: dt.Layer, shapes: dict) -> np.ndarray:
    """One image's NCHW (or N x F) integers in vp_gen's dump layout: H x W x C, a flat vector as 1 x 1 x F
    in HWC order (a Flatten's CHW order permuted as the importer lays it out)."""
    v = values[0]
    if v.ndim == 3:
        return v.transpose(1, 2, 0)
    if layer.kind == "flatten":
        c, h, w = shapes[layer.inputs[0]]
        return v.reshape(c, h, w).transpose(1, 2, 0).reshape(1, 1, -1)
    return v.reshape(1, 1, -1)


def conv_ties(model: dt.IntegerModel, values: dict) -> int:
    """How many Conv output elements are exactly halfway before rounding (acc * M / 2^s ends in .5)."""
    ties = 0
    quants = dict([("input", model.input_quant)] + [(l.name, l.out) for l in model.layers])
    for layer in model.layers:
        if layer.kind == "conv":
            acc = dt.integer.conv(values[layer.inputs[0]], quants[layer.inputs[0]].zero_point, layer)
            m = np.array([r[0] for r in layer.requant]).reshape(1, -1, 1, 1)
            s = np.array([r[1] for r in layer.requant]).reshape(1, -1, 1, 1)
            ties += int(np.count_nonzero((acc * m) & ((1 << s) - 1) == (1 << (s - 1))))
    return ties


class VpGenBitExact(unittest.TestCase):
    def check(self, q: dt.QConfig, seed: int) -> int:
        """Compares every layer; returns the number of ties in the Conv layers' output stages."""
        binary = support.tool("DNNVP_VP_GEN")
        model, x, _ = support.trained(q, seed=seed, size=16)
        with tempfile.TemporaryDirectory() as tmp:
            result = dt.export(model, {}, tmp, x[:1], write_inputs=False)
            out = os.path.join(tmp, "gen")
            run = subprocess.run([binary, "--onnx", result.files["onnx"], "-o", out, "--dump-layers", "-q"],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            dumps = {m.group(1): os.path.join(out, "layers", f)
                     for f in os.listdir(os.path.join(out, "layers"))
                     for m in [re.match(r"\d{3,}_(.+)_output\.npy$", f)] if m}
            image = np.load(os.path.join(out, "layers", "input.npy")).transpose(2, 0, 1)[None]
            values = dt.integer.run(result.model, image, quantized=True)
            shapes = {name: v.shape[1:] for name, v in values.items()}
            # The importer names a layer after its node; a standalone Relu becomes NAME_clip, a pool's
            # QuantizeLinear NAME_clip after NAME (docs/onnx.md); a Flatten may be folded into the Gemm.
            compared = set()
            for layer in result.model.layers:
                names = [n for n in (layer.name, f"{layer.name}_clip") if n in dumps]
                if layer.kind != "flatten":
                    self.assertTrue(names, f"vp_gen wrote no output for layer '{layer.name}'")
                expected = to_hwc(values[layer.name], layer, shapes)
                for name in names:
                    np.testing.assert_array_equal(np.load(dumps[name]), expected, err_msg=name)
                compared.update(names)
            self.assertEqual(compared, set(dumps))
            return conv_ties(result.model, values)

    def test_qdq_8_bit(self):
        self.check(dt.QConfig(), seed=4)

    def test_qonnx_4_bit(self):
        self.check(dt.QConfig(activation_bits=4, weight_bits=4), seed=5)

    def test_qdq_8_bit_power_of_two_scales_with_ties(self):
        self.assertGreater(self.check(dt.QConfig(power_of_two=True), seed=6), 0)  # ties decide outputs


if __name__ == "__main__":
    unittest.main()
