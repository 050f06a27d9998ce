#include "command_line.h"

#include <iostream>

#include "version.h"

namespace dnnvp {

namespace po = boost::program_options;

bool read_command_line(const std::string& tool, int argc, const char* const argv[],
                       po::options_description& visible, po::variables_map& vm, const char* positional_name,
                       std::string* positional_value) {
  visible.add_options()("help,h", "show this help")("version", "print the version and exit");
  po::options_description all;
  all.add(visible);
  po::positional_options_description positional;
  if (positional_name != nullptr) {
    all.add_options()(positional_name, po::value<std::string>(positional_value));
    positional.add(positional_name, 1);
  }
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return false;
  }
  if (vm.count("version")) {
    std::cout << version_line(tool) << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

}  // namespace dnnvp
