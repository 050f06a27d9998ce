// The faults of one run (docs/debugging.md, "Fault injection"), armed by the SoC when SocConfig::faults
// is not empty: one injector per fault, each of the kind its spec names (fault_spec.h), behind one small
// interface. Without faults nothing of this exists, and the models' hooks cost a null check each.
//
//   dram_flip     flips bits of the DRAM's backing store at its time (what every reader sees from then on)
//   stream_stall  holds an engine stream's beats back from their consumer (AxisChannel::hold_until)
//   dma_error     answers the first DRAM access of a DMA channel's Nth transfer with an error response
//                 (Dram::inject_access_faults), which the DMA turns into DMASR's error bits
//   irq_lost      has the interrupt controller lose the Nth raise of a source's line (IrqCtrl::drop)
//
// Timed faults (at=...) act in one SystemC thread that wakes at the next cycle trigger, at a layer mark
// (Soc::on_layer) or, for tile triggers, at every output beat.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "fault_spec.h"

namespace dnnvp {
class AxisChannel;
class Soc;
}  // namespace dnnvp

namespace dnnvp::faults {

class Injector {
 public:
  virtual ~Injector() = default;
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;

  const Spec& spec() const { return spec_; }
  bool injected() const { return !injected_.is_null(); }
  // report.json's entry: spec, kind, target, at, injected (time_ns, cycle, layer; null while it has not
  // acted) and effect.
  nlohmann::json to_json() const;
  // A stream to wake when its stall ends.
  struct Release {
    sc_core::sc_time at;
    AxisChannel* channel;
  };
  // Timed kinds act here when their trigger comes, adding the streams they hold (the DMA error acts from
  // its DRAM hook instead).
  virtual void act(std::vector<Release>& releases) { static_cast<void>(releases); }
  // Kinds that act inside a model read back here what happened, before the report.
  virtual void settle() {}

 protected:
  Injector(Soc& soc, Spec spec, std::string target);
  // Records the moment it acted (now, or `time`) and what it did (`summary`: one line for the console).
  void record(const std::string& summary, nlohmann::json effect);
  void record_at(const sc_core::sc_time& time, const std::string& summary, nlohmann::json effect);
  Soc& soc_;

 private:
  Spec spec_;
  std::string target_;
  nlohmann::json injected_ = nullptr, effect_ = nullptr;
};

class Campaign : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Campaign);
  // Checks every spec against the platform (addresses in DRAM, layer names, DMA channels) and arms it;
  // throws std::invalid_argument naming the spec and the problem.
  Campaign(const sc_core::sc_module_name& name, Soc& soc, const std::vector<Spec>& specs);

  // report.json's "faults" list, in the order given.
  nlohmann::json to_json() const;
  const std::vector<std::unique_ptr<Injector>>& injectors() const { return injectors_; }

 private:
  using Release = Injector::Release;
  void run_timed();  // the thread of the timed faults
  bool due(const Injector& injector) const;

  Soc& soc_;
  std::vector<std::unique_ptr<Injector>> injectors_;
  std::vector<Injector*> timed_;  // not yet acted
  std::set<std::uint64_t> layers_marked_;
  sc_core::sc_event layer_marked_;
};

}  // namespace dnnvp::faults
