#include "drivers/flash/virtual_debug_probe/gdb_remote.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace hil::virtual_bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string Hex(const uint8_t* data, size_t length) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text(2 * length, '0');
  for (size_t i = 0; i < length; ++i) {
    text[2 * i] = kDigits[data[i] >> 4];
    text[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return text;
}

int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool FromHex(const std::string& text, std::vector<uint8_t>& out) {
  if (text.size() % 2 != 0) return false;
  out.resize(text.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int high = Nibble(text[2 * i]), low = Nibble(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

std::string HexNumber(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(value));
  return text;
}

bool IsStopReply(const std::string& packet) {
  return !packet.empty() && (packet[0] == 'T' || packet[0] == 'S' || packet[0] == 'W');
}

}  // namespace

Result<std::unique_ptr<GdbRemote>> GdbRemote::Connect(const std::string& socket_path,
                                                      std::chrono::milliseconds wait) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    return ConfigurationError("socket path too long: " + socket_path);
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const auto end = Clock::now() + wait;
  int fd = -1;
  for (;;) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return InfrastructureError(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) break;
    const int error = errno;
    ::close(fd);
    if (Clock::now() >= end) {
      return InfrastructureError("cannot reach QEMU's gdbstub at " + socket_path + ": " +
                                 std::strerror(error));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::unique_ptr<GdbRemote> remote(new GdbRemote(fd));

  Result<std::string> features = remote->Transact("qSupported:xmlRegisters=arm");
  if (!features.ok()) return features.error();
  const size_t at = features->find("PacketSize=");
  if (at != std::string::npos) {
    const size_t size = std::strtoul(features->c_str() + at + 11, nullptr, 16);
    if (size > 64) remote->max_payload_ = size - 16;
  }
  if (features->find("QStartNoAckMode+") != std::string::npos) {
    Result<std::string> no_ack = remote->Transact("QStartNoAckMode");
    if (no_ack.ok() && *no_ack == "OK") remote->ack_mode_ = false;
  }
  // Registers answer only once the target description was read.
  for (size_t offset = 0;;) {
    Result<std::string> part =
        remote->Transact("qXfer:features:read:target.xml:" + HexNumber(offset) + ",ffb");
    if (!part.ok()) return part.error();
    if (part->empty() || (*part)[0] == 'E') break;
    offset += part->size() - 1;
    if ((*part)[0] == 'l') break;
  }
  Result<std::string> stop = remote->Transact("?");
  if (!stop.ok()) return stop.error();
  return remote;
}

GdbRemote::~GdbRemote() {
  if (fd_ >= 0) ::close(fd_);
}

Status GdbRemote::Send(const std::string& payload) {
  unsigned checksum = 0;
  for (unsigned char c : payload) checksum += c;
  char tail[4];
  std::snprintf(tail, sizeof tail, "#%02x", checksum & 0xFF);
  const std::string packet = "$" + payload + tail;
  size_t sent = 0;
  while (sent < packet.size()) {
    const ssize_t n = ::send(fd_, packet.data() + sent, packet.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return InfrastructureError("QEMU's gdbstub connection is lost");
    sent += static_cast<size_t>(n);
  }
  ++packets_sent_;
  return OkStatus();
}

Status GdbRemote::ReadMore(std::chrono::milliseconds timeout) {
  pollfd watched{fd_, POLLIN, 0};
  const int ready = ::poll(&watched, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno == EINTR) return OkStatus();
  if (ready == 0) return InfrastructureError("QEMU's gdbstub did not answer in time");
  char chunk[65536];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0 && errno == EINTR) return OkStatus();
  if (n <= 0) return InfrastructureError("QEMU's gdbstub closed the connection (QEMU ended?)");
  buffer_.append(chunk, static_cast<size_t>(n));
  return OkStatus();
}

std::optional<std::string> GdbRemote::TakePacket() {
  for (;;) {
    size_t start = buffer_.find('$');
    if (start == std::string::npos) {
      buffer_.clear();  // acks and noise
      return std::nullopt;
    }
    const size_t hash = buffer_.find('#', start + 1);
    if (hash == std::string::npos || buffer_.size() < hash + 3) {
      buffer_.erase(0, start);
      return std::nullopt;
    }
    std::string raw = buffer_.substr(start + 1, hash - start - 1);
    buffer_.erase(0, hash + 3);
    if (ack_mode_) {
      const char ack = '+';
      (void)::send(fd_, &ack, 1, MSG_NOSIGNAL);
    }
    // Undo escapes ('}' then byte ^ 0x20) and run-length encoding ('*').
    std::string payload;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '}' && i + 1 < raw.size()) {
        payload += static_cast<char>(raw[++i] ^ 0x20);
      } else if (raw[i] == '*' && i + 1 < raw.size() && !payload.empty()) {
        payload.append(static_cast<size_t>(raw[++i] - 29), payload.back());
      } else {
        payload += raw[i];
      }
    }
    return payload;
  }
}

Result<std::string> GdbRemote::Receive(std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  for (;;) {
    if (std::optional<std::string> packet = TakePacket()) {
      if (packet->size() > 1 && (*packet)[0] == 'O' && *packet != "OK") continue;
      return *packet;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) return InfrastructureError("QEMU's gdbstub did not answer in time");
    HIL_RETURN_IF_ERROR(ReadMore(left));
  }
}

