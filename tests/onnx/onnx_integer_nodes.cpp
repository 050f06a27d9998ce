// ONNX's own ConvInteger / MatMulInteger node tests (Debian's libonnx-testdata) run through the
// golden model's accumulate(): every int32 accumulator must equal ONNX's expected output exactly.
// ONNX lays tensors out NCHW with OIHW weights; the golden model uses HWC with OHWI weights.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "golden.h"
#include "network.h"

namespace {

namespace fs = std::filesystem;
using dnnvp::Layer;
using dnnvp::LayerParams;
using dnnvp::LayerType;
using dnnvp::Network;
using dnnvp::Shape;
using dnnvp::Tensor;

const fs::path kNodeTestRoot = DNNVP_ONNX_NODE_TEST_DIR;

// An integer ONNX tensor widened to int32, dims in ONNX order (NCHW, OIHW or [rows, columns]).
struct IntTensor {
  int data_type = onnx::TensorProto::UNDEFINED;
  std::vector<std::int64_t> dims;
  std::vector<std::int32_t> values;
};

std::int64_t element_count(const std::vector<std::int64_t>& dims) {
  std::int64_t count = 1;  // a scalar has no dims and one element
  for (std::int64_t d : dims) count *= d;
  return count;
}

template <typename Message>
Message parse_file(const fs::path& path) {
  INFO("reading " << path);
  std::ifstream file(path, std::ios::binary);
  REQUIRE(file);
  Message message;
  REQUIRE(message.ParseFromIstream(&file));
  return message;
}

// raw_data is little-endian whatever the host, so assemble the bytes explicitly.
std::vector<std::int32_t> decode_raw(const std::string& raw, int bytes_per_value, bool is_signed) {
  REQUIRE(raw.size() % static_cast<size_t>(bytes_per_value) == 0);
  std::vector<std::int32_t> values(raw.size() / static_cast<size_t>(bytes_per_value));
  for (size_t i = 0; i < values.size(); ++i) {
    std::uint32_t bits = 0;
    for (int b = 0; b < bytes_per_value; ++b)
      bits |= std::uint32_t{static_cast<std::uint8_t>(raw[i * bytes_per_value + b])} << (8 * b);
    values[i] =
        bytes_per_value == 1 && is_signed ? static_cast<std::int8_t>(bits) : static_cast<std::int32_t>(bits);
  }
  return values;
}

IntTensor to_int_tensor(const onnx::TensorProto& proto) {
  INFO("tensor '" << proto.name() << "'");
  REQUIRE(proto.data_location() != onnx::TensorProto::EXTERNAL);
  IntTensor tensor;
  tensor.data_type = proto.data_type();
  tensor.dims.assign(proto.dims().begin(), proto.dims().end());
  // Without raw_data, ONNX stores uint8, int8 and int32 values alike in int32_data.
  const bool raw = proto.has_raw_data();
  const std::vector<std::int32_t> int32_data(proto.int32_data().begin(), proto.int32_data().end());
  switch (proto.data_type()) {
    case onnx::TensorProto::UINT8:
      tensor.values = raw ? decode_raw(proto.raw_data(), 1, false) : int32_data;
      break;
    case onnx::TensorProto::INT8:
      tensor.values = raw ? decode_raw(proto.raw_data(), 1, true) : int32_data;
      break;
    case onnx::TensorProto::INT32:
      tensor.values = raw ? decode_raw(proto.raw_data(), 4, true) : int32_data;
      break;
    default:
      FAIL("unsupported ONNX data type " << onnx::TensorProto::DataType_Name(proto.data_type()));
  }
  REQUIRE(static_cast<std::int64_t>(tensor.values.size()) == element_count(tensor.dims));
  return tensor;
}

// One ONNX node test: the single node of model.onnx, the graph inputs of test_data_set_0 by name
// and the expected output.
struct NodeTest {
  onnx::NodeProto node;
  std::map<std::string, IntTensor> graph_inputs;
  IntTensor expected;

