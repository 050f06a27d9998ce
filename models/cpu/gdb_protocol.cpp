#include "gdb_protocol.h"

#include <algorithm>
#include <cstdio>

namespace dnnvp::gdb {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
// The most memory bytes one m reply carries: two hex digits each, inside the packet size.
constexpr std::size_t kMaxMemoryRead = (kPacketSize - 8) / 2;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A hexadecimal number of 1..16 digits, nothing else.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : text) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<unsigned>(d);
  }
  return v;
}

// "ADDR,LENGTH" (as in m, M, X, Z): both hexadecimal.
bool parse_address_length(std::string_view text, std::uint64_t* address, std::uint64_t* length) {
  const std::size_t comma = text.find(',');
  if (comma == std::string_view::npos) return false;
  const auto a = parse_number(text.substr(0, comma)), l = parse_number(text.substr(comma + 1));
  if (!a || !l) return false;
  *address = *a;
  *length = *l;
  return true;
}

std::string hex32(std::uint32_t v) {  // a register as gdb wants it: little-endian bytes
  std::string s;
  for (int i = 0; i < 4; ++i, v >>= 8) {
    s += kHexDigits[(v >> 4) & 15];
    s += kHexDigits[v & 15];
  }
  return s;
}

std::optional<std::uint32_t> parse_register_value(std::string_view hex) {
  const auto bytes = Session::from_hex(hex);
  if (!bytes || bytes->size() != 4) return std::nullopt;
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<std::uint8_t>((*bytes)[static_cast<std::size_t>(i)]);
  return v;
}

bool needs_escape(char c) {
  return c == '#' || c == '$' || c == '}' || c == '*';
}

constexpr const char* kError = "E01";        // malformed command
constexpr const char* kMemoryError = "E02";  // memory not accessible
constexpr const char* kPointError = "E03";   // breakpoint or watchpoint not possible there

}  // namespace

Session::Session(Target& target, MonitorFn monitor) : target_(target), monitor_(std::move(monitor)) {}

std::uint8_t Session::checksum(std::string_view data) {
  unsigned sum = 0;
  for (const char c : data) sum += static_cast<std::uint8_t>(c);
  return static_cast<std::uint8_t>(sum);
}

std::string Session::escape(std::string_view data) {
  std::string out;
  for (const char c : data) {
    if (needs_escape(c)) {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
  return out;
}

// Escapes, then run-length encodes runs of a character that needs no escape: "x*" + (n + 29) repeats x
// n more times; n = 6 and 7 would give '#' and '$', so a run is cut short there.
std::string Session::frame(std::string_view data) {
  std::string body;
  for (std::size_t i = 0; i < data.size();) {
    const char c = data[i];
    if (needs_escape(c)) {
      body += '}';
      body += static_cast<char>(c ^ 0x20);
      ++i;
      continue;
    }
    std::size_t run = 1;
    while (i + run < data.size() && data[i + run] == c) ++run;
    i += run;
    while (run > 0) {
      body += c;
      --run;
      std::size_t n = std::min<std::size_t>(run, 97);
      if (n == 6 || n == 7) n = 5;
      if (n >= 3) {
        body += '*';
        body += static_cast<char>(n + 29);
        run -= n;
      }
    }
  }
  char sum[3];
  std::snprintf(sum, sizeof sum, "%02x", checksum(body));
  return "$" + body + "#" + sum;
}

std::string Session::unescape(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '}' && i + 1 < data.size()) {
      out += static_cast<char>(data[++i] ^ 0x20);
    } else if (c == '*' && i + 1 < data.size() && !out.empty()) {
      const int n = static_cast<unsigned char>(data[++i]) - 29;
      if (n > 0) out.append(static_cast<std::size_t>(n), out.back());
    } else {
      out += c;
    }
  }
  return out;
}

std::string Session::to_hex(std::string_view bytes) {
  std::string s;
  s.reserve(2 * bytes.size());
  for (const char b : bytes) {
    s += kHexDigits[(static_cast<std::uint8_t>(b) >> 4) & 15];
    s += kHexDigits[static_cast<std::uint8_t>(b) & 15];
  }
  return s;
}

