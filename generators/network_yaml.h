// Reading networks from YAML: the zoo files under scenarios/zoo and inline layer lists.
#pragma once

#include <string>

#include "network.h"
#include "yaml_fields.h"

namespace dnnvp {

// The string `key` of `f`, which must be a valid name (network.h name_problem()).
std::string read_name(const Fields& f, const std::string& key);

// Parses a `layers:` sequence (the `layers` key of `f`) into net.layers.
void parse_layers(const Fields& f, Network& net);

// Loads a network file (the zoo format: name, description, input, reference, layers).
Network load_network_file(const std::string& path);

// Directory holding <name>.yaml zoo files: $DNNVP_ZOO_DIR, else the source tree's scenarios/zoo.
std::string zoo_directory();

// Loads a zoo network by name; an unknown name is an error listing the known ones.
Network load_zoo_network(const std::string& name, const std::string& file, int line,
                         const std::string& field);

}  // namespace dnnvp
