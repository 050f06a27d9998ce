#include "error.h"

namespace dnnvp {

std::string located(const std::string& file, int line, const std::string& field, const std::string& message) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  return out + message;
}

}  // namespace dnnvp
