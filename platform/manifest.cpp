#include "manifest.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.h"

namespace dnnvp {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Walks the document; every access names its key path ("layers[3].engine.tiles") in errors.
class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(source_ + ": " + key + ": " + what);
  }

  static std::string describe(const json& v) {
    const std::string text = v.dump();
    if (text.size() <= 40) return std::string(v.type_name()) + " " + text;
    std::size_t cut = 40;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;  // whole UTF-8 characters
    return std::string(v.type_name()) + " " + text.substr(0, cut) + "...";
  }

  const json& at(const json& object, const std::string& parent, const std::string& key) const {
    const std::string path = parent.empty() ? key : parent + "." + key;
    if (!object.is_object()) fail(parent, "expected an object, got " + describe(object));
    const auto it = object.find(key);
    if (it == object.end()) fail(path, "missing");
    return *it;
  }

  const json& object(const json& o, const std::string& parent, const std::string& key) const {
    const json& v = at(o, parent, key);
    if (!v.is_object()) fail(join(parent, key), "expected an object, got " + describe(v));
    return v;
  }
  const json& array(const json& o, const std::string& parent, const std::string& key) const {
    const json& v = at(o, parent, key);
    if (!v.is_array()) fail(join(parent, key), "expected an array, got " + describe(v));
    return v;
  }
  std::uint64_t unsigned_int(const json& o, const std::string& parent, const std::string& key) const {
    const json& v = at(o, parent, key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      fail(join(parent, key), "expected an unsigned integer, got " + describe(v));
    return v.get<std::uint64_t>();
  }
  double number(const json& o, const std::string& parent, const std::string& key) const {
    const json& v = at(o, parent, key);
    if (!v.is_number()) fail(join(parent, key), "expected a number, got " + describe(v));
    return v.get<double>();
  }
  const std::string& string(const json& o, const std::string& parent, const std::string& key) const {
    const json& v = at(o, parent, key);
    if (!v.is_string()) fail(join(parent, key), "expected a string, got " + describe(v));
    return v.get_ref<const std::string&>();
  }
  bool boolean(const json& o, const std::string& parent, const std::string& key) const {
    const json& v = at(o, parent, key);
    if (!v.is_boolean()) fail(join(parent, key), "expected true or false, got " + describe(v));
    return v.get<bool>();
  }

  static std::string join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }
  static std::string item(const std::string& array, std::size_t i) {
    return array + "[" + std::to_string(i) + "]";
  }

 private:
  std::string source_;
};

void check_hardware(const Checker& c, const json& m) {
  const json& hw = c.object(m, "", "hardware");
  for (const char* k :
       {"rows", "cols", "stream_bits", "activation_bits", "weight_bits", "accumulator_bits",
        "accumulator_depth", "input_buffer_bytes", "weight_buffer_bytes", "output_buffer_bytes"})
    c.unsigned_int(hw, "hardware", k);
  c.number(hw, "hardware", "clock_mhz");
  c.number(hw, "hardware", "cpu_mhz");
  const json& d = c.object(hw, "hardware", "dram");
  c.string(d, "hardware.dram", "preset");
  c.unsigned_int(d, "hardware.dram", "base");
  c.unsigned_int(d, "hardware.dram", "size_mib");
  const json& run = c.object(hw, "hardware", "run");
  for (const char* k : {"max_cycles", "watchdog_cycles", "stall_seed"})
    c.unsigned_int(run, "hardware.run", k);
  c.number(run, "hardware.run", "stall_probability");
}

// The keys report.json reads per layer and from the totals.
void check_layers(const Checker& c, const json& m) {
  const json& layers = c.array(m, "", "layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string p = Checker::item("layers", i);
    const json& l = layers[i];
    c.string(l, p, "name");
    const std::string& type = c.string(l, p, "type");
    c.unsigned_int(l, p, "macs");
    if (type == "conv" || type == "dense") {
      const json& e = c.object(l, p, "engine");
      const std::string pe = p + ".engine";
      c.unsigned_int(e, pe, "tiles");
      c.unsigned_int(e, pe, "issue_cycles");
      c.number(e, pe, "utilisation_bound");
      c.unsigned_int(c.object(e, pe, "dram_bytes"), pe + ".dram_bytes", "lower_bound");
    }
  }
  const json& t = c.object(m, "", "totals");
  c.unsigned_int(t, "totals", "macs");
  const json& e = c.object(t, "totals", "engine");
  c.number(e, "totals.engine", "utilisation_bound");
  c.number(e, "totals.engine", "conv_utilisation_bound");
  c.unsigned_int(c.object(e, "totals.engine", "dram_bytes"), "totals.engine.dram_bytes", "lower_bound");
}

}  // namespace

