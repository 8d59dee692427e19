// Real-time pacing for the virtual bench: virtual time may not run ahead of
// the host's clock, so a tool that times the DUT on the host sees a board's
// pace. A board never runs fast to make up for lost time either: when QEMU
// falls behind (an I/O-heavy polling loop, a busy host), the lag is
// forgiven, not caught up in a burst, which is what QEMU's own
// "-icount align=on" does.
#pragma once

#include <cstdint>
#include <functional>

namespace hil::virtual_bench {

class Pacer {
 public:
  // now_ns: the host's monotonic clock; sleep_ns: blocks the vCPU.
  Pacer(std::function<int64_t()> now_ns, std::function<void(int64_t)> sleep_ns);

  // Called with the virtual time as the guest runs (every few thousand
  // instructions): sleeps while it is ahead of the host by more than
  // kSlackNs, and forgets a lag beyond kForgiveNs.
  void Pace(uint64_t virtual_ns);

  static constexpr int64_t kSlackNs = 1'000'000;     // 1 ms: sleeps shorter are noise
  static constexpr int64_t kForgiveNs = 10'000'000;  // 10 ms

  uint64_t sleeps() const { return sleeps_; }
  uint64_t rebases() const { return rebases_; }

 private:
  std::function<int64_t()> now_ns_;
  std::function<void(int64_t)> sleep_ns_;
  bool started_ = false;
  uint64_t virtual_base_ = 0;
  int64_t host_base_ = 0;
  uint64_t sleeps_ = 0, rebases_ = 0;
};

}  // namespace hil::virtual_bench
