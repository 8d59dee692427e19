// The virtual LPM01A: command/acknowledge, the ASCII stream with D7 event
// lines against the model's ground truth, and the binary stream's framing.
// Decoding here is the test's own, from shared/docs/protocols.md.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "virtual_bench.h"

namespace hil::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

class VirtualLpm01aTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VirtualDutOptions options;
    options.energy.profile = "mps2-an386";
    options.energy.truth_path = scratch_.File("truth.jsonl");
    options.energy.probe_kind = "lpm01a";
    options.energy.probe_socket = scratch_.File("lpm.sock");
    Result<VirtualDut> dut =
        BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
    fd_ = ConnectUnixSocket(options.energy.probe_socket);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    if (reader_.joinable()) {
      finishing_ = true;
      reader_.join();
    }
    if (dut_.machine != nullptr) dut_.machine->Stop();
    if (fd_ >= 0) ::close(fd_);
  }

  // Sends a command line; returns the reply lines that arrive within 150 ms.
  std::vector<std::string> Ask(const std::string& command) {
    const std::string line = command + "\n";
    EXPECT_EQ(::send(fd_, line.data(), line.size(), 0), static_cast<ssize_t>(line.size()));
    std::this_thread::sleep_for(milliseconds(150));
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT)) > 0) text.append(buffer, n);
    std::vector<std::string> lines;
    std::istringstream stream(text);
    std::string reply;
    while (std::getline(stream, reply)) {
      if (!reply.empty() && reply.back() == '\r') reply.pop_back();
      lines.push_back(reply);
    }
    return lines;
  }

  // Keeps everything the probe sends, from now until the probe has been
  // quiet for 300 ms after Finish. It must run while the DUT works: QEMU
  // waits for a reader that falls behind.
  void StartReading() {
    reader_ = std::thread([this] {
      char buffer[65536];
      int quiet = 0;
      while (!finishing_ || quiet < 30) {
        ssize_t n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0) {
          received_.append(buffer, static_cast<size_t>(n));
          quiet = 0;
        } else {
          std::this_thread::sleep_for(milliseconds(10));
          ++quiet;
        }
      }
    });
  }

  // Sends "stop" and returns the whole stream.
  std::string Finish() {
    const std::string stop = "stop\n";
    EXPECT_EQ(::send(fd_, stop.data(), stop.size(), 0), 5);
    finishing_ = true;
    reader_.join();
    return received_;
  }

  ScratchFolder scratch_;
  VirtualDut dut_;
  int fd_ = -1;
  std::thread reader_;
  std::atomic<bool> finishing_{false};
  std::string received_;
};

TEST_F(VirtualLpm01aTest, AcknowledgesCommandsAndExplainsErrors) {
  std::vector<std::string> refused = Ask("volt 3000m");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0], "PowerShield > error volt 3000m");
  EXPECT_EQ(refused[1], "Error detail: host control not taken: send htc first");

  EXPECT_EQ(Ask("htc"), (std::vector<std::string>{"PowerShield > ack htc"}));
  EXPECT_EQ(Ask("volt 3000m"), (std::vector<std::string>{"PowerShield > ack volt 3000m"}));
  EXPECT_EQ(Ask("volt get"), (std::vector<std::string>{"PowerShield > ack volt 3000m"}));
  EXPECT_EQ(Ask("freq 250")[0], "PowerShield > error freq 250");
  EXPECT_EQ(Ask("frobnicate")[1], "Error detail: unknown command 'frobnicate'");
  EXPECT_EQ(Ask("freq 100k")[0], "PowerShield > ack freq 100k");
  // ASCII output cannot keep up with 100 kHz.
  EXPECT_EQ(Ask("start")[0], "PowerShield > error start");
}