Manifest parse_manifest(const std::string& text, const std::string& source) {
  Manifest r;
  r.source = source;
  try {
    r.json = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(source + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const json::out_of_range&) {  // a number beyond double's range, e.g. 1E400 (found by fuzzing)
    throw Error(source + ": not valid JSON (a number out of range)");
  }
  const Checker c(source);
  const json& m = r.json;
  if (!m.is_object()) c.fail("(document)", "expected an object, got " + Checker::describe(m));
  c.object(m, "", "scenario");
  c.string(m.at("scenario"), "scenario", "name");
  c.object(m, "", "network");
  check_hardware(c, m);
  check_layers(c, m);

  const json& files = c.object(m, "", "files");
  for (const auto& [name, bytes] : files.items()) {
    const std::string key = "files.\"" + name + "\"";
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      c.fail(key, "expected a plain file name in the manifest's directory");
    if (!bytes.is_number_unsigned() && !(bytes.is_number_integer() && bytes.get<std::int64_t>() >= 0))
      c.fail(key, "expected an unsigned integer, got " + Checker::describe(bytes));
  }
  const json& image = c.array(m, "", "dram_image");
  bool have_expected = false;
  for (std::size_t i = 0; i < image.size(); ++i) {
    const std::string p = Checker::item("dram_image", i);
    ManifestBlock b;
    b.file = c.string(image[i], p, "file");
    b.addr = c.unsigned_int(image[i], p, "addr");
    b.bytes = c.unsigned_int(image[i], p, "bytes");
    const auto listed = files.find(b.file);
    if (listed == files.end()) c.fail(p + ".file", "\"" + b.file + "\" is not listed in files");
    if (listed->get<std::uint64_t>() != b.bytes)
      c.fail(p + ".bytes", std::to_string(b.bytes) + ", but files.\"" + b.file + "\" says " +
                               std::to_string(listed->get<std::uint64_t>()));
    if (b.file == "expected.bin") r.expected = b, have_expected = true;
    r.dram_image.push_back(std::move(b));
  }
  if (!have_expected) c.fail("dram_image", "has no expected.bin");

  const json& result = c.object(m, "", "result");
  r.result_addr = c.unsigned_int(result, "result", "addr");
  r.result_bytes = c.unsigned_int(result, "result", "bytes");
  r.result_elements = c.unsigned_int(result, "result", "elements");
  const json& q = c.object(c.object(m, "", "output"), "output", "quant");
  const std::uint64_t bits = c.unsigned_int(q, "output.quant", "bits");
  if (bits < 1 || bits > 8) c.fail("output.quant.bits", "must be 1..8, got " + std::to_string(bits));
  r.output_bits = static_cast<int>(bits);
  r.output_signed = c.boolean(q, "output.quant", "signed");
  const std::uint64_t per_byte = bits <= 4 ? 2 : 1;  // report.cpp's packing: 4-bit and narrower, two a byte
  const std::uint64_t needed = (r.result_elements + per_byte - 1) / per_byte;
  if (r.result_bytes < needed)
    c.fail("result.bytes", std::to_string(r.result_bytes) + " bytes cannot hold " +
                               std::to_string(r.result_elements) + " elements of " + std::to_string(bits) +
                               " bits");
  if (r.expected.bytes < needed)
    c.fail("dram_image", "expected.bin has " + std::to_string(r.expected.bytes) + " bytes, fewer than the " +
                             std::to_string(needed) + " the result needs");
  return r;
}

Manifest read_manifest_dir(const std::string& dir) {
  const std::string path = (fs::path(dir) / "manifest.json").string();
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open (run vp_gen SCENARIO -o DIR first)");
  std::ostringstream text;
  text << f.rdbuf();
  Manifest m = parse_manifest(text.str(), path);
  for (const auto& [name, bytes] : m.json.at("files").items()) {
    const fs::path file = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      throw Error(file.string() + ": missing (manifest.json lists it in files; re-run vp_gen)");
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec || size != bytes.get<std::uint64_t>())
      throw Error(file.string() + ": " + std::to_string(size) + " bytes, but manifest.json files.\"" + name +
                  "\" says " + std::to_string(bytes.get<std::uint64_t>()) +
                  " (truncated or replaced; re-run vp_gen)");
  }
  return m;
}

}  // namespace dnnvp
