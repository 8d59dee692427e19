// Real-time pacing: virtual time never runs ahead of the host's clock, and a
// lag is forgiven rather than caught up in a burst.
#include "probes/virtual/pacer.h"

#include <gtest/gtest.h>

namespace hil::virtual_bench {
namespace {

struct FakeHost {
  int64_t now = 0;
  std::vector<int64_t> slept;
  Pacer MakePacer() {
    return Pacer([this] { return now; },
                 [this](int64_t ns) {
                   slept.push_back(ns);
                   now += ns;  // the sleep passes host time
                 });
  }
};

TEST(Pacer, AGuestAheadOfTheHostSleepsTheDifference) {
  FakeHost host;
  Pacer pacer = host.MakePacer();
  pacer.Pace(1'000'000'000);  // the reference: 1 s of virtual time at host 0
  host.now = 2'000'000;       // 2 ms of host time
  pacer.Pace(1'010'000'000);  // while 10 ms of virtual time ran
  ASSERT_EQ(host.slept.size(), 1u);
  EXPECT_EQ(host.slept[0], 8'000'000);
  // Within the slack: no sleep.
  host.now += 500'000;
  pacer.Pace(1'011'000'000);
  EXPECT_EQ(host.slept.size(), 1u);
}

TEST(Pacer, ALagIsForgivenNotCaughtUp) {
  FakeHost host;
  Pacer pacer = host.MakePacer();
  pacer.Pace(0);
  host.now = 500'000'000;  // half a second of host time for 100 ms of guest
  pacer.Pace(100'000'000);
  EXPECT_TRUE(host.slept.empty());
  EXPECT_EQ(pacer.rebases(), 1u);
  // From here the guest runs at the host's pace again: 20 ms of guest in
  // 5 ms of host is held back to 20 ms, not let through to make up 400 ms.
  host.now += 5'000'000;
  pacer.Pace(120'000'000);
  ASSERT_EQ(host.slept.size(), 1u);
  EXPECT_EQ(host.slept[0], 15'000'000);
}

TEST(Pacer, ASmallLagIsKeptAndMadeUpWithinTheForgiveness) {
  FakeHost host;
  Pacer pacer = host.MakePacer();
  pacer.Pace(0);
  host.now = 5'000'000;  // 5 ms behind: under kForgiveNs, kept
  pacer.Pace(0);
  EXPECT_EQ(pacer.rebases(), 0u);
  host.now = 6'000'000;
  pacer.Pace(9'000'000);  // 9 ms of guest in 6 ms: 3 ms ahead
  ASSERT_EQ(host.slept.size(), 1u);
  EXPECT_EQ(host.slept[0], 3'000'000);
}

}  // namespace
}  // namespace hil::virtual_bench
