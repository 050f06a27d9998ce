#include "timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace dnnvp::trace {
namespace {

constexpr int kPid = 1;

double us(double ns) {
  return ns / 1000.0;
}

// Text for XML character data and attribute values.
std::string xml_escape(const std::string& s) {
  std::string o;
  for (const char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A 1, 2 or 5 times a power of ten near span / 8: the axis ticks.
double tick_step(double span) {
  const double raw = std::max(span, 1.0) / 8.0;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) return m * p;
  return 10.0 * p;
}

std::string time_label(double ns) {
  if (ns >= 1e6) return fixed(ns / 1e6, ns >= 1e7 ? 0 : 1) + " ms";
  if (ns >= 1e3) return fixed(ns / 1e3, ns >= 1e4 ? 0 : 1) + " us";
  return fixed(ns, 0) + " ns";
}

}  // namespace

nlohmann::json trace_events(const Timeline& t) {
  using nlohmann::json;
  json events = json::array();
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", kPid}, {"tid", 0}, {"args", {{"name", t.title}}}});
  for (std::size_t i = 0; i < t.tracks.size(); ++i) {
    const int tid = static_cast<int>(i) + 1;
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", kPid},
                      {"tid", tid},
                      {"args", {{"name", t.tracks[i].name}}}});
    events.push_back({{"name", "thread_sort_index"},
                      {"ph", "M"},
                      {"pid", kPid},
                      {"tid", tid},
                      {"args", {{"sort_index", tid}}}});
  }
  for (std::size_t i = 0; i < t.tracks.size(); ++i) {
    std::vector<const Slice*> order;
    for (const Slice& s : t.tracks[i].slices) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(),
                     [](const Slice* a, const Slice* b) { return a->start_ns < b->start_ns; });
    for (const Slice* s : order)
      events.push_back({{"name", s->name},
                        {"cat", t.tracks[i].name},
                        {"ph", "X"},
                        {"pid", kPid},
                        {"tid", static_cast<int>(i) + 1},
                        {"ts", us(s->start_ns)},
                        {"dur", us(std::max(0.0, s->duration_ns))},
                        {"args", s->args}});
  }
  for (const Counter& c : t.counters)
    for (const CounterPoint& p : c.points)
      events.push_back({{"name", c.name},
                        {"ph", "C"},
                        {"pid", kPid},
                        {"tid", 0},
                        {"ts", us(p.time_ns)},
                        {"args", p.values}});
  return {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
}

std::string svg(const Timeline& t) {
  constexpr double kLabelWidth = 190, kPlotWidth = 1200, kLane = 18, kCounterLane = 40, kTop = 44, kGap = 4;
  static const char* const kColours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  const double end = std::max(t.end_ns, 1.0);
  const auto x = [&](double ns) { return kLabelWidth + kPlotWidth * std::clamp(ns / end, 0.0, 1.0); };
  const double height = kTop + static_cast<double>(t.tracks.size()) * (kLane + kGap) +
                        static_cast<double>(t.counters.size()) * (kCounterLane + kGap) + 30;
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << fixed(kLabelWidth + kPlotWidth + 50, 0)
    << "\" height=\"" << fixed(height, 0) << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"4\" y=\"14\" font-size=\"13\">" << xml_escape(t.title) << "</text>\n";

  // The time axis, along the top, with a grid line per tick.
  const double step = tick_step(end);
  o << "<g class=\"axis\">\n";
  for (double ns = 0; ns <= end + step / 2; ns += step)
    o << "<line x1=\"" << fixed(x(ns), 1) << "\" y1=\"" << kTop - 6 << "\" x2=\"" << fixed(x(ns), 1)
      << "\" y2=\"" << fixed(height - 30, 0) << "\" stroke=\"#ddd\"/><text x=\"" << fixed(x(ns) + 2, 1)
      << "\" y=\"" << kTop - 8 << "\">" << time_label(ns) << "</text>\n";
  o << "</g>\n";

  double y = kTop;
  for (std::size_t i = 0; i < t.tracks.size(); ++i) {
    const Track& track = t.tracks[i];
    const bool layers = track.name == t.layer_track;
    o << "<g class=\"lane\" data-track=\"" << xml_escape(track.name) << "\">\n<text x=\"4\" y=\""
      << fixed(y + kLane - 5, 1) << "\">" << xml_escape(track.name) << "</text>\n";
    const char* colour = kColours[i % (sizeof kColours / sizeof *kColours)];
    for (std::size_t k = 0; k < track.slices.size(); ++k) {
      const Slice& s = track.slices[k];
      const double x0 = x(s.start_ns), w = std::max(0.5, x(s.start_ns + s.duration_ns) - x0);
      o << "<rect x=\"" << fixed(x0, 2) << "\" y=\"" << fixed(y, 1) << "\" width=\"" << fixed(w, 2)
        << "\" height=\"" << kLane << "\" fill=\"" << colour << (k % 2 ? "\" fill-opacity=\"0.6" : "")
        << "\"><title>" << xml_escape(s.name) << " (" << time_label(s.start_ns) << ", "
        << time_label(s.duration_ns) << ")</title></rect>\n";
      // Layer names stand in their slices (clipped to the slice by a nested svg).
      if (layers)
        o << "<svg x=\"" << fixed(x0, 2) << "\" y=\"" << fixed(y, 1) << "\" width=\"" << fixed(w, 2)
          << "\" height=\"" << kLane << "\"><text x=\"2\" y=\"" << kLane - 5 << "\" fill=\"black\">"
          << xml_escape(s.name) << "</text></svg>\n";
    }
    o << "</g>\n";
    y += kLane + kGap;
  }
  for (const Counter& c : t.counters) {
    double peak = 0;
    for (const CounterPoint& p : c.points)
      for (const auto& [name, v] : p.values.items()) peak = std::max(peak, v.get<double>());
    o << "<g class=\"counter\" data-counter=\"" << xml_escape(c.name) << "\">\n<text x=\"4\" y=\""
      << fixed(y + 14, 1) << "\">" << xml_escape(c.name) << "</text><text x=\"4\" y=\"" << fixed(y + 28, 1)
      << "\" fill=\"#666\">peak " << fixed(peak, 2) << "</text>\n";
    // Each series a step line: value held from its point to the next.
    std::vector<std::string> series;
    for (const CounterPoint& p : c.points)
      for (const auto& [name, v] : p.values.items())
        if (std::find(series.begin(), series.end(), name) == series.end()) series.push_back(name);
    for (std::size_t k = 0; k < series.size(); ++k) {
      o << "<polyline fill=\"none\" stroke=\"" << kColours[k % (sizeof kColours / sizeof *kColours)]
        << "\" points=\"";
      double last_y = y + kCounterLane;
      for (const CounterPoint& p : c.points) {
        const double v = p.values.value(series[k], 0.0);
        const double py = y + kCounterLane - (peak > 0 ? kCounterLane * v / peak : 0);
        o << fixed(x(p.time_ns), 2) << "," << fixed(last_y, 2) << " " << fixed(x(p.time_ns), 2) << ","
          << fixed(py, 2) << " ";
        last_y = py;
      }
      o << fixed(x(end), 2) << "," << fixed(last_y, 2) << "\"><title>" << xml_escape(series[k])
        << "</title></polyline>\n";
    }
    o << "</g>\n";
    y += kCounterLane + kGap;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace dnnvp::trace
