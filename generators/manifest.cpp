#include "manifest.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

#include "dnnvp_model_types.h"

namespace dnnvp {
namespace manifest {
namespace {

using nlohmann::json;

// A value for a message: its type and its text, at most 40 bytes of it (whole UTF-8 characters).
std::string describe(const json& v) {
  const std::string text = v.dump();
  if (text.size() <= 40) return std::string(v.type_name()) + " " + text;
  std::size_t cut = 40;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(v.type_name()) + " " + text.substr(0, cut) + "...";
}

[[noreturn]] void fault(const std::string& expected, const json& got) {
  throw KeyError("", "expected " + expected + ", got " + describe(got));
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Readers of one value; a struct is read through its from_json. Declared first so each finds the others.
template <class T>
void read(const json& j, std::vector<T>& out);
template <class T, std::size_t N>
void read(const json& j, std::array<T, N>& out);
void read(const json& j, std::map<std::string, std::uint64_t>& out);

void read(const json& j, std::uint64_t& out) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
    fault("an unsigned integer", j);
  out = j.get<std::uint64_t>();
}
void read(const json& j, std::int64_t& out) {
  if (!j.is_number_integer() ||
      (j.is_number_unsigned() && j.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()))
    fault("an integer", j);
  out = j.get<std::int64_t>();
}
// The engine shape's parameters (int in engine_shape.h).
void read(const json& j, int& out) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < 0 ||
      j.get<std::int64_t>() > std::numeric_limits<int>::max())
    fault("an unsigned integer", j);
  out = j.get<int>();
}
void read(const json& j, double& out) {
  if (!j.is_number()) fault("a number", j);
  out = j.get<double>();
}
void read(const json& j, bool& out) {
  if (!j.is_boolean()) fault("true or false", j);
  out = j.get<bool>();
}
void read(const json& j, std::string& out) {
  if (!j.is_string()) fault("a string", j);
  out = j.get_ref<const std::string&>();
}
template <class T>
auto read(const json& j, T& out) -> decltype(from_json(j, out)) {
  from_json(j, out);
}

// Reads `j` with its path prefixed by `outer` when a fault propagates.
template <class T>
void read_at(const json& j, const std::string& outer, T& out) {
  try {
    read(j, out);
  } catch (KeyError& e) {
    e.prepend(outer);
    throw;
  }
}

template <class T>
void read(const json& j, std::vector<T>& out) {
  if (!j.is_array()) fault("an array", j);
  out.assign(j.size(), T{});
  for (std::size_t i = 0; i < j.size(); ++i) read_at(j[i], "[" + std::to_string(i) + "]", out[i]);
}
template <class T, std::size_t N>
void read(const json& j, std::array<T, N>& out) {
  if (!j.is_array() || j.size() != N) fault("an array of " + std::to_string(N), j);
  for (std::size_t i = 0; i < N; ++i) read_at(j[i], "[" + std::to_string(i) + "]", out[i]);
}
// files: plain file names in the manifest's directory, with their sizes.
void read(const json& j, std::map<std::string, std::uint64_t>& out) {
  if (!j.is_object()) fault("an object", j);
  out.clear();
  for (const auto& [name, bytes] : j.items()) {
    const std::string key = "\"" + name + "\"";
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      throw KeyError(key, "expected a plain file name in the manifest's directory");
    read_at(bytes, key, out[name]);
  }
}

// A struct's keys: each must be present (an optional member may be absent) and of its type.
template <class T>
void read_keys(const json& j, T& out) {
  if (!j.is_object()) fault("an object", j);
  T::keys(out, [&j](const char* key, auto& member) {
    const auto it = j.find(key);
    if constexpr (IsOptional<std::decay_t<decltype(member)>>::value) {
      member.reset();
      if (it == j.end()) return;
      read_at(*it, key, member.emplace());
    } else {
      if (it == j.end()) throw KeyError(key, "missing");
      read_at(*it, key, member);
    }
  });
}

template <class T>
void write_keys(json& j, const T& value) {
  j = json::object();
  T::keys(value, [&j](const char* key, const auto& member) {
    if constexpr (IsOptional<std::decay_t<decltype(member)>>::value) {
      if (member) j[key] = *member;
    } else {
      j[key] = member;
    }
  });
}

}  // namespace

bool LayerEntry::on_engine() const {
#define DNNVP_ON_ENGINE_(ID, Name, name, PLACE) \
  if (type == #name) return DNNVP_PLACE_##PLACE == DNNVP_PLACE_ENGINE;
  DNNVP_LAYER_TYPES(DNNVP_ON_ENGINE_)
#undef DNNVP_ON_ENGINE_
  return false;
}

void KeyError::prepend(const std::string& outer) {
  if (path_.empty() || path_[0] == '[')
    path_ = outer + path_;
  else
    path_ = outer + "." + path_;
}

#define DNNVP_MANIFEST_DEFINE(T)                      \
  void to_json(nlohmann::json& j, const T& value) {   \
    write_keys(j, value);                             \
  }                                                   \
  void from_json(const nlohmann::json& j, T& value) { \
    read_keys(j, value);                              \
  }
DNNVP_MANIFEST_RECORDS(DNNVP_MANIFEST_DEFINE)
#undef DNNVP_MANIFEST_DEFINE

void to_json(nlohmann::json& j, const LayerEntry& value) {
  write_keys(j, value);
}
void from_json(const nlohmann::json& j, LayerEntry& value) {
  read_keys(j, value);
  // The keys only some layers have, required where docs/formats.md lists them.
  const bool windowed = value.type == "conv" || value.type == "maxpool" || value.type == "avgpool";
  const bool engine = value.on_engine();
  const std::pair<const char*, bool> required[] = {
      {"window", windowed && !value.window},
      {"leaky_shift", value.activation == "leaky_relu" && !value.leaky_shift},
      {"weight_bits", engine && !value.weight_bits},
      {"blob", engine && !value.blob},
      {"engine", engine && !value.engine},
      {"accumulator_bits_needed", engine && !value.accumulator_bits_needed},
      {"add", value.type == "add" && !value.add}};
  for (const auto& [key, missing] : required)
    if (missing) throw KeyError(key, "missing");
}

}  // namespace manifest

