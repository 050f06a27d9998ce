#include "engine_table.h"

#include "layer_kind.h"
#include "pool_divider.h"

namespace dnnvp {

namespace {

// The row holds a rounding as its number.
static_assert(static_cast<int>(Rounding::HalfUp) == DNNVP_ROUND_HALF_UP &&
              static_cast<int>(Rounding::HalfEven) == DNNVP_ROUND_HALF_EVEN);

dnnvp_qtype_t table_qtype(const TensorQuant& q) {
  return {static_cast<std::uint8_t>(q.type.bits), static_cast<std::uint8_t>(q.type.is_signed),
          static_cast<std::int16_t>(q.zero_point)};
}

dnnvp_shape_t table_shape(Shape s) {
  return {static_cast<std::uint32_t>(s.h), static_cast<std::uint32_t>(s.w), static_cast<std::uint32_t>(s.c)};
}

}  // namespace

dnnvp_layer_t layer_table_row(const QuantizedModel& m, std::size_t i, const LayerPlan* plan) {
  const Layer& l = m.network.layers[i];
  dnnvp_layer_t row{};
  row.name = l.name.c_str();
  row.type = static_cast<std::uint8_t>(l.type);
  row.activation = static_cast<std::uint8_t>(l.activation);
  row.leaky_shift = static_cast<std::uint8_t>(l.activation == Activation::LeakyRelu ? l.leaky_shift : 0);
  row.num_inputs = static_cast<std::uint8_t>(l.input_ids.size());
  std::vector<TensorQuant> in_quants;
  for (size_t k = 0; k < l.input_ids.size(); ++k) {
    in_quants.push_back(m.quant_of(l.input_ids[k]));
    row.input_layer[k] = static_cast<std::int16_t>(l.input_ids[k]);
    row.in_q[k] = table_qtype(in_quants.back());
  }
  // The window and input the engine runs (the kx-im2col stem's differ from the layer's own: stem.h).
  const Layer& e = plan != nullptr ? plan->engine_layer(l) : l;
  row.kernel_h = static_cast<std::uint16_t>(e.kernel_h);
  row.kernel_w = static_cast<std::uint16_t>(e.kernel_w);
  row.stride_h = static_cast<std::uint16_t>(e.stride_h);
  row.stride_w = static_cast<std::uint16_t>(e.stride_w);
  row.pad_top = static_cast<std::uint16_t>(e.padding.top);
  row.pad_left = static_cast<std::uint16_t>(e.padding.left);
  row.pad_bottom = static_cast<std::uint16_t>(e.padding.bottom);
  row.pad_right = static_cast<std::uint16_t>(e.padding.right);
  row.in_shape = table_shape(e.input_shapes[0]);
  row.out_shape = table_shape(l.output_shape);
  row.out_q = table_qtype(m.params[i].out);
  row.rounding = static_cast<std::uint8_t>(m.params[i].rounding);
  row.fused_add = DNNVP_NO_LAYER;
  row.fused_into = DNNVP_NO_LAYER;
  if (plan != nullptr) {
    row.tile_pixels = static_cast<std::uint32_t>(plan->tile_pixels);
    row.num_tiles = static_cast<std::uint32_t>(plan->tiles.size());
    row.chunks = static_cast<std::uint32_t>(plan->geometry.chunks);
    row.blocks = static_cast<std::uint32_t>(plan->geometry.blocks);
    row.passes = static_cast<std::uint32_t>(plan->geometry.passes);
    row.group_chunks = static_cast<std::uint16_t>(plan->geometry.group_chunks);
    row.chunk_step = static_cast<std::uint16_t>(plan->geometry.chunk_step);
    row.group_cols = static_cast<std::uint16_t>(plan->geometry.group_cols);
    row.engine_op = static_cast<std::uint8_t>(plan->geometry.op);
    row.fold = static_cast<std::uint8_t>(plan->geometry.fold);
    row.row_step = static_cast<std::uint8_t>(plan->row_step);
    row.block_group = static_cast<std::uint16_t>(plan->block_group);
    row.band_whole = plan->band_whole;
    if (plan->geometry.op == EngineOp::AvgPool) {
      const std::uint32_t count = engine_pool_count(l);
      const PoolDivider d = pool_divider(
          count, pool_sum_bits(static_cast<unsigned>(m.quant_of(l.input_ids[0]).type.bits), count));
      row.pool_count = static_cast<std::uint16_t>(count);
      row.pool_magic = d.magic;
      row.pool_shift = static_cast<std::uint8_t>(d.shift);
    }
    if (plan->fused_add >= 0) row.fused_add = static_cast<std::int16_t>(plan->fused_add);
    if (plan->folded_clip >= 0) {
      // The clip's limits are its own row's (ClipKind); one that limits nothing past the type is dropped.
      const dnnvp_layer_t clip = layer_table_row(m, static_cast<std::size_t>(plan->folded_clip), nullptr);
      const QuantType out = m.params[i].out.type;
      row.clip = clip.param[0] > out.min() || clip.param[1] < out.max();
      if (row.clip) {
        row.clip_lo = static_cast<std::int16_t>(clip.param[0]);
        row.clip_hi = static_cast<std::int16_t>(clip.param[1]);
      }
    }
  }
  row.macs = static_cast<std::uint64_t>(l.macs());
  layer_kind(l.type).table_row(l, m.params[i], in_quants, row);
  return row;
}

}  // namespace dnnvp
