#include "probes/virtual/debug_probe/virtual_debug_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "probes/virtual/debug_probe/adi_dap.h"
#include "probes/virtual/debug_probe/gdb_core.h"
#include "probes/virtual/debug_probe/wire.h"

namespace hil::virtual_bench {

// Everything behind the socket: the core, its debug block, the DAP and both
// wire layers. One OpenOCD at a time talks to it.
class VirtualDebugProbe::Session {
 public:
  Session(std::unique_ptr<GdbRemote> remote, DebugFaults faults)
      : core_(std::move(remote)), debug_(core_, faults), dap_(debug_), jtag_(dap_), swd_(dap_) {}

  // Handles a chunk of characters; appends the replies.
  void Handle(const char* data, size_t length, std::string& replies) {
    for (size_t i = 0; i < length; ++i) {
      const char c = data[i];
      if (c >= '0' && c <= '7') {
        const int pins = c - '0';
        jtag_.SetPins((pins & 4) != 0, (pins & 2) != 0, (pins & 1) != 0);
      } else if (c == 'R') {
        replies += jtag_.Tdo() ? '1' : '0';
      } else if (c >= 'd' && c <= 'g') {
        const int pins = c - 'd';
        swd_.SetPins((pins & 2) != 0, (pins & 1) != 0);
      } else if (c == 'c') {
        replies += swd_.ReadData() ? '1' : '0';
      } else if (c >= 'r' && c <= 'u') {
        if (((c - 'r') & 2) != 0) jtag_.TestReset();
      } else if (c == 'Q') {
        quit_ = true;
        return;
      }
      // 'B'/'b' (LED) and 'O'/'o' (SWDIO direction) need nothing here.
    }
  }
  Status Idle() { return debug_.Idle(); }
  bool quit() const { return quit_; }
  void ResetQuit() { quit_ = false; }
  uint64_t bytes_written() const { return debug_.bytes_written(); }

 private:
  GdbCore core_;
  CortexMDebug debug_;
  AdiDap dap_;
  JtagDp jtag_;
  SwdDp swd_;
  bool quit_ = false;
};

Result<std::unique_ptr<VirtualDebugProbe>> VirtualDebugProbe::Start(
    const DebugProbeOptions& options) {
  Result<std::unique_ptr<GdbRemote>> remote =
      GdbRemote::Connect(options.gdb_socket, std::chrono::seconds(10));
  if (!remote.ok()) return remote.error();
  std::unique_ptr<VirtualDebugProbe> probe(new VirtualDebugProbe());
  probe->session_ = std::make_unique<Session>(std::move(*remote), options.faults);

  if (!options.socket_path.empty()) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (options.socket_path.size() >= sizeof address.sun_path) {
      return ConfigurationError("socket path too long: " + options.socket_path);
    }
    std::memcpy(address.sun_path, options.socket_path.c_str(), options.socket_path.size() + 1);
    ::unlink(options.socket_path.c_str());
    probe->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe->listen_fd_ < 0 ||
        ::bind(probe->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(probe->listen_fd_, 1) != 0) {
      return InfrastructureError("the virtual debug probe cannot listen on " + options.socket_path +
                                 ": " + std::strerror(errno));
    }
    probe->socket_path_ = options.socket_path;
  } else {
    probe->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (probe->listen_fd_ < 0 ||
        ::bind(probe->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(probe->listen_fd_, 1) != 0 ||
        ::getsockname(probe->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return InfrastructureError(std::string("the virtual debug probe cannot listen: ") +
                                 std::strerror(errno));
    }
    probe->port_ = ntohs(address.sin_port);
  }
  probe->thread_ = std::thread([p = probe.get()] { p->Serve(); });
  return probe;
}

VirtualDebugProbe::~VirtualDebugProbe() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void VirtualDebugProbe::Stop() {
  stopping_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (listen_fd_ >= 0) {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    listen_fd_ = -1;
    if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  }
}

DebugProbeStats VirtualDebugProbe::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  DebugProbeStats stats = stats_;
  return stats;
}

std::string VirtualDebugProbe::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

void VirtualDebugProbe::Serve() {
  while (!stopping_) {
    int listen_fd;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      listen_fd = listen_fd_;
    }
    if (listen_fd < 0) return;
    pollfd watched{listen_fd, POLLIN, 0};
    if (::poll(&watched, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (port_ != 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.connections;
    }
    ServeConnection(fd);
    ::close(fd);
  }
}

void VirtualDebugProbe::ServeConnection(int fd) {
  session_->ResetQuit();
  std::string replies;
  char buffer[65536];
  using Clock = std::chrono::steady_clock;
  auto last_data = Clock::now();
  while (!stopping_ && !session_->quit()) {
    // While OpenOCD is busy, every scan is a round trip: answer without the
    // latency of a wake-up by polling the socket for a moment before sleeping.
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN && Clock::now() - last_data < std::chrono::microseconds(500)) {
      continue;
    }
    int ready = 1;
    if (n < 0 && errno == EAGAIN) {
      pollfd watched{fd, POLLIN, 0};
      ready = ::poll(&watched, 1, 20);
      if (ready > 0) n = ::recv(fd, buffer, sizeof buffer, 0);
    }
    if (ready == 0) {
      // OpenOCD is quiet: write what is coalesced, run what waits to run.
      if (Status idle = session_->Idle(); !idle.ok()) {
        std::lock_guard<std::mutex> lock(mutex_);
        failure_ = idle.error().message();
        return;
      }
      continue;
    }
    if (ready < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    last_data = Clock::now();
    replies.clear();
    session_->Handle(buffer, static_cast<size_t>(n), replies);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.characters += static_cast<uint64_t>(n);
      stats_.bytes_written = session_->bytes_written();
    }
    size_t sent = 0;
    while (sent < replies.size()) {
      const ssize_t w = ::send(fd, replies.data() + sent, replies.size() - sent, MSG_NOSIGNAL);
      if (w <= 0) return;
      sent += static_cast<size_t>(w);
    }
  }
  (void)session_->Idle();  // the last writes and a held resume
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.bytes_written = session_->bytes_written();
}

}  // namespace hil::virtual_bench
