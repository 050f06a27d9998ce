"""The three test models through the ONNX importer, the golden model and the VP.

    test_models_vp.py VP_GEN VP_RUN WORK_DIR [unittest options]

For each form: the models and image batches are written into WORK_DIR (make_models.py); for each image a
scenario names the model and that image, `vp_gen --dump-layers` imports it, and every element of every
layer's golden output that corresponds to an ONNX node (the layer's name is the node's) must equal the numpy
reference's (onnx_ref.py, exact-real reading) for the same stored input; a scenario of the whole batch must
give, in expected.bin, each image's network output equal to the reference's quantised output. test_models.py guarantees no rounding point of these
models is a near-tie, so a difference is a bug, never the multiplier approximation; the failure message
still gives each differing element's distance from a tie. Then `vp_run` must report a bit-exact PASS.
"""

import json
import os
import subprocess
import sys
import unittest

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402
import model_facts  # noqa: E402
import onnx_ref  # noqa: E402

VP_GEN = VP_RUN = WORK = None

# The ONNX nodes each of which makes a layer named after it (docs/onnx.md, "Names").
LAYER_OPS = ("Conv", "QLinearConv", "ConvInteger", "Gemm", "QLinearMatMul", "MaxPool", "Add",
             "GlobalAveragePool")


def nchw(hwc):
    return hwc.transpose(2, 0, 1)[None]


def as_layer(x, shape):
    """A reference tensor [1, C, H, W] or [1, N] in the golden model's HWC layout and dump shape."""
    hwc = x[0].transpose(1, 2, 0) if x.ndim == 4 else x.reshape(1, 1, -1)
    return hwc.reshape(shape)


def unpack(data, count, signed):
    """8-bit packed values (docs/formats.md, "Packing": one per byte, two's complement when signed)."""
    values = np.frombuffer(data, np.uint8)[:count].astype(np.int64)
    return np.where(values >= 128, values - 256, values) if signed else values