std::optional<std::string> Session::from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string Session::target_xml() {
  static const char* const names[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
                                        "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
                                        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>riscv:rv32</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (unsigned i = 0; i < 32; ++i) {
    const char* type = (i == 1) ? "code_ptr" : (i == 2 || i == 8) ? "data_ptr" : "int";
    x += "  <reg name=\"" + std::string(names[i]) + "\" bitsize=\"32\" type=\"" + type + "\" regnum=\"" +
         std::to_string(i) + "\"/>\n";
  }
  x += "  <reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n</target>\n";
  return x;
}

std::string Session::stop_text(const Stop& stop, bool swbreak, bool hwbreak) {
  char sig[4];
  std::snprintf(sig, sizeof sig, "%02x", stop.signal & 0xFF);
  switch (stop.kind) {
    case Stop::Kind::kExited: {
      char code[4];
      std::snprintf(code, sizeof code, "%02x", stop.exit_code & 0xFF);
      return std::string("W") + code;
    }
    case Stop::Kind::kTerminated:
      return std::string("X") + sig;
    case Stop::Kind::kSoftwareBreak:
      return std::string("T") + sig + (swbreak ? "swbreak:;" : "") + "thread:1;";
    case Stop::Kind::kHardwareBreak:
      return std::string("T") + sig + (hwbreak ? "hwbreak:;" : "") + "thread:1;";
    case Stop::Kind::kWatch: {
      const char* kind = stop.watch == PointType::kRead     ? "rwatch"
                         : stop.watch == PointType::kAccess ? "awatch"
                                                            : "watch";
      char address[20];
      std::snprintf(address, sizeof address, "%llx", static_cast<unsigned long long>(stop.address));
      return std::string("T") + sig + kind + ":" + address + ";thread:1;";
    }
    case Stop::Kind::kSignal:
      break;
  }
  return std::string("T") + sig + "thread:1;";
}

// ---------------------------------------------------------------------------------------------------------

std::string Session::receive(std::string_view bytes) {
  buffer_.append(bytes);
  std::string out;
  std::size_t i = 0;
  while (i < buffer_.size()) {
    const char c = buffer_[i];
    if (c == '$') {
      const std::size_t hash = buffer_.find('#', i + 1);
      if (hash == std::string::npos || hash + 2 >= buffer_.size()) break;  // incomplete: wait for more
      const std::string body = buffer_.substr(i + 1, hash - i - 1);
      const auto sum = parse_number(std::string_view(buffer_).substr(hash + 1, 2));
      i = hash + 3;
      if (!sum || *sum != checksum(body)) {
        if (!no_ack_) out += '-';
        continue;
      }
      if (!no_ack_) out += '+';
      const std::string packet = unescape(body);
      if (running_) {
        pending_.push_back(packet);
      } else {
        out += reply(packet);
      }
      continue;
    }
    if (c == '\x03') interrupt_ = true;
    if (c == '-' && !last_sent_.empty()) out += last_sent_;
    ++i;  // '+', '-', Ctrl-C and stray bytes
  }
  buffer_.erase(0, i);
  if (buffer_.size() > 2 * kPacketSize + 8) buffer_.clear();  // a packet far too long: drop it
  return out;
}

std::string Session::reply(const std::string& packet) {
  const std::string r = handle(packet);
  if (running_ || packet == "k") return "";  // resumed (the stop reply answers) or killed: no reply
  last_sent_ = frame(r);
  return last_sent_;
}

std::optional<Action> Session::take_action() {
  if (actions_.empty()) return std::nullopt;
  const Action a = actions_.front();
  actions_.pop_front();
  return a;
}

bool Session::take_interrupt() {
  const bool i = interrupt_;
  interrupt_ = false;
  return i;
}

std::string Session::stop_reply(const Stop& stop) {
  last_stop_ = stop;
  if (!running_) return "";
  running_ = false;
  interrupt_ = false;
  last_sent_ = frame(stop_text(stop, swbreak_, hwbreak_));
  const std::string out = last_sent_;
  return out + process_pending();
}

std::string Session::process_pending() {
  std::string out;
  while (!pending_.empty() && !running_) {
    const std::string p = pending_.front();
    pending_.pop_front();
    out += reply(p);
  }
  return out;
}

std::string Session::resume(Action a, std::string_view address) {
  if (!address.empty()) {
    const auto pc = parse_number(address);
    if (!pc) return kError;
    target_.write_register(kPcRegister, static_cast<std::uint32_t>(*pc));
  }
  actions_.push_back(a);
  running_ = true;
  return "";
}

std::string Session::handle(const std::string& p) {
  if (p.empty()) return "";
  const std::string_view args = std::string_view(p).substr(1);
  switch (p[0]) {
    case '?':
      return stop_text(last_stop_, swbreak_, hwbreak_);
    case 'g':
      return read_registers();
    case 'G':
      return write_registers(args);
    case 'p': {
      const auto n = parse_number(args);
      if (!n || *n >= kRegisterCount) return kError;
      return hex32(target_.read_register(static_cast<unsigned>(*n)));
    }
    case 'P': {
      const std::size_t eq = args.find('=');
      if (eq == std::string_view::npos) return kError;
      const auto n = parse_number(args.substr(0, eq));
      const auto v = parse_register_value(args.substr(eq + 1));
      if (!n || *n >= kRegisterCount || !v) return kError;
      target_.write_register(static_cast<unsigned>(*n), *v);
      return "OK";
    }
    case 'm':
      return read_memory(args);
    case 'M':
      return write_memory(args, false);
    case 'X':
      return write_memory(args, true);
    case 'c':
      return resume(Action::kContinue, args);
    case 's':
      return resume(Action::kStep, args);
    case 'C':
    case 'S': {  // with a signal: the signal is dropped (a bare-metal CPU has none to deliver)
      const std::size_t semi = args.find(';');
      return resume(p[0] == 'C' ? Action::kContinue : Action::kStep,
                    semi == std::string_view::npos ? std::string_view() : args.substr(semi + 1));
    }
    case 'D':
      detached_ = true;
      actions_.push_back(Action::kDetach);
      return "OK";
    case 'k':
      actions_.push_back(Action::kKill);
      return "";
    case 'H':
      return "OK";  // one thread: every thread selection is that one
    case 'T':
      return "OK";  // thread 1 is alive
    case 'Z':
      return point(args, true);
    case 'z':
      return point(args, false);
    case 'q':
    case 'Q':
      return query(p);
    case 'v':
      return v_packet(p);
    default:
      return "";
  }
}

std::string Session::read_registers() {
  std::string s;
  for (unsigned i = 0; i < kRegisterCount; ++i) s += hex32(target_.read_register(i));
  return s;
}

std::string Session::write_registers(std::string_view hex) {
  if (hex.size() != kRegisterCount * 8) return kError;
  std::uint32_t values[kRegisterCount];
  for (unsigned i = 0; i < kRegisterCount; ++i) {
    const auto v = parse_register_value(hex.substr(i * 8, 8));
    if (!v) return kError;
    values[i] = *v;
  }
  for (unsigned i = 0; i < kRegisterCount; ++i) target_.write_register(i, values[i]);
  return "OK";
}

std::string Session::read_memory(std::string_view args) {
  std::uint64_t address = 0, length = 0;
  if (!parse_address_length(args, &address, &length)) return kError;
  length = std::min<std::uint64_t>(length, kMaxMemoryRead);  // gdb asks again for the rest
  std::string bytes(length, '\0');
  if (!target_.read_memory(address, length, reinterpret_cast<std::uint8_t*>(bytes.data())))
    return kMemoryError;
  return to_hex(bytes);
}

std::string Session::write_memory(std::string_view args, bool binary) {
  const std::size_t colon = args.find(':');
  std::uint64_t address = 0, length = 0;
  if (colon == std::string_view::npos || !parse_address_length(args.substr(0, colon), &address, &length))
    return kError;
  std::string data;
  if (binary) {
    data = std::string(args.substr(colon + 1));  // receive() has unescaped it
  } else {
    auto d = from_hex(args.substr(colon + 1));
    if (!d) return kError;
    data = std::move(*d);
  }
  if (data.size() != length) return kError;
  if (length && !target_.write_memory(address, reinterpret_cast<const std::uint8_t*>(data.data()), length))
    return kMemoryError;
  return "OK";
}

std::string Session::point(std::string_view args, bool insert) {
  // "TYPE,ADDR,KIND" (KIND: the breakpoint's instruction size, or the watched length); conditions after ';'
  // are not supported (gdb evaluates them itself).
  const std::size_t semi = args.find(';');
  if (semi != std::string_view::npos) args = args.substr(0, semi);
  const std::size_t comma = args.find(',');
  if (comma == std::string_view::npos) return kError;
  const auto type = parse_number(args.substr(0, comma));
  std::uint64_t address = 0, kind = 0;
  if (!type || !parse_address_length(args.substr(comma + 1), &address, &kind)) return kError;
  if (*type > 4) return "";  // not a type the protocol knows: unsupported
  const PointType t = static_cast<PointType>(*type);
  const bool ok = insert ? target_.insert_point(t, address, kind) : target_.remove_point(t, address, kind);
  return ok ? "OK" : kPointError;
}

std::string Session::query(const std::string& p) {
  if (p.rfind("qSupported", 0) == 0) {
    swbreak_ = p.find("swbreak+") != std::string::npos;
    hwbreak_ = p.find("hwbreak+") != std::string::npos;
    char size[16];
    std::snprintf(size, sizeof size, "%zx", kPacketSize);
    return std::string("PacketSize=") + size +
           ";qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+";
  }
  if (p == "QStartNoAckMode") {
    no_ack_ = true;  // this packet was acked already; from now on nothing is
    return "OK";
  }
  if (p == "qAttached" || p.rfind("qAttached:", 0) == 0) return "1";  // attached to a running platform
  if (p == "qC") return "QC1";
  if (p == "qfThreadInfo") return "m1";
  if (p == "qsThreadInfo") return "l";
  const std::string xfer = "qXfer:features:read:";
  if (p.rfind(xfer, 0) == 0) {
    const std::string_view rest = std::string_view(p).substr(xfer.size());
    const std::size_t colon = rest.find(':');
    std::uint64_t offset = 0, length = 0;
    if (colon == std::string_view::npos || !parse_address_length(rest.substr(colon + 1), &offset, &length))
      return kError;
    if (rest.substr(0, colon) != "target.xml") return "E00";  // no such annex
    const std::string xml = target_xml();
    if (offset >= xml.size()) return "l";
    const std::size_t n = std::min<std::uint64_t>({length, xml.size() - offset, kPacketSize - 8});
    return (offset + n >= xml.size() ? "l" : "m") + xml.substr(offset, n);
  }
  if (p.rfind("qRcmd,", 0) == 0) {
    const auto command = from_hex(std::string_view(p).substr(6));
    if (!command) return kError;
    const std::string text = monitor_ ? monitor_(*command) : "no monitor commands\n";
    return text.empty() ? "OK" : to_hex(text);
  }
  return "";
}

std::string Session::v_packet(const std::string& p) {
  if (p == "vCont?") return "vCont;c;C;s;S";
  if (p.rfind("vCont;", 0) == 0) {
    // The first action applies to our single thread: c, C sig, s, S sig (optionally ":thread").
    const char a = p.size() > 6 ? p[6] : '\0';
    if (a == 'c' || a == 'C') return resume(Action::kContinue, "");
    if (a == 's' || a == 'S') return resume(Action::kStep, "");
    return kError;
  }
  if (p.rfind("vKill", 0) == 0) {
    actions_.push_back(Action::kKill);
    return "OK";
  }
  return "";  // vMustReplyEmpty and everything else: unsupported
}

}  // namespace dnnvp::gdb
