// The zoo's networks have their true shapes: parameter and MAC counts equal the published values.
#include <catch2/catch.hpp>

#include "network_yaml.h"

using namespace dnnvp;

namespace {

struct Published {
  const char* name;
  std::int64_t params_unfolded;  // as torchvision counts them
  std::int64_t macs;             // conv + dense multiply-accumulates
};

// Published figures (torchvision model docs: num_params and GFLOPS, which count MACs).
const Published kPublished[] = {
    {"resnet50", 25557032, 4089184256},   {"resnet18", 11689512, 1814073344},
    {"vgg16", 138357544, 15470264320},    {"alexnet", 61100840, 714188480},
    {"mobilenet_v2", 3504872, 300774272},
};

}  // namespace

TEST_CASE("zoo ImageNet networks have their published parameter and MAC counts", "[zoo]") {
  for (const auto& p : kPublished) {
    INFO(p.name);
    const Network net = load_zoo_network(p.name, "test", 0, "network.zoo");
    CHECK(net.param_count_unfolded() == p.params_unfolded);
    CHECK(net.macs() == p.macs);
    CHECK(net.input_shape == Shape{224, 224, 3});
    CHECK(net.layers.back().output_shape == Shape{1, 1, 1000});
  }
}

TEST_CASE("resnet50 folded into conv biases has 25,530,472 parameters", "[zoo]") {
  const Network net = load_zoo_network("resnet50", "test", 0, "network.zoo");
  CHECK(net.param_count() == 25530472);
  int convs = 0, adds = 0;
  for (const auto& l : net.layers) {
    convs += l.type == LayerType::Conv;
    adds += l.type == LayerType::Add;
  }
  CHECK(convs == 53);
  CHECK(adds == 16);
}

TEST_CASE("mobilenet_v2 folded into conv biases has 3,487,816 parameters and 17 depthwise convs", "[zoo]") {
  const Network net = load_zoo_network("mobilenet_v2", "test", 0, "network.zoo");
  CHECK(net.param_count() == 3487816);
  CHECK(net.layers.size() == 100);
  int depthwise = 0, adds = 0;
  for (const auto& l : net.layers) {
    depthwise +=
        l.type == LayerType::Conv && l.groups > 1 && l.groups == l.input_shapes[0].c && l.groups == l.filters;
    adds += l.type == LayerType::Add;
  }
  CHECK(depthwise == 17);
  CHECK(adds == 10);
}

TEST_CASE("every zoo network's reference block matches its inferred shapes", "[zoo]") {
  for (const char* name :
       {"resnet50", "resnet18", "vgg16", "alexnet", "mobilenet_v2", "jettagger", "tiny_cnn"}) {
    INFO(name);
    const Network net = load_zoo_network(name, "test", 0, "network.zoo");
    CHECK(net.param_count() == net.reference.params);
    CHECK(net.param_count_unfolded() == net.reference.params_unfolded);
    CHECK(net.macs() == net.reference.macs);
  }
}

TEST_CASE("the jet tagger is the 16-64-32-32-5 MLP", "[zoo]") {
  const Network net = load_zoo_network("jettagger", "test", 0, "network.zoo");
  REQUIRE(net.layers.size() == 4);
  CHECK(net.input_shape == Shape{1, 1, 16});
  const int widths[] = {64, 32, 32, 5};
  for (size_t i = 0; i < 4; ++i) CHECK(net.layers[i].output_shape == Shape{1, 1, widths[i]});
  CHECK(net.param_count() == 4389);
}