def run(args, cwd):
    return subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def scenario(name, model, images):
    """A scenario running `model` on the images file, on the shipped 4x8 engine."""
    path = os.path.join(WORK, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(f"name: {name}\n"
                f"network: {{onnx: {model}}}\n"
                f"input: {{file: {images}}}\n"
                "hardware: {rows: 4, cols: 8}\n")
    return path


def dumped_layers(directory):
    """Layer name -> golden output, in network order, and the stored input, from `--dump-layers`."""
    layers = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith("_output.npy"):
            layers[name[name.index("_") + 1:-len("_output.npy")]] = np.load(os.path.join(directory, name))
    return layers, np.load(os.path.join(directory, "input.npy"))


def differences(form, layer, golden, expected, pre):
    """A message listing the differing elements with the reference's distance from a tie."""
    where = np.argwhere(golden != expected)
    lines = [f"{form}: layer {layer}: {len(where)} of {golden.size} elements differ from ONNX's semantics"]
    for index in where[:10]:
        index = tuple(index)
        line = f"  at {index}: golden {golden[index]}, reference {expected[index]}"
        if pre is not None:
            line += f", reference before rounding {pre[index]:.9f} (distance from a tie " \
                    f"{model_facts.tie_distance(pre[index]):.3g})"
        lines.append(line)
    return "\n".join(lines)


class ThroughTheVp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(WORK, exist_ok=True)
        if make_models.main(["make_models.py", WORK]) != 0:
            raise RuntimeError("make_models.py failed")

    def generate(self, name, form, images):
        out = os.path.join(WORK, name)
        r = run([VP_GEN, scenario(name, f"{form}.onnx", images), "-o", out, "--dump-layers", "-q"], WORK)
        self.assertEqual(r.returncode, 0, r.stdout)
        return out

    def layers_equal_reference(self, form, model, index, image):
        """Every layer named after an ONNX node equals the reference's tensor for one image, element by
        element (a scenario of its own, so the layer dump is this image's)."""
        np.save(os.path.join(WORK, f"{form}_image{index}.npy"), image[None])
        out = self.generate(f"{form}_image{index}", form, f"{form}_image{index}.npy")
        layers, stored_input = dumped_layers(os.path.join(out, "layers"))

        # The stored input is the model's own quantisation of the image.
        values, _ = model_facts.reference(model, image)
        q = model_facts.stored_integers(model, values, model_facts.input_quantiser(model).output[0])
        np.testing.assert_array_equal(stored_input, as_layer(q, stored_input.shape), f"{form}: input")

        # The reference from the same stored input.
        rounding = {}
        values = onnx_ref.run(model, model_facts.quantised_input_feeds(model, nchw(stored_input)), np.float64,
                              rounding)
        compared = set()
        for name, golden in layers.items():
            if name + "_clip" in layers:
                continue  # before the clip layer that keeps a narrower type's limits (docs/onnx.md, "Types")
            node = name[:-len("_clip")] if name.endswith("_clip") else name
            tensor = model_facts.layer_tensor(model, values, node)
            if tensor is None:
                continue
            compared.add(node)
            expected = as_layer(model_facts.stored_integers(model, values, tensor), golden.shape)
            pre = as_layer(rounding[tensor], golden.shape) if tensor in rounding else None
            self.assertTrue(np.array_equal(golden, expected),
                            differences(form, f"{name} (image {index})", golden, expected, pre))
        names = list(layers)
        anchors = {n.name for n in model.graph.node if n.op_type in LAYER_OPS}
        self.assertLessEqual(anchors, compared, f"{form}: a layer per ONNX node (layers: {names})")
        self.assertIn(names[-1], compared | {n + "_clip" for n in compared}, f"{form}: the output layer")
        return compared

    def output_for_every_image(self, form, model, batch, out):
        """expected.bin holds, per image, the golden network output: the reference's quantised output."""
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        images = manifest["images"]
        self.assertEqual(images["count"], len(batch), f"{form}: images in the batch")
        with open(os.path.join(out, "expected.bin"), "rb") as f:
            data = f.read()
        quant = manifest["output"]["quant"]
        self.assertEqual(quant["bits"], 8, f"{form}: the models' outputs are 8-bit")
        for i, image in enumerate(batch):
            values, rounding = model_facts.reference(model, image)
            expected = model_facts.quantised_output(model, values).ravel()
            stored = data[i * images["output_stride"]:]
            golden = unpack(stored, expected.size, quant["signed"])
            pre = rounding[model_facts.output_tensor(model)].ravel()
            self.assertTrue(np.array_equal(golden, expected),
                            differences(form, f"output of image {i}", golden, expected, pre))
        print(f"{form}: the network outputs of the {len(batch)}-image batch equal ONNX's", file=sys.stderr)

    def runs_bit_exact(self, form):
        out = os.path.join(WORK, f"{form}_run")
        r = run([VP_RUN, scenario(form, f"{form}.onnx", f"{form}_images.npy"), "--out", out, "-q"], WORK)
        self.assertEqual(r.returncode, 0, r.stdout)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        self.assertEqual(report["status"], "pass", r.stdout)
        self.assertTrue(report["bit_exact"], r.stdout)


def _add(form):
    def golden(self):
        model = onnx.load(os.path.join(WORK, f"{form}.onnx"))
        batch = np.load(os.path.join(WORK, f"{form}_images.npy"))
        for index, image in enumerate(batch):
            compared = self.layers_equal_reference(form, model, index, image)
        print(f"{form}: layers {sorted(compared)} equal ONNX's for each of {len(batch)} images", file=sys.stderr)
        self.output_for_every_image(form, model, batch, self.generate(form, form, f"{form}_images.npy"))

    def vp(self):
        self.runs_bit_exact(form)

    golden.__doc__ = f"{form}: the golden model equals ONNX's semantics on every layer and image"
    vp.__doc__ = f"{form}: vp_run runs the imported model bit-exact"
    setattr(ThroughTheVp, f"test_{form}_golden_model_equals_onnx_semantics", golden)
    setattr(ThroughTheVp, f"test_{form}_runs_bit_exact_through_vp_run", vp)


for _form in make_models.FORMS:
    _add(_form)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.stderr.write(f"usage: {sys.argv[0]} VP_GEN VP_RUN WORK_DIR [unittest options]\n")
        sys.exit(2)
    VP_GEN, VP_RUN, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
    del sys.argv[1:4]
    unittest.main()
