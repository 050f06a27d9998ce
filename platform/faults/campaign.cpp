#include "campaign.h"

#include <algorithm>
#include <iterator>
#include <random>
#include <stdexcept>

#include "dnnvp_memory_map.hpp"
#include "hex.h"
#include "initiator_id.h"
#include "soc.h"

namespace dnnvp::faults {
namespace {

using nlohmann::json;

[[noreturn]] void refuse(const Spec& spec, const std::string& message) {
  throw std::invalid_argument("fault '" + spec.text + "': " + message);
}

// The DRAM's byte at bus address `address`; refuses one outside DRAM.
std::uint64_t dram_offset(const Soc& soc, const Spec& spec, std::uint64_t address) {
  const std::uint64_t base = soc.config().hardware.dram.base, size = soc.config().dram_bytes();
  if (address < base || address - base >= size)
    refuse(spec, hex(address) + " is outside DRAM [" + hex(base) + ", " + hex(base + size) + ")");
  return address - base;
}

// dram_flip: the bits are chosen when armed (the same seed flips the same bits) and flipped when due.
class DramFlip : public Injector {
 public:
  DramFlip(Soc& soc, const Spec& spec)
      : Injector(soc, spec,
                 spec.listed.empty() ? "dram " + hex(spec.first) + ".." + hex(spec.last) : "dram") {
    if (!spec.listed.empty()) {
      for (const auto& [address, bit] : spec.listed) bits_.push_back({dram_offset(soc, spec, address), bit});
      return;
    }
    const std::uint64_t first = dram_offset(soc, spec, spec.first);
    dram_offset(soc, spec, spec.last);
    // mt19937_64's sequence is fixed by the standard (its distributions are not): reduced by hand.
    std::mt19937_64 random(spec.seed);
    const std::uint64_t range_bits = (spec.last - spec.first + 1) * 8;
    std::set<std::uint64_t> chosen;
    while (chosen.size() < spec.bits) chosen.insert(random() % range_bits);
    for (const std::uint64_t b : chosen) bits_.push_back({first + b / 8, static_cast<unsigned>(b % 8)});
  }

  void act(std::vector<Release>&) override {
    const std::uint64_t base = soc_.config().hardware.dram.base;
    std::uint8_t* store = soc_.dram().data();
    json flipped = json::array();
    for (const auto& [offset, bit] : bits_) {
      const std::uint8_t before = store[offset];
      store[offset] = static_cast<std::uint8_t>(before ^ (1u << bit));
      flipped.push_back(
          {{"address", hex(base + offset)}, {"bit", bit}, {"before", before}, {"after", store[offset]}});
    }
    record(std::to_string(bits_.size()) + " bit" + (bits_.size() == 1 ? "" : "s") + " flipped",
           {{"bits_flipped", bits_.size()}, {"bits", flipped}});
  }

 private:
  std::vector<std::pair<std::uint64_t, unsigned>> bits_;  // DRAM offset, bit
};

// stream_stall: the consumer of one engine stream sees no beat for `cycles` engine cycles.
class StreamStall : public Injector {
 public:
  StreamStall(Soc& soc, const Spec& spec)
      : Injector(soc, spec, std::string("stream ") + spec.stream + " (" + stream_role(spec.stream) + ")") {}

  void act(std::vector<Release>& releases) override {
    AxisChannel& channel = soc_.stream(spec().stream);
    const sc_core::sc_time until =
        sc_core::sc_time_stamp() + soc_.engine_period() * static_cast<double>(spec().cycles);
    channel.hold_until(until);
    releases.push_back({until, &channel});
    record("no beat reaches the " + std::string(spec().stream == 'y' ? "DMA" : "engine") + " until cycle " +
               std::to_string(soc_.engine_cycles_at(until)),
           {{"cycles_stalled", spec().cycles},
            {"until_cycle", soc_.engine_cycles_at(until)},
            {"beats_waiting", channel.size()}});
  }
};

// dma_error: the channel's Nth transfer (counted from 1, as its IOC count) fails at its first DRAM access
// (a descriptor fetch in scatter/gather mode, a data burst in direct mode).
class DmaError : public Injector {
 public:
  DmaError(Soc& soc, const Spec& spec)
      : Injector(soc, spec,
                 spec.dma + (spec.s2mm ? ".s2mm" : ".mm2s") + " transfer " + std::to_string(spec.nth)),
        channel_(spec.s2mm ? AxiDma::kS2mm : AxiDma::kMm2s) {
    std::string dmas;
    for (std::size_t i = 0; i < std::size(memory_map::streams::kDmas); ++i) {
      if (memory_map::streams::kDmas[i] == spec.dma) dma_ = i;
      dmas += (dmas.empty() ? "" : ", ") + std::string(memory_map::streams::kDmas[i]);
    }
    if (dma_ == kNoDma) refuse(spec, "the platform has no " + spec.dma + " (its DMAs: " + dmas + ")");
    const AxiDma& dma = soc.dma(dma_);
    if ((spec.s2mm ? dma.config().s2mm : dma.config().mm2s) == nullptr)
      refuse(spec, spec.dma + " has no " + (spec.s2mm ? "S2MM" : "MM2S") + " channel");
    initiator_ = InitiatorId::allocate(dma.initiator_name(channel_));
  }

