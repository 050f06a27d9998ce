// What produced an artefact or a report: the project version (CMakeLists.txt) and the source commit,
// written at build time (cmake/version/). Every tool's --version and every report use these.
#pragma once

#include <string>

namespace dnnvp {
const char* version();        // "0.1.0"
const char* source_commit();  // short git hash, "-dirty" when tracked files differ; "unknown" outside git
// "<tool> <version> (<commit>)", the line every tool's --version prints.
inline std::string version_line(const std::string& tool) {
  return tool + " " + version() + " (" + source_commit() + ")";
}
}  // namespace dnnvp
