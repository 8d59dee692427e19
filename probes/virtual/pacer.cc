#include "probes/virtual/pacer.h"

#include <utility>

namespace hil::virtual_bench {

Pacer::Pacer(std::function<int64_t()> now_ns, std::function<void(int64_t)> sleep_ns)
    : now_ns_(std::move(now_ns)), sleep_ns_(std::move(sleep_ns)) {}

void Pacer::Pace(uint64_t virtual_ns) {
  const int64_t host = now_ns_();
  if (!started_) {
    started_ = true;
    virtual_base_ = virtual_ns;
    host_base_ = host;
    return;
  }
  const int64_t ahead = static_cast<int64_t>(virtual_ns - virtual_base_) - (host - host_base_);
  if (ahead > kSlackNs) {
    sleep_ns_(ahead);
    ++sleeps_;
  } else if (ahead < -kForgiveNs) {
    // Behind: start counting again from here.
    virtual_base_ = virtual_ns;
    host_base_ = host;
    ++rebases_;
  }
}

}  // namespace hil::virtual_bench
