#include "drivers/flash/virtual_debug_probe/virtual_debug_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "drivers/flash/virtual_debug_probe/adi_dap.h"
#include "drivers/flash/virtual_debug_probe/bus_pirate.h"
#include "drivers/flash/virtual_debug_probe/gdb_core.h"
#include "drivers/flash/virtual_debug_probe/wire.h"

namespace hil::virtual_bench {
namespace {

using Clock = std::chrono::steady_clock;

// How long OpenOCD may be quiet before the core catches up (coalesced
// writes go out, a held resume happens).
constexpr int kIdlePollMs = 20;
// A command cut off for this long belongs to a host that went away.
constexpr auto kPartialCommandLifetime = std::chrono::seconds(1);

}  // namespace

const char* DebugAdapterName(DebugAdapter adapter) {
  return adapter == DebugAdapter::kBusPirate ? "buspirate" : "remote_bitbang";
}

// Everything behind the adapter's port: the core, its debug block, the DAP,
// both wire layers and the Bus Pirate's command layer. One OpenOCD at a time
// talks to it.
class VirtualDebugProbe::Session {
 public:
  Session(std::unique_ptr<GdbRemote> remote, DebugFaults faults)
      : unplug_after_bytes_(faults.unplug_after_bytes),
        core_(std::move(remote)),
        debug_(core_, faults),
        dap_(debug_),
        jtag_(dap_),
        swd_(dap_),
        bus_pirate_(jtag_) {}

