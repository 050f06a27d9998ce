// The GDB remote serial protocol (docs/debugging.md): packet framing ($data#cc), checksums, acks, escapes
// ('}' x ^ 0x20), run-length encoding ('*'), and the commands a debugger of the RV32 CPU needs. No sockets,
// no Unicorn, no SystemC: bytes in, bytes out, against a Target (the CPU model implements it; the tests a
// fake), so the protocol is tested on its own.
//
//   gdb::Session s(target, monitor);
//   std::string reply = s.receive(bytes_from_gdb);     // acks and replies to send back
//   if (auto a = s.take_action()) ...                   // gdb asked to continue, step, detach or kill
//   send(s.stop_reply(gdb::Stop::breakpoint(false)));   // when the target stopped after continue/step
//
// Registers are RV32's as gdb numbers them: 0..31 are x0..x31, 32 is pc (the target description,
// target_xml(), says so).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dnnvp::gdb {

constexpr unsigned kRegisterCount = 33;  // x0..x31, pc
constexpr unsigned kPcRegister = 32;
constexpr std::size_t kPacketSize = 0x4000;  // what qSupported announces (bytes of packet data we accept)

// Z/z types: 0 software breakpoint, 1 hardware breakpoint, 2 write, 3 read, 4 access watchpoint.
enum class PointType { kSoftware = 0, kHardware = 1, kWrite = 2, kRead = 3, kAccess = 4 };

// Why the target stopped (the T or S reply gdb gets).
struct Stop {
  enum class Kind { kSignal, kSoftwareBreak, kHardwareBreak, kWatch, kExited, kTerminated };
  Kind kind = Kind::kSignal;
  int signal = 5;  // SIGTRAP; SIGINT (2) for Ctrl-C; kTerminated: the signal that ended it
  PointType watch = PointType::kWrite;  // kWatch: which kind of watchpoint
  std::uint64_t address = 0;            // kWatch: the address accessed
  int exit_code = 0;                    // kExited

  static Stop trap() { return {}; }
  static Stop interrupt() { return {Kind::kSignal, 2}; }
  static Stop breakpoint(bool hardware) {
    return {hardware ? Kind::kHardwareBreak : Kind::kSoftwareBreak, 5};
  }
  static Stop watchpoint(PointType type, std::uint64_t address) { return {Kind::kWatch, 5, type, address}; }
  static Stop exited(int code) { return {Kind::kExited, 0, PointType::kWrite, 0, code}; }
  static Stop terminated(int signal) { return {Kind::kTerminated, signal}; }
};

// What the debugged CPU offers. Called only while it is stopped.
class Target {
 public:
  virtual ~Target() = default;
  virtual std::uint32_t read_register(unsigned index) = 0;  // index < kRegisterCount
  virtual void write_register(unsigned index, std::uint32_t value) = 0;
  // Whole access or nothing: false if any byte cannot be read (written) without side effects.
  virtual bool read_memory(std::uint64_t address, std::size_t length, std::uint8_t* out) = 0;
  virtual bool write_memory(std::uint64_t address, const std::uint8_t* data, std::size_t length) = 0;
  // false: not supported at that address (gdb then says so).
  virtual bool insert_point(PointType type, std::uint64_t address, std::size_t length) = 0;
  virtual bool remove_point(PointType type, std::uint64_t address, std::size_t length) = 0;
};

// The text a `monitor COMMAND` prints (the platform's: simulated time, engine, DMA, layer).
using MonitorFn = std::function<std::string(const std::string& command)>;

// What gdb asked the target to do; the protocol answers nothing more until the target stops again.
enum class Action { kContinue, kStep, kDetach, kKill };

class Session {
 public:
  Session(Target& target, MonitorFn monitor);

  // Feeds bytes received from gdb; returns what to send back (acks, replies). Resume commands queue an
  // action (take_action()); packets that arrive while the target runs wait until it has stopped
  // (stop_reply()); Ctrl-C (0x03) outside a packet asks the running target to stop (take_interrupt()).
  // A bad checksum gets a '-' (gdb sends the packet again), a malformed command an error reply.
  std::string receive(std::string_view bytes);
  // The oldest action gdb asked for, if any.
  std::optional<Action> take_action();
  // Whether Ctrl-C arrived since the last call.
  bool take_interrupt();

  // The target stopped: records the reason (for `?`) and returns the framed stop reply to send if gdb is
  // waiting for one (after c, s, vCont), otherwise an empty string. Then processes any packets that
  // arrived while the target ran and returns their replies too.
  std::string stop_reply(const Stop& stop);
  // The target stopped on its own before gdb asked (initial attach): the reason `?` reports.
  void set_stop(const Stop& stop) { last_stop_ = stop; }
  bool running() const { return running_; }
  bool detached() const { return detached_; }

  // Protocol pieces (public for the tests).
  static std::string frame(std::string_view data);     // $data#cc with escapes applied
  static std::string escape(std::string_view data);    // '#', '$', '}', '*' as '}' x^0x20
  static std::string unescape(std::string_view data);  // '}' escapes and run-length ('*')
  static std::uint8_t checksum(std::string_view data);
  static std::string to_hex(std::string_view bytes);
  static std::optional<std::string> from_hex(std::string_view hex);
  static std::string target_xml();
  static std::string stop_text(const Stop& stop, bool swbreak, bool hwbreak);

 private:
  std::string handle(const std::string& packet);  // one packet's reply (unframed); empty: unsupported
  std::string read_registers();
  std::string write_registers(std::string_view hex);
  std::string read_memory(std::string_view args);
  std::string write_memory(std::string_view args, bool binary);
  std::string point(std::string_view args, bool insert);
  std::string query(const std::string& packet);
  std::string v_packet(const std::string& packet);
  std::string resume(Action a, std::string_view address);
  std::string process_pending();
  std::string reply(const std::string& packet);  // the framed reply to one packet (nothing for k, c, s)

  Target& target_;
  MonitorFn monitor_;
  std::string buffer_;               // bytes of a packet not complete yet
  std::string last_sent_;            // resent when gdb answers '-'
  std::deque<std::string> pending_;  // complete packets received while the target ran
  std::deque<Action> actions_;
  Stop last_stop_ = Stop::trap();
  bool running_ = false, interrupt_ = false, detached_ = false;
  bool no_ack_ = false, swbreak_ = false, hwbreak_ = false;
};

}  // namespace dnnvp::gdb
