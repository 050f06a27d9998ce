"""export(): the ONNX model (QDQ at 8 bits, QONNX narrower) passes onnx.checker and carries the integers and
scales of the integer model; the scenario and input files; the integer inference equals the fake
quantisation; models the export cannot represent fail naming the block."""

import os
import sys
import tempfile
import unittest

import support
import numpy as np
import onnx
import torch
from onnx import numpy_helper

import dnnvp_torch as dt


def export(q: dt.QConfig, out_dir: str, **kwargs):
    model, x, target = support.trained(q)
    return dt.export(model, {"rows": 4, "cols": 8}, out_dir, x, labels=target.numpy(), **kwargs), model, x


class Qdq(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.result, cls.model, cls.x = export(dt.QConfig(), cls.tmp.name)
        cls.onnx = onnx.load(cls.result.files["onnx"])
        cls.inits = {t.name: numpy_helper.to_array(t) for t in cls.onnx.graph.initializer}
        cls.nodes = {n.name: n for n in cls.onnx.graph.node}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_model_passes_the_onnx_checker_at_opset_13(self):
        onnx.checker.check_model(self.onnx)
        self.assertEqual([(o.domain, o.version) for o in self.onnx.opset_import], [("", 13)])

    def test_every_layer_is_a_node_named_after_its_module(self):
        ops = {n: self.nodes[n].op_type for n in ("c1", "c2", "add", "relu", "pool", "avg", "c3", "gap",
                                                  "flat", "fc")}
        self.assertEqual(ops, {"c1": "Conv", "c2": "Conv", "add": "Add", "relu": "Relu", "pool": "MaxPool",
                               "avg": "AveragePool", "c3": "Conv", "gap": "GlobalAveragePool",
                               "flat": "Flatten", "fc": "Gemm"})
        self.assertEqual(self.nodes["c1_relu"].op_type, "Relu")
        self.assertEqual(self.nodes["c2_leaky"].attribute[0].f, 0.25)

    def test_weights_are_int8_with_per_channel_scales_on_axis_0(self):
        layer = next(l for l in self.result.model.layers if l.name == "c2")
        np.testing.assert_array_equal(self.inits["c2_weight"], layer.weights)
        self.assertEqual(self.inits["c2_weight"].dtype, np.int8)
        np.testing.assert_array_equal(self.inits["c2_weight_scale"], layer.weight_scales)
        self.assertEqual(self.nodes["c2_weight_dequant"].attribute[0].i, 0)

    def test_bias_is_int32_with_scale_input_times_weight_scale(self):
        layer = next(l for l in self.result.model.layers if l.name == "fc")
        sx = self.result.model.layers[-2].out.scale
        np.testing.assert_array_equal(self.inits["fc_bias"], layer.bias)
        self.assertEqual(self.inits["fc_bias"].dtype, np.int32)
        np.testing.assert_array_equal(self.inits["fc_bias_scale"],
                                      (sx * layer.weight_scales.astype(np.float64)).astype(np.float32))

    def test_activations_after_relu_are_uint8_else_int8(self):
        self.assertEqual(self.inits["c1_zero_point"].dtype, np.uint8)
        self.assertEqual(self.inits["c2_zero_point"].dtype, np.int8)
        self.assertEqual(self.inits["input_zero_point"].dtype, np.int8)
        self.assertEqual(self.inits["pool_scale"], self.inits["relu_scale"])

    def test_scenario_names_the_model_the_hardware_and_the_input_files(self):
        with open(self.result.files["scenario"], encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(text, "# Written by dnnvp_torch.export() (docs/frontend.md).\nname: model\n"
                               "network:\n  onnx: model.onnx\ninput:\n  file: images.npy\n"
                               "  labels: labels.npy\n  reference: model_reference.npy\n"
                               "hardware:\n  rows: 4\n  cols: 8\n")

    def test_input_files_hold_the_images_labels_and_float_predictions(self):
        images = np.load(self.result.files["file"])
        self.assertEqual((images.dtype, images.shape), (np.float32, (8, 2, 8, 8)))
        np.testing.assert_array_equal(images, self.x.numpy())
        self.assertEqual(np.load(self.result.files["labels"]).dtype, np.int64)
        with torch.no_grad():
            predicted = self.model(self.x).value.argmax(dim=1).numpy()
        np.testing.assert_array_equal(np.load(self.result.files["reference"]), predicted)

    def test_integer_inference_is_within_one_step_of_float32_fake_quantisation(self):
        for name, a in self.result.agreement.items():
            self.assertLessEqual(a.max_steps, 1, name)


class IntegerEqualsFakeQuant(unittest.TestCase):
    """In double precision, fake quantisation gives the integer inference's values: exactly with
    power-of-two scales; with multiplier scales unless acc * r lies within 2^-31 (relative) of a tie,
    which these seeded models do not hit."""

    def check(self, q: dt.QConfig):
        model, x, _ = support.trained(q, seed=3)
        model.double()
        ir, fake = dt.trace(model, x.double())
        outputs = dt.integer.run(ir, x.double().numpy())
        for name, a in dt.compare(ir, outputs, fake).items():
            self.assertEqual(a.mismatches, 0, f"{name}: {a}")
        self.assertGreater(len(np.unique(outputs["fc"])), 5)  # the outputs are not all saturated

    def test_8_bit_multiplier_scales(self):
        self.check(dt.QConfig())

    def test_4_bit_multiplier_scales(self):
        self.check(dt.QConfig(activation_bits=4, weight_bits=4))

    def test_8_bit_power_of_two_scales(self):
        self.check(dt.QConfig(power_of_two=True))

    def test_3_bit_power_of_two_scales(self):
        self.check(dt.QConfig(activation_bits=3, weight_bits=3, power_of_two=True))


class Qonnx(unittest.TestCase):
    def test_narrow_models_use_quant_nodes_that_round_back_to_the_integers(self):
        with tempfile.TemporaryDirectory() as tmp:
            result, _, _ = export(dt.QConfig(activation_bits=4, weight_bits=4), tmp)
            m = onnx.load(result.files["onnx"])
        onnx.checker.check_model(m)
        ops = {n.op_type for n in m.graph.node}
        self.assertNotIn("QuantizeLinear", ops)
        quant = [n for n in m.graph.node if n.op_type == "Quant"]
        self.assertEqual({n.domain for n in quant}, {"qonnx.custom_op.general"})
        self.assertIn(("qonnx.custom_op.general", 1), [(o.domain, o.version) for o in m.opset_import])
        inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        for layer in result.model.layers:
            if layer.weights is None:
                continue
            q = np.round(inits[f"{layer.name}_weight"].astype(np.float64)
                         / inits[f"{layer.name}_weight_scale"].astype(np.float64))
            np.testing.assert_array_equal(q, layer.weights)
            self.assertEqual(inits[f"{layer.name}_weight_bitwidth"], 4)
        attrs = {a.name: a for a in next(n for n in quant if n.name == "c1_quant").attribute}
        self.assertEqual((attrs["signed"].i, attrs["narrow"].i, attrs["rounding_mode"].s),
                         (0, 0, b"ROUND"))

    def test_qdq_refuses_narrow_widths(self):
        with tempfile.TemporaryDirectory() as tmp, self.assertRaisesRegex(dt.ExportError, "4 bits"):
            export(dt.QConfig(activation_bits=4), tmp, form="qdq")


class OnnxSemantics(unittest.TestCase):
    """The exported file read with ONNX's semantics (tests/onnx_models' independent numpy reference, exact
    reading in float64) gives every layer's integers of the frontend's integer inference; a difference is
    allowed only where the reference's value before rounding lies within 1e-6 of a tie but not on it (the
    multiplier's 2^-31 approximation decides those; exact ties must round to even in both)."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx_models"))
        import onnx_ref
        cls.ref = onnx_ref

    def check(self, q: dt.QConfig, form: str):
        with tempfile.TemporaryDirectory() as tmp:
            result, _, x = export(q, tmp, form=form)
            m = onnx.load(result.files["onnx"])
        rounding = {}
        values = self.ref.run(m, {"input": x.numpy()}, np.float64, rounding)
        quants = dict([("input", result.model.input_quant)] + [(l.name, l.out) for l in result.model.layers])
        for name, t in quants.items():
            got = values[f"{name}_q"]
            if form == "qonnx":
                got = np.round(got / t.scale) + t.zero_point
            differ = got.astype(np.int64) != result.outputs[name]
            if f"{name}_q" in rounding:
                before = rounding[f"{name}_q"]
                off_tie = np.abs(before - np.floor(before) - 0.5)
                near_tie = (off_tie > 0) & (off_tie < 1e-6)
                differ &= ~near_tie
            self.assertFalse(differ.any(), f"{form} {name}: {np.count_nonzero(differ)} elements differ")

    def test_qdq_8_bit(self):
        self.check(dt.QConfig(), "qdq")

    def test_qonnx_8_bit(self):
        self.check(dt.QConfig(), "qonnx")

    def test_qonnx_4_bit(self):
        self.check(dt.QConfig(activation_bits=4, weight_bits=4), "qonnx")

    def test_qonnx_2_bit_weights_power_of_two(self):
        self.check(dt.QConfig(activation_bits=6, weight_bits=2, power_of_two=True), "qonnx")


class ModelState(unittest.TestCase):
    def test_export_runs_in_eval_mode_and_restores_the_training_mode(self):
        model, x, _ = support.trained(dt.QConfig())
        model.train()
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with tempfile.TemporaryDirectory() as tmp:
            dt.export(model, {}, tmp, x, write_inputs=False)
        self.assertTrue(model.training)
        for k, v in model.state_dict().items():
            self.assertTrue(torch.equal(v, before[k]), k)  # no observer moved


class NumpyImages(unittest.TestCase):
    def test_export_takes_a_numpy_batch_like_a_tensor(self):
        model, x, _ = support.trained(dt.QConfig())
        with tempfile.TemporaryDirectory() as tmp:
            from_numpy = dt.export(model, {}, tmp, x.numpy(), write_inputs=False)
            from_tensor = dt.export(model, {}, tmp, x, write_inputs=False)
        np.testing.assert_array_equal(from_numpy.output, from_tensor.output)


class Errors(unittest.TestCase):
    def test_a_block_called_twice_is_refused(self):
        class Twice(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inp, self.relu = dt.Input(), dt.ReLU()

            def forward(self, x):
                return self.relu(self.relu(self.inp(x)))

        with self.assertRaisesRegex(dt.ExportError, "ReLU 'relu' is called twice"):
            dt.trace(Twice(), torch.ones(1, 1, 2, 2))

    def test_a_model_without_an_input_block_is_refused(self):
        with self.assertRaisesRegex(dt.ExportError, "start with an Input block"):
            dt.trace(torch.nn.Sequential(dt.Flatten()),
                     dt.QTensor(torch.ones(1, 1, 2, 2), dt.TensorQuant(1.0, 0, 8, True)))


if __name__ == "__main__":
    unittest.main()