  // remote_bitbang characters; appends the replies.
  void HandleBitbang(const char* data, size_t length, std::string& replies) {
    for (size_t i = 0; i < length; ++i) {
      const char c = data[i];
      if (c >= '0' && c <= '7') {
        const int pins = c - '0';
        jtag_.SetPins((pins & 4) != 0, (pins & 2) != 0, (pins & 1) != 0);
      } else if (c == 'R') {
        replies += jtag_.Tdo() ? '1' : '0';
        ++tdo_reads_;
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
  BusPirateOcd& bus_pirate() { return bus_pirate_; }
  Status Idle() { return debug_.Idle(); }
  bool quit() const { return quit_; }
  void ResetQuit() { quit_ = false; }

  // DebugFaults::unplug_after_bytes: the probe is to be pulled out now.
  bool pulled_out() const {
    return unplug_after_bytes_ && debug_.bytes_accepted() >= *unplug_after_bytes_;
  }
  void Count(DebugProbeStats& stats) const {
    stats.bytes_written = debug_.bytes_written();
    stats.round_trips = tdo_reads_ + bus_pirate_.tap_shifts();
    stats.protocol_errors = bus_pirate_.protocol_errors();
  }

 private:
  std::optional<uint64_t> unplug_after_bytes_;
  GdbCore core_;
  CortexMDebug debug_;
  AdiDap dap_;
  JtagDp jtag_;
  SwdDp swd_;
  BusPirateOcd bus_pirate_;
  uint64_t tdo_reads_ = 0;
  bool quit_ = false;
};

Result<std::unique_ptr<VirtualDebugProbe>> VirtualDebugProbe::Start(
    const DebugProbeOptions& options) {
  Result<std::unique_ptr<GdbRemote>> remote =
      GdbRemote::Connect(options.gdb_socket, std::chrono::seconds(10));
  if (!remote.ok()) return remote.error();
  std::unique_ptr<VirtualDebugProbe> probe(new VirtualDebugProbe());
  probe->session_ = std::make_unique<Session>(std::move(*remote), options.faults);
  probe->adapter_ = options.adapter;
  if (options.adapter == DebugAdapter::kBusPirate) {
    HIL_RETURN_IF_ERROR(probe->OpenTty());
    probe->thread_ = std::thread([p = probe.get()] { p->ServeTty(); });
  } else {
    HIL_RETURN_IF_ERROR(probe->Listen(options.socket_path));
    probe->thread_ = std::thread([p = probe.get()] { p->ServeSockets(); });
  }
  return probe;
}

Status VirtualDebugProbe::OpenTty() {
  tty_master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char name[128];
  if (tty_master_ < 0 || ::grantpt(tty_master_) != 0 || ::unlockpt(tty_master_) != 0 ||
      ::ptsname_r(tty_master_, name, sizeof name) != 0) {
    return InfrastructureError(
        std::string("the virtual debug probe cannot create a pseudo-terminal: ") +
        std::strerror(errno));
  }
  tty_path_ = name;
  // Raw from the start: a default terminal would echo the probe's replies
  // back to it as commands before OpenOCD configures the port.
  tty_slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  termios settings{};
  if (tty_slave_ < 0 || ::tcgetattr(tty_slave_, &settings) != 0) {
    return InfrastructureError("the virtual debug probe cannot open " + tty_path_ + ": " +
                               std::strerror(errno));
  }
  ::cfmakeraw(&settings);
  ::tcsetattr(tty_slave_, TCSANOW, &settings);
  // Replies to a host that is not reading are lost, as on a serial line.
  ::fcntl(tty_master_, F_SETFL, ::fcntl(tty_master_, F_GETFL) | O_NONBLOCK);
  return OkStatus();
}

Status VirtualDebugProbe::Listen(const std::string& socket_path) {
  if (!socket_path.empty()) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
      return ConfigurationError("socket path too long: " + socket_path);
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    ::unlink(socket_path.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 1) != 0) {
      return InfrastructureError("the virtual debug probe cannot listen on " + socket_path + ": " +
                                 std::strerror(errno));
    }
    socket_path_ = socket_path;
    return OkStatus();
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 1) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return InfrastructureError(std::string("the virtual debug probe cannot listen: ") +
                               std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  return OkStatus();
}

VirtualDebugProbe::~VirtualDebugProbe() {
  Stop();
  CloseEverything();  // when Start failed before the thread ran
}

void VirtualDebugProbe::Stop() {
  stopping_ = true;
  // The serving thread closes the port on its way out (within one poll).
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void VirtualDebugProbe::CloseEverything() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int* fd : {&tty_master_, &tty_slave_, &listen_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
}

DebugProbeStats VirtualDebugProbe::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::string VirtualDebugProbe::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

bool VirtualDebugProbe::Idle() {
  Status idle = session_->Idle();
  std::lock_guard<std::mutex> lock(mutex_);
  session_->Count(stats_);
  if (!idle.ok()) failure_ = idle.error().message();
  return idle.ok();
}

bool VirtualDebugProbe::Received(size_t bytes, bool session_began) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.bytes_received += static_cast<uint64_t>(bytes);
  if (session_began) ++stats_.connections;
  session_->Count(stats_);
  return !session_->pulled_out();
}

void VirtualDebugProbe::ServeTty() {
  BusPirateOcd& bus_pirate = session_->bus_pirate();
  std::string replies;
  uint8_t buffer[16384];
  auto last_data = Clock::now();
  while (!stopping_) {
    pollfd watched{tty_master_, POLLIN, 0};
    const int ready = ::poll(&watched, 1, kIdlePollMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (Clock::now() - last_data > kPartialCommandLifetime) bus_pirate.DropPartialCommand();
      if (!Idle()) break;
      continue;
    }
    const ssize_t n = ::read(tty_master_, buffer, sizeof buffer);
    if (n <= 0) {
      // EAGAIN, EINTR; EIO should not happen while the probe holds its side.
      if (n < 0 && errno != EAGAIN && errno != EINTR) ::usleep(1000);
      continue;
    }
    last_data = Clock::now();
    const BusPirateOcd::Mode before = bus_pirate.mode();
    replies.clear();
    bus_pirate.Feed(buffer, static_cast<size_t>(n), replies);
    const bool session_began =
        before != BusPirateOcd::Mode::kOpenOcd && bus_pirate.mode() == BusPirateOcd::Mode::kOpenOcd;
    if (!Received(static_cast<size_t>(n), session_began)) break;
    for (size_t sent = 0; sent < replies.size();) {
      const ssize_t w = ::write(tty_master_, replies.data() + sent, replies.size() - sent);
      if (w > 0) {
        sent += static_cast<size_t>(w);
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // the host is not reading: the rest is lost
      }
    }
  }
  (void)Idle();  // the last writes and a held resume
  stopping_ = true;
  CloseEverything();
}

void VirtualDebugProbe::ServeSockets() {
  while (!stopping_) {
    pollfd watched{listen_fd_, POLLIN, 0};
    if (::poll(&watched, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
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
  CloseEverything();
}

void VirtualDebugProbe::ServeConnection(int fd) {
  session_->ResetQuit();
  std::string replies;
  char buffer[65536];
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
      ready = ::poll(&watched, 1, kIdlePollMs);
      if (ready > 0) n = ::recv(fd, buffer, sizeof buffer, 0);
    }
    if (ready == 0) {
      if (!Idle()) return;
      continue;
    }
    if (ready < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    last_data = Clock::now();
    replies.clear();
    session_->HandleBitbang(buffer, static_cast<size_t>(n), replies);
    if (!Received(static_cast<size_t>(n), /*session_began=*/false)) {
      stopping_ = true;
      return;
    }
    size_t sent = 0;
    while (sent < replies.size()) {
      const ssize_t w = ::send(fd, replies.data() + sent, replies.size() - sent, MSG_NOSIGNAL);
      if (w <= 0) return;
      sent += static_cast<size_t>(w);
    }
  }
  (void)Idle();  // the last writes and a held resume
}

}  // namespace hil::virtual_bench
