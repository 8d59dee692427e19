#include "virtual_ppk2.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hil::virtual_bench {
namespace {

// The calibration block of one real PPK2 (protocols.md), defaults elsewhere.
ppk2::Metadata RealisticMetadata(double supply_v) {
  ppk2::Metadata metadata;
  metadata.calibrated = true;
  metadata.calibration.r[0] = 1003.35;
  metadata.calibration.gs[1] = 112.789;
  metadata.calibration.o[0] = 112.94;
  metadata.calibration.s[4] = 0.00294;
  metadata.calibration.i[4] = -0.00939;
  metadata.vdd_mv = static_cast<uint32_t>(supply_v * 1000.0 + 0.5);
  metadata.hw = "9173";
  metadata.mode = "2";
  metadata.ia = "56";
  return metadata;
}

constexpr uint8_t kGarbageByte = 0xA5;

}  // namespace

VirtualPpk2::VirtualPpk2(VirtualPpk2Options options, Clock now)
    : options_(std::move(options)),
      now_(std::move(now)),
      metadata_(RealisticMetadata(options_.supply_v)) {}

VirtualPpk2::~VirtualPpk2() { Stop(); }

Status VirtualPpk2::Start() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (options_.socket_path.size() >= sizeof(address.sun_path)) {
    return ConfigurationError("PPK2 socket path too long: " + options_.socket_path);
  }
  std::strcpy(address.sun_path, options_.socket_path.c_str());
  ::unlink(options_.socket_path.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 1) != 0 || ::pipe(wake_pipe_) != 0) {
    return InfrastructureError("virtual PPK2 cannot listen on " + options_.socket_path + ": " +
                               std::strerror(errno));
  }
  server_ = std::thread([this] { Serve(); });
  return OkStatus();
}

void VirtualPpk2::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) {
    const char byte = 1;
    ssize_t ignored = ::write(wake_pipe_[1], &byte, 1);
    (void)ignored;
  }
  StopStreaming();
  if (server_.joinable()) server_.join();
  for (int fd : {listen_fd_, wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) ::close(fd);
  }
  ::unlink(options_.socket_path.c_str());
}

void VirtualPpk2::StopStreaming() {
  std::lock_guard<std::mutex> lock(mutex_);
  streaming_ = false;
  caught_up_.notify_all();
}

VirtualPpk2Stats VirtualPpk2::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void VirtualPpk2::OnEdge(Checkpoint checkpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  logic_ = checkpoint.logic;
  synthesizer_.Add(checkpoint);
}

void VirtualPpk2::Throttle(uint64_t now_ns) {
  if (!streaming()) return;
  if (now_ns <= emitted_until_ns_.load(std::memory_order_relaxed) + options_.max_lag_ns) return;
  std::unique_lock<std::mutex> lock(mutex_);
  caught_up_.wait(lock, [&] {
    return !streaming_ || now_ns <= emitted_until_ns_.load() + options_.max_lag_ns;
  });
}

