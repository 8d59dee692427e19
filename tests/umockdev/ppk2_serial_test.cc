// The libserialport path for real: an emulated ttyACM device with the PPK2's
// VID:PID, listed by discovery and by "hil probes", opened by the PPK2
// driver through serial:/dev/ttyACM0, and served by a PPK2 written here on
// the pty's other end (metadata text and sample words by hand, not with the
// driver's codec).
#include <gtest/gtest.h>
#include <poll.h>
#include <umockdev.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "probes/discovery.h"
#include "probes/ppk2/ppk2_probe.h"

namespace hil {
namespace {

constexpr char kTtyDevice[] =
    "P: /devices/pci0000:00/0000:00:14.0/usb1/1-3\n"
    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: BUSNUM=001\nE: DEVNUM=004\n"
    "A: busnum=1\\n\nA: devnum=4\\n\nA: idVendor=1915\\n\nA: idProduct=c00a\\n\n"
    "A: manufacturer=Nordic Semiconductor ASA\\n\nA: product=PPK2\\n\n"
    "A: serial=C4A1B2D3E4F5\\n\n"
    "\n"
    "P: /devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0\n"
    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\n"
    "\n"
    "P: /devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/tty/ttyACM0\n"
    "N: ttyACM0\nE: SUBSYSTEM=tty\nE: DEVNAME=/dev/ttyACM0\nE: MAJOR=166\nE: MINOR=0\n"
    "A: dev=166:0\\n\nL: device=../../../1-3:1.0\n";

// The PPK2 on the far end of the pty: answers GetMetadata, streams
// kWords words after AverageStart.
class EmulatedPpk2 {
 public:
  static constexpr int kWords = 1000;

  explicit EmulatedPpk2(int fd) : fd_(fd), thread_([this] { Serve(); }) {}
  ~EmulatedPpk2() {
    done_ = true;
    thread_.join();
  }
  std::string commands() const { return commands_; }

 private:
  void Serve() {
    while (!done_) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, 20) <= 0) continue;
      uint8_t buffer[64];
      const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
      for (ssize_t i = 0; i < n; ++i) {
        char hex[4];
        std::snprintf(hex, sizeof(hex), "%02x ", buffer[i]);
        commands_ += hex;
        if (buffer[i] == 0x19) {
          const std::string metadata =
              "Calibrated: 1\nR0: 1003.35\nR1: 101.65\nR2: 10.15\nR3: 0.94\nR4: 0.043\n"
              "GS1: 112.789\nO0: 112.94\nS4: 0.00294\nI4: -0.00939\nVDD: 3000\n"
              "HW: 9173\nmode: 2\nIA: 56\nEND\n";
          Send(metadata.data(), metadata.size());
        } else if (buffer[i] == 0x06) {
          // Range 2, ADC 1000 + k % 16, counter k, D0 high on odd words.
          std::string words;
          for (uint32_t k = 0; k < kWords; ++k) {
            const uint32_t word = (1000 + k % 16) | 2u << 14 | (k & 63) << 18 | (k & 1) << 24;
            for (int shift = 0; shift < 32; shift += 8) words += static_cast<char>(word >> shift);
          }
          Send(words.data(), words.size());
        }
      }
    }
  }

  void Send(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size);
      if (n <= 0) return;
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  int fd_;
  std::atomic<bool> done_{false};
  std::string commands_;
  std::thread thread_;
};

class Ppk2SerialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testbed_ = umockdev_testbed_new();
    GError* error = nullptr;
    ASSERT_TRUE(umockdev_testbed_add_from_string(testbed_, kTtyDevice, &error))
        << (error ? error->message : "");
  }
  void TearDown() override { g_object_unref(testbed_); }

  UMockdevTestbed* testbed_ = nullptr;
};

TEST_F(Ppk2SerialTest, DiscoveryListsTheEmulatedPpk2WithItsSerialNumber) {
  std::vector<std::string> notes;
  Result<std::vector<probes::DiscoveredProbe>> found = probes::DiscoverProbes(notes);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].kind, "ppk2");
  EXPECT_EQ((*found)[0].connect, "serial:/dev/ttyACM0");
  EXPECT_EQ((*found)[0].serial, "C4A1B2D3E4F5");
  EXPECT_EQ((*found)[0].vid, 0x1915);
  EXPECT_EQ((*found)[0].pid, 0xC00A);
}

TEST_F(Ppk2SerialTest, HilProbesPrintsIt) {
  // A child process inherits the preload environment and sees the testbed.
  FILE* pipe = ::popen((std::string(HIL_CLI_PATH) + " probes 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 512> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), n);
  EXPECT_EQ(::pclose(pipe), 0) << output;
  EXPECT_NE(output.find("ppk2     serial:/dev/ttyACM0"), std::string::npos) << output;
  EXPECT_NE(output.find("C4A1B2D3E4F5"), std::string::npos) << output;
  EXPECT_NE(output.find("1915:c00a Nordic Power Profiler Kit II"), std::string::npos) << output;
}

TEST_F(Ppk2SerialTest, TheDriverOpensItThroughLibserialportAndStreams) {
  const int master = umockdev_testbed_get_dev_fd(testbed_, "/dev/ttyACM0");
  ASSERT_GE(master, 0);
  EmulatedPpk2 device(master);
  ppk2::Ppk2Options options;
  options.uri = "serial:/dev/ttyACM0";
  ppk2::Ppk2Probe probe(options);
  const Status opened = probe.Open();
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_EQ(probe.metadata().calibration.r[0], 1003.35);
  EXPECT_DOUBLE_EQ(probe.info().supply_v, 3.0);
  ASSERT_TRUE(probe.Start().ok());
  std::vector<double> amps;
  std::vector<uint8_t> logic;
  while (amps.size() < EmulatedPpk2::kWords) {
    SampleBlock block;
    Result<PowerProbe::Poll> poll = probe.Next(block, std::chrono::milliseconds(2000));
    ASSERT_TRUE(poll.ok()) << poll.error().ToString();
    ASSERT_EQ(*poll, PowerProbe::Poll::kBlock) << "after " << amps.size() << " samples";
    amps.insert(amps.end(), block.current_a.begin(), block.current_a.end());
    logic.insert(logic.end(), block.logic.begin(), block.logic.end());
  }
  ASSERT_TRUE(probe.Stop().ok());
  // The open sequence on the wire: GetMetadata, RegulatorSet 3000 mV
  // (0x0bb8), five user gains, ampere meter, spike filter off, DUT power on,
  // AverageStart, and at the end AverageStop.
  const std::string commands = device.commands();
  EXPECT_EQ(commands.rfind("19 0d 0b b8 25 00 00 00 80 3f 25 01 00 00 80 3f ", 0), 0u) << commands;
  EXPECT_NE(commands.find("11 01 16 0c 01 06 "), std::string::npos) << commands;
  EXPECT_EQ(commands.substr(commands.size() - 3), "07 ");
  // Range 2, defaults: I = x (x + 1), x = adc * 4 * 1.8 / 163840 / 10.15.
  for (size_t k = 0; k < amps.size(); ++k) {
    const double x = (1000 + k % 16) * 4 * 1.8 / 163840 / 10.15;
    ASSERT_NEAR(amps[k], x * (x + 1), 1e-15) << k;
    ASSERT_EQ(logic[k], k & 1) << k;
  }
  EXPECT_EQ(probe.stats().lost_samples, 0u);
}

}  // namespace
}  // namespace hil
