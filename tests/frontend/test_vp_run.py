"""A model trained and exported with the frontend runs on the virtual platform: `vp_run` on the exported
scenario passes bit-exact, and report.json's predicted classes are the integer inference's and its accuracy
the one they give. ctest names the vp_run binary in DNNVP_VP_RUN; the 4x8 simulator is a shipped one."""

import json
import os
import subprocess
import tempfile
import unittest

import support
import numpy as np

import dnnvp_torch as dt

HARDWARE = {"rows": 4, "cols": 8, "activation_bits": 8, "weight_bits": 8}


class VpRun(unittest.TestCase):
    def check(self, q: dt.QConfig, seed: int) -> None:
        binary = support.tool("DNNVP_VP_RUN")
        model, x, target = support.trained(q, seed=seed, images=4)
        with tempfile.TemporaryDirectory() as tmp:
            result = dt.export(model, HARDWARE, tmp, x, labels=target.numpy())
            run = subprocess.run([binary, result.files["scenario"], "-o", os.path.join(tmp, "run")],
                                 capture_output=True, text=True)
            with open(os.path.join(tmp, "run", "report.json"), encoding="utf-8") as f:
                report = json.load(f)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertTrue(report["bit_exact"])
        predicted = result.output.argmax(axis=1)
        self.assertEqual([i["predicted"] for i in report["images"]], predicted.tolist())
        self.assertEqual(report["accuracy"]["vp_top1"], float(np.mean(predicted == target.numpy())))

    def test_8_bit_qdq_model_runs_bit_exact(self):
        self.check(dt.QConfig(), seed=7)

    def test_4_bit_qonnx_model_runs_bit_exact(self):
        self.check(dt.QConfig(activation_bits=4, weight_bits=4), seed=8)


if __name__ == "__main__":
    unittest.main()