TEST_F(VirtualLpm01aTest, AsciiStreamBetweenD7EventsReproducesTheTimestampWindow) {
  for (const char* command :
       {"htc", "volt 3300m", "freq 5k", "format ascii_dec", "eventsrc d7 fal"}) {
    ASSERT_EQ(Ask(command)[0], std::string("PowerShield > ack ") + command);
  }
  ASSERT_TRUE(dut_.link->SetWindowStyle(dut::WindowStyle::kTimestamp).ok());
  ASSERT_EQ(Ask("start")[0], "PowerShield > ack start");
  StartReading();
  ASSERT_TRUE(dut_.link->Infer(10, 0, milliseconds(30000)).ok());
  ASSERT_TRUE(dut_.link->Name().ok());  // the DUT idles on: the stream passes the last edge
  std::this_thread::sleep_for(milliseconds(100));
  const std::string stream = Finish();
  EXPECT_NE(stream.find("PowerShield > ack stop\r\nAcquisition completed\r\n"), std::string::npos);

  // Integrate the samples from the first falling edge to the second.
  constexpr double kPeriod = 200e-6, kVolts = 3.3;
  std::istringstream lines(stream);
  std::string line;
  int falls = 0;
  double energy = 0, max_power = 0;
  size_t samples = 0, timestamps = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("event ", 0) == 0) {
      if (line.size() > 4 && line.substr(line.size() - 3) == "fal") ++falls;
      continue;
    }
    if (line.rfind("TimeStamp:", 0) == 0) {
      ++timestamps;
      continue;
    }
    if (falls != 1 || line.size() != 7 || line[4] != '-') continue;
    const double amps = std::stoi(line.substr(0, 4)) * std::pow(10.0, -std::stoi(line.substr(5)));
    energy += amps * kVolts * kPeriod;
    max_power = std::max(max_power, amps * kVolts);
    ++samples;
  }
  ASSERT_GE(falls, 2);
  const std::vector<json> truth = ReadJsonLines(scratch_ / "truth.jsonl");
  ASSERT_EQ(truth.size(), 1u);
  ASSERT_EQ(truth[0]["kind"], "timestamp");
  const double truth_j = truth[0]["energy_nJ"].get<double>() * 1e-9;
  // Bound: four significant digits put each sample within 0.05 % of its
  // value; the samples holding the two edges may each carry up to a period
  // of energy from outside the window or miss as much.
  const double bound = 5e-4 * energy + 2 * max_power * kPeriod;
  EXPECT_LE(std::abs(energy - truth_j), bound);
  std::printf(
      "timestamp window: %zu samples, measured %.2f uJ, truth %.2f uJ, error %.3f %% "
      "(bound %.3f %%), %zu TimeStamp lines\n",
      samples, energy * 1e6, truth_j * 1e6, 100 * std::abs(energy - truth_j) / truth_j,
      100 * bound / truth_j, timestamps);
}

TEST_F(VirtualLpm01aTest, BinaryStreamCarriesWordsAndMetadataFrames) {
  for (const char* command : {"htc", "freq 100k", "format bin_hexa", "start"}) {
    ASSERT_EQ(Ask(command)[0], std::string("PowerShield > ack ") + command);
  }
  StartReading();
  ASSERT_TRUE(dut_.link->Infer(50, 0, milliseconds(30000)).ok());  // some 1.4 s of virtual time
  const std::string bytes = Finish();

  // Words are two bytes; a frame starts with 0xF0 (an exponent of 15 would
  // mean femtoamperes, which never occur here) and ends with FF FF.
  size_t words = 0, timestamp_frames = 0, at = 0;
  double min_amps = 1, max_amps = 0;
  bool ended = false;
  uint32_t last_ms = 0;
  while (at + 1 < bytes.size()) {
    const uint8_t high = static_cast<uint8_t>(bytes[at]);
    if (high == 0xF0) {
      const size_t end = bytes.find("\xFF\xFF", at + 2);
      ASSERT_NE(end, std::string::npos);
      const uint8_t type = static_cast<uint8_t>(bytes[at + 1]);
      if (type == 0xF3) {
        const uint32_t ms =
            static_cast<uint8_t>(bytes[at + 2]) << 24 | static_cast<uint8_t>(bytes[at + 3]) << 16 |
            static_cast<uint8_t>(bytes[at + 4]) << 8 | static_cast<uint8_t>(bytes[at + 5]);
        EXPECT_EQ(ms, last_ms + 1000);
        last_ms = ms;
        ++timestamp_frames;
      } else if (type == 0xF4) {
        EXPECT_EQ(bytes.substr(at + 2, end - at - 2), "Acquisition completed");
        ended = true;
      }
      at = end + 2;
      continue;
    }
    if (bytes.compare(at, 14, "PowerShield > ") == 0) {  // the ack of stop
      at = bytes.find('\n', at) + 1;
      continue;
    }
    const uint16_t word = static_cast<uint16_t>(high << 8 | static_cast<uint8_t>(bytes[at + 1]));
    const double amps = (word & 0x0FFF) * std::pow(16.0, -(word >> 12));
    min_amps = std::min(min_amps, amps);
    max_amps = std::max(max_amps, amps);
    ++words;
    at += 2;
  }
  EXPECT_TRUE(ended);
  EXPECT_GE(timestamp_frames, 1u);
  EXPECT_EQ(words / 100'000, timestamp_frames);
  // The mps2-an386 profile draws some 11 to 13 mA at 3.3 V whatever runs.
  EXPECT_GT(min_amps, 8e-3);
  EXPECT_LT(max_amps, 16e-3);
}

}  // namespace
}  // namespace hil::testing
