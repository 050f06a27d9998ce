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

// 'text' in single quotes, with control characters, quotes, backslashes and non-ASCII bytes escaped
// (\n, \xNN), so any user text fits on one error line.
std::string quoted(const std::string& text);

}  // namespace dnnvp