  // The node's input at `position`, or nullptr where an optional input is omitted.
  const IntTensor* input(int position) const {
    if (position >= node.input_size() || node.input(position).empty()) return nullptr;
    const auto found = graph_inputs.find(node.input(position));
    INFO("node input '" << node.input(position) << "'");
    REQUIRE(found != graph_inputs.end());
    return &found->second;
  }
};

NodeTest load_node_test(const std::string& name, const std::string& op_type) {
  const fs::path dir = kNodeTestRoot / name;
  if (!fs::is_directory(dir))
    FAIL("ONNX node test data " << dir
                                << " is missing: run tools/install-deps.sh "
                                   "(it installs Debian's libonnx-testdata)");
  const auto model = parse_file<onnx::ModelProto>(dir / "model.onnx");
  const onnx::GraphProto& graph = model.graph();
  REQUIRE(graph.node_size() == 1);
  REQUIRE(graph.initializer_size() == 0);  // so input_N.pb is exactly graph input N
  REQUIRE(graph.output_size() == 1);

  NodeTest test;
  test.node = graph.node(0);
  REQUIRE(test.node.op_type() == op_type);
  const fs::path data_set = dir / "test_data_set_0";
  for (int i = 0; i < graph.input_size(); ++i) {
    const fs::path file = data_set / ("input_" + std::to_string(i) + ".pb");
    test.graph_inputs[graph.input(i).name()] = to_int_tensor(parse_file<onnx::TensorProto>(file));
  }
  test.expected = to_int_tensor(parse_file<onnx::TensorProto>(data_set / "output_0.pb"));
  REQUIRE(test.expected.data_type == onnx::TensorProto::INT32);
  return test;
}

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& attribute : node.attribute())
    if (attribute.name() == name) return &attribute;
  return nullptr;
}

std::int64_t int_attribute(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) {
  const auto* attribute = find_attribute(node, name);
  return attribute ? attribute->i() : fallback;
}

std::vector<std::int64_t> ints_attribute(const onnx::NodeProto& node, const std::string& name,
                                         std::vector<std::int64_t> fallback) {
  const auto* attribute = find_attribute(node, name);
  if (!attribute) return fallback;
  return {attribute->ints().begin(), attribute->ints().end()};
}

std::string string_attribute(const onnx::NodeProto& node, const std::string& name,
                             const std::string& fallback) {
  const auto* attribute = find_attribute(node, name);
  return attribute ? attribute->s() : fallback;
}

// A zero point given per tensor (one value) or per slice (one per row, column or output channel),
// expanded to one value per slice; an omitted zero point is 0.
std::vector<std::int32_t> zero_point_per_slice(const IntTensor* zero_point, std::int64_t slices) {
  const auto count = static_cast<size_t>(slices);
  if (!zero_point) return std::vector<std::int32_t>(count, 0);
  if (zero_point->values.size() == 1) return std::vector<std::int32_t>(count, zero_point->values[0]);
  REQUIRE(zero_point->values.size() == count);
  return zero_point->values;
}

// Lists the first mismatches in the failure message, so a disagreement is diagnosable from the log.
void require_no_mismatches(const std::vector<std::string>& mismatches) {
  constexpr size_t kShown = 10;
  std::ostringstream first;
  for (size_t i = 0; i < mismatches.size() && i < kShown; ++i) first << "\n  " << mismatches[i];
  INFO(mismatches.size() << " mismatching element(s)" << first.str());
  REQUIRE(mismatches.empty());
}

