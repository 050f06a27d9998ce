#include "engine_table.h"

namespace dnnvp {

namespace {

dnnvp_qtype_t qtype(const TensorQuant& q) {
  return {static_cast<std::uint8_t>(q.type.bits), static_cast<std::uint8_t>(q.type.is_signed),
          static_cast<std::int16_t>(q.zero_point)};
}

}  // namespace

dnnvp_layer_t engine_table_entry(const QuantizedModel& m, std::size_t i, const LayerPlan& plan) {
  const Layer& l = m.network.layers[i];
  dnnvp_layer_t t{};
  t.name = l.name.c_str();
  t.type = static_cast<std::uint8_t>(l.type);
  t.activation = static_cast<std::uint8_t>(l.activation);
  t.leaky_shift = static_cast<std::uint8_t>(l.activation == Activation::LeakyRelu ? l.leaky_shift : 0);
  t.kernel_h = static_cast<std::uint16_t>(l.kernel_h);
  t.kernel_w = static_cast<std::uint16_t>(l.kernel_w);
  t.stride_h = static_cast<std::uint16_t>(l.stride_h);
  t.stride_w = static_cast<std::uint16_t>(l.stride_w);
  t.pad_top = static_cast<std::uint16_t>(l.padding.top);
  t.pad_left = static_cast<std::uint16_t>(l.padding.left);
  t.pad_bottom = static_cast<std::uint16_t>(l.padding.bottom);
  t.pad_right = static_cast<std::uint16_t>(l.padding.right);
  const Shape in = l.input_shapes[0];
  t.in_shape = {static_cast<std::uint32_t>(in.h), static_cast<std::uint32_t>(in.w), static_cast<std::uint32_t>(in.c)};
  t.out_shape = {static_cast<std::uint32_t>(l.output_shape.h), static_cast<std::uint32_t>(l.output_shape.w),
                 static_cast<std::uint32_t>(l.output_shape.c)};
  t.in_q[0] = qtype(m.quant_of(l.input_ids[0]));
  t.out_q = qtype(m.params[i].out);
  t.weight_q = {static_cast<std::uint8_t>(m.params[i].weight_type.bits), 1, 0};
  t.tile_pixels = static_cast<std::uint32_t>(plan.tile_pixels);
  t.num_tiles = static_cast<std::uint32_t>(plan.tiles.size());
  t.chunks = static_cast<std::uint32_t>(plan.geometry.chunks);
  t.blocks = static_cast<std::uint32_t>(plan.geometry.blocks);
  t.passes = static_cast<std::uint32_t>(plan.geometry.passes);
  t.macs = static_cast<std::uint64_t>(l.macs());
  return t;
}

}  // namespace dnnvp
