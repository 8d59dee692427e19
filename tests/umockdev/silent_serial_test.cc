// A device that is plugged in but says nothing: an emulated ttyACM whose
// far end never answers. libserialport's blocking read takes a timeout of 0
// as "forever", and the LPM01A's and the DUT link's drains asked for
// exactly that, so `hil` hung on such a port. Each open here is bounded,
// so a regression fails the suite instead of hanging it.
#include <gtest/gtest.h>
#include <umockdev.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <thread>

#include "drivers/dut/running_dut.h"
#include "probes/lpm01a/lpm01a_probe.h"
#include "probes/ppk2/ppk2_probe.h"

namespace hil {
namespace {

constexpr char kSilentTty[] =
    "P: /devices/pci0000:00/0000:00:14.0/usb1/1-4\n"
    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: BUSNUM=001\nE: DEVNUM=005\n"
    "A: busnum=1\\n\nA: devnum=5\\n\nA: idVendor=0483\\n\nA: idProduct=5740\\n\n"
    "\n"
    "P: /devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0\n"
    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\n"
    "\n"
    "P: /devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/tty/ttyACM0\n"
    "N: ttyACM0\nE: SUBSYSTEM=tty\nE: DEVNAME=/dev/ttyACM0\nE: MAJOR=166\nE: MINOR=0\n"
    "A: dev=166:0\\n\nL: device=../../../1-4:1.0\n";

using namespace std::chrono_literals;

// Runs `work` on its own thread and waits at most a minute. A hang is a
// failure that ends the test binary (the stuck thread cannot be joined),
// never a suite that waits forever.
template <typename Work>
auto Bounded(Work work) -> decltype(work()) {
  auto running = std::make_shared<std::packaged_task<decltype(work())()>>(std::move(work));
  auto result = running->get_future();
  std::thread([running] { (*running)(); }).detach();
  if (result.wait_for(60s) != std::future_status::ready) {
    std::fprintf(stderr, "hung on a silent serial port\n");
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

class SilentSerialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testbed_ = umockdev_testbed_new();
    GError* error = nullptr;
    ASSERT_TRUE(umockdev_testbed_add_from_string(testbed_, kSilentTty, &error))
        << (error ? error->message : "");
    ASSERT_GE(umockdev_testbed_get_dev_fd(testbed_, "/dev/ttyACM0"), 0);
  }
  void TearDown() override { g_object_unref(testbed_); }

  UMockdevTestbed* testbed_ = nullptr;
};

TEST_F(SilentSerialTest, AnLpm01aThatNeverAnswersIsAnInfrastructureErrorNotAHang) {
  lpm01a::Lpm01aOptions options;
  options.uri = "serial:/dev/ttyACM0";
  options.command_timeout = 500ms;
  lpm01a::Lpm01aProbe probe(options);
  const Status opened = Bounded([&probe] { return probe.Open(); });
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(opened.error().message().find("no answer in 500 ms"), std::string::npos)
      << opened.error().ToString();
}

TEST_F(SilentSerialTest, ADutThatNeverAnswersIsAnInfrastructureErrorNotAHang) {
  Result<std::unique_ptr<dut::DutLink>> link =
      Bounded([] { return dut::ConnectRunningDut("serial:/dev/ttyACM0@115200", 500ms); });
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.error().kind(), ErrorKind::kInfrastructure) << link.error().ToString();
}

TEST_F(SilentSerialTest, APpk2ThatNeverAnswersStillFailsCleanly) {
  ppk2::Ppk2Options options;
  options.uri = "serial:/dev/ttyACM0";
  ppk2::Ppk2Probe probe(options);
  const Status opened = Bounded([&probe] { return probe.Open(); });
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind(), ErrorKind::kInfrastructure);
}

}  // namespace
}  // namespace hil
