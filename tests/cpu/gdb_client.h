// A minimal gdb remote-protocol client for the tests (tests/cpu, tests/platform): framed packets out,
// replies in (acks skipped). No Catch2 inside, so a test may run it on a thread of its own; failures to
// connect or send throw std::runtime_error, a reply that does not come in time is "".
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "gdb_protocol.h"

namespace dnnvp_test {

class GdbClient {
 public:
  // Connects to 127.0.0.1:port, retrying for up to two minutes (the server may still be starting).
  explicit GdbClient(std::uint16_t port) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (fd_ < 0 && std::chrono::steady_clock::now() < end) {
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port);
      if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        fd_ = s;
      } else {
        ::close(s);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    if (fd_ < 0) throw std::runtime_error("no gdb server on port " + std::to_string(port));
  }
  ~GdbClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  GdbClient(const GdbClient&) = delete;
  GdbClient& operator=(const GdbClient&) = delete;

  void send_raw(const std::string& bytes) {
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
      throw std::runtime_error("gdb client: send failed");
  }
  void send(const std::string& packet) { send_raw(dnnvp::gdb::Session::frame(packet)); }
  // The next reply's data (within `seconds`), "" on timeout or a closed connection.
  std::string reply(double seconds = 60) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
      const std::size_t start = buffer_.find('$');
      const std::size_t hash = start == std::string::npos ? start : buffer_.find('#', start);
      if (hash != std::string::npos && hash + 2 < buffer_.size()) {
        const std::string data = dnnvp::gdb::Session::unescape(buffer_.substr(start + 1, hash - start - 1));
        buffer_.erase(0, hash + 3);
        send_raw("+");
        return data;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return "";
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }
  std::string ask(const std::string& packet) {
    send(packet);
    return reply();
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace dnnvp_test
