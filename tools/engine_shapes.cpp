// engine_shapes: the named engine shapes of rtl/engine_shapes.json and their keys, for CMake (which compiles
// and runs it at configure time: cmake/DnnvpEngineModel.cmake) and tools/rtl_lint.sh, so neither computes
// a shape or a key itself (models/base/engine_shape.h does).
//
//   engine_shapes FILE                               every shape: name, key, shipped/lint, parameters
//   engine_shapes FILE shape NAME [PARAM=N...] [TRACE] [ASSERT]
//                                                   CMake list ROWS;8;COLS;16;...;KEY;r8c16... of shape NAME
//                                                   with the parameters given (CMake's names: ACT_BITS=4)
//   engine_shapes FILE parameters                    CMake list of the parameters' names (ROWS;COLS;...)
//   engine_shapes FILE shipped                       "TARGET NAME [TRACE]" per simulator the main build makes
//   engine_shapes FILE lint                          the Verilator -G options of each lint shape, a line each
#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine_shape.h"

namespace {

using dnnvp::cmake_name;
using dnnvp::EngineParameter;
using dnnvp::EngineShape;
using dnnvp::kEngineParameters;

std::string target_of(const EngineShape& s) {
  return "vp_sim_" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + (s.trace ? "_trace" : "");
}

int at_least(const std::string& text, const std::string& what, int minimum) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < minimum || v > 1 << 30)
    throw std::invalid_argument(what + ": expected an integer >= " + std::to_string(minimum) + ", got '" +
                                text + "'");
  return static_cast<int>(v);
}

// shape NAME [PARAM=N...] [TRACE] [ASSERT]
void print_shape(const std::string& file, const std::vector<std::string>& args) {
  if (args.empty()) throw std::invalid_argument("shape: need a shape name");
  EngineShape s = dnnvp::named_engine_shape(args[0], file);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "TRACE") {
      s.trace = true;
      continue;
    }
    if (a == "ASSERT") {
      s.assertions = true;
      continue;
    }
    const std::size_t eq = a.find('=');
    const EngineParameter* param = nullptr;
    for (const EngineParameter& p : kEngineParameters)
      if (eq != std::string::npos && a.substr(0, eq) == cmake_name(p)) param = &p;
    if (param == nullptr) {
      std::string names;
      for (const EngineParameter& p : kEngineParameters) names += " " + cmake_name(p);
      throw std::invalid_argument("unknown engine parameter '" + a + "' (expected NAME=N, NAME one of" +
                                  names + ", or TRACE, ASSERT)");
    }
    s.*param->member = at_least(a.substr(eq + 1), cmake_name(*param), param->minimum);
  }
  dnnvp::check_engine_shape(s, "engine shape " + args[0]);
  for (const EngineParameter& p : kEngineParameters) std::cout << cmake_name(p) << ";" << s.*p.member << ";";
  std::cout << "KEY;" << dnnvp::engine_shape_key(s);
}

int run(const std::vector<std::string>& argv) {
  if (argv.empty())
    throw std::invalid_argument("usage: engine_shapes FILE [shape NAME ...|parameters|shipped|lint]");
  const std::string& file = argv[0];
  const std::string command = argv.size() > 1 ? argv[1] : "";
  const std::vector<std::string> rest(argv.begin() + std::min<std::size_t>(argv.size(), 2), argv.end());
  if (command == "shape") {
    print_shape(file, rest);
    return 0;
  }
  if (!rest.empty()) throw std::invalid_argument(command + ": takes no arguments");
  if (command == "parameters") {
    std::string sep;
    for (const EngineParameter& p : kEngineParameters) std::cout << sep << cmake_name(p), sep = ";";
    return 0;
  }
  for (const dnnvp::NamedEngineShape& n : dnnvp::read_engine_shapes(file)) {
    EngineShape traced = n.shape;
    traced.trace = true;
    if (command == "shipped") {
      if (n.shipped) std::cout << target_of(n.shape) << " " << n.name << "\n";
      if (n.shipped_trace) std::cout << target_of(traced) << " " << n.name << " TRACE\n";
    } else if (command == "lint") {
      if (!n.lint) continue;
      std::string sep;
      for (const EngineParameter& p : kEngineParameters)
        std::cout << sep << "-G" << p.rtl_name << "=" << n.shape.*p.member, sep = " ";
      std::cout << "\n";
    } else if (command.empty()) {
      std::cout << n.name << " " << dnnvp::engine_shape_key(n.shape) << (n.shipped ? " shipped" : "")
                << (n.shipped_trace ? " shipped_trace" : "") << (n.lint ? " lint" : "") << " "
                << dnnvp::engine_shape_json(n.shape).dump() << "\n";
    } else {
      throw std::invalid_argument("unknown command '" + command + "' (shape, parameters, shipped, lint)");
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "engine_shapes: error: " << e.what() << "\n";
    return 2;
  }
}
