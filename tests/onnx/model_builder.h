// Small ONNX models written by the tests with the protobuf API, and the QDQ model several tests share.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace onnx_test {

class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 13) {
    model.set_ir_version(7);
    auto* o = model.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    model.mutable_graph()->set_name("test");
  }

  // dims: -1 is a symbolic dimension.
  void input(const std::string& name, int elem_type, const std::vector<std::int64_t>& dims) {
    auto* v = model.mutable_graph()->add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem_type);
    auto* shape = t->mutable_shape();
    for (const auto d : dims) {
      auto* dim = shape->add_dim();
      if (d < 0)
        dim->set_dim_param("N");
      else
        dim->set_dim_value(d);
    }
  }

  void output(const std::string& name) {
    auto* v = model.mutable_graph()->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }

  onnx::TensorProto& tensor(const std::string& name, int type, const std::vector<std::int64_t>& dims) {
    auto* t = model.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (const auto d : dims) t->add_dims(d);
    return *t;
  }
  void floats(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& v) {
    auto& t = tensor(name, onnx::TensorProto::FLOAT, dims);
    for (const float f : v) t.add_float_data(f);
  }
  // uint8, int8 and int32 values all live in int32_data.
  void ints(const std::string& name, int type, const std::vector<std::int64_t>& dims,
            const std::vector<std::int32_t>& v) {
    auto& t = tensor(name, type, dims);
    for (const auto i : v) t.add_int32_data(i);
  }
  void int64s(const std::string& name, const std::vector<std::int64_t>& dims,
              const std::vector<std::int64_t>& v) {
    auto& t = tensor(name, onnx::TensorProto::INT64, dims);
    for (const auto i : v) t.add_int64_data(i);
  }
  // A [K, N] matrix `w`; with `slices` > 0 a 3-D B [slices, K, N] whose every batch slice is `w`.
  void matrix(const std::string& name, int type, std::int64_t k, std::int64_t n,
              const std::vector<std::int32_t>& w, std::int64_t slices = 0) {
    if (slices == 0) return ints(name, type, {k, n}, w);
    std::vector<std::int32_t> all;
    for (std::int64_t i = 0; i < slices; ++i) all.insert(all.end(), w.begin(), w.end());
    ints(name, type, {slices, k, n}, all);
  }
  // A scalar scale and zero point.
  void quant(const std::string& prefix, float scale, int zp_type, std::int32_t zp) {
    floats(prefix + "_s", {}, {scale});
    ints(prefix + "_z", zp_type, {}, {zp});
  }

  onnx::NodeProto& node(const std::string& op, std::initializer_list<std::string> inputs,
                        std::initializer_list<std::string> outputs, const std::string& name,
                        const std::string& domain = "") {
    auto* n = model.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->set_domain(domain);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  // Q then DQ of `x` with the scalar quantisation `prefix`: returns the dequantised name.
  std::string qdq(const std::string& x, const std::string& prefix) {
    node("QuantizeLinear", {x, prefix + "_s", prefix + "_z"}, {x + "_q"}, x + "_quant");
    node("DequantizeLinear", {x + "_q", prefix + "_s", prefix + "_z"}, {x + "_dq"}, x + "_dequant");
    return x + "_dq";
  }

  void save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    model.SerializeToOstream(&out);
  }

  onnx::ModelProto model;
};

inline void attr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void attr(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (const auto i : v) a->add_ints(i);
}
inline void attr_float(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

// Deterministic small integers in [lo, hi].
inline std::vector<std::int32_t> pattern(size_t count, std::int32_t lo, std::int32_t hi, std::uint32_t seed) {
  std::vector<std::int32_t> v(count);
  std::uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = lo + static_cast<std::int32_t>((s >> 8) % static_cast<std::uint32_t>(hi - lo + 1));
  }
  return v;
}

