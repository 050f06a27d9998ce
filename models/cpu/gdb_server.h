// The socket side of the gdb stub (docs/debugging.md): a TCP listener on the loopback interface and one
// gdb connection at a time, speaking gdb_protocol.h's Session to it. The CPU model drives it from its
// own SystemC thread: while the target is stopped the server blocks that thread in the socket, so the
// whole simulation, simulated time included, stands still; while the target runs the CPU asks, between
// two batches of instructions, whether gdb connected or sent Ctrl-C.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "gdb_protocol.h"

namespace dnnvp::gdb {

// A file descriptor, closed with its owner.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset();

 private:
  int fd_ = -1;
};

class Server {
 public:
  // Listens on 127.0.0.1:port (0: a free port the system picks; port() tells which). Throws
  // std::runtime_error naming the port when it cannot. `interrupted` is asked every 100 ms while the
  // server blocks (waiting for gdb, or serving it while the target is stopped); true (a signal asked
  // the process to end) lets go of gdb as on a detach, so the run resumes and can end.
  Server(std::uint16_t port, Target& target, MonitorFn monitor, std::function<bool()> interrupted = {});

  std::uint16_t port() const { return port_; }
  bool connected() const { return static_cast<bool>(connection_); }

  // Blocks until gdb connects, or `interrupted`.
  void wait_for_connection();
  // While the target runs (between batches): accepts a connection without blocking and reads what a
  // connected gdb sent. True when the target must stop: gdb has just connected, or sent Ctrl-C.
  bool stop_requested();
  // The target stopped (at a breakpoint, a watchpoint, after a step, on Ctrl-C, at a fault, on
  // attach): tells gdb if it waits for that, then serves it until it resumes the target. A connection
  // closed by gdb, or `interrupted` while it waits for gdb, counts as a detach.
  Action stopped(const Stop& stop);
  // The run ended (the firmware exited: Stop::exited; or it stopped: Stop::terminated): tells a gdb
  // waiting for the target, and closes the connection.
  void ended(const Stop& stop);

 private:
  bool accept_connection(bool block);      // false: nobody connected (or interrupted)
  bool wait_readable(int fd, bool block);  // false: not readable (not blocking, or interrupted)
  bool read_available(bool block);         // false: gdb closed the connection
  void send(const std::string& bytes);
  void disconnect();

  Target& target_;
  MonitorFn monitor_;
  std::function<bool()> interrupted_;
  Fd listener_, connection_;
  std::uint16_t port_ = 0;
  std::optional<Session> session_;
};

}  // namespace dnnvp::gdb
