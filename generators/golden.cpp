#include "golden.h"

#include "layer_kind.h"

namespace dnnvp {

Tensor run_layer(const QuantizedModel& m, size_t index, const Tensor& input,
                 const std::vector<Tensor>& outputs) {
  const Layer& l = m.network.layers.at(index);
  return layer_kind(l.type).run(l, m.params.at(index), layer_operands(m, l, input, outputs));
}

std::vector<Tensor> run_network(const QuantizedModel& m, const Tensor& input) {
  std::vector<Tensor> outputs;
  outputs.reserve(m.network.layers.size());
  for (size_t i = 0; i < m.network.layers.size(); ++i) outputs.push_back(run_layer(m, i, input, outputs));
  return outputs;
}

}  // namespace dnnvp
