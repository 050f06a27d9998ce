// ONNX's own integer operator node tests (Debian's libonnx-testdata) through the importer and the golden
// model: every output element must equal ONNX's expected output exactly. The node tests feed weights,
// scales and zero points as graph inputs; each test binds test_data_set_0's input_k.pb (k >= 1) as
// initializers first, so the model is what a quantiser writes: one data input, constant parameters.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "error.h"
#include "golden.h"
#include "onnx_model.h"
#include "onnx_tensor.h"

namespace {

namespace fs = std::filesystem;
using dnnvp::ImportedModel;
using dnnvp::Tensor;
using dnnvp::onnx_import::ConstTensor;

const fs::path kNodeTestRoot = DNNVP_ONNX_NODE_TEST_DIR;

template <typename Message>
Message parse_file(const fs::path& path) {
  INFO("reading " << path);
  std::ifstream file(path, std::ios::binary);
  REQUIRE(file);
  Message message;
  REQUIRE(message.ParseFromIstream(&file));
  return message;
}

ConstTensor read_tensor(const fs::path& path) {
  return dnnvp::onnx_import::decode_tensor(parse_file<onnx::TensorProto>(path), path.string());
}

// A node test's model with graph inputs 1.. bound to test_data_set_0's values as initializers, its data
// input (input_0.pb) and expected output.
struct NodeTest {
  onnx::ModelProto model;
  ConstTensor input;
  ConstTensor expected;
};

NodeTest load_node_test(const std::string& name, const std::string& op_type) {
  const fs::path dir = kNodeTestRoot / name;
  if (!fs::is_directory(dir))
    FAIL("ONNX node test data " << dir
                                << " is missing: run tools/install-deps.sh (it installs libonnx-testdata)");
  NodeTest t;
  t.model = parse_file<onnx::ModelProto>(dir / "model.onnx");
  onnx::GraphProto& g = *t.model.mutable_graph();
  REQUIRE(g.node_size() == 1);
  REQUIRE(g.node(0).op_type() == op_type);
  const fs::path data = dir / "test_data_set_0";
  for (int k = 1; k < g.input_size(); ++k) {
    onnx::TensorProto bound = parse_file<onnx::TensorProto>(data / ("input_" + std::to_string(k) + ".pb"));
    bound.set_name(g.input(k).name());
    *g.add_initializer() = bound;
  }
  g.mutable_input()->DeleteSubrange(1, g.input_size() - 1);
  t.input = read_tensor(data / "input_0.pb");
  t.expected = read_tensor(data / "output_0.pb");
  return t;
}

// The initializer bound to the node's input k (k >= 1), to change a parameter.
onnx::TensorProto& bound_input(NodeTest& t, int k) {
  onnx::GraphProto& g = *t.model.mutable_graph();
  onnx::TensorProto* found = nullptr;
  for (auto& init : *g.mutable_initializer())
    if (init.name() == g.node(0).input(k)) found = &init;
  REQUIRE(found);
  return *found;
}

// A [rows, columns] data input is a batch of vectors: its batch dimension becomes symbolic, as a model
// that takes one vector per run declares it (docs/onnx.md, "Graph input").
void make_batch_symbolic(onnx::ModelProto& model) {
  auto* dims =
      model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  REQUIRE(dims->dim_size() == 2);
  dims->mutable_dim(0)->set_dim_param("N");
}

// Image `n` of a tensor in ONNX layout (NCHW, [N, C] or [C]) as an HWC tensor of its values; a rank-3
// [b, M, K] tensor is one image, H = b, W = M, C = K (docs/onnx.md, "Rank-3 tensors").
Tensor image(const ConstTensor& t, int n) {
  const auto& d = t.dims;
  if (d.size() == 3) {
    Tensor out(dnnvp::Shape{static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2])});
    for (size_t i = 0; i < out.data.size(); ++i) out.data[i] = static_cast<std::int32_t>(t.values[i]);
    return out;
  }
  dnnvp::Shape shape =
      d.size() == 4 ? dnnvp::Shape{static_cast<int>(d[2]), static_cast<int>(d[3]), static_cast<int>(d[1])}
                    : dnnvp::Shape{1, 1, static_cast<int>(d.back())};
  Tensor out(shape);
  const size_t base = static_cast<size_t>(n) * static_cast<size_t>(shape.elements());
  for (int c = 0; c < shape.c; ++c)
    for (int y = 0; y < shape.h; ++y)
      for (int x = 0; x < shape.w; ++x)
        out.at(y, x, c) =
            static_cast<std::int32_t>(t.values[base + (static_cast<size_t>(c) * shape.h + y) * shape.w + x]);
  return out;
}