Result<std::string> GdbRemote::Transact(const std::string& payload,
                                        std::chrono::milliseconds timeout) {
  HIL_RETURN_IF_ERROR(Send(payload));
  return Receive(timeout);
}

Result<std::vector<uint8_t>> GdbRemote::ReadMemory(uint32_t address, size_t length) {
  std::vector<uint8_t> out;
  out.reserve(length);
  const size_t chunk = max_payload_ / 2;
  for (size_t done = 0; done < length;) {
    const size_t n = std::min(chunk, length - done);
    Result<std::string> reply = Transact("m" + HexNumber(address + done) + "," + HexNumber(n));
    if (!reply.ok()) return reply.error();
    std::vector<uint8_t> bytes;
    if (reply->empty() || (*reply)[0] == 'E' || !FromHex(*reply, bytes) || bytes.size() != n) {
      return InfrastructureError("bus error reading " + std::to_string(n) + " bytes at 0x" +
                                 HexNumber(address + done) + " (" + *reply + ")");
    }
    out.insert(out.end(), bytes.begin(), bytes.end());
    done += n;
  }
  return out;
}

Status GdbRemote::WriteMemory(uint32_t address, const uint8_t* data, size_t length) {
  const size_t chunk = (max_payload_ - 24) / 2;
  for (size_t done = 0; done < length;) {
    const size_t n = std::min(chunk, length - done);
    Result<std::string> reply =
        Transact("M" + HexNumber(address + done) + "," + HexNumber(n) + ":" + Hex(data + done, n));
    if (!reply.ok()) return reply.error();
    if (*reply != "OK") {
      return InfrastructureError("bus error writing " + std::to_string(n) + " bytes at 0x" +
                                 HexNumber(address + done) + " (" + *reply + ")");
    }
    done += n;
  }
  return OkStatus();
}

Result<uint64_t> GdbRemote::ReadRegister(int number) {
  Result<std::string> reply = Transact("p" + HexNumber(static_cast<uint64_t>(number)));
  if (!reply.ok()) return reply.error();
  std::vector<uint8_t> bytes;
  if (reply->empty() || (*reply)[0] == 'E' || !FromHex(*reply, bytes) || bytes.size() > 8) {
    return InfrastructureError("cannot read register " + std::to_string(number) + " (" + *reply +
                               ")");
  }
  uint64_t value = 0;
  for (size_t i = 0; i < bytes.size(); ++i) value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return value;
}

Status GdbRemote::WriteRegister(int number, uint64_t value, int bytes) {
  uint8_t raw[8];
  for (int i = 0; i < bytes; ++i) raw[i] = static_cast<uint8_t>(value >> (8 * i));
  Result<std::string> reply = Transact("P" + HexNumber(static_cast<uint64_t>(number)) + "=" +
                                       Hex(raw, static_cast<size_t>(bytes)));
  if (!reply.ok()) return reply.error();
  if (*reply != "OK") {
    return InfrastructureError("cannot write register " + std::to_string(number) + " (" + *reply +
                               ")");
  }
  return OkStatus();
}

Result<std::string> GdbRemote::Interrupt() {
  if (!running_) return std::string("S00");
  const char ctrl_c = 0x03;
  if (::send(fd_, &ctrl_c, 1, MSG_NOSIGNAL) != 1) {
    return InfrastructureError("QEMU's gdbstub connection is lost");
  }
  for (;;) {
    Result<std::string> reply = Receive(std::chrono::seconds(5));
    if (!reply.ok()) return reply.error();
    if (IsStopReply(*reply)) {
      running_ = false;
      return *reply;
    }
  }
}

Status GdbRemote::Continue() {
  if (running_) return OkStatus();
  HIL_RETURN_IF_ERROR(Send("c"));
  running_ = true;
  return OkStatus();
}

Result<std::string> GdbRemote::Step() {
  Result<std::string> reply = Transact("s");
  if (!reply.ok()) return reply.error();
  running_ = false;
  return *reply;
}

Result<std::optional<std::string>> GdbRemote::PollStop() {
  if (!running_) return std::optional<std::string>();
  pollfd watched{fd_, POLLIN, 0};
  while (::poll(&watched, 1, 0) > 0) {
    HIL_RETURN_IF_ERROR(ReadMore(std::chrono::milliseconds(0)));
  }
  while (std::optional<std::string> packet = TakePacket()) {
    if (IsStopReply(*packet)) {
      running_ = false;
      return std::optional<std::string>(*packet);
    }
  }
  return std::optional<std::string>();
}

Status GdbRemote::Monitor(const std::string& command) {
  Result<std::string> reply =
      Transact("qRcmd," + Hex(reinterpret_cast<const uint8_t*>(command.data()), command.size()));
  if (!reply.ok()) return reply.error();
  if (!reply->empty() && (*reply)[0] == 'E') {
    return InfrastructureError("QEMU refused 'monitor " + command + "' (" + *reply + ")");
  }
  return OkStatus();
}

Status GdbRemote::Breakpoint(uint32_t address, bool insert) {
  Result<std::string> reply =
      Transact(std::string(insert ? "Z1," : "z1,") + HexNumber(address) + ",2");
  if (!reply.ok()) return reply.error();
  if (*reply != "OK") {
    return InfrastructureError("QEMU refused a breakpoint at 0x" + HexNumber(address) + " (" +
                               *reply + ")");
  }
  return OkStatus();
}

}  // namespace hil::virtual_bench
