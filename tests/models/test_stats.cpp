#include <catch2/catch.hpp>

#include <sstream>

#include "stats.h"

TEST_CASE("stats dump nests dotted names into one JSON object", "[stats]") {
  dnnvp::Stats stats;
  std::uint64_t read_bytes = 0, write_bytes = 7;
  double energy = 1.5;
  stats.add("dram.cpu.read_bytes", read_bytes);
  stats.add("dram.cpu.write_bytes", write_bytes);
  stats.add("dram.energy_pj.total", energy);
  stats.add("dram.preset", [] { return nlohmann::json("ddr4-2400"); });
  std::uint64_t& faults = stats.counter("bus.faults");
  stats.add("uptime", [] { return nlohmann::json(42); });

  read_bytes +=
      128;  // NOLINT(clang-analyzer-deadcode.DeadStores): registered by reference, read at dump time
  ++faults;
  energy = 2.25;  // NOLINT(clang-analyzer-deadcode.DeadStores)
  const nlohmann::json expected = {{"dram",
                                    {{"cpu", {{"read_bytes", 128}, {"write_bytes", 7}}},
                                     {"energy_pj", {{"total", 2.25}}},
                                     {"preset", "ddr4-2400"}}},
                                   {"bus", {{"faults", 1}}},
                                   {"uptime", 42}};
  CHECK(stats.to_json() == expected);
  CHECK(stats.value("dram.cpu.read_bytes") == 128);
  CHECK(stats.size() == 6);
  CHECK(stats.contains("bus.faults"));
  CHECK_FALSE(stats.contains("bus"));

  std::ostringstream os;
  stats.write(os);
  CHECK(nlohmann::json::parse(os.str()) == expected);
  CHECK(os.str().back() == '\n');
}

TEST_CASE("stats reject duplicate, conflicting and malformed names", "[stats]") {
  dnnvp::Stats stats;
  std::uint64_t a = 0;
  stats.add("dram.cpu.read_bytes", a);
  CHECK_THROWS_WITH(stats.add("dram.cpu.read_bytes", a), Catch::Contains("registered twice"));
  CHECK_THROWS_WITH(stats.add("dram.cpu", a), Catch::Contains("already a group"));
  CHECK_THROWS_WITH(stats.add("dram.cpu.read_bytes.low", a), Catch::Contains("inside the value"));
  CHECK_THROWS_AS(stats.add("", a), std::invalid_argument);
  CHECK_THROWS_AS(stats.add("dram..cpu", a), std::invalid_argument);
  CHECK_THROWS_AS(stats.add(".dram", a), std::invalid_argument);
  CHECK_THROWS_AS(stats.add("dram.", a), std::invalid_argument);
  CHECK_THROWS_AS(stats.add("dram cpu", a), std::invalid_argument);
  CHECK_THROWS_AS(stats.counter("dram.cpu"), std::invalid_argument);
  CHECK_THROWS_AS(stats.value("nothing"), std::out_of_range);
  CHECK(stats.size() == 1);
  // Names that merely share a prefix are fine.
  stats.add("dram.cpu2", a);
  stats.add("dram.cp", a);
  CHECK(stats.size() == 3);
}
