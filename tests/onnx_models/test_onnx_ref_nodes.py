"""The numpy reference (onnx_ref.py) reproduces ONNX's own node tests (Debian's libonnx-testdata).

Integer outputs must be equal element for element, float outputs equal within float32 rounding. Each node
test runs in both readings of the reference (float32 as onnxruntime, float64 exact-real); where the two
must differ the test says so.
Usage: test_onnx_ref_nodes.py [NODE_TEST_DIR] (default /usr/share/libonnx-testdata/data/node).
"""

import os
import sys
import unittest

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_ref  # noqa: E402

NODE_DIR = "/usr/share/libonnx-testdata/data/node"

# The node tests of the operators the test models use, by the reading they must match. ONNX computed the
# expected outputs of the float tests in float32, so those compare with a float32 tolerance in both readings.
NODE_TESTS = [
    "test_quantizelinear", "test_quantizelinear_axis",
    "test_dequantizelinear", "test_dequantizelinear_axis",
    "test_qlinearconv", "test_qlinearmatmul_2D", "test_qlinearmatmul_3D",
    "test_basic_convinteger", "test_convinteger_with_padding", "test_convinteger_without_padding",
    "test_matmulinteger",
    "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
    "test_conv_with_strides_no_padding", "test_conv_with_strides_padding",
    "test_gemm_all_attributes", "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_matrix_bias",
    "test_gemm_default_no_bias", "test_gemm_default_scalar_bias", "test_gemm_default_single_elem_vector_bias",
    "test_gemm_default_vector_bias", "test_gemm_default_zero_bias", "test_gemm_transposeA",
    "test_gemm_transposeB",
    "test_maxpool_1d_default", "test_maxpool_2d_ceil", "test_maxpool_2d_default", "test_maxpool_2d_dilations",
    "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads", "test_maxpool_2d_precomputed_same_upper",
    "test_maxpool_2d_precomputed_strides", "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper",
    "test_maxpool_2d_strides", "test_maxpool_2d_uint8", "test_maxpool_3d_default",
    "test_averagepool_1d_default", "test_averagepool_2d_ceil", "test_averagepool_2d_default",
    "test_averagepool_2d_pads", "test_averagepool_2d_pads_count_include_pad",
    "test_averagepool_2d_precomputed_pads", "test_averagepool_2d_precomputed_pads_count_include_pad",
    "test_averagepool_2d_precomputed_same_upper", "test_averagepool_2d_precomputed_strides",
    "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper", "test_averagepool_2d_strides",
    "test_averagepool_3d_default",
    "test_globalaveragepool", "test_globalaveragepool_precomputed",
    "test_batchnorm_epsilon", "test_batchnorm_example",
    "test_relu", "test_leakyrelu", "test_leakyrelu_default", "test_leakyrelu_example",
    "test_clip", "test_clip_default_inbounds", "test_clip_default_int8_inbounds", "test_clip_default_int8_max",
    "test_clip_default_int8_min", "test_clip_default_max", "test_clip_default_min", "test_clip_example",
    "test_clip_inbounds", "test_clip_outbounds", "test_clip_splitbounds",
    "test_add", "test_add_bcast", "test_add_uint8", "test_mul", "test_mul_bcast", "test_mul_example",
    "test_mul_uint8",
    "test_flatten_axis0", "test_flatten_axis1", "test_flatten_axis2", "test_flatten_axis3",
    "test_flatten_default_axis", "test_flatten_negative_axis1",
    "test_reshape_extended_dims", "test_reshape_negative_dim", "test_reshape_one_dim",
    "test_reshape_reduced_dims", "test_reshape_reordered_all_dims", "test_reshape_zero_and_negative_dim",
    "test_reshape_zero_dim", "test_reshape_allowzero_reordered",
    "test_cast_DOUBLE_to_FLOAT", "test_cast_FLOAT_to_DOUBLE",
]


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def load_case(directory):
    model = onnx.load(os.path.join(directory, "model.onnx"))
    data = os.path.join(directory, "test_data_set_0")
    initialized = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in initialized]
    feeds = {name: load_tensor(os.path.join(data, f"input_{k}.pb")) for k, name in enumerate(names)}
    expected = [load_tensor(os.path.join(data, f"output_{k}.pb")) for k in range(len(model.graph.output))]
    return model, feeds, expected


class NodeTests(unittest.TestCase):
    def check(self, name, ftype):
        model, feeds, expected = load_case(os.path.join(NODE_DIR, name))
        got = onnx_ref.outputs(model, feeds, ftype)
        for k, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(g.shape, e.shape, f"{name} output {k}: shape")
            # The float64 reading holds the model's float32 tensors in float64.
            want = np.dtype(ftype) if e.dtype == np.float32 else e.dtype
            self.assertEqual(g.dtype, want, f"{name} output {k}: type")
            if np.issubdtype(e.dtype, np.integer):
                diff = np.flatnonzero(g != e)
                self.assertEqual(diff.size, 0, f"{name} output {k}: {diff.size} elements differ, first at flat "
                                 f"index {diff[:5]}: got {g.ravel()[diff[:5]]}, expected {e.ravel()[diff[:5]]}")
            else:
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"{name} output {k}")


def _add(name, ftype, label):
    def method(self):
        self.check(name, ftype)

    method.__doc__ = f"{name} reproduced by the {label} reading"
    setattr(NodeTests, f"{name}_reproduced_{label}", method)


for _name in NODE_TESTS:
    _add(_name, np.float32, "float32")
    _add(_name, np.float64, "float64")


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        NODE_DIR = sys.argv.pop(1)
    unittest.main()
