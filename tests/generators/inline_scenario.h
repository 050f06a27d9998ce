// A scenario of default hardware around a network built in the test (the layers' producers by name, shapes
// inferred), for the generator tests.
#pragma once

#include <utility>
#include <vector>

#include "network.h"
#include "scenario.h"

namespace dnnvp {

inline Scenario inline_scenario(Shape input, std::vector<Layer> layers) {
  Scenario s;
  s.file = "inline.yaml";
  s.name = "inline";
  s.network.name = "inline";
  s.network.input_shape = input;
  s.network.layers = std::move(layers);
  s.network.infer_shapes();
  return s;
}

}  // namespace dnnvp
