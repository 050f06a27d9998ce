#include "layout.h"

#include "engine_plan.h"
#include "error.h"
#include "image_batch.h"
#include "layer_kind.h"
#include "pack.h"
#include "stem.h"

namespace dnnvp {

namespace {

std::uint64_t align(std::uint64_t v) {
  return (v + kAlignment - 1) / kAlignment * kAlignment;
}

class Allocator {
 public:
  explicit Allocator(std::uint64_t start) : next_(start) {}
  Block take(std::uint64_t bytes) {
    Block b;
    b.offset = next_ - start_;
    b.bytes = bytes;
    b.addr = static_cast<std::uint32_t>(next_);
    next_ = align(next_ + bytes);
    return b;
  }
  std::uint64_t next() const { return next_; }
  void restart_file() { start_ = next_; }

 private:
  std::uint64_t next_;
  std::uint64_t start_ = next_;
};

}  // namespace

MemoryLayout plan_layout(const Scenario& s, const NetworkPlan& plan) {
  const auto& layers = s.network.layers;
  const std::uint64_t dram_end =
      std::uint64_t{s.dram.base} + (std::uint64_t{static_cast<unsigned>(s.dram.size_mib)} << 20);
  MemoryLayout out;
  out.layers.resize(layers.size());

  // weights.bin first: one contiguous file the platform loads with one copy.
  Allocator alloc(std::uint64_t{s.dram.base} +
                  (std::uint64_t{static_cast<unsigned>(s.dram.firmware_mib)} << 20));
  const std::uint64_t weights_start = alloc.next();
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].has_weights()) out.layers[i].blob = alloc.take(plan.layers[i].value().geometry.blob_bytes);
  out.weights_file = {0, alloc.next() - weights_start, static_cast<std::uint32_t>(weights_start)};

  out.images = image_count(s);
  // The input as the engine reads it (the kx-im2col stem's X' is larger than the image).
  out.input_image_bytes =
      packed_bytes(engine_input_shape(s.network, plan).elements(), s.quant.activation_bits);
  out.output_image_bytes = packed_bytes(layers.back().output_shape.elements(), s.quant.activation_bits);
  out.input_stride = align(out.input_image_bytes);
  out.output_stride = align(out.output_image_bytes);
  // Every image but the last takes its whole stride.
  const auto batch_bytes = [&out](std::uint64_t stride, std::uint64_t one) {
    return (out.images - 1) * stride + one;
  };
  alloc.restart_file();
  out.input = alloc.take(batch_bytes(out.input_stride, out.input_image_bytes));
  out.input.offset = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const std::uint64_t bytes = packed_bytes(l.output_shape.elements(), s.quant.activation_bits);
    if (layer_kind(l.type).output_aliases_input()) {
      out.layers[i].output =
          l.input_ids[0] < 0 ? out.input : out.layers[static_cast<size_t>(l.input_ids[0])].output;
      out.layers[i].output.bytes = bytes;
    } else if (!plan.layers[i] || plan.layers[i]->output_layer(static_cast<int>(i)) == static_cast<int>(i)) {
      out.layers[i].output = alloc.take(bytes);
    }
    // A fused layer's output is where its engine producer writes; that producer's own tensor needs no DRAM.
    if (const int producer = plan.fused_into[i]; producer >= 0)
      out.layers[static_cast<size_t>(producer)].output = out.layers[i].output;
  }
  alloc.restart_file();
  out.expected = alloc.take(batch_bytes(out.output_stride, out.output_image_bytes));
  out.expected.offset = 0;
  out.results = out.images > 1 ? alloc.take(batch_bytes(out.output_stride, out.output_image_bytes))
                               : out.layers.back().output;
  out.results.offset = 0;
  if (alloc.next() > dram_end)
    throw Error(s.file + ": dram.size_mib: the model needs " +
                std::to_string((alloc.next() - s.dram.base + (1 << 20) - 1) >> 20) +
                " MiB of DRAM (firmware reservation included), got " + std::to_string(s.dram.size_mib));
  out.end = alloc.next();
  return out;
}

MemoryLayout plan_layout(const Scenario& s) {
  return plan_layout(s, plan_network(s));
}

}  // namespace dnnvp
