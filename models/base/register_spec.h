// The description of a memory map: regions, their registers, the registers' fields. Models are written
// against these types and get the regions they implement from whoever builds them (the platform passes
// the tables it generates from platform/memory_map.yaml), so no model depends on a generated file.
//
//   Uart uart("uart", memory_map::region("uart"), clock_period, log);   // platform/soc.cpp
//   Register status_{*this, find_register(region, "STATUS")};           // inside a model
//
// The lookups throw std::invalid_argument naming the region and what is missing; a model does them once,
// at construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dnnvp {

enum class RegisterAccess { kReadOnly, kWriteOnly, kReadWrite, kWriteOneToClear };

struct FieldInfo {
  std::string_view name;
  unsigned lsb;
  unsigned width;
  std::uint32_t mask;
  std::string_view description;
};

struct RegisterInfo {
  std::string_view name;
  std::uint32_t offset;
  RegisterAccess access;
  std::uint32_t reset;
  const FieldInfo* fields;
  std::size_t field_count;
  std::string_view description;
  std::string_view block;  // "" or the block it is a word of
};

struct RegionInfo {
  std::string_view name;
  std::uint64_t base;
  std::uint64_t size;  // 0 when sized_by_scenario
  bool sized_by_scenario;
  const RegisterInfo* registers;
  std::size_t register_count;
  std::string_view description;
};

// A whole map: its regions in order, and the file it was made from (for messages).
struct MemoryMapInfo {
  const RegionInfo* regions;
  std::size_t region_count;
  std::string_view source;
};

// The region called `name` of `map`.
inline const RegionInfo& map_region(const MemoryMapInfo& map, std::string_view name) {
  for (std::size_t i = 0; i < map.region_count; ++i)
    if (map.regions[i].name == name) return map.regions[i];
  throw std::invalid_argument(std::string(map.source) + " has no region '" + std::string(name) + "'");
}

// The register called `name` of `region`.
inline const RegisterInfo& find_register(const RegionInfo& region, std::string_view name) {
  for (std::size_t i = 0; i < region.register_count; ++i)
    if (region.registers[i].name == name) return region.registers[i];
  throw std::invalid_argument("region '" + std::string(region.name) + "' has no register '" +
                              std::string(name) + "'");
}

// The field called `name` of the register `reg` of `region`.
inline const FieldInfo& find_field(const RegionInfo& region, const RegisterInfo& reg, std::string_view name) {
  for (std::size_t i = 0; i < reg.field_count; ++i)
    if (reg.fields[i].name == name) return reg.fields[i];
  throw std::invalid_argument("region '" + std::string(region.name) + "': register '" +
                              std::string(reg.name) + "' has no field '" + std::string(name) + "'");
}

// The first register (the lowest offset: a block is consecutive words) of block `block` of `region`.
inline const RegisterInfo& block_start(const RegionInfo& region, std::string_view block) {
  for (std::size_t i = 0; i < region.register_count; ++i)
    if (region.registers[i].block == block) return region.registers[i];
  throw std::invalid_argument("region '" + std::string(region.name) + "' has no block '" +
                              std::string(block) + "'");
}

}  // namespace dnnvp
