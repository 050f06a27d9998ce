// What a run's traces record, hooked into the SoC's observation points (docs/debugging.md, "Traces and a
// timeline"):
//   --trace-bus FILE   every MMIO access and every DMA buffer moved, one line each (format in the docs)
//   --timeline FILE    the run's timeline as trace-event JSON (timeline.h)
//   --timeline-svg FILE  the same as an SVG picture
//   layer dumps        with DIR/layers/*_output.npy (vp_gen --dump-layers), each layer's output in DRAM is
//                      compared with its dump as the layer finishes: the first diverging layer, tile and
//                      output coordinate.
// Nothing is hooked that is not asked for: without these, the models' observers stay null.
//
//   trace::Recorder recorder(soc, manifest, options);   // after the Soc, before Soc::run()
//   soc.run();
//   recorder.finish();                                  // writes the files
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "manifest.h"
#include "timeline.h"

namespace dnnvp {
class Soc;
struct BusAccess;
struct AxiDmaTransfer;
}  // namespace dnnvp

namespace dnnvp::trace {

struct Options {
  std::string bus_file;                  // --trace-bus
  std::vector<std::string> bus_regions;  // --trace-bus-filter: these regions only (empty: all)
  std::string timeline_file;             // --timeline
  std::string svg_file;                  // --timeline-svg
  std::string dump_dir;                  // the layer dumps (DIR/layers); used when it holds them
};

// The first output element of the run that differs from the golden model's layer dumps.
struct Divergence {
  std::string layer;
  std::uint64_t layer_index = 0;
  std::uint64_t tile = 0;             // the engine tile that wrote it (engine layers)
  std::uint64_t y = 0, x = 0, c = 0;  // output coordinate
  std::int64_t got = 0, expected = 0;
  std::uint64_t mismatches = 0;  // of the layer's elements
  double time_ns = 0;            // when the layer finished
  nlohmann::json to_json() const;
  // "layer conv2 (index 1), tile 3, output (y 2, x 5, c 7): 12, expected 13 (4 of 1024 elements differ)"
  std::string describe() const;
};

class Recorder : private EngineObserver {
 public:
  // Hooks what `options` ask for into `soc` (before its run); `manifest` names the layers and, with
  // dumps, gives their outputs' places. Throws std::invalid_argument for a file that cannot be written.
  Recorder(Soc& soc, const Manifest& manifest, Options options);
  ~Recorder() override;
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // After the run: writes the bus trace and the timeline files. Throws std::runtime_error if one cannot
  // be written.
  void finish();
  // The timeline of the run so far.
  Timeline timeline() const;
  // With layer dumps: the first diverging layer (none: every checked layer matched).
  const std::optional<Divergence>& divergence() const { return divergence_; }
  // The layers compared with their dumps so far.
  std::uint64_t layers_checked() const { return layers_checked_; }

 private:
  struct BusLine {
    double time_ns;
    std::string text;
  };
  struct Transfer {
    int channel;  // index into channel_names_
    std::uint64_t address, bytes;
    double start_ns, end_ns;
    std::optional<std::uint64_t> descriptor;
  };
  struct Packet {
    std::uint64_t first = 0, last = 0, beats = 0;
  };

  void beat(char stream, bool last, std::uint64_t cycle) override;
  void issue(std::uint64_t cycle) override;
  void tile_activity(std::uint64_t cycle);
  void on_access(const BusAccess& a);
  void flush_bus_lines(bool all);  // writes the lines in time order (all: also while a DMA is busy)
  void on_transfer(const AxiDmaTransfer& t);
  void on_layer(std::uint32_t layer, double time_ns);
  void check_layer(std::size_t index, double time_ns);
  double cycle_ns(std::uint64_t cycle) const;

  Soc& soc_;
  const Manifest& manifest_;
  Options options_;
  std::ofstream bus_out_;
  std::vector<BusLine> bus_lines_;  // not yet written
  std::vector<std::string> channel_names_;
  std::vector<Transfer> transfers_;
  std::vector<std::pair<double, std::uint32_t>> pc_samples_;  // (CPU time, PC) at batch boundaries
  // Engine: each stream's packets (x, w, r, y) and the one in progress, issue runs [first, last], tiles.
  std::vector<Packet> packets_[4];
  std::optional<Packet> open_packet_[4];
  std::vector<std::pair<std::uint64_t, std::uint64_t>> issue_runs_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tiles_;
  std::optional<std::uint64_t> tile_start_;
  // Layer dumps.
  bool check_dumps_ = false;
  std::optional<std::uint32_t> running_layer_;  // the layer the last mark started
  std::vector<bool> checked_;                   // per layer: compared (the first image only)
  std::uint64_t layers_checked_ = 0;
  std::optional<Divergence> divergence_;
};

}  // namespace dnnvp::trace
