// The one error type the generators throw: a message that names file, line and field.
#pragma once

#include <stdexcept>
#include <string>

namespace dnnvp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "file:line: field: message" (line omitted when 0, field when empty).
std::string located(const std::string& file, int line, const std::string& field, const std::string& message);

}  // namespace dnnvp
