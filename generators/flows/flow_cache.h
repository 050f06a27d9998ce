// One cache for per-shape results of the hardware flows (Yosys resource estimates, ASIC area and timing):
// tools that take minutes run once per engine shape and RTL revision. Entries are JSON files
// <dir>/<flow>/<shape key>-<rtl hash>.json, written atomically (temp file + rename), so concurrent runs
// (a sweep's points) never read a half-written entry; a changed RTL source makes a new key.
// dir: $DNNVP_CACHE_DIR when set, else <build dir>/flow-cache (docs/fpga.md "Flow cache").
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine_shape.h"

namespace dnnvp::flows {

// $DNNVP_CACHE_DIR, or <build dir>/flow-cache.
std::filesystem::path flow_cache_dir();
// The source tree's rtl/ directory (the engine's sources).
std::filesystem::path rtl_dir();
// 16 hex digits (FNV-1a, 64 bit) over the names and contents of the source files in `dir` (.sv, .svh, .v,
// .f; sorted): any change to the engine's sources gives another hash.
std::string rtl_sources_hash(const std::filesystem::path& dir = rtl_dir());

class FlowCache {
 public:
  explicit FlowCache(std::filesystem::path dir = flow_cache_dir(),
                     const std::filesystem::path& rtl = rtl_dir());

  // The entry's file for a flow ("yosys-xilinx-xcup", "yosys-osu018", ...: letters, digits, '-', '_', '.')
  // and a shape (its trace/assertions flags are not part of the key: they do not change the hardware).
  std::filesystem::path path(const std::string& flow, const EngineShape& shape) const;
  // The cached value, or nothing when the entry is missing (or unreadable: the flow then runs again).
  std::optional<nlohmann::json> get(const std::string& flow, const EngineShape& shape) const;
  // Stores `value` (atomically; creates the directories). Throws std::runtime_error naming the file when
  // it cannot be written.
  void put(const std::string& flow, const EngineShape& shape, const nlohmann::json& value) const;

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& rtl_hash() const { return rtl_hash_; }

 private:
  std::filesystem::path dir_;
  std::string rtl_hash_;
};

}  // namespace dnnvp::flows