bool VirtualPpk2::SendAll(int client, const void* data, size_t size) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (size > 0) {
    // Blocking: a reader that does not read holds the stream, and through
    // Throttle, QEMU.
    ssize_t n = ::send(client, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void VirtualPpk2::HandleCommand(int client, uint8_t opcode, const uint8_t* arguments) {
  using ppk2::Opcode;
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kGetMetadata: {
      const std::string text = ppk2::FormatMetadata(metadata_);
      SendAll(client, text.data(), text.size());
      break;
    }
    case Opcode::kAverageStart: {
      std::lock_guard<std::mutex> lock(mutex_);
      Checkpoint start = now_();
      start.logic = logic_;
      synthesizer_.Start(start);
      emitted_until_ns_ = start.time_ns;
      sample_index_ = 0;
      streaming_ = true;
      break;
    }
    case Opcode::kAverageStop:
      StopStreaming();
      break;
    case Opcode::kRegulatorSet:
      regulator_v_ = ((arguments[0] << 8) | arguments[1]) / 1000.0;
      break;
    case Opcode::kSetPowerMode:
      source_meter_ = arguments[0] == static_cast<uint8_t>(ppk2::PowerMode::kSourceMeter);
      break;
    default:
      // DeviceRunningSet, spike filtering, user gains, reset: accepted; the
      // model's DUT is always powered and unfiltered.
      break;
  }
}

bool VirtualPpk2::Stream(int client) {
  std::vector<SyntheticSample> samples;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Checkpoint now = now_();
    now.logic = logic_;
    synthesizer_.Add(now);
    synthesizer_.Drain(samples);
  }
  if (samples.empty()) return true;
  const double vdd = source_meter_ && regulator_v_ > 0 ? regulator_v_ : options_.supply_v;
  std::vector<uint8_t> bytes;
  bytes.reserve(samples.size() * 5);
  VirtualPpk2Stats added;
  bool close_now = false;
  for (const SyntheticSample& sample : samples) {
    const uint64_t index = sample_index_++;
    if (options_.drop_every != 0 && (index + 1) % options_.drop_every == 0) {
      ++added.samples_dropped;
      continue;
    }
    // pJ per sample period -> watts -> amperes at the supply.
    const double watts = sample.energy_pj * 1e-12 / (synthesizer_.period_ns() * 1e-9);
    ppk2::Sample word = ppk2::AmpsToSample(watts / vdd, metadata_.calibration, vdd);
    word.counter = static_cast<uint8_t>(index & 0x3F);
    word.logic = sample.logic;
    const uint32_t encoded = ppk2::EncodeWord(word);
    for (int shift = 0; shift < 32; shift += 8)
      bytes.push_back(static_cast<uint8_t>(encoded >> shift));
    ++added.samples_sent;
    const uint64_t sent = stats_.samples_sent + added.samples_sent;
    if (options_.garbage_every != 0 && sent % options_.garbage_every == 0) {
      bytes.push_back(kGarbageByte);
      ++added.garbage_bytes;
    }
    if (options_.close_after != 0 && sent >= options_.close_after) {
      close_now = true;
      break;
    }
    if (!stalled_ && options_.stall_after != 0 && sent >= options_.stall_after) {
      stalled_ = true;
      if (!SendAll(client, bytes.data(), bytes.size())) return false;
      bytes.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.stall_ms));
    }
  }
  const bool ok = SendAll(client, bytes.data(), bytes.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.samples_sent += added.samples_sent;
    stats_.samples_dropped += added.samples_dropped;
    stats_.garbage_bytes += added.garbage_bytes;
    emitted_until_ns_ = synthesizer_.position_ns();
  }
  caught_up_.notify_all();
  return ok && !close_now;
}

void VirtualPpk2::Serve() {
  while (!stopping_) {
    pollfd accept_fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(accept_fds, 2, -1) < 0 && errno != EINTR) return;
    if (stopping_ || (accept_fds[1].revents & POLLIN)) return;
    if (!(accept_fds[0].revents & POLLIN)) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // A small send buffer keeps what the kernel holds for a slow reader to
    // some 40 ms of samples, so backpressure reaches QEMU promptly instead of
    // after the default buffer's half second.
    const int send_buffer = 8192;
    ::setsockopt(client, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));

    std::vector<uint8_t> pending;
    bool connected = true;
    while (connected && !stopping_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
      // While streaming, wake often to send what the model produced.
      ::poll(fds, 2, streaming() ? 1 : 50);
      if (fds[1].revents & POLLIN) break;
      if (fds[0].revents & (POLLIN | POLLHUP)) {
        uint8_t buffer[256];
        const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        pending.insert(pending.end(), buffer, buffer + n);
        // Commands are an opcode and a fixed number of argument bytes.
        size_t used = 0;
        while (used < pending.size()) {
          const std::optional<size_t> arguments = ppk2::ArgumentBytes(pending[used]);
          if (!arguments) {
            ++used;  // an unknown opcode: the device ignores it
            continue;
          }
          if (used + 1 + *arguments > pending.size()) break;
          HandleCommand(client, pending[used], &pending[used + 1]);
          used += 1 + *arguments;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(used));
      }
      if (streaming()) connected = Stream(client);
    }
    StopStreaming();
    ::close(client);
  }
}

}  // namespace hil::virtual_bench
