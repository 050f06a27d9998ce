#include "fault_spec.h"

#include <map>
#include <set>

namespace dnnvp::faults {
namespace {

constexpr std::uint64_t kMaxFlipBits = 4096;  // a report that lists every flip stays readable
constexpr std::uint64_t kMaxAddress = 0xFFFFFFFFu;

// "12" or "0x1f": digits only (no sign, no spaces).
bool parse_number(const std::string& s, std::uint64_t& out) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const std::string digits = hex ? s.substr(2) : s;
  if (digits.empty() || digits.size() > (hex ? 16u : 20u)) return false;
  if (digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") != std::string::npos)
    return false;
  try {
    out = std::stoull(digits, nullptr, hex ? 16 : 10);
  } catch (const std::out_of_range&) {
    return false;
  }
  return true;
}

std::uint64_t number(const std::string& key, const std::string& value, std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t v = 0;
  if (!parse_number(value, v))
    throw SpecError(key, "must be a number (decimal or 0x-hex), got '" + value + "'");
  if (v < lo || v > hi)
    throw SpecError(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + value);
  return v;
}

When parse_when(const std::string& value) {
  When w;
  w.text = value;
  if (value == "start") return w;
  const std::size_t colon = value.find(':');
  const std::string what = value.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : value.substr(colon + 1);
  if (colon == std::string::npos || arg.empty() || (what != "cycle" && what != "layer" && what != "tile"))
    throw SpecError("at", "must be start, cycle:N, layer:INDEX, layer:NAME or tile:K, got '" + value + "'");
  if (what == "cycle") {
    w.kind = When::Kind::kCycle;
    w.value = number("at", arg, 0, ~std::uint64_t{0} >> 1);
  } else if (what == "tile") {
    w.kind = When::Kind::kTile;
    w.value = number("at", arg, 1, ~std::uint64_t{0} >> 1);
  } else {
    w.kind = When::Kind::kLayer;
    if (arg.find_first_not_of("0123456789") == std::string::npos)
      w.value = number("at", arg, 0, 0xFFFFFFFEu);
    else
      w.layer = arg;  // a name: the SoC looks it up in the manifest's layers
  }
  return w;
}

// "A" or "A..B"
std::pair<std::uint64_t, std::uint64_t> parse_range(const std::string& value) {
  const std::size_t dots = value.find("..");
  const std::uint64_t a = number("addr", value.substr(0, dots), 0, kMaxAddress);
  const std::uint64_t b =
      dots == std::string::npos ? a : number("addr", value.substr(dots + 2), 0, kMaxAddress);
  if (b < a) throw SpecError("addr", "the range must not end before it starts, got '" + value + "'");
  return {a, b};
}

// "A.BIT/A.BIT..."
std::vector<std::pair<std::uint64_t, unsigned>> parse_list(const std::string& value) {
  std::vector<std::pair<std::uint64_t, unsigned>> out;
  std::set<std::pair<std::uint64_t, unsigned>> seen;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = value.find('/', pos);
    const std::string item = value.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    const std::size_t dot = item.rfind('.');
    if (dot == std::string::npos)
      throw SpecError("list", "each item must be ADDRESS.BIT (e.g. 0x80100004.3), got '" + item + "'");
    const std::pair<std::uint64_t, unsigned> bit{
        number("list", item.substr(0, dot), 0, kMaxAddress),
        static_cast<unsigned>(number("list", item.substr(dot + 1), 0, 7))};
    if (!seen.insert(bit).second) throw SpecError("list", "lists bit '" + item + "' twice");
    out.push_back(bit);
    if (out.size() > kMaxFlipBits)
      throw SpecError("list", "at most " + std::to_string(kMaxFlipBits) + " bits");
    if (end == std::string::npos) return out;
    pos = end + 1;
  }
}

// The keys of a kind: which are allowed, which required.
struct KindKeys {
  Kind kind;
  std::set<std::string> allowed;
};

const std::map<std::string, KindKeys>& kinds() {
  static const std::map<std::string, KindKeys> k = {
      {"dram_flip", {Kind::kDramFlip, {"addr", "bits", "seed", "list", "at"}}},
      {"stream_stall", {Kind::kStreamStall, {"stream", "cycles", "at"}}},
      {"dma_error", {Kind::kDmaError, {"channel", "nth", "response"}}},
      {"irq_lost", {Kind::kIrqLost, {"source", "nth"}}},
  };
  return k;
}

std::string kind_names() {
  std::string s;
  for (const auto& [name, keys] : kinds()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

void require(const std::map<std::string, std::string>& kv, const std::string& key, const std::string& form) {
  if (!kv.count(key)) throw SpecError(key, "required (" + form + ")");
}

}  // namespace

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::kDramFlip:
      return "dram_flip";
    case Kind::kStreamStall:
      return "stream_stall";
    case Kind::kDmaError:
      return "dma_error";
    case Kind::kIrqLost:
      return "irq_lost";
  }
  return "?";
}

