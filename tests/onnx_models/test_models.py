"""The test models (make_models.py) are what the tests promise: deterministic, valid ONNX, each form's
operators and quantisation choices, small, and free of near-ties that would make a bit-exact comparison with
the importer's arithmetic depend on its multiplier approximation.
"""

import os
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402
import model_facts  # noqa: E402

MODELS = {form: make_models.build(form) for form in make_models.FORMS}


def ops(model):
    return {n.op_type for n in model.graph.node}


def initializer(model, name):
    return next(numpy_helper.to_array(t) for t in model.graph.initializer if t.name == name)


def nodes(model, op):
    return [n for n in model.graph.node if n.op_type == op]


class Models(unittest.TestCase):
    def test_writing_twice_gives_the_same_bytes(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            self.assertEqual(make_models.main(["make_models.py", a]), 0)
            self.assertEqual(make_models.main(["make_models.py", b]), 0)
            names = sorted(os.listdir(a))
            self.assertEqual(names, sorted(os.listdir(b)))
            self.assertEqual(len(names), 2 * len(make_models.FORMS))
            for name in names:
                with open(os.path.join(a, name), "rb") as fa, open(os.path.join(b, name), "rb") as fb:
                    self.assertEqual(fa.read(), fb.read(), name)
                self.assertLess(os.path.getsize(os.path.join(a, name)), 8192, name)

    def test_models_pass_the_onnx_checker_and_take_8x8_float_inputs(self):
        for form, (model, batch) in MODELS.items():
            onnx.checker.check_model(model, full_check=True)
            dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
            self.assertEqual(dims[:1] + dims[2:], [1, 8, 8], form)
            self.assertEqual(batch.dtype, np.float32, form)
            self.assertEqual(batch.shape[1:], tuple(dims[1:]), form)
            self.assertGreaterEqual(batch.shape[0], 2, form)

    def test_qoperator_form(self):
        model, _ = MODELS["qoperator"]
        self.assertTrue({"QuantizeLinear", "QLinearConv", "MaxPool", "ConvInteger", "Cast", "Mul", "Reshape",
                         "QLinearMatMul", "DequantizeLinear"} <= ops(model))
        conv = nodes(model, "QLinearConv")[0]
        self.assertEqual(initializer(model, conv.input[4]).size, 8, "per-channel weight scales")
        self.assertNotEqual(int(initializer(model, conv.input[2])), 0, "input zero point")
        self.assertEqual(initializer(model, conv.input[7]).dtype, np.uint8)
        self.assertNotEqual(int(initializer(model, nodes(model, "ConvInteger")[0].input[3])), 0,
                            "ConvInteger weight zero point")
        matmul = nodes(model, "QLinearMatMul")[0]
        self.assertEqual(initializer(model, matmul.input[4]).size, 10, "per-column weight scales")
        self.assertNotEqual(int(initializer(model, matmul.input[2])), 0, "activation zero point")

    def test_qdq_form(self):
        model, _ = MODELS["qdq"]
        self.assertTrue({"QuantizeLinear", "DequantizeLinear", "Conv", "BatchNormalization", "Relu", "MaxPool",
                         "Add", "LeakyRelu", "GlobalAveragePool", "Flatten", "Gemm"} <= ops(model))
        self.assertEqual(nodes(model, "LeakyRelu")[0].attribute[0].f, 0.125)
        weights = [n for n in nodes(model, "DequantizeLinear") if n.name.endswith("_weight_dequantize")]
        self.assertEqual(len(weights), 3)
        for n in weights:
            self.assertEqual(initializer(model, n.input[0]).dtype, np.int8, n.name)
            self.assertGreater(initializer(model, n.input[1]).size, 1, n.name)
            self.assertEqual(n.attribute[0].name, "axis")
            self.assertEqual(n.attribute[0].i, 0)
        biases = [n for n in nodes(model, "DequantizeLinear") if n.name.endswith("_bias_dequantize")]
        self.assertEqual([initializer(model, n.input[0]).dtype for n in biases], [np.int32] * 3)
        zeros = [initializer(model, n.input[2]) for n in nodes(model, "QuantizeLinear")]
        self.assertTrue(all(z.dtype == np.uint8 for z in zeros))
        self.assertTrue(any(int(z) != 0 for z in zeros), "an asymmetric activation")
        # ONNX averages q - z, the golden model the stored q (docs/numerics.md, "Imported models"): their ties
        # agree for an even zero point only, and this model's average has ties (test_no_rounding_point_...).
        gap_quantize = next(n for n in nodes(model, "QuantizeLinear") if n.name == "gap_quantize")
        self.assertEqual(int(initializer(model, gap_quantize.input[2])) % 2, 0, "the average's zero point")

    def test_qonnx_form(self):
        model, _ = MODELS["qonnx"]
        quants = nodes(model, "Quant")
        self.assertTrue(quants)
        self.assertTrue({"Conv", "Relu", "MaxPool", "Gemm"} <= ops(model))
        widths = set()
        for n in quants:
            self.assertEqual(n.domain, "qonnx.custom_op.general", n.name)
            self.assertEqual({a.name for a in n.attribute}, {"signed", "narrow", "rounding_mode"}, n.name)
            widths.add(int(initializer(model, n.input[3])))
        self.assertIn(4, widths)
        self.assertTrue(widths - {4, 8}, "a width other than 4 and 8")

    def test_outputs_differ_between_classes_and_images(self):
        for form, (model, batch) in MODELS.items():
            outputs = np.stack([model_facts.quantised_output(model, model_facts.reference(model, image)[0])
                                for image in batch])
            self.assertGreater(len(np.unique(outputs)), outputs.size // 2, form)
            self.assertGreater(len({tuple(o.ravel()) for o in outputs}), 1, form)

    def test_no_rounding_point_is_a_near_tie(self):
        """Every rounding point is an exact tie of an exact operation or farther from a tie than the importer's
        arithmetic can be from the exact-real reading, so its outputs must equal the reference's exactly."""
        exact_ties = 0
        for form, (model, batch) in MODELS.items():
            for i, image in enumerate(batch):
                for tensor, pre in model_facts.reference(model, image)[1].items():
                    near = model_facts.near_tie(pre)
                    if model_facts.exact_input(model, tensor):
                        ties = model_facts.tie_distance(pre) == 0
                        exact_ties += int(ties.sum())
                        near &= ~ties
                    self.assertFalse(near.any(), f"{form} image {i} tensor {tensor}: near-ties at "
                                     f"{np.argwhere(near)[:5].tolist()}")
        self.assertGreater(exact_ties, 0, "the average's ties to even are exercised")

    def test_float32_and_float64_readings_agree_on_every_rounding_point(self):
        """onnxruntime's float32 arithmetic and the exact-real reading give these models the same integers."""
        for form, (model, batch) in MODELS.items():
            for i, image in enumerate(batch):
                exact = model_facts.reference(model, image)[1]
                single = model_facts.reference(model, image, np.float32)[1]
                self.assertEqual(exact.keys(), single.keys())
                for tensor, pre in exact.items():
                    np.testing.assert_array_equal(np.rint(single[tensor]), np.rint(pre),
                                                  f"{form} image {i} tensor {tensor}")


if __name__ == "__main__":
    unittest.main()
