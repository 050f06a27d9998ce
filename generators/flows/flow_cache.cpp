#include "flow_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace dnnvp::flows {

namespace fs = std::filesystem;

fs::path flow_cache_dir() {
  if (const char* dir = std::getenv("DNNVP_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
  return fs::path(DNNVP_BUILD_DIR) / "flow-cache";
}

fs::path rtl_dir() {
  return fs::path(DNNVP_SOURCE_DIR) / "rtl";
}

std::string rtl_sources_hash(const fs::path& dir) {
  std::vector<fs::path> files;
  // The sources (SystemVerilog, headers, file lists), not the documentation or the shapes list.
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".sv" || ext == ".svh" || ext == ".v" || ext == ".f"))
      files.push_back(e.path());
  }
  if (files.empty()) throw std::runtime_error(dir.string() + ": no RTL sources");
  std::sort(files.begin(), files.end());
  std::uint64_t h = 14695981039346656037ULL;
  const auto mix = [&h](const std::string& bytes) {
    for (const char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) throw std::runtime_error(f.string() + ": cannot read");
    mix(f.filename().string() + '\0');
    mix(std::string(std::istreambuf_iterator<char>(in), {}) + '\0');
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

FlowCache::FlowCache(fs::path dir, const fs::path& rtl)
    : dir_(std::move(dir)), rtl_hash_(rtl_sources_hash(rtl)) {}

fs::path FlowCache::path(const std::string& flow, const EngineShape& shape) const {
  const bool ok = !flow.empty() && std::all_of(flow.begin(), flow.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (!ok || flow.front() == '.') throw std::invalid_argument("flow cache: bad flow name '" + flow + "'");
  EngineShape hardware = shape;
  hardware.trace = false;
  hardware.assertions = false;
  return dir_ / flow / (engine_shape_key(hardware) + "-" + rtl_hash_ + ".json");
}

std::optional<nlohmann::json> FlowCache::get(const std::string& flow, const EngineShape& shape) const {
  std::ifstream in(path(flow, shape));
  if (!in) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

void FlowCache::put(const std::string& flow, const EngineShape& shape, const nlohmann::json& value) const {
  const fs::path file = path(flow, shape);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  // A name of its own per writer, so two processes caching the same entry never share a temp file.
  const fs::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << value.dump(2) << '\n';
    if (!out.flush()) throw std::runtime_error(tmp.string() + ": cannot write the flow cache entry");
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(file.string() + ": cannot write the flow cache entry");
  }
}

}  // namespace dnnvp::flows
