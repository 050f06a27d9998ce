// The engine interface (models/engine/engine.h): the factory by name, and register accesses checked as
// every peripheral checks them. Linked with the 4x8 "rtl" engine.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bridge_bench.h"
#include "engine/engine_factory.h"
#include "peripheral.h"
#include "sim_util.h"

using namespace sc_core;
using Catch::Contains;

TEST_CASE("an unknown engine name is an error that lists the known engines", "[engine][factory]") {
  CHECK(dnnvp::engine_names() == std::vector<std::string>{"rtl", "fast"});
  CHECK_THROWS_WITH(dnnvp::engine_kind("verilog"),
                    Contains("unknown engine 'verilog'") && Contains("known engines: rtl, fast"));
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 8), r("r", 4, 8), y("y", 4, 8);
  CHECK_THROWS_AS(dnnvp::make_engine("", "engine", x, w, r, y, bridge_test::engine_options()),
                  std::invalid_argument);
}

TEST_CASE("the rtl engine has the shape of the linked model", "[engine][factory]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 8), r("r", 4, 8), y("y", 4, 8);
  const std::unique_ptr<dnnvp::Engine> engine =
      dnnvp::make_engine("rtl", "engine", x, w, r, y, bridge_test::engine_options());
  const dnnvp::EngineShape& s = engine->shape();
  CHECK(s.rows == 4);
  CHECK(s.cols == 8);
  CHECK(s.stream_bits == 64);
  CHECK(s.acc_depth == 64);
  CHECK(s.input_buffer_bytes == 8192);
  CHECK(s.weight_buffer_bytes == 2048);
  CHECK(s.output_buffer_bytes == 4096);
  CHECK(s.trace);
  CHECK(s.assertions);
  CHECK(dnnvp::engine_kind("rtl").shape().rows == 4);
  CHECK(std::string(engine->name()) == "engine");
}

TEST_CASE("the rtl engine needs a register region with STATUS and names what is missing",
          "[engine][registers]") {
  dnnvp::test::one_simulation_per_process();
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 8), r("r", 4, 8), y("y", 4, 8);
  dnnvp::EngineOptions o = bridge_test::engine_options();
  const dnnvp::RegionInfo& engine = *o.region;
  std::vector<dnnvp::RegisterInfo> without_status;
  for (std::size_t i = 0; i < engine.register_count; ++i)
    if (engine.registers[i].name != "STATUS") without_status.push_back(engine.registers[i]);
  const dnnvp::RegionInfo no_status{
      "engine", engine.base, engine.size, false, without_status.data(), without_status.size(), "no STATUS"};
  o.region = &no_status;
  CHECK_THROWS_WITH(dnnvp::make_engine("rtl", "e1", x, w, r, y, o),
                    Contains("region 'engine' has no register 'STATUS'"));
  o.region = nullptr;
  CHECK_THROWS_WITH(dnnvp::make_engine("rtl", "e2", x, w, r, y, o), Contains("no register region"));
}

namespace {

// A peripheral with one register at offset 0, as every peripheral checks accesses.
class OneRegister : public dnnvp::Peripheral {
 public:
  explicit OneRegister(const sc_module_name& name) : Peripheral(name, sc_time(4, SC_NS)) {}
  dnnvp::Register reg{*this, "REG", 0x0};
};

struct BadAccess {
  const char* what;
  tlm::tlm_command command;
  std::uint64_t address;
  unsigned length, streaming_width;
  const unsigned char* byte_enables;
  unsigned byte_enable_length;
};

tlm::tlm_response_status issue(dnnvp::test::Initiator& i, const BadAccess& a) {
  unsigned char data[8] = {};
  unsigned char be[8] = {};
  tlm::tlm_generic_payload t;
  t.set_command(a.command);
  t.set_address(a.address);
  t.set_data_ptr(data);
  t.set_data_length(a.length);
  t.set_streaming_width(a.streaming_width);
  if (a.byte_enables != nullptr) {
    std::copy(a.byte_enables, a.byte_enables + a.byte_enable_length, be);
    t.set_byte_enable_ptr(be);
    t.set_byte_enable_length(a.byte_enable_length);
  }
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = SC_ZERO_TIME;
  i.socket->b_transport(t, delay);
  return t.get_response_status();
}

}  // namespace

TEST_CASE("the engine and a peripheral give the same response to the same bad access",
          "[engine][registers]") {
  dnnvp::test::one_simulation_per_process();
  const unsigned char on = TLM_BYTE_ENABLED, off = TLM_BYTE_DISABLED;
  const unsigned char one_off[4] = {on, off, on, on}, half_off[2] = {on, off}, half_on[2] = {on, on};
  const BadAccess accesses[] = {
      {"misaligned word", tlm::TLM_READ_COMMAND, 0x2, 4, 4, nullptr, 0},
      {"byte", tlm::TLM_READ_COMMAND, 0x0, 1, 1, nullptr, 0},
      {"halfword", tlm::TLM_WRITE_COMMAND, 0x0, 2, 2, half_on, 2},
      {"two words", tlm::TLM_READ_COMMAND, 0x0, 8, 8, nullptr, 0},
      {"streaming width 2", tlm::TLM_READ_COMMAND, 0x0, 4, 2, nullptr, 0},
      {"word with a disabled byte", tlm::TLM_WRITE_COMMAND, 0x0, 4, 4, one_off, 4},
      // Both the size and a byte enable are wrong: the byte enables are checked first.
      {"halfword with a disabled byte", tlm::TLM_WRITE_COMMAND, 0x0, 2, 2, half_off, 2},
      {"byte enables of length 0", tlm::TLM_WRITE_COMMAND, 0x0, 4, 4, one_off, 0},
      {"misaligned halfword", tlm::TLM_READ_COMMAND, 0x2, 2, 2, nullptr, 0},
      {"beyond the window", tlm::TLM_READ_COMMAND, 0x1000, 4, 4, nullptr, 0},
  };
  dnnvp::AxisChannel x("x", 4, 8), w("w", 4, 8), r("r", 4, 8), y("y", 4, 8);
  const std::unique_ptr<dnnvp::Engine> engine =
      dnnvp::make_engine("rtl", "engine", x, w, r, y, bridge_test::engine_options());
  OneRegister peripheral("peripheral");
  std::vector<tlm::tlm_response_status> from_engine, from_peripheral;
  dnnvp::test::Initiator to_engine("to_engine", [&](dnnvp::test::Initiator& i) {
    for (const BadAccess& a : accesses) from_engine.push_back(issue(i, a));
  });
  dnnvp::test::Initiator to_peripheral("to_peripheral", [&](dnnvp::test::Initiator& i) {
    for (const BadAccess& a : accesses) from_peripheral.push_back(issue(i, a));
  });
  to_engine.socket.bind(engine->socket);
  to_peripheral.socket.bind(peripheral.socket);
  sc_start();

  REQUIRE(from_engine.size() == std::size(accesses));
  REQUIRE(from_peripheral.size() == std::size(accesses));
  for (std::size_t k = 0; k < std::size(accesses); ++k) {
    INFO(accesses[k].what);
    CHECK(from_engine[k] != tlm::TLM_OK_RESPONSE);
    CHECK(from_engine[k] == from_peripheral[k]);
  }
  CHECK(from_engine[6] == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  CHECK(engine->metrics().register_errors == std::size(accesses));
  CHECK(engine->metrics().register_reads + engine->metrics().register_writes == 0);  // none reached the RTL
}