int images(const ConstTensor& t) {
  return t.dims.size() == 2 || t.dims.size() == 4 ? static_cast<int>(t.dims[0]) : 1;
}

// The golden model's output of each image of `input`, compared element by element with `expected`.
void require_golden_equals(const ImportedModel& m, const ConstTensor& input, const ConstTensor& expected) {
  REQUIRE(images(input) == images(expected));
  std::vector<std::string> mismatches;
  size_t compared = 0;
  for (int n = 0; n < images(input); ++n) {
    const Tensor in = image(input, n);
    const Tensor want = image(expected, n);
    Tensor got;
    if (m.output_is_accumulator) {
      const auto& layer = m.model.network.layers.back();
      got = dnnvp::accumulate(layer, in, m.model.input.zero_point, m.model.params.back());
    } else {
      got = dnnvp::run_network(m.model, in).back();
    }
    REQUIRE(got.shape == want.shape);
    for (size_t i = 0; i < want.data.size(); ++i, ++compared)
      if (got.data[i] != want.data[i]) {
        std::ostringstream s;
        s << "image " << n << " element " << i << " (HWC): golden " << got.data[i] << ", ONNX "
          << want.data[i];
        mismatches.push_back(s.str());
      }
  }
  REQUIRE(compared == expected.values.size());
  std::ostringstream first;
  for (size_t i = 0; i < mismatches.size() && i < 10; ++i) first << "\n  " << mismatches[i];
  INFO(mismatches.size() << " mismatching element(s)" << first.str());
  REQUIRE(mismatches.empty());
}

void check_node_test(const std::string& name, const std::string& op_type, bool batch_of_vectors = false) {
  NodeTest t = load_node_test(name, op_type);
  if (batch_of_vectors) make_batch_symbolic(t.model);
  const ImportedModel m = dnnvp::import_onnx(t.model, name + ".onnx");
  REQUIRE(m.model.network.layers.size() == 1);
  require_golden_equals(m, t.input, t.expected);
}

// The channel of element i of an NCHW tensor (0 for a vector without channels).
int channel_of(const ConstTensor& t, size_t i) {
  if (t.dims.size() != 4) return 0;
  const auto hw = static_cast<size_t>(t.dims[2] * t.dims[3]);
  return static_cast<int>((i / hw) % static_cast<size_t>(t.dims[1]));
}

}  // namespace

TEST_CASE("import + golden reproduce ONNX node test test_qlinearconv", "[onnx]") {
  check_node_test("test_qlinearconv", "QLinearConv");
}

TEST_CASE("import + golden reproduce ONNX node test test_qlinearmatmul_2D (rows as a batch)", "[onnx]") {
  check_node_test("test_qlinearmatmul_2D", "QLinearMatMul", true);
}

TEST_CASE("import + golden reproduce ONNX node test test_qlinearmatmul_3D (a 1x1 conv over [b, M, K])",
          "[onnx]") {
  const NodeTest t = load_node_test("test_qlinearmatmul_3D", "QLinearMatMul");
  const ImportedModel m = dnnvp::import_onnx(t.model, "test_qlinearmatmul_3D.onnx");
  REQUIRE(m.model.network.layers.size() == 1);
  CHECK(m.model.network.layers[0].type == dnnvp::LayerType::Conv);
  CHECK(m.model.network.input_shape == dnnvp::Shape{2, 2, 4});
  require_golden_equals(m, t.input, t.expected);
}

TEST_CASE("import + golden reproduce test_qlinearmatmul_3D with B as its one slice [1, K, N], broadcast",
          "[onnx]") {
  NodeTest t = load_node_test("test_qlinearmatmul_3D", "QLinearMatMul");
  onnx::TensorProto& b = bound_input(t, 3);
  b.set_dims(0, 1);
  b.set_raw_data(b.raw_data().substr(0, 4 * 3));
  const ImportedModel m = dnnvp::import_onnx(t.model, "broadcast_b.onnx");
  require_golden_equals(m, t.input, t.expected);
}