  tlm::tlm_response_status respond(const tlm::tlm_generic_payload& trans) {
    if (injected() || InitiatorId::of(trans) != initiator_ ||
        soc_.dma(dma_).counters(channel_).transfers + 1 != spec().nth)
      return tlm::TLM_OK_RESPONSE;
    const tlm::tlm_response_status status =
        spec().decode ? tlm::TLM_ADDRESS_ERROR_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE;
    const std::string response = spec().decode ? "DECERR" : "SLVERR";
    record(response + " on the " + (trans.is_read() ? "read of " : "write to ") +
               hex(soc_.config().hardware.dram.base + trans.get_address()),
           {{"transfer", spec().nth},
            {"access", trans.is_read() ? "read" : "write"},
            {"address", hex(soc_.config().hardware.dram.base + trans.get_address())},
            {"bytes", trans.get_data_length()},
            {"response", response}});
    return status;
  }

 private:
  static constexpr std::size_t kNoDma = ~std::size_t{0};
  std::size_t dma_ = kNoDma;  // its index among memory_map::streams::kDmas (Soc::dma)
  AxiDma::Channel channel_;
  int initiator_ = InitiatorId::kUnknown;
};

// irq_lost: the interrupt controller loses the Nth rising edge of a source's line (IrqCtrl::drop): the line
// reads low until the source lowers it, as a lost edge-triggered interrupt. It acts inside the controller;
// what it lost is read back for the report.
class IrqLost : public Injector {
 public:
  IrqLost(Soc& soc, const Spec& spec)
      : Injector(soc, spec, "interrupt " + spec.source + " raise " + std::to_string(spec.nth)) {
    std::string names;
    for (const memory_map::irq::Source& s : memory_map::irq::kSources) {
      names += (names.empty() ? "" : ", ") + std::string(s.name);
      if (s.name == spec.source) line_ = s.line;
    }
    if (line_ == kNoLine)
      refuse(spec, "source: no interrupt source '" + spec.source + "' (sources: " + names + ")");
    soc.intc().drop(line_, spec.nth);
  }

  void settle() override {
    if (injected()) return;
    for (const IrqCtrl::Dropped& d : soc_.intc().dropped())
      if (d.line == line_ && d.raise == spec().nth)
        record_at(d.time, "raise " + std::to_string(d.raise) + " of line " + std::to_string(line_) + " lost",
                  {{"line", line_}, {"raise", d.raise}});
  }

