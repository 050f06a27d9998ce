// The CPU-side operations on every pooling and add layer of the numerics scenarios
// (tests/scenarios/numerics_*.yaml: padded windows on every edge, rounding ties of both signs), fed the
// golden model's own inputs: every element and byte. vp_run checks only the network output; this checks
// each of these layers, the ones whose output feeds another layer too.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "golden.h"
#include "pack.h"
#include "scenario.h"
#include "synthesize.h"

extern "C" {
#include "dnnvp_ops.h"
}

namespace {

using dnnvp::LayerType;
using dnnvp::Tensor;
using dnnvp::TensorQuant;

// A golden tensor packed as in DRAM, with the descriptor the operations take.
struct PackedTensor {
  std::vector<std::uint8_t> bytes;
  dnnvp_tensor_t view;
  PackedTensor(std::vector<std::uint8_t> b, dnnvp::Shape s, const TensorQuant& q) : bytes(std::move(b)) {
    view = {
        bytes.data(),
        {static_cast<std::uint32_t>(s.h), static_cast<std::uint32_t>(s.w), static_cast<std::uint32_t>(s.c)},
        {static_cast<std::uint8_t>(q.type.bits), static_cast<std::uint8_t>(q.type.is_signed),
         static_cast<std::int16_t>(q.zero_point)}};
  }
  PackedTensor(const PackedTensor&) = delete;
  PackedTensor& operator=(const PackedTensor&) = delete;
};

void check_cpu_layers(const std::string& scenario, int expected_layers) {
  const dnnvp::SynthesizedModel m = dnnvp::synthesize(
      dnnvp::load_scenario(std::string(DNNVP_SOURCE_DIR) + "/tests/scenarios/" + scenario + ".yaml"));
  const auto& layers = m.model.network.layers;
  int checked = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const dnnvp::Layer& l = layers[i];
    if (l.type != LayerType::MaxPool && l.type != LayerType::AvgPool && l.type != LayerType::Add) continue;
    INFO(scenario << " layer " << l.name);
    auto operand = [&](size_t k) -> const Tensor& {
      const int id = l.input_ids.at(k);
      return id < 0 ? m.input : m.outputs.at(static_cast<size_t>(id));
    };
    const TensorQuant& qa = m.model.quant_of(l.input_ids[0]);
    const TensorQuant& qy = m.model.params[i].out;
    const Tensor& want = m.outputs[i];
    const std::vector<std::uint8_t> want_bytes = dnnvp::pack(want.data, qy.type.bits);
    PackedTensor a(dnnvp::pack(operand(0).data, qa.type.bits), operand(0).shape, qa);
    PackedTensor y(std::vector<std::uint8_t>(want_bytes.size(), 0xA5), want.shape, qy);  // every bit written
    dnnvp_op_status_t status;
    if (l.type == LayerType::Add) {
      const TensorQuant& qb = m.model.quant_of(l.input_ids[1]);
      PackedTensor b(dnnvp::pack(operand(1).data, qb.type.bits), operand(1).shape, qb);
      const dnnvp::AddParams& p = m.model.params[i].add;
      const dnnvp_add_params_t cp{{p.multiplier_a, p.multiplier_b},
                                  static_cast<std::uint8_t>(p.shift),
                                  static_cast<std::uint8_t>(l.activation),
                                  static_cast<std::uint8_t>(l.leaky_shift)};
      status = dnnvp_op_add(&cp, &a.view, &b.view, &y.view);
    } else {
      const dnnvp_pool_params_t p{
          static_cast<std::uint16_t>(l.kernel_h),    static_cast<std::uint16_t>(l.kernel_w),
          static_cast<std::uint16_t>(l.stride_h),    static_cast<std::uint16_t>(l.stride_w),
          static_cast<std::uint16_t>(l.padding.top), static_cast<std::uint16_t>(l.padding.left)};
      status = l.type == LayerType::MaxPool ? dnnvp_op_maxpool(&p, &a.view, &y.view)
                                            : dnnvp_op_avgpool(&p, &a.view, &y.view);
    }
    REQUIRE(status == DNNVP_OP_OK);
    CHECK(dnnvp::unpack(y.bytes, want.shape.elements(), qy.type) == want.data);
    CHECK(y.bytes == want_bytes);
    ++checked;
  }
  CHECK(checked == expected_layers);
}

}  // namespace

TEST_CASE(
    "ops: the residual add of numerics_ties_pow2 rounds its ties (both signs, LeakyReLU) as the golden model",
    "[ops][numerics]") {
  check_cpu_layers("numerics_ties_pow2", 1);
}

TEST_CASE("ops: the max pools of numerics_maxpool_padding skip padding on every edge as the golden model",
          "[ops][numerics]") {
  check_cpu_layers("numerics_maxpool_padding", 2);
}

TEST_CASE(
    "ops: the average pools of numerics_avgpool_padding divide by in-bounds counts and round ties as the "
    "golden model",
    "[ops][numerics]") {
  check_cpu_layers("numerics_avgpool_padding", 2);
}
