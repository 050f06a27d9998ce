#include "gdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dnnvp::gdb {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Server::Server(std::uint16_t port, Target& target, MonitorFn monitor, std::function<bool()> interrupted)
    : target_(target), monitor_(std::move(monitor)), interrupted_(std::move(interrupted)) {
  const std::string where = "gdb server on port " + std::to_string(port);
  listener_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener_) throw std::runtime_error(where + ": socket: " + std::strerror(errno));
  const int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // gdb on this machine only: the stub has no authentication
  a.sin_port = htons(port);
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error(where + ": bind: " + std::strerror(errno));
  if (::listen(listener_.get(), 1) != 0)
    throw std::runtime_error(where + ": listen: " + std::strerror(errno));
  socklen_t len = sizeof a;
  ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

// Blocking, it wakes every 100 ms to ask `interrupted`: a signal may be delivered to another thread of
// the process, so an interrupted poll cannot be relied on.
bool Server::wait_readable(int fd, bool block) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, block ? 100 : 0);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
    if (!block || (interrupted_ && interrupted_())) return false;
  }
}

bool Server::accept_connection(bool block) {
  if (!wait_readable(listener_.get(), block)) return false;
  const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return false;
  connection_ = Fd(fd);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // replies are small and awaited
  session_.emplace(target_, monitor_);
  return true;
}

void Server::wait_for_connection() {
  while (!connected() && !(interrupted_ && interrupted_())) accept_connection(true);
}

void Server::disconnect() {
  connection_.reset();
  session_.reset();
}

void Server::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size() && connected()) {
    const ssize_t n = ::send(connection_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      disconnect();  // gdb went away; the run goes on
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

bool Server::read_available(bool block) {
  if (!wait_readable(connection_.get(), block)) return !block;  // blocking: interrupted, let go of gdb
  char buf[4096];
  const ssize_t n = ::recv(connection_.get(), buf, sizeof buf, 0);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  send(session_->receive(std::string_view(buf, static_cast<std::size_t>(n))));
  return connected();
}

bool Server::stop_requested() {
  if (!connected()) return accept_connection(false);
  if (!read_available(false)) {
    disconnect();
    return false;
  }
  return connected() && session_->take_interrupt();
}

Action Server::stopped(const Stop& stop) {
  if (!connected()) return Action::kDetach;
  send(session_->stop_reply(stop));
  for (;;) {
    if (!connected()) return Action::kDetach;
    if (const std::optional<Action> a = session_->take_action()) {
      if (*a == Action::kDetach || *a == Action::kKill) disconnect();
      return *a;
    }
    if (!read_available(true)) {
      disconnect();
      return Action::kDetach;
    }
  }
}

void Server::ended(const Stop& stop) {
  if (!connected()) return;
  send(session_->stop_reply(stop));
  disconnect();
}

}  // namespace dnnvp::gdb
