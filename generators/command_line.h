// Every tool's command line, read one way: its own options, at most one positional argument, and the
// --help / --version every tool has.
#pragma once

#include <string>

#include <boost/program_options.hpp>

namespace dnnvp {

// Adds --help and --version to `visible`, parses argv into `vm` (the positional argument, if
// `positional_name` is given, into *positional_value) and runs notify(). Returns false after printing the
// help or `tool`'s version line (the tool then exits 0). Bad options throw boost::program_options::error;
// --help and --version are honoured before notify(), so they work beside a missing required option.
bool read_command_line(const std::string& tool, int argc, const char* const argv[],
                       boost::program_options::options_description& visible,
                       boost::program_options::variables_map& vm, const char* positional_name = nullptr,
                       std::string* positional_value = nullptr);

}  // namespace dnnvp
