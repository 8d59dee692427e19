#include "virtual_probe.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hil::virtual_bench {
namespace {

constexpr uint8_t kGarbageByte = 0xA5;

}  // namespace

VirtualProbe::VirtualProbe(VirtualProbeOptions options,
                           std::unique_ptr<ProbePersonality> personality, Clock now)
    : options_(std::move(options)), personality_(std::move(personality)), now_(std::move(now)) {}

VirtualProbe::~VirtualProbe() { Stop(); }

Status VirtualProbe::Start() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (options_.socket_path.size() >= sizeof(address.sun_path)) {
    return ConfigurationError("probe socket path too long: " + options_.socket_path);
  }
  std::strcpy(address.sun_path, options_.socket_path.c_str());
  ::unlink(options_.socket_path.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 1) != 0 || ::pipe(wake_pipe_) != 0) {
    return InfrastructureError("virtual probe cannot listen on " + options_.socket_path + ": " +
                               std::strerror(errno));
  }
  if (!options_.samples_path.empty()) {
    samples_file_ = std::fopen(options_.samples_path.c_str(), "wb");
    if (samples_file_ == nullptr) {
      return InfrastructureError("cannot write " + options_.samples_path);
    }
  }
  server_ = std::thread([this] { Serve(); });
  return OkStatus();
}

void VirtualProbe::Stop() {
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
  if (samples_file_ != nullptr) std::fclose(samples_file_);
}

void VirtualProbe::StartStreaming() {
  std::lock_guard<std::mutex> lock(mutex_);
  Checkpoint start = now_();
  start.logic = logic_;
  synthesizer_ = SampleSynthesizer(personality_->sample_period_ns());
  synthesizer_.Start(start);
  personality_->OnStart();
  emitted_until_ns_ = start.time_ns;
  sample_index_ = 0;
  streaming_ = true;
}

void VirtualProbe::StopStreaming() {
  std::lock_guard<std::mutex> lock(mutex_);
  streaming_ = false;
  caught_up_.notify_all();
}

VirtualProbeStats VirtualProbe::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void VirtualProbe::OnEdge(Checkpoint checkpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  logic_ = checkpoint.logic;
  synthesizer_.Add(checkpoint);
}

void VirtualProbe::Throttle(uint64_t now_ns) {
  if (!streaming()) return;
  if (now_ns <= emitted_until_ns_.load(std::memory_order_relaxed) + options_.max_lag_ns) return;
  std::unique_lock<std::mutex> lock(mutex_);
  caught_up_.wait(lock, [&] {
    return !streaming_ || now_ns <= emitted_until_ns_.load() + options_.max_lag_ns;
  });
}

bool VirtualProbe::SendAll(int client, const void* data, size_t size) {
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

bool VirtualProbe::Stream(int client) {
  std::vector<SyntheticSample> samples;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Checkpoint now = now_();
    now.logic = logic_;
    synthesizer_.Add(now);
    synthesizer_.Drain(samples);
  }
  if (samples.empty()) return true;
  std::vector<uint8_t> bytes;
  VirtualProbeStats added;
  bool close_now = false;
  if (samples_file_ != nullptr) {
    for (const SyntheticSample& sample : samples) {
      const double amps = personality_->ModelledAmps(sample);
      std::fwrite(&amps, sizeof(amps), 1, samples_file_);
    }
    std::fflush(samples_file_);
  }
  for (const SyntheticSample& sample : samples) {
    const uint64_t index = sample_index_++;
    if (options_.drop_every != 0 && (index + 1) % options_.drop_every == 0) {
      ++added.samples_dropped;
      continue;
    }
    personality_->EncodeSample(sample, index, bytes);
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

void VirtualProbe::Serve() {
  while (!stopping_) {
    pollfd accept_fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(accept_fds, 2, -1) < 0 && errno != EINTR) return;
    if (stopping_ || (accept_fds[1].revents & POLLIN)) return;
    if (!(accept_fds[0].revents & POLLIN)) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // A small send buffer keeps what the kernel holds for a slow reader to
    // some tens of milliseconds of samples, so backpressure reaches QEMU
    // promptly instead of after the default buffer's half second.
    const int send_buffer = 8192;
    ::setsockopt(client, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));

    std::vector<uint8_t> input;
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
        input.insert(input.end(), buffer, buffer + n);
        std::vector<uint8_t> reply;
        const ProbePersonality::Actions actions = personality_->OnInput(input, reply);
        if (actions.stop && streaming()) {
          // Samples up to now, then the reply, then the end-of-stream words.
          connected = Stream(client);
          StopStreaming();
          personality_->OnStop(reply);
        }
        if (!SendAll(client, reply.data(), reply.size())) break;
        if (actions.start) StartStreaming();
      }
      if (connected && streaming()) connected = Stream(client);
    }
    StopStreaming();
    ::close(client);
  }
}

}  // namespace hil::virtual_bench