// ConvInteger (NCHW input, OIHW weights, batch 1) as a golden Conv layer.
void check_conv_integer_node_test(const std::string& name) {
  const NodeTest test = load_node_test(name, "ConvInteger");
  const onnx::NodeProto& node = test.node;
  const IntTensor* x = test.input(0);
  const IntTensor* w = test.input(1);
  REQUIRE(x != nullptr);
  REQUIRE(w != nullptr);
  REQUIRE(x->dims.size() == 4);
  REQUIRE(x->dims[0] == 1);  // the golden model runs batch 1
  REQUIRE(w->dims.size() == 4);
  REQUIRE(w->dims[1] == x->dims[1]);
  const int channels = static_cast<int>(x->dims[1]);
  const int height = static_cast<int>(x->dims[2]);
  const int width = static_cast<int>(x->dims[3]);
  const int filters = static_cast<int>(w->dims[0]);
  const int kernel_h = static_cast<int>(w->dims[2]);
  const int kernel_w = static_cast<int>(w->dims[3]);

  // The golden Conv has no groups, dilation or automatic padding: they must be at ONNX defaults.
  REQUIRE(int_attribute(node, "group", 1) == 1);
  REQUIRE(ints_attribute(node, "dilations", {1, 1}) == std::vector<std::int64_t>{1, 1});
  REQUIRE(string_attribute(node, "auto_pad", "NOTSET") == "NOTSET");
  REQUIRE(ints_attribute(node, "kernel_shape", {kernel_h, kernel_w}) ==
          std::vector<std::int64_t>{kernel_h, kernel_w});
  const auto strides = ints_attribute(node, "strides", {1, 1});
  const auto pads = ints_attribute(node, "pads", {0, 0, 0, 0});  // H begin, W begin, H end, W end
  REQUIRE(strides.size() == 2);
  REQUIRE(pads.size() == 4);

  Layer conv;
  conv.name = "conv";
  conv.type = LayerType::Conv;
  conv.filters = filters;
  conv.kernel_h = kernel_h;
  conv.kernel_w = kernel_w;
  conv.stride_h = static_cast<int>(strides[0]);
  conv.stride_w = static_cast<int>(strides[1]);
  conv.padding = {static_cast<int>(pads[0]), static_cast<int>(pads[1]), static_cast<int>(pads[2]),
                  static_cast<int>(pads[3])};
  Network network;
  network.name = name;
  network.input_shape = {height, width, channels};
  network.layers.push_back(conv);
  // Our own shape inference fills output_shape; it must agree with ONNX's output dims.
  network.infer_shapes();
  const Layer& layer = network.layers[0];
  const Shape out = layer.output_shape;
  REQUIRE(test.expected.dims == std::vector<std::int64_t>{1, out.c, out.h, out.w});

  Tensor input(network.input_shape);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < height; ++y)
      for (int xx = 0; xx < width; ++xx)
        input.at(y, xx, c) = x->values[(static_cast<size_t>(c) * height + y) * width + xx];

  LayerParams params;
  params.weights.resize(w->values.size());
  for (int o = 0; o < filters; ++o)
    for (int c = 0; c < channels; ++c)
      for (int ky = 0; ky < kernel_h; ++ky)
        for (int kx = 0; kx < kernel_w; ++kx)
          params.weights[((static_cast<size_t>(o) * kernel_h + ky) * kernel_w + kx) * channels + c] =
              w->values[((static_cast<size_t>(o) * channels + c) * kernel_h + ky) * kernel_w + kx];
  params.weight_zero_points = zero_point_per_slice(test.input(3), filters);
  // ONNX allows only a per-tensor x_zero_point.
  const std::int32_t x_zero_point = zero_point_per_slice(test.input(2), 1)[0];

  const Tensor acc = dnnvp::accumulate(layer, input, x_zero_point, params);
  REQUIRE(acc.data.size() == test.expected.values.size());
  std::vector<std::string> mismatches;
  for (int o = 0; o < out.c; ++o)
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox) {
        const std::int32_t expected =
            test.expected.values[(static_cast<size_t>(o) * out.h + oy) * out.w + ox];
        const std::int32_t golden = acc.at(oy, ox, o);
        if (golden != expected) {
          std::ostringstream mismatch;
          mismatch << "y[0," << o << ',' << oy << ',' << ox << "]: golden " << golden << ", ONNX "
                   << expected;
          mismatches.push_back(mismatch.str());
        }
      }
  require_no_mismatches(mismatches);
}

}  // namespace