TEST_CASE("import refuses test_qlinearmatmul_3D when B's batch slices differ, naming the node and why",
          "[onnx]") {
  NodeTest t = load_node_test("test_qlinearmatmul_3D", "QLinearMatMul");
  onnx::TensorProto& b = bound_input(t, 3);
  REQUIRE(b.raw_data().size() == 2 * 4 * 3);
  std::string raw = b.raw_data();
  raw[12 + 5] = static_cast<char>(raw[12 + 5] ^ 1);  // one element of slice 1
  b.set_raw_data(raw);
  CHECK_THROWS_WITH(dnnvp::import_onnx(t.model, "differing.onnx"),
                    Catch::Contains("node '' (QLinearMatMul, domain ai.onnx)") &&
                        Catch::Contains("batch slice 1 differs from slice 0") &&
                        Catch::Contains("one weight matrix"));
}

TEST_CASE("import + golden reproduce ONNX ConvInteger node test test_basic_convinteger", "[onnx]") {
  check_node_test("test_basic_convinteger", "ConvInteger");
}

TEST_CASE("import + golden reproduce ONNX ConvInteger node test test_convinteger_with_padding", "[onnx]") {
  check_node_test("test_convinteger_with_padding", "ConvInteger");
}

TEST_CASE("import + golden reproduce ONNX ConvInteger node test test_convinteger_without_padding", "[onnx]") {
  check_node_test("test_convinteger_without_padding", "ConvInteger");
}

TEST_CASE("import + golden reproduce ONNX MatMulInteger node test test_matmulinteger (rows as a batch)",
          "[onnx]") {
  check_node_test("test_matmulinteger", "MatMulInteger", true);
}

// A QuantizeLinear alone is the graph input's quantisation: the model has no layer, and quantize_value
// with the imported input quantisation must give ONNX's output.
void check_quantize_node_test(const std::string& name) {
  const NodeTest t = load_node_test(name, "QuantizeLinear");
  const ImportedModel m = dnnvp::import_onnx(t.model, name + ".onnx");
  REQUIRE(m.model.network.layers.empty());
  REQUIRE(m.float_input);
  REQUIRE(t.expected.values.size() == t.input.values.size());
  for (size_t i = 0; i < t.input.values.size(); ++i) {
    INFO("element " << i << " x = " << t.input.values[i]);
    CHECK(dnnvp::quantize_value(static_cast<float>(t.input.values[i]), m.input, channel_of(t.input, i)) ==
          static_cast<std::int32_t>(t.expected.values[i]));
  }
}

TEST_CASE("import reproduces ONNX node test test_quantizelinear (per tensor)", "[onnx]") {
  check_quantize_node_test("test_quantizelinear");
}

TEST_CASE("import reproduces ONNX node test test_quantizelinear_axis (per channel)", "[onnx]") {
  check_quantize_node_test("test_quantizelinear_axis");
}

// A DequantizeLinear alone is the graph output's dequantisation: scale * (q - zero_point) in float.
void check_dequantize_node_test(const std::string& name) {
  const NodeTest t = load_node_test(name, "DequantizeLinear");
  const ImportedModel m = dnnvp::import_onnx(t.model, name + ".onnx");
  REQUIRE(m.model.network.layers.empty());
  REQUIRE_FALSE(m.float_input);
  REQUIRE(t.expected.values.size() == t.input.values.size());
  for (size_t i = 0; i < t.input.values.size(); ++i) {
    INFO("element " << i << " q = " << t.input.values[i]);
    CHECK(dnnvp::dequantize_value(static_cast<std::int32_t>(t.input.values[i]), m.output,
                                  channel_of(t.input, i)) == static_cast<float>(t.expected.values[i]));
  }
}

TEST_CASE("import reproduces ONNX node test test_dequantizelinear (per tensor)", "[onnx]") {
  check_dequantize_node_test("test_dequantizelinear");
}

TEST_CASE("import reproduces ONNX node test test_dequantizelinear_axis (per channel)", "[onnx]") {
  check_dequantize_node_test("test_dequantizelinear_axis");
}
