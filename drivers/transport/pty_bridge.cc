#include "drivers/transport/pty_bridge.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace hil::transport {
namespace {

namespace fs = std::filesystem;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Opens the terminal's client side briefly: to flush what a departed client
// left unread, and, at the start, so that the master reports a hang-up
// until a real client opens it (a terminal never opened reports nothing).
void TouchClientSide(const std::string& terminal, bool flush) {
  const int fd = ::open(terminal.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  if (flush) ::tcflush(fd, TCIFLUSH);
  ::close(fd);
}

}  // namespace

Result<std::unique_ptr<PtyBridge>> PtyBridge::Start(std::unique_ptr<ByteStream> device,
                                                    const std::string& link_path) {
  std::unique_ptr<PtyBridge> bridge(new PtyBridge());
  bridge->device_ = std::move(device);
  if (!link_path.empty()) {
    std::error_code error;
    const fs::path link(link_path);
    const fs::file_status status = fs::symlink_status(link, error);
    if (fs::exists(status) && !fs::is_symlink(status)) {
      return ConfigurationError(link_path +
                                " exists and is not a link: give --pty a new path (it becomes a "
                                "link to the pseudo-terminal)");
    }
    const fs::path parent = fs::absolute(link).parent_path();
    if (!fs::is_directory(parent, error)) {
      return ConfigurationError("--pty " + link_path + ": no folder " + parent.string());
    }
  }
  bridge->master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (bridge->master_ < 0) return InfrastructureError(Errno("cannot open a pseudo-terminal"));
  if (::grantpt(bridge->master_) != 0 || ::unlockpt(bridge->master_) != 0) {
    return InfrastructureError(Errno("cannot unlock the pseudo-terminal"));
  }
  char name[128];
  if (::ptsname_r(bridge->master_, name, sizeof name) != 0) {
    return InfrastructureError(Errno("cannot name the pseudo-terminal"));
  }
  bridge->terminal_ = name;
  // Raw, as a USB serial port is: no echo, no line editing, no CR/LF
  // translation. Clients set their own modes too; this is for those that
  // do not (cat, a shell redirection).
  termios modes{};
  if (::tcgetattr(bridge->master_, &modes) == 0) {
    ::cfmakeraw(&modes);
    ::cfsetspeed(&modes, B115200);
    ::tcsetattr(bridge->master_, TCSANOW, &modes);
  }
  TouchClientSide(bridge->terminal_, false);
  if (!link_path.empty()) {
    std::error_code ignored;
    fs::remove(link_path, ignored);  // an earlier bench's link
    std::error_code error;
    fs::create_symlink(bridge->terminal_, link_path, error);
    if (error) {
      return InfrastructureError("cannot link " + link_path + " to " + bridge->terminal_ + ": " +
                                 error.message());
    }
    bridge->link_ = link_path;
  }
  bridge->thread_ = std::thread([raw = bridge.get()] { raw->Pump(); });
  return bridge;
}

PtyBridge::~PtyBridge() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (master_ >= 0) ::close(master_);
  if (!link_.empty()) {
    std::error_code ignored;
    fs::remove(link_, ignored);
  }
}

PtyBridgeStats PtyBridge::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::optional<Error> PtyBridge::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

bool PtyBridge::ClientPresent() {
  pollfd fd{master_, POLLIN, 0};
  if (::poll(&fd, 1, 0) < 0) return client_;
  const bool present = (fd.revents & POLLHUP) == 0;
  if (present != client_) {
    client_ = present;
    if (present) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.sessions;
    } else {
      ClearUnread();
    }
  }
  return present;
}

// What the departed client did not read would otherwise greet the next one.
void PtyBridge::ClearUnread() {
  TouchClientSide(terminal_, true);
  // Our own open and close count as a visit: the master hangs up again.
  client_ = false;
}

void PtyBridge::SendToClient(const uint8_t* data, size_t size) {
  size_t sent = 0;
  // A client that stops reading fills the terminal's buffer; a real UART
  // overruns then, and so does this, after a grace period.
  for (int waits = 0; sent < size && waits < 20;) {
    const ssize_t n = ::write(master_, data + sent, size - sent);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) break;
    pollfd fd{master_, POLLOUT, 0};
    ::poll(&fd, 1, 10);
    ++waits;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.to_client += sent;
  stats_.dropped += size - sent;
}

void PtyBridge::Pump() {
  std::vector<uint8_t> buffer(4096);
  while (!stop_) {
    if (ClientPresent()) {
      const ssize_t n = ::read(master_, buffer.data(), buffer.size());
      if (n > 0) {
        Status written = device_->Write(std::span<const uint8_t>(buffer.data(), n));
        std::lock_guard<std::mutex> lock(mutex_);
        if (!written.ok()) {
          failure_ = written.error();
          return;
        }
        stats_.from_client += static_cast<uint64_t>(n);
      }
    }
    // Short waits: a client's command goes out within a few milliseconds.
    Result<size_t> got = device_->Read(buffer, std::chrono::milliseconds(2));
    if (!got.ok()) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = got.error();
      return;
    }
    if (*got == 0) continue;
    if (ClientPresent()) {
      SendToClient(buffer.data(), *got);
    } else {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.dropped += *got;
    }
  }
}

}  // namespace hil::transport