TEST_CASE("golden conv accumulation reproduces ONNX ConvInteger node test test_basic_convinteger", "[onnx]") {
  check_conv_integer_node_test("test_basic_convinteger");
}

TEST_CASE("golden conv accumulation reproduces ONNX ConvInteger node test test_convinteger_with_padding",
          "[onnx]") {
  check_conv_integer_node_test("test_convinteger_with_padding");
}

TEST_CASE(
    "golden conv accumulation reproduces ONNX ConvInteger node test "
    "test_convinteger_without_padding",
    "[onnx]") {
  check_conv_integer_node_test("test_convinteger_without_padding");
}

// MatMulInteger Y[M,N] = (A[M,K] - a_zero_point) x (B[K,N] - b_zero_point) as a golden Dense layer
// with N units whose weights are B transposed, applied to each row of A in turn. One call per row
// lets every row carry its own a_zero_point, which MatMulInteger allows.
TEST_CASE("golden dense accumulation reproduces ONNX MatMulInteger node test test_matmulinteger", "[onnx]") {
  const NodeTest test = load_node_test("test_matmulinteger", "MatMulInteger");
  const IntTensor* a = test.input(0);
  const IntTensor* b = test.input(1);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  REQUIRE(a->dims.size() == 2);
  REQUIRE(b->dims.size() == 2);
  REQUIRE(b->dims[0] == a->dims[1]);
  const int rows = static_cast<int>(a->dims[0]);
  const int depth = static_cast<int>(a->dims[1]);
  const int columns = static_cast<int>(b->dims[1]);

  Layer dense;
  dense.name = "dense";
  dense.type = LayerType::Dense;
  dense.filters = columns;
  Network network;
  network.name = "test_matmulinteger";
  network.input_shape = {1, 1, depth};
  network.layers.push_back(dense);
  network.infer_shapes();
  const Layer& layer = network.layers[0];
  REQUIRE(layer.output_shape == Shape{1, 1, columns});
  REQUIRE(test.expected.dims == std::vector<std::int64_t>{rows, columns});

  LayerParams params;
  params.weights.resize(b->values.size());
  for (int n = 0; n < columns; ++n)
    for (int k = 0; k < depth; ++k)
      params.weights[static_cast<size_t>(n) * depth + k] = b->values[static_cast<size_t>(k) * columns + n];
  // b_zero_point is per tensor or per column of B, i.e. per output unit of the dense layer.
  params.weight_zero_points = zero_point_per_slice(test.input(3), columns);
  const std::vector<std::int32_t> a_zero_points = zero_point_per_slice(test.input(2), rows);

  std::vector<std::string> mismatches;
  size_t compared = 0;
  for (int m = 0; m < rows; ++m) {
    Tensor row(network.input_shape);
    for (int k = 0; k < depth; ++k) row.at(0, 0, k) = a->values[static_cast<size_t>(m) * depth + k];
    const Tensor acc = dnnvp::accumulate(layer, row, a_zero_points[m], params);
    REQUIRE(acc.shape == layer.output_shape);
    for (int n = 0; n < columns; ++n, ++compared) {
      const std::int32_t expected = test.expected.values[static_cast<size_t>(m) * columns + n];
      const std::int32_t golden = acc.at(0, 0, n);
      if (golden != expected) {
        std::ostringstream mismatch;
        mismatch << "Y[" << m << ',' << n << "]: golden " << golden << ", ONNX " << expected;
        mismatches.push_back(mismatch.str());
      }
    }
  }
  REQUIRE(compared == test.expected.values.size());
  require_no_mismatches(mismatches);
}