const char* stream_role(char stream) {
  switch (stream) {
    case 'x':
      return "input";
    case 'w':
      return "weights";
    case 'r':
      return "operand";
    default:
      return "output";
  }
}

Spec parse(const std::string& text) {
  Spec s;
  s.text = text;
  const std::size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  const auto k = kinds().find(kind);
  if (k == kinds().end())
    throw SpecError(
        "", "unknown fault kind '" + kind + "' (kinds: " + kind_names() + "; form KIND:KEY=VALUE,...)");
  s.kind = k->second.kind;

  std::map<std::string, std::string> kv;
  const std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  std::size_t pos = 0;
  while (pos < rest.size()) {
    std::size_t end = rest.find(',', pos);
    if (end == std::string::npos) end = rest.size();
    const std::string item = rest.substr(pos, end - pos);
    const std::size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || key.empty()) throw SpecError("", "expected KEY=VALUE, got '" + item + "'");
    if (!k->second.allowed.count(key)) {
      std::string keys;
      for (const std::string& a : k->second.allowed) keys += (keys.empty() ? "" : ", ") + a;
      throw SpecError(key, "unknown key for " + kind + " (keys: " + keys + ")");
    }
    if (!kv.emplace(key, item.substr(eq + 1)).second) throw SpecError(key, "given twice");
    pos = end + 1;
  }
  if (kv.count("at")) s.at = parse_when(kv.at("at"));
  if (kv.count("nth")) s.nth = number("nth", kv.at("nth"), 1, ~std::uint64_t{0} >> 1);

  switch (s.kind) {
    case Kind::kDramFlip:
      if (kv.count("list")) {
        for (const char* key : {"addr", "bits", "seed"})
          if (kv.count(key)) throw SpecError(key, "not with list= (list names every bit itself)");
        s.listed = parse_list(kv.at("list"));
        break;
      }
      require(kv, "addr", "addr=A..B,bits=N or list=A.BIT/...");
      require(kv, "bits", "addr=A..B,bits=N: how many random bits to flip");
      std::tie(s.first, s.last) = parse_range(kv.at("addr"));
      s.bits = number("bits", kv.at("bits"), 1, kMaxFlipBits);
      if (s.bits > (s.last - s.first + 1) * 8)
        throw SpecError("bits", "the range has only " + std::to_string((s.last - s.first + 1) * 8) +
                                    " bits, got " + kv.at("bits"));
      if (kv.count("seed")) s.seed = number("seed", kv.at("seed"), 0, ~std::uint64_t{0});
      break;
    case Kind::kStreamStall: {
      require(kv, "stream", "stream=x|w|r|y");
      require(kv, "cycles", "cycles=N engine cycles");
      const std::string& st = kv.at("stream");
      const std::map<std::string, char> streams = {{"x", 'x'}, {"input", 'x'},   {"w", 'w'}, {"weights", 'w'},
                                                   {"r", 'r'}, {"operand", 'r'}, {"y", 'y'}, {"output", 'y'}};
      if (!streams.count(st))
        throw SpecError("stream",
                        "must be x (input), w (weights), r (operand) or y (output), got '" + st + "'");
      s.stream = streams.at(st);
      s.cycles = number("cycles", kv.at("cycles"), 1, 1u << 30);
      break;
    }
    case Kind::kDmaError: {
      require(kv, "channel", "channel=dma0.mm2s, dma0.s2mm, dma1.mm2s or dma2.mm2s");
      const std::string& ch = kv.at("channel");
      const std::size_t dot = ch.find('.');
      const std::string dma = ch.substr(0, dot), side = dot == std::string::npos ? "" : ch.substr(dot + 1);
      if (dma.size() != 4 || dma.compare(0, 3, "dma") != 0 || dma[3] < '0' || dma[3] > '9' ||
          (side != "mm2s" && side != "s2mm"))
        throw SpecError("channel", "must be dmaN.mm2s or dmaN.s2mm, got '" + ch + "'");
      s.dma = dma;
      s.s2mm = side == "s2mm";
      if (kv.count("response")) {
        const std::string& r = kv.at("response");
        if (r != "slave" && r != "decode")
          throw SpecError("response", "must be slave or decode, got '" + r + "'");
        s.decode = r == "decode";
      }
      break;
    }
    case Kind::kIrqLost:
      require(kv, "source", "source=NAME, an interrupt source of platform/memory_map.yaml");
      s.source = kv.at("source");
      if (s.source.empty()) throw SpecError("source", "must name an interrupt source");
      break;
  }
  return s;
}

}  // namespace dnnvp::faults
