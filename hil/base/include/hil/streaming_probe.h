// StreamingProbe: what every probe driver shares. One acquisition thread
// reads and decodes; blocks go through a bounded queue to the consumer. When
// the consumer falls behind, a full queue drops the newest block, counts its
// samples as overflow and turns them into an exact gap before the next block,
// so the timeline stays right and nothing is lost silently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "hil/power_probe.h"

namespace hil {

// The timing every driver's read loop applies at the end of a stream: after
// a stop was requested, the stream is over once it has been quiet for a
// while (or after a hard limit); before that, no data for too long is a
// stall.
class StreamEndTimer {
 public:
  enum class State { kStreaming, kOver, kStalled };
  using Clock = std::chrono::steady_clock;

  StreamEndTimer(std::chrono::milliseconds quiet_after_stop, std::chrono::milliseconds stop_limit,
                 std::chrono::milliseconds stall_timeout)
      : quiet_after_stop_(quiet_after_stop),
        stop_limit_(stop_limit),
        stall_timeout_(stall_timeout) {}

  void DataArrived() { last_data_ = Clock::now(); }
  // Call on every pass of the loop; stop_requested says whether Stop() began.
  State Check(bool stop_requested) {
    const Clock::time_point now = Clock::now();
    if (stop_requested && !stopping_) {
      stopping_ = true;
      stop_seen_ = now;
    }
    if (stopping_) {
      const bool over = now - last_data_ >= quiet_after_stop_ || now - stop_seen_ > stop_limit_;
      return over ? State::kOver : State::kStreaming;
    }
    return now - last_data_ > stall_timeout_ ? State::kStalled : State::kStreaming;
  }
  bool stopping() const { return stopping_; }
  std::chrono::milliseconds stall_timeout() const { return stall_timeout_; }

 private:
  std::chrono::milliseconds quiet_after_stop_, stop_limit_, stall_timeout_;
  Clock::time_point last_data_ = Clock::now();
  bool stopping_ = false;  // (a plain flag: GCC 12 misreads an optional here)
  Clock::time_point stop_seen_{};
};

class StreamingProbe : public PowerProbe {
 public:
  Status Start() final;
  Result<Poll> Next(SampleBlock& block, std::chrono::milliseconds timeout) final;
  Status Stop() final;
  ProbeStats stats() const final;

 protected:
  // queue_blocks bounds what the consumer may leave untaken.
  explicit StreamingProbe(size_t queue_blocks);
  // A derived driver's destructor must call Stop(): the thread calls its
  // virtual functions.
  ~StreamingProbe() override;

  // Caller's thread, in Start(): tell the device to stream.
  virtual Status BeginStream() = 0;
  // Acquisition thread: read, decode and Publish() until the stream ends
  // (return OK) or fails (return the error, after publishing what was
  // decoded). Must return soon after stop_requested() turns true and the
  // device has confirmed the end or gone quiet.
  virtual Status Acquire() = 0;
  // Caller's thread, in Stop(): tell the device to stop streaming.
  virtual Status RequestEnd() = 0;

  // Acquisition thread: hands a decoded block to the consumer.
  void Publish(SampleBlock block);
  bool stop_requested() const { return stop_requested_.load(); }
  void CountBytes(uint64_t n) { bytes_ += n; }
  void CountGarbage(uint64_t n) { garbage_bytes_ += n; }

 private:
  void Run();

  const size_t queue_blocks_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> garbage_bytes_{0};

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::deque<SampleBlock> queue_;
  uint64_t overflow_carry_ = 0;  // dropped samples still to be put before the next block
  ProbeStats counted_;           // samples, lost, overflow, events
  bool running_ = false;
  bool ended_ = false;
  std::optional<Error> failure_;
};

}  // namespace hil