// The shared QDQ model: float input [N, 3, 6, 6] -> Q -> conv 3x3 (4 filters, per-channel int8 weights,
// int32 bias, pads 1) + ReLU -> Q -> max pool 2x2 -> Q -> conv 1x1 (4 filters, float bias) -> Q -> add
// with the pool's output -> Q -> flatten -> Gemm (5 units, transB) -> Q int8 -> DQ.
inline ModelBuilder qdq_model() {
  ModelBuilder b;
  using T = onnx::TensorProto;
  b.input("x", T::FLOAT, {-1, 3, 6, 6});
  b.output("y");
  b.quant("in", 0.02f, T::UINT8, 128);
  const std::string x = b.qdq("x", "in");
  b.ints("w1", T::INT8, {4, 3, 3, 3}, pattern(4 * 27, -127, 127, 1));
  b.floats("w1_s", {4}, {0.004f, 0.006f, 0.005f, 0.007f});
  b.ints("w1_z", T::INT8, {4}, {0, 0, 0, 0});
  attr(b.node("DequantizeLinear", {"w1", "w1_s", "w1_z"}, {"w1_dq"}, "w1_dequant"), "axis", 0);
  b.ints("b1", T::INT32, {4}, {300, -200, 100, -50});
  b.floats("b1_s", {4}, {0.02f * 0.004f, 0.02f * 0.006f, 0.02f * 0.005f, 0.02f * 0.007f});
  attr(b.node("DequantizeLinear", {"b1", "b1_s"}, {"b1_dq"}, "b1_dequant"), "axis", 0);
  attr(b.node("Conv", {x, "w1_dq", "b1_dq"}, {"c1"}, "features/conv.1"), "pads",
       std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"}, "features/relu.1");
  b.quant("a1", 0.03f, T::UINT8, 0);
  const std::string r1 = b.qdq("r1", "a1");
  auto& pool = b.node("MaxPool", {r1}, {"p1"}, "pool");
  attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  const std::string p1 = b.qdq("p1", "a1");
  b.ints("w2", T::INT8, {4, 4, 1, 1}, pattern(16, -100, 100, 2));
  b.quant("w2", 0.01f, T::INT8, 0);
  b.node("DequantizeLinear", {"w2", "w2_s", "w2_z"}, {"w2_dq"}, "w2_dequant");
  b.floats("b2", {4}, {0.1f, -0.2f, 0.05f, 0.0f});
  b.node("Conv", {p1, "w2_dq", "b2"}, {"c2"}, "conv2");
  b.quant("a2", 0.05f, T::INT8, -3);
  const std::string c2 = b.qdq("c2", "a2");
  b.node("Add", {p1, c2}, {"s"}, "residual");
  b.quant("a3", 0.06f, T::INT8, 2);
  const std::string s = b.qdq("s", "a3");
  b.node("Flatten", {s}, {"f"}, "flatten");
  b.ints("w3", T::INT8, {5, 36}, pattern(5 * 36, -127, 127, 3));
  b.quant("w3", 0.008f, T::INT8, 0);
  b.node("DequantizeLinear", {"w3", "w3_s", "w3_z"}, {"w3_dq"}, "w3_dequant");
  b.floats("b3", {5}, {0.3f, -0.1f, 0.0f, 0.2f, -0.4f});
  attr(b.node("Gemm", {"f", "w3_dq", "b3"}, {"g"}, "classifier"), "transB", 1);
  b.quant("out", 0.1f, T::INT8, 3);
  b.node("QuantizeLinear", {"g", "out_s", "out_z"}, {"g_q"}, "g_quant");
  b.node("DequantizeLinear", {"g_q", "out_s", "out_z"}, {"y"}, "y_dequant");
  return b;
}

// A QDQ batched MatMul model (docs/onnx.md, "Rank-3 tensors"): float x [2, 3, 4] -> Q -> MatMul by an
// int8 [4, 5] B quantised per column + float bias + ReLU -> Q -> MatMul by a [2, 5, 3] B whose two slices
// are equal -> Q int8 -> DQ. `rows`: the same model on one row of x, [N, 4] (rows as a batch), with the
// second B as its [5, 3] slice: ONNX gives each row of the rank-3 model exactly this model's output.
inline ModelBuilder qdq_matmul3d_model(bool rows = false) {
  ModelBuilder b;
  using T = onnx::TensorProto;
  if (rows)
    b.input("x", T::FLOAT, {-1, 4});
  else
    b.input("x", T::FLOAT, {2, 3, 4});
  b.output("y");
  b.quant("in", 0.03f, T::UINT8, 120);
  const std::string x = b.qdq("x", "in");
  b.ints("w1", T::INT8, {4, 5}, pattern(20, -127, 127, 11));
  b.floats("w1_s", {5}, {0.004f, 0.006f, 0.005f, 0.007f, 0.003f});
  b.ints("w1_z", T::INT8, {5}, {0, 0, 0, 0, 0});
  attr(b.node("DequantizeLinear", {"w1", "w1_s", "w1_z"}, {"w1_dq"}, "w1_dequant"), "axis", 1);
  b.node("MatMul", {x, "w1_dq"}, {"m1"}, "proj");
  b.floats("b1", {5}, {0.2f, -0.3f, 0.05f, 0.0f, -0.1f});
  b.node("Add", {"m1", "b1"}, {"m1b"}, "proj_bias");
  b.node("Relu", {"m1b"}, {"r1"}, "proj_relu");
  b.quant("a1", 0.02f, T::UINT8, 0);
  const std::string r1 = b.qdq("r1", "a1");
  b.matrix("w2", T::INT8, 5, 3, pattern(15, -120, 120, 12), rows ? 0 : 2);
  b.quant("w2", 0.01f, T::INT8, 0);
  b.node("DequantizeLinear", {"w2", "w2_s", "w2_z"}, {"w2_dq"}, "w2_dequant");
  b.node("MatMul", {r1, "w2_dq"}, {"m2"}, "head");
  b.quant("out", 0.015f, T::INT8, -4);
  b.node("QuantizeLinear", {"m2", "out_s", "out_z"}, {"m2_q"}, "m2_quant");
  b.node("DequantizeLinear", {"m2_q", "out_s", "out_z"}, {"y"}, "y_dequant");
  return b;
}

}  // namespace onnx_test
