#include "soak_scenario.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "emit.h"
#include "engine_plan.h"
#include "rng.h"
#include "run_options.h"

namespace dnnvp::soak {

namespace {

// Networks stay small so that one run takes seconds (docs/soak.md).
constexpr std::int64_t kMaxMacs = 1'500'000;
constexpr std::int64_t kMaxEngineCyclesEstimate = 2'000'000;  // MACs / PEs over the whole network
constexpr int kMaxDim = 20;                                   // input height and width
constexpr int kMaxFlattened = 4096;                           // channels a dense layer reads
constexpr int kMaxLayers = 8;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  int range(int lo, int hi) {
    return lo + static_cast<int>(rng_.next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  // Log-uniform over powers of two 2^lo..2^hi.
  int pow2(int lo, int hi) { return 1 << range(lo, hi); }
  bool chance(double p) { return rng_.uniform() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(range(0, static_cast<int>(v.size()) - 1))];
  }
  std::uint64_t seed() { return rng_.next() >> 33; }  // 31 bits: readable in a YAML file

 private:
  Rng rng_;
};

struct Tensor {
  std::string name;
  int h = 0;
  int w = 0;
  int c = 0;
  bool same_shape(const Tensor& o) const { return h == o.h && w == o.w && c == o.c; }
};

struct Window {
  int kh = 1, kw = 1, sh = 1, sw = 1;
  int top = 0, left = 0, bottom = 0, right = 0;
  bool default_stride = false;  // stride omitted (conv: 1, pools: the kernel)
  int out_h(const Tensor& in) const { return (in.h + top + bottom - kh) / sh + 1; }
  int out_w(const Tensor& in) const { return (in.w + left + right - kw) / sw + 1; }
};

std::string pair_or_one(int a, int b) {
  return a == b ? std::to_string(a) : "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

// The window fields in each of the forms docs/scenarios.md allows.
std::string window_yaml(const Window& w, Draw& d) {
  std::string s = ", kernel: " + (w.kh == w.kw && d.chance(0.1) ? "[" + std::to_string(w.kh) + "]"
                                                                : pair_or_one(w.kh, w.kw));
  if (!w.default_stride) s += ", stride: " + pair_or_one(w.sh, w.sw);
  if (w.top == w.bottom && w.left == w.right) {
    if (w.top != 0 || w.left != 0 || d.chance(0.2)) s += ", padding: " + pair_or_one(w.top, w.left);
  } else {
    s += ", padding: [" + std::to_string(w.top) + ", " + std::to_string(w.left) + ", " +
         std::to_string(w.bottom) + ", " + std::to_string(w.right) + "]";
  }
  return s;
}

// A window that fits `in`: kernel at most the padded input, each padding smaller than its kernel.
bool draw_window(const Tensor& in, bool conv, Draw& d, Window& w) {
  const int kmax = conv ? 7 : 4;
  for (int attempt = 0; attempt < 20; ++attempt) {
    w.kh = d.range(1, kmax);
    w.kw = d.chance(0.7) ? w.kh : d.range(1, kmax);
    const int mode = d.range(0, 2);  // none, "same", random per side
    if (mode == 0) {
      w.top = w.left = w.bottom = w.right = 0;
    } else if (mode == 1) {
      w.top = w.bottom = w.kh / 2;
      w.left = w.right = w.kw / 2;
    } else {
      w.top = d.range(0, std::min(w.kh - 1, 10));
      w.bottom = d.range(0, std::min(w.kh - 1, 10));
      w.left = d.range(0, std::min(w.kw - 1, 10));
      w.right = d.range(0, std::min(w.kw - 1, 10));
    }
    if (w.kh > in.h + w.top + w.bottom || w.kw > in.w + w.left + w.right) continue;
    w.default_stride = d.chance(0.5);
    if (w.default_stride) {
      w.sh = conv ? 1 : w.kh;
      w.sw = conv ? 1 : w.kw;
    } else {
      w.sh = d.range(1, 4);
      w.sw = d.chance(0.7) ? w.sh : d.range(1, 4);
    }
    return true;
  }
  return false;
}

// The activation fields of a conv, dense or add: omitted, none, relu, or leaky_relu with or without a shift.
std::string activation_fields(Draw& d) {
  switch (d.range(0, 3)) {
    case 0:
      return "";
    case 1:
      return ", activation: none";
    case 2:
      return ", activation: relu";
    default:
      return ", activation: leaky_relu" +
             (d.chance(0.5) ? ", leaky_shift: " + std::to_string(d.range(1, 7)) : "");
  }
}

class NetworkBuilder {
 public:
  NetworkBuilder(Draw& d, const EngineShape& shape, int activation_bits, int weight_bits)
      : d_(d), shape_(shape), abits_(activation_bits), wbits_(weight_bits) {}

  void build(const Tensor& input) {
    tensors_.push_back(input);
    const int target = d_.range(1, kMaxLayers);
    for (int attempt = 0; attempt < 60 && static_cast<int>(layers_.size()) < target; ++attempt) step();
    if (layers_.empty()) add_flatten(0, false);  // every network has a layer; a flatten always fits
  }

  std::string yaml() const {
    std::string s;
    for (const std::string& l : layers_) s += "    - {" + l + "}\n";
    return s;
  }
  std::string kinds() const {
    std::string s;
    for (const std::string& k : kinds_) s += (s.empty() ? "" : ",") + k;
    return s;
  }

 private:
  const Tensor& cur() const { return tensors_.back(); }
  int cur_index() const { return static_cast<int>(tensors_.size()) - 1; }

  // The producer of the next layer: usually the previous layer, sometimes an earlier one or the input.
  int producer() {
    if (tensors_.size() > 1 && d_.chance(0.15)) return d_.range(0, cur_index());
    return cur_index();
  }

  std::string next_name(const char* prefix) {
    return std::string(prefix) + std::to_string(layers_.size() + 1);
  }

  std::string input_field(int from) const {
    return from == cur_index() ? "" : ", input: " + tensors_[static_cast<size_t>(from)].name;
  }

  // The engine plan's checks (docs/scenarios.md, hardware): one output row's input band fits an input
  // buffer half, one output pixel an output half (4-bit tiles may start mid-byte, so no width needs
  // more), and the worst-case accumulator with 2 bits of headroom for the bias (which the scenario cannot
  // bound) fits.
  bool fits_engine(const Tensor& in, int kh, int cout, std::int64_t reduction, std::int64_t macs) const {
    const EngineConfig c = engine_config(shape_, QuantConfig{});  // the half-word sizes need no widths
    if (std::int64_t{kh} * in.w * ceil_div(in.c, shape_.rows) > c.input_half_words) return false;
    if (ceil_div(cout, shape_.cols) > c.output_half_words) return false;
    const std::int64_t bound = reduction * (std::int64_t{1} << abits_) * ((1 << (wbits_ - 1)) - 1);
    int bits = 1;
    while ((std::int64_t{1} << (bits - 1)) <= bound) ++bits;
    if (bits + 2 > shape_.accumulator_bits) return false;
    const std::int64_t pes = std::int64_t{shape_.rows} * shape_.cols;
    return macs_ + macs <= kMaxMacs && (macs_ + macs) / pes <= kMaxEngineCyclesEstimate;
  }

  void push(const std::string& yaml, const std::string& kind, Tensor out, std::int64_t macs = 0) {
    layers_.push_back(yaml);
    kinds_.push_back(kind);
    macs_ += macs;
    tensors_.push_back(std::move(out));
  }

  void step() {
    const bool vector = cur().h == 1 && cur().w == 1;
    const int roll = d_.range(0, 99);
    if (vector) {
      if (roll < 45) {
        add_dense(cur_index());
      } else if (roll < 60) {
        add_conv(cur_index(), false);
      } else if (roll < 80) {
        add_residual();
      } else if (roll < 90) {
        add_flatten(producer(), true);
      } else {
        add_pool(producer());
      }
      return;
    }
    if (roll < 35) {
      add_conv(producer(), false);
    } else if (roll < 60) {
      add_pool(producer());
    } else if (roll < 80) {
      add_residual();
    } else {
      add_flatten(producer(), true);
      if (cur().c <= kMaxFlattened && d_.chance(0.7)) add_dense(cur_index());
    }
  }

  bool add_conv(int from, bool keep_shape) {
    const Tensor& in = tensors_[static_cast<size_t>(from)];
    Window w;
    if (keep_shape) {                        // odd square kernel, "same" padding, stride 1: a residual branch
      w.kh = w.kw = 2 * d_.range(0, 2) + 1;  // fits any input: the padding makes up the difference
      w.top = w.bottom = w.left = w.right = w.kh / 2;
      w.default_stride = d_.chance(0.7);
    } else if (!draw_window(in, true, d_, w)) {
      return false;
    }
    const int filters = keep_shape ? in.c : (d_.chance(0.2) ? in.c : d_.range(1, 24));
    Tensor out{next_name(keep_shape ? "res" : "conv"), w.out_h(in), w.out_w(in), filters};
    const std::int64_t reduction = std::int64_t{w.kh} * w.kw * in.c;
    const std::int64_t macs = reduction * filters * out.h * out.w;
    if (!fits_engine(in, w.kh, filters, reduction, macs)) return false;
    std::string y = "name: " + out.name + ", type: conv" + input_field(from) +
                    ", filters: " + std::to_string(filters) + window_yaml(w, d_);
    if (d_.chance(0.3)) y += ", bias: true";
    if (d_.chance(0.4)) y += ", bn: true";
    y += activation_fields(d_);
    push(y, "conv" + std::to_string(w.kh) + "x" + std::to_string(w.kw), out, macs);
    return true;
  }

  bool add_dense(int from) {
    const Tensor& in = tensors_[static_cast<size_t>(from)];
    if (in.h != 1 || in.w != 1) return false;
    const int units = d_.range(1, 24);
    const std::int64_t macs = std::int64_t{in.c} * units;
    if (!fits_engine(in, 1, units, in.c, macs)) return false;
    Tensor out{next_name("fc"), 1, 1, units};
    std::string y =
        "name: " + out.name + ", type: dense" + input_field(from) + ", units: " + std::to_string(units);
    if (d_.chance(0.5)) y += ", bias: true";
    if (d_.chance(0.2)) y += ", bn: true";
    y += activation_fields(d_);
    push(y, "dense", out, macs);
    return true;
  }

  bool add_pool(int from) {
    const Tensor& in = tensors_[static_cast<size_t>(from)];
    const bool max = d_.chance(0.5);
    const std::string type = max ? "maxpool" : "avgpool";
    Tensor out{next_name(max ? "max" : "avg"), 1, 1, in.c};
    if (d_.chance(0.25)) {
      push("name: " + out.name + ", type: " + type + input_field(from) + ", global: true", type + "(global)",
           out);
      return true;
    }
    Window w;
    if (!draw_window(in, false, d_, w)) return false;
    out.h = w.out_h(in);
    out.w = w.out_w(in);
    push("name: " + out.name + ", type: " + type + input_field(from) + window_yaml(w, d_), type, out);
    return true;
  }

  bool add_flatten(int from, bool explicit_input) {
    const Tensor& in = tensors_[static_cast<size_t>(from)];
    Tensor out{next_name("flat"), 1, 1, in.h * in.w * in.c};
    push("name: " + out.name + ", type: flatten" + (explicit_input ? input_field(from) : ""), "flatten", out);
    return true;
  }

  // An add of the current tensor and an earlier one of the same shape (the network input included), or
  // else a shape-keeping conv branch and its shortcut.
  bool add_residual() {
    std::vector<int> partners;
    for (int i = 0; i < cur_index(); ++i)
      if (tensors_[static_cast<size_t>(i)].same_shape(cur())) partners.push_back(i);
    int a = cur_index();
    int b = 0;
    if (!partners.empty() && d_.chance(0.5)) {
      b = d_.pick(partners);
    } else {
      const int shortcut = cur_index();
      if (!add_conv(shortcut, true)) return false;
      a = cur_index();
      b = shortcut;
    }
    if (d_.chance(0.5)) std::swap(a, b);
    const Tensor& in = tensors_[static_cast<size_t>(a)];
    Tensor out{next_name("add"), in.h, in.w, in.c};
    push("name: " + out.name + ", type: add, inputs: [" + tensors_[static_cast<size_t>(a)].name + ", " +
             tensors_[static_cast<size_t>(b)].name + "]" + activation_fields(d_),
         a == 0 || b == 0 ? "add(input)" : "add", out);
    return true;
  }

  Draw& d_;
  const EngineShape& shape_;
  int abits_;
  int wbits_;
  std::vector<Tensor> tensors_;  // [0]: the network input
  std::vector<std::string> layers_;
  std::vector<std::string> kinds_;
  std::int64_t macs_ = 0;
};

// A quantised width: the engine's (at most 8) often, otherwise any of 2..that.
int draw_bits(Draw& d, int engine_bits) {
  const int top = std::min(8, engine_bits);
  return d.chance(0.35) ? top : d.range(2, top);
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  std::string s = buf;
  return s.find('.') == std::string::npos ? s + ".0" : s;
}

}  // namespace

std::string shape_key(const EngineShape& shape) {
  return engine_model_key(engine_shape_json(shape), false);
}

std::vector<EngineShape> prebuilt_shapes(const std::string& source_dir) {
  return {load_scenario(source_dir + "/scenarios/tiny_cnn.yaml").hardware, HardwareConfig{}};
}

std::vector<EngineShape> random_shapes(std::uint64_t seed, int count) {
  std::vector<EngineShape> shapes;
  for (int i = 0; i < count; ++i) {
    Draw d(Rng::derive(seed, static_cast<std::uint64_t>(i)));
    EngineShape s;
    s.rows = d.chance(0.3) ? d.range(1, 4) : d.range(1, 16);
    s.cols = d.chance(0.3) ? d.range(1, 8) : d.range(1, 32);
    auto bits = [&d] { return d.chance(0.5) ? 8 : (d.chance(0.6) ? d.range(2, 7) : d.range(9, 16)); };
    s.activation_bits = bits();
    s.weight_bits = bits();
    s.accumulator_bits = d.chance(0.6) ? 32 : d.range(24, 31);
    s.stream_bits = d.pow2(3, 10);
    s.input_buffer_kib = d.pow2(2, 8);
    s.weight_buffer_kib = d.pow2(0, 4);
    s.output_buffer_kib = d.pow2(0, 6);
    s.accumulator_depth = d.pow2(2, 10);
    shapes.push_back(s);
  }
  return shapes;
}

RandomScenario random_scenario(std::uint64_t seed, const EngineShape& shape) {
  Draw d(Rng::derive(seed, 0));
  RandomScenario r;
  r.seed = seed;
  r.shape = shape;

  const int abits = draw_bits(d, shape.activation_bits);
  const int wbits = draw_bits(d, shape.weight_bits);
  const bool is_signed = d.chance(0.5);
  Tensor input{"input", 1, 1, 1};
  if (d.chance(0.15)) {
    input.c = d.range(1, 64);  // a vector, as an MLP reads
  } else {
    input.h = d.range(1, kMaxDim);
    input.w = d.chance(0.7) ? input.h : d.range(1, kMaxDim);
    input.c = d.range(1, 16);
  }
  NetworkBuilder net(d, shape, abits, wbits);
  net.build(input);

  const std::vector<std::string> requant = {"per_channel", "per_tensor", "power_of_two"};
  const std::string requant_mode = d.pick(requant);
  const std::uint64_t stall_seed = d.chance(0.5) ? 0 : d.seed() + 1;
  std::ostringstream summary;
  summary << net.kinds() << " on " << input.h << "x" << input.w << "x" << input.c
          << (is_signed ? " signed" : " unsigned") << ", a" << abits << " w" << wbits << " " << requant_mode
          << ", engine " << shape_key(shape) << (stall_seed ? ", stalls" : "");
  r.summary = summary.str();

  std::ostringstream y;
  y << "# vp_soak scenario, seed " << seed << " (docs/soak.md)\n"
    << "name: soak_" << seed << "\n"
    << "description: \"" << r.summary << "\"\n"
    << "input:\n"
    << "  shape: [" << input.h << ", " << input.w << ", " << input.c << "]\n"
    << "  seed: " << d.seed() << "\n"
    << "  signed: " << (is_signed ? "true" : "false") << "\n"
    << "network:\n"
    << "  layers:\n"
    << net.yaml() << "quantization:\n"
    << "  activation_bits: " << abits << "\n"
    << "  weight_bits: " << wbits << "\n"
    << "  requant: " << requant_mode << "\n";
  if (d.chance(0.5))
    y << "  calibration_percentile: " << number(d.pick(std::vector<double>{50, 90, 99.5, 100})) << "\n";
  y << "  weight_seed: " << d.seed() << "\n"
    << "hardware:\n"
    << "  rows: " << shape.rows << "\n"
    << "  cols: " << shape.cols << "\n"
    << "  activation_bits: " << shape.activation_bits << "\n"
    << "  weight_bits: " << shape.weight_bits << "\n"
    << "  accumulator_bits: " << shape.accumulator_bits << "\n"
    << "  stream_bits: " << shape.stream_bits << "\n"
    << "  input_buffer_kib: " << shape.input_buffer_kib << "\n"
    << "  weight_buffer_kib: " << shape.weight_buffer_kib << "\n"
    << "  output_buffer_kib: " << shape.output_buffer_kib << "\n"
    << "  accumulator_depth: " << shape.accumulator_depth << "\n"
    << "  clock_mhz: " << number(d.pick(std::vector<double>{100, 250, 400})) << "\n"
    << "  cpu_mhz: " << number(d.pick(std::vector<double>{500, 1000, 2000})) << "\n"
    << "dram:\n"
    << "  preset: " << d.pick(std::vector<std::string>{"ddr4-2400", "lpddr4-3200"}) << "\n"
    << "run:\n"
    << "  stall_seed: " << stall_seed << "\n";
  if (stall_seed) y << "  stall_probability: " << number(d.pick(std::vector<double>{0.1, 0.25, 0.5})) << "\n";
  r.yaml = y.str();
  return r;
}

}  // namespace dnnvp::soak
