// A virtual PPK2 inside the energy plugin: it serves the PPK2's wire
// protocol on a Unix socket and streams 100 kHz sample words of the modelled
// current, with the trigger pins on logic inputs D0..D2.
//
// Threads: QEMU's vCPU thread reports pin edges and is held back when the
// stream lags (backpressure: QEMU never runs ahead of what the reader has
// taken by more than max_lag_ns of virtual time plus the socket's small send
// buffer, about 40 ms); one server thread answers commands and turns
// checkpoints into sample words.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "hil/error.h"
#include "probes/ppk2/codec.h"
#include "probes/virtual/sample_synthesizer.h"

namespace hil::virtual_bench {

struct VirtualPpk2Options {
  std::string socket_path;
  double supply_v = 3.3;  // the DUT supply in ampere-meter mode
  uint64_t max_lag_ns = 20'000'000;
  // Fault injection, for the host's tests. 0 disables each.
  uint64_t drop_every = 0;     // leave out every Nth sample (the counter still advances)
  uint64_t garbage_every = 0;  // after every N samples, one stray byte (0xA5)
  uint64_t close_after = 0;    // close the connection after N samples
  uint64_t stall_after = 0;    // after N samples, stop sending for stall_ms
  uint64_t stall_ms = 0;
};

struct VirtualPpk2Stats {
  uint64_t samples_sent = 0;
  uint64_t samples_dropped = 0;
  uint64_t garbage_bytes = 0;
};

class VirtualPpk2 {
 public:
  // now() reads the model's cumulative energy and time; it is called with
  // the edge lock held, which OnEdge also holds, so an edge is never
  // overtaken by a later reading.
  using Clock = std::function<Checkpoint()>;

  VirtualPpk2(VirtualPpk2Options options, Clock now);
  ~VirtualPpk2();

  // Binds the socket and starts the server thread. Errors: infrastructure.
  Status Start();
  void Stop();

  // vCPU thread: a trigger pin changed; checkpoint carries the new levels.
  void OnEdge(Checkpoint checkpoint);
  // vCPU thread, at every store: waits while the stream lags too far behind.
  void Throttle(uint64_t now_ns);
  bool streaming() const { return streaming_.load(std::memory_order_relaxed); }

  VirtualPpk2Stats stats() const;

 private:
  void Serve();
  void HandleCommand(int client, uint8_t opcode, const uint8_t* arguments);
  // Synthesises and sends what the model has produced; false once the
  // client is gone.
  bool Stream(int client);
  bool SendAll(int client, const void* data, size_t size);
  void StopStreaming();

  VirtualPpk2Options options_;
  Clock now_;
  ppk2::Metadata metadata_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread server_;

  mutable std::mutex mutex_;  // guards synthesizer_, logic_, stats_
  std::condition_variable caught_up_;
  SampleSynthesizer synthesizer_;
  uint8_t logic_ = 0;
  VirtualPpk2Stats stats_;
  std::atomic<bool> streaming_{false};
  std::atomic<uint64_t> emitted_until_ns_{0};
  std::atomic<bool> stopping_{false};

  // Protocol state set by the host.
  double regulator_v_ = 0;
  bool source_meter_ = false;
  uint64_t sample_index_ = 0;
  bool stalled_ = false;
};

}  // namespace hil::virtual_bench
