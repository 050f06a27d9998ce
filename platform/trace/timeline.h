// A run's timeline as data (tracks of slices, counter series) and its two renderings: Chrome trace-event
// JSON (Perfetto, chrome://tracing) and a static SVG. docs/debugging.md, "Traces and a timeline".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dnnvp::trace {

struct Slice {
  std::string name;
  double start_ns = 0, duration_ns = 0;
  nlohmann::json args = nlohmann::json::object();
};

// One lane: its slices do not overlap (each starts at or after the previous one's start).
struct Track {
  std::string name;
  std::vector<Slice> slices;
};

struct CounterPoint {
  double time_ns = 0;
  nlohmann::json values;  // series name -> number
};

struct Counter {
  std::string name;  // with its unit: "DRAM bandwidth (GB/s)"
  std::vector<CounterPoint> points;
};

struct Timeline {
  std::string title;
  std::vector<Track> tracks;
  std::vector<Counter> counters;
  double end_ns = 0;
  std::string layer_track;  // the track whose slice names label the SVG's time axis
};

// Trace-event JSON (the "JSON Object Format": {"traceEvents": [...], "displayTimeUnit": "ns"}): one
// process, a thread per track named by M events (thread_name, thread_sort_index in track order), an X
// event per slice (ts and dur in microseconds), a C event per counter point. Each track's events are in
// time order.
nlohmann::json trace_events(const Timeline& timeline);

// The same as a static SVG picture: a lane per track (<g class="lane" data-track="NAME">) and per counter
// (<g class="counter" data-counter="NAME">), a time axis, the layer track's names over the lanes.
std::string svg(const Timeline& timeline);

}  // namespace dnnvp::trace
