#include "hil/streaming_probe.h"

namespace hil {

StreamingProbe::StreamingProbe(size_t queue_blocks) : queue_blocks_(queue_blocks) {}

StreamingProbe::~StreamingProbe() {
  // The derived destructor has stopped the thread; this is a last guard
  // against a driver that forgot, so the process does not terminate.
  if (thread_.joinable()) thread_.join();
}

Status StreamingProbe::Start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) return ConfigurationError(info().kind + " probe is already streaming");
  }
  HIL_RETURN_IF_ERROR(BeginStream());
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = true;
  ended_ = false;
  failure_.reset();
  stop_requested_ = false;
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void StreamingProbe::Run() {
  Status status = Acquire();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!status.ok()) failure_ = status.error().WithContext(info().kind + " probe at " + info().uri);
  if (overflow_carry_ > 0) {
    // Samples dropped at the very end still show, as a gap with no samples.
    SampleBlock gap;
    gap.lost_before = overflow_carry_;
    overflow_carry_ = 0;
    queue_.push_back(std::move(gap));
  }
  ended_ = true;
  changed_.notify_all();
}

void StreamingProbe::Publish(SampleBlock block) {
  std::lock_guard<std::mutex> lock(mutex_);
  counted_.samples += block.size();
  counted_.lost_samples += block.lost_before + block.lost_inside;
  counted_.events += block.events.size();
  if (queue_.size() >= queue_blocks_) {
    counted_.overflow_samples += block.size();
    overflow_carry_ += block.lost_before + block.size() + block.lost_inside;
    return;
  }
  block.lost_before += overflow_carry_;
  overflow_carry_ = 0;
  queue_.push_back(std::move(block));
  changed_.notify_all();
}

Result<PowerProbe::Poll> StreamingProbe::Next(SampleBlock& block,
                                              std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !queue_.empty() || ended_ || !running_; });
  if (!queue_.empty()) {
    block = std::move(queue_.front());
    queue_.pop_front();
    return Poll::kBlock;
  }
  if (failure_) return *failure_;
  if (ended_ || !running_) return Poll::kEnd;
  return Poll::kTimeout;
}

Status StreamingProbe::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable()) return OkStatus();
  }
  stop_requested_ = true;
  Status request = OkStatus();
  bool ended;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ended = ended_;
  }
  // A stream that already failed has no device to tell.
  if (!ended) request = RequestEnd();
  thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  if (!request.ok() && !failure_) return request;
  return OkStatus();
}

ProbeStats StreamingProbe::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  ProbeStats stats = counted_;
  stats.bytes = bytes_;
  stats.garbage_bytes = garbage_bytes_;
  return stats;
}

}  // namespace hil
