// A virtual power monitor inside the energy plugin: it serves a device's
// wire protocol (a ProbePersonality: PPK2 or LPM01A) on a Unix socket and
// streams samples of the modelled current, with the harness's trigger pins
// on its logic inputs.
//
// Threads: QEMU's vCPU thread reports pin edges and is held back when the
// stream lags (backpressure: QEMU never runs ahead of what the reader has
// taken by more than max_lag_ns of virtual time plus the socket's small send
// buffer); one server thread answers commands and turns checkpoints into
// samples.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hil/error.h"
#include "probe_personality.h"
#include "probes/virtual/sample_synthesizer.h"

namespace hil::virtual_bench {

struct VirtualProbeOptions {
  std::string socket_path;
  uint64_t max_lag_ns = 20'000'000;
  // Fault injection, for the host's tests. 0 disables each.
  uint64_t drop_every = 0;     // leave out every Nth sample (a PPK2's counter still advances)
  uint64_t garbage_every = 0;  // after every N samples, one stray byte (0xA5)
  uint64_t close_after = 0;    // close the connection after N samples
  uint64_t stall_after = 0;    // after N samples, stop sending for stall_ms
  uint64_t stall_ms = 0;
  // When set, the modelled current of every sample (dropped ones too) is
  // written here as float64, in sample order: the truth a host decoder's
  // output is checked against.
  std::string samples_path;
};

struct VirtualProbeStats {
  uint64_t samples_sent = 0;
  uint64_t samples_dropped = 0;
  uint64_t garbage_bytes = 0;
};

class VirtualProbe {
 public:
  // now() reads the model's cumulative energy and time; it is called with
  // the edge lock held, which OnEdge also holds, so an edge is never
  // overtaken by a later reading.
  using Clock = std::function<Checkpoint()>;

  VirtualProbe(VirtualProbeOptions options, std::unique_ptr<ProbePersonality> personality,
               Clock now);
  ~VirtualProbe();

  // Binds the socket and starts the server thread. Errors: infrastructure.
  Status Start();
  void Stop();

  // vCPU thread: a trigger pin changed; checkpoint carries the new levels.
  void OnEdge(Checkpoint checkpoint);
  // vCPU thread, at every store: waits while the stream lags too far behind.
  void Throttle(uint64_t now_ns);
  bool streaming() const { return streaming_.load(std::memory_order_relaxed); }

  VirtualProbeStats stats() const;

 private:
  void Serve();
  // Synthesises and sends what the model has produced; false once the
  // connection is over.
  bool Stream(int client);
  bool SendAll(int client, const void* data, size_t size);
  void StartStreaming();
  void StopStreaming();

  VirtualProbeOptions options_;
  std::unique_ptr<ProbePersonality> personality_;
  Clock now_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread server_;

  mutable std::mutex mutex_;  // guards synthesizer_, logic_, stats_
  std::condition_variable caught_up_;
  SampleSynthesizer synthesizer_;
  uint8_t logic_ = 0;
  VirtualProbeStats stats_;
  std::atomic<bool> streaming_{false};
  std::atomic<uint64_t> emitted_until_ns_{0};
  std::atomic<bool> stopping_{false};

  uint64_t sample_index_ = 0;
  std::FILE* samples_file_ = nullptr;
  bool stalled_ = false;
};

}  // namespace hil::virtual_bench