void to_json(nlohmann::json& j, const Manifest& value) {
  manifest::write_keys(j, value);
}
void from_json(const nlohmann::json& j, Manifest& value) {
  manifest::read_keys(j, value);
}
void to_json(nlohmann::json& j, const EngineShape& value) {
  manifest::write_keys(j, value);
}
void from_json(const nlohmann::json& j, EngineShape& value) {
  manifest::read_keys(j, value);
}
void to_json(nlohmann::json& j, const RunSettings& value) {
  manifest::write_keys(j, value);
}
void from_json(const nlohmann::json& j, RunSettings& value) {
  manifest::read_keys(j, value);
}

const manifest::DramFile& Manifest::expected() const {
  for (const manifest::DramFile& f : dram_image)
    if (f.file == "expected.bin") return f;
  throw Error("manifest: dram_image has no expected.bin");
}

Manifest parse_manifest(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(source + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::out_of_range&) {  // a number beyond double's range, e.g. 1E400 (fuzzing)
    throw Error(source + ": not valid JSON (a number out of range)");
  }
  const Manifest m = checked<Manifest>(j, source);
  auto fail = [&source](const std::string& key, const std::string& what) {
    throw Error(source + ": " + key + ": " + what);
  };

  bool have_expected = false;
  for (std::size_t i = 0; i < m.dram_image.size(); ++i) {
    const manifest::DramFile& f = m.dram_image[i];
    const std::string p = "dram_image[" + std::to_string(i) + "]";
    const auto listed = m.files.find(f.file);
    if (listed == m.files.end()) fail(p + ".file", "\"" + f.file + "\" is not listed in files");
    if (listed->second != f.bytes)
      fail(p + ".bytes",
           std::to_string(f.bytes) + ", but files.\"" + f.file + "\" says " + std::to_string(listed->second));
    have_expected = have_expected || f.file == "expected.bin";
  }
  if (!have_expected) fail("dram_image", "has no expected.bin");

  const std::uint64_t bits = m.output.quant.bits;
  if (bits < 1 || bits > 8) fail("output.quant.bits", "must be 1..8, got " + std::to_string(bits));
  const std::uint64_t per_byte = bits <= 4 ? 2 : 1;  // report.cpp's packing: 4-bit and narrower, two a byte
  const std::uint64_t needed = m.result.elements / per_byte + (m.result.elements % per_byte != 0);
  if (m.result.bytes < needed)
    fail("result.bytes", std::to_string(m.result.bytes) + " bytes cannot hold " +
                             std::to_string(m.result.elements) + " elements of " + std::to_string(bits) +
                             " bits");
  if (m.expected().bytes < needed)
    fail("dram_image", "expected.bin has " + std::to_string(m.expected().bytes) + " bytes, fewer than the " +
                           std::to_string(needed) + " the result needs");
  const manifest::Images& im = m.images;
  if (im.count < 1) fail("images.count", "must be at least 1");
  const std::pair<const char*, std::size_t> per_image[] = {
      {"images.golden", im.golden.size()},
      {"images.labels", im.labels ? im.labels->size() : im.count},
      {"images.reference", im.reference ? im.reference->size() : im.count}};
  for (const auto& [key, size] : per_image)
    if (size != im.count)
      fail(key, std::to_string(size) + " entries for images.count " + std::to_string(im.count));
  // Each image's output within its stride, and the last within expected.bin (division: no overflow).
  if (im.count > 1 &&
      (im.output_stride < needed || (m.expected().bytes - needed) / im.output_stride < im.count - 1))
    fail("images.output_stride", std::to_string(im.output_stride) + " does not place " +
                                     std::to_string(im.count) + " outputs of " + std::to_string(needed) +
                                     " bytes in expected.bin's " + std::to_string(m.expected().bytes));
  return m;
}

std::string manifest_path(const std::string& dir) {
  return (std::filesystem::path(dir) / "manifest.json").string();
}

Manifest read_manifest_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string path = manifest_path(dir);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open (run vp_gen SCENARIO -o DIR first)");
  std::ostringstream text;
  text << f.rdbuf();
  Manifest m = parse_manifest(text.str(), path);
  for (const auto& [name, bytes] : m.files) {
    const fs::path file = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      throw Error(file.string() + ": missing (manifest.json lists it in files; re-run vp_gen)");
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec || size != bytes)
      throw Error(file.string() + ": " + std::to_string(size) + " bytes, but manifest.json files.\"" + name +
                  "\" says " + std::to_string(bytes) + " (truncated or replaced; re-run vp_gen)");
  }
  return m;
}

}  // namespace dnnvp