 private:
  static constexpr unsigned kNoLine = ~0u;
  unsigned line_ = kNoLine;
};

}  // namespace

Injector::Injector(Soc& soc, Spec spec, std::string target)
    : soc_(soc), spec_(std::move(spec)), target_(std::move(target)) {}

void Injector::record(const std::string& summary, json effect) {
  record_at(sc_core::sc_time_stamp(), summary, std::move(effect));
}

void Injector::record_at(const sc_core::sc_time& time, const std::string& summary, json effect) {
  // The layer the firmware was in: its last mark at or before `time`.
  json layer = nullptr;
  for (const LayerMark& m : soc_.layer_marks()) {
    if (m.time > time) break;
    const std::vector<std::string>& names = soc_.config().layer_names;
    layer = m.layer == 0xFFFFFFFFu
                ? json(nullptr)
                : json{{"index", m.layer},
                       {"name", m.layer < names.size() ? json(names[m.layer]) : json(nullptr)}};
  }
  injected_ = {{"time_ns", time / sc_core::sc_time(1, sc_core::SC_NS)},
               {"cycle", soc_.engine_cycles_at(time)},
               {"layer", layer}};
  effect_ = std::move(effect);
  effect_["summary"] = summary;
}

json Injector::to_json() const {
  const bool timed = spec_.kind == Kind::kDramFlip || spec_.kind == Kind::kStreamStall;
  return {{"spec", spec_.text},    {"kind", to_string(spec_.kind)},
          {"target", target_},     {"at", timed ? json(spec_.at.text) : json(nullptr)},
          {"injected", injected_}, {"effect", effect_}};
}

Campaign::Campaign(const sc_core::sc_module_name& name, Soc& soc, const std::vector<Spec>& specs)
    : sc_module(name), soc_(soc) {
  std::vector<DmaError*> dma_errors;
  for (Spec spec : specs) {
    if (spec.at.kind == When::Kind::kLayer) {
      const std::vector<std::string>& names = soc.config().layer_names;
      if (!spec.at.layer.empty()) {
        const auto it = std::find(names.begin(), names.end(), spec.at.layer);
        if (it == names.end()) refuse(spec, "at: no layer '" + spec.at.layer + "' in the manifest");
        spec.at.value = static_cast<std::uint64_t>(it - names.begin());
      } else if (!names.empty() && spec.at.value >= names.size()) {
        refuse(spec, "at: layer " + std::to_string(spec.at.value) + " does not exist (the network has " +
                         std::to_string(names.size()) + " layers, 0.." + std::to_string(names.size() - 1) +
                         ")");
      }
    }
    switch (spec.kind) {
      case Kind::kDramFlip:
        injectors_.push_back(std::make_unique<DramFlip>(soc, spec));
        timed_.push_back(injectors_.back().get());
        break;
      case Kind::kStreamStall:
        injectors_.push_back(std::make_unique<StreamStall>(soc, spec));
        timed_.push_back(injectors_.back().get());
        break;
      case Kind::kDmaError: {
        auto injector = std::make_unique<DmaError>(soc, spec);
        dma_errors.push_back(injector.get());
        injectors_.push_back(std::move(injector));
        break;
      }
      case Kind::kIrqLost:
        injectors_.push_back(std::make_unique<IrqLost>(soc, spec));
        break;
    }
  }
  if (!dma_errors.empty())
    soc.dram().inject_access_faults([dma_errors](const tlm::tlm_generic_payload& trans) {
      for (DmaError* e : dma_errors)
        if (const tlm::tlm_response_status s = e->respond(trans); s != tlm::TLM_OK_RESPONSE) return s;
      return tlm::TLM_OK_RESPONSE;
    });
  if (timed_.empty()) return;
  soc.on_layer([this](const LayerMark& m) {
    layers_marked_.insert(m.layer);
    layer_marked_.notify(sc_core::SC_ZERO_TIME);
  });
  SC_THREAD(run_timed);
}

bool Campaign::due(const Injector& injector) const {
  const When& at = injector.spec().at;
  switch (at.kind) {
    case When::Kind::kStart:
      return true;
    case When::Kind::kCycle:
      return soc_.engine_cycles_at(sc_core::sc_time_stamp()) >= at.value;
    case When::Kind::kLayer:
      return layers_marked_.count(at.value) != 0;
    case When::Kind::kTile:
      return soc_.engine().tiles_completed() >= at.value;
  }
  return false;
}

void Campaign::run_timed() {
  std::vector<Release> releases;
  for (;;) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    for (auto it = releases.begin(); it != releases.end();) {
      if (it->at > now) {
        ++it;
        continue;
      }
      it->channel->release();
      it = releases.erase(it);
    }
    for (auto it = timed_.begin(); it != timed_.end();) {
      if (!due(**it)) {
        ++it;
        continue;
      }
      (*it)->act(releases);
      it = timed_.erase(it);
    }
    if (timed_.empty() && releases.empty()) return;
    // Wake at the next cycle trigger or stall end, a layer mark, or (tile triggers) an output beat.
    sc_core::sc_event_or_list events;
    events |= layer_marked_;
    bool tiles = false;
    sc_core::sc_time next = sc_core::SC_ZERO_TIME;
    const auto sooner = [&next](const sc_core::sc_time& t) {
      if (next == sc_core::SC_ZERO_TIME || t < next) next = t;
    };
    for (const Release& r : releases) sooner(r.at);
    for (const Injector* injector : timed_) {
      const When& at = injector->spec().at;
      if (at.kind == When::Kind::kCycle) sooner(soc_.engine_period() * static_cast<double>(at.value));
      tiles = tiles || at.kind == When::Kind::kTile;
    }
    if (tiles) events |= soc_.stream('y').data_written_event();
    if (next != sc_core::SC_ZERO_TIME)
      sc_core::wait(next - now, events);
    else
      sc_core::wait(events);
  }
}

json Campaign::to_json() const {
  json list = json::array();
  for (const auto& injector : injectors_) {
    injector->settle();
    list.push_back(injector->to_json());
  }
  return list;
}

}  // namespace dnnvp::faults
