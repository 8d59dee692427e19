// The virtual PPK2: its wire protocol, its current against the model's
// ground truth, backpressure, and its fault knobs. The decoder here is the
// test's own, written from shared/docs/protocols.md, independent of the
// codec the virtual probe encodes with.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "virtual_bench.h"

namespace hil::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// --- The test's own PPK2 decoder -------------------------------------------

struct TestCalibration {
  double r[5] = {1031.64, 101.65, 10.15, 0.94, 0.043};
  double gs[5] = {1, 1, 1, 1, 1}, gi[5] = {1, 1, 1, 1, 1}, o[5] = {}, s[5] = {}, i[5] = {};
  double ug[5] = {1, 1, 1, 1, 1};
  double vdd = 0;
};

TestCalibration ParseTestMetadata(const std::string& text) {
  TestCalibration c;
  std::map<std::string, double*> fields;
  for (int r = 0; r < 5; ++r) {
    const std::string n = std::to_string(r);
    fields["R" + n] = &c.r[r];
    fields["GS" + n] = &c.gs[r];
    fields["GI" + n] = &c.gi[r];
    fields["O" + n] = &c.o[r];
    fields["S" + n] = &c.s[r];
    fields["I" + n] = &c.i[r];
    fields["UG" + n] = &c.ug[r];
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    const double value = std::atof(line.c_str() + colon + 2);
    if (key == "VDD") c.vdd = value / 1000.0;
    auto field = fields.find(key);
    if (field != fields.end()) *field->second = value;
  }
  return c;
}

double Amps(uint32_t word, const TestCalibration& c) {
  const int r = (word >> 14) & 7;
  const double adc = (word & 0x3FFF) * 4.0;
  const double x = (adc - c.o[r]) * (1.8 / 163840) / c.r[r];
  return c.ug[r] * (x * (c.gs[r] * x + c.gi[r]) + c.s[r] * c.vdd + c.i[r]);
}

double AmpsPerStep(uint32_t word, const TestCalibration& c) {
  return std::abs(Amps(word + 1, c) - Amps(word, c));
}

// --- A host session with the virtual PPK2 ------------------------------------

class VirtualPpk2Test : public ::testing::Test {
 protected:
  void TearDown() override {
    if (dut_.machine != nullptr) dut_.machine->Stop();
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  void Boot(const std::string& board, std::map<std::string, std::string> faults = {}) {
    VirtualDutOptions options;
    options.energy.profile = board;
    options.energy.truth_path = scratch_.File("truth.jsonl");
    options.energy.summary_path = scratch_.File("summary.json");
    options.energy.probe_socket = scratch_.File("ppk2.sock");
    options.energy.probe_faults = std::move(faults);
    Result<VirtualDut> dut =
        BootVirtualDut(**FindBoard(board), BuiltImage(board, "mb-conv3x3"), options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
    fd_ = ConnectUnixSocket(options.energy.probe_socket);
    ASSERT_GE(fd_, 0);
  }

  void Send(std::initializer_list<uint8_t> bytes) {
    std::vector<uint8_t> data(bytes);
    ASSERT_EQ(::send(fd_, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  }

  std::string ReadMetadata() {
    Send({0x19});
    std::string text;
    char buffer[256];
    while (text.find("END\n") == std::string::npos) {
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  }

  // Starts the stream and a thread that keeps every byte until the probe
  // closes the connection, optionally pausing once to show backpressure.
  void StartStreaming(milliseconds pause_after_first_bytes = milliseconds(0)) {
    Send({0x11, 0x01});  // ampere meter
    Send({0x06});        // AverageStart
    reader_ = std::thread([this, pause_after_first_bytes] {
      uint8_t buffer[65536];
      bool paused = pause_after_first_bytes.count() == 0;
      while (true) {
        ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (n <= 0) break;  // closed by the probe
        {
          std::lock_guard<std::mutex> lock(bytes_mutex_);
          bytes_.insert(bytes_.end(), buffer, buffer + n);
          arrivals_.push_back({Clock::now(), bytes_.size()});
        }
        if (!paused) {
          paused = true;
          std::this_thread::sleep_for(pause_after_first_bytes);
        }
      }
    });
  }

  // Stops the stream and QEMU (which closes the probe's connection), then
  // returns every byte the probe sent.
  std::vector<uint8_t> StopStreaming() {
    Send({0x07});  // AverageStop
    dut_.machine->Stop();
    reader_.join();
    std::lock_guard<std::mutex> lock(bytes_mutex_);
    return bytes_;
  }

  json Summary() {
    dut_.machine->Stop();  // no-op if already stopped; QEMU writes the summary at exit
    std::ifstream file(scratch_ / "summary.json");
    return json::parse(file);
  }

  std::vector<json> Truth() { return ReadJsonLines(scratch_ / "truth.jsonl"); }

  static std::vector<uint32_t> Words(const std::vector<uint8_t>& bytes) {
    std::vector<uint32_t> words;
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      words.push_back(bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16 |
                      static_cast<uint32_t>(bytes[i + 3]) << 24);
    }
    return words;
  }

  // Samples missing according to the 6-bit counter.
  static uint64_t CounterGaps(const std::vector<uint32_t>& words) {
    uint64_t missing = 0;
    for (size_t i = 1; i < words.size(); ++i) {
      const uint32_t previous = (words[i - 1] >> 18) & 0x3F, current = (words[i] >> 18) & 0x3F;
      missing += (current - previous - 1) & 0x3F;
    }
    return missing;
  }

  ScratchFolder scratch_;
  VirtualDut dut_;
  int fd_ = -1;
  std::thread reader_;
  std::mutex bytes_mutex_;
  std::vector<uint8_t> bytes_;
  std::vector<std::pair<Clock::time_point, size_t>> arrivals_;
};

TEST_F(VirtualPpk2Test, AnswersMetadataWithARealisticCalibrationBlock) {
  Boot("mps2-an386");
  const std::string metadata = ReadMetadata();
  EXPECT_NE(metadata.find("Calibrated: 1\n"), std::string::npos) << metadata;
  EXPECT_NE(metadata.find("R0: 1003.35\n"), std::string::npos) << metadata;
  EXPECT_NE(metadata.find("GS1: 112.789\n"), std::string::npos) << metadata;
  EXPECT_NE(metadata.find("I4: -0.00939\n"), std::string::npos) << metadata;
  EXPECT_NE(metadata.find("VDD: 3300\n"), std::string::npos) << metadata;
  EXPECT_NE(metadata.find("HW: 9173\n"), std::string::npos) << metadata;
  EXPECT_EQ(metadata.substr(metadata.size() - 4), "END\n");
}

TEST_F(VirtualPpk2Test, IntegratingEachWindowReproducesTheGroundTruth) {
  Boot("mps2-an386");
  const TestCalibration calibration = ParseTestMetadata(ReadMetadata());
  ASSERT_GT(calibration.vdd, 3.0);
  StartStreaming();
  ASSERT_TRUE(dut_.link->LoadBuffer(KwsTensor()).ok());
  ASSERT_TRUE(dut_.link->Infer(3, 1, milliseconds(30000)).ok());
  ASSERT_TRUE(dut_.link->Name().ok());
  std::this_thread::sleep_for(milliseconds(100));  // let the stream pass the last edge
  const std::vector<uint32_t> words = Words(StopStreaming());
  const json summary = Summary();
  const std::vector<json> truth = Truth();
  ASSERT_EQ(truth.size(), 3u);
  EXPECT_EQ(CounterGaps(words), 0u);
  EXPECT_EQ(summary["probe_samples_dropped"], 0);

  // Windows: runs of samples with D0 (the inference pin) high.
  constexpr double kPeriod = 10e-6;
  struct Window {
    double energy_j = 0, max_power_w = 0, lsb_energy_j = 0;
    size_t samples = 0;
  };
  std::vector<Window> windows;
  bool inside = false;
  for (uint32_t word : words) {
    const bool high = (word >> 24) & 1;
    if (high && !inside) windows.emplace_back();
    inside = high;
    if (!high) continue;
    Window& window = windows.back();
    const double power = Amps(word, calibration) * calibration.vdd;
    window.energy_j += power * kPeriod;
    window.max_power_w = std::max(window.max_power_w, power);
    window.lsb_energy_j += AmpsPerStep(word, calibration) * calibration.vdd * kPeriod;
    ++window.samples;
  }
  ASSERT_EQ(windows.size(), truth.size());
  for (size_t i = 0; i < windows.size(); ++i) {
    const double truth_j = truth[i]["energy_nJ"].get<double>() * 1e-9;
    // The bound: each sample's ADC value is the nearest step to the modelled
    // current, so it is off by at most one step (half a step from rounding,
    // the rest where the calibration curve bends); and a window's first and
    // last samples may each hold up to one period of energy from outside
    // it, or miss as much, since edges fall anywhere inside a sample.
    const double bound = windows[i].lsb_energy_j + 2 * windows[i].max_power_w * kPeriod;
    const double error = std::abs(windows[i].energy_j - truth_j);
    EXPECT_LE(error, bound) << "window " << i;
    EXPECT_LT(error / truth_j, 0.001) << "window " << i;
    std::printf(
        "window %zu: %zu samples, measured %.3f uJ, truth %.3f uJ, error %.4f %% "
        "(bound %.4f %%)\n",
        i, windows[i].samples, windows[i].energy_j * 1e6, truth_j * 1e6, 100 * error / truth_j,
        100 * bound / truth_j);
  }
}

TEST_F(VirtualPpk2Test, SlowReaderLosesNothingBecauseQemuWaits) {
  Boot("mps2-an500");
  ReadMetadata();
  StartStreaming(milliseconds(600));  // the reader stops for 0.6 s early on
  // Five inferences take about 0.2 s of virtual time and some 20 ms of wall
  // time; with the reader stopped, QEMU may run at most 20 ms of virtual
  // time ahead of the stream, so the inferences must wait for the reader.
  const auto start = Clock::now();
  ASSERT_TRUE(dut_.link->Infer(5, 0, milliseconds(30000)).ok());
  const double infer_s = std::chrono::duration<double>(Clock::now() - start).count();
  const std::vector<uint32_t> words = Words(StopStreaming());
  const json summary = Summary();
  EXPECT_GT(infer_s, 0.4);
  EXPECT_EQ(CounterGaps(words), 0u);
  EXPECT_EQ(summary["probe_samples_sent"].get<uint64_t>(), words.size());
  EXPECT_EQ(Truth().size(), 5u);
}

TEST_F(VirtualPpk2Test, DropKnobLeavesOutExactlyEveryNthSample) {
  Boot("mps2-an386", {{"drop_every", "100"}});
  ReadMetadata();
  StartStreaming();
  ASSERT_TRUE(dut_.link->Infer(2, 0, milliseconds(30000)).ok());
  const std::vector<uint32_t> words = Words(StopStreaming());
  const json summary = Summary();
  const uint64_t dropped = summary["probe_samples_dropped"].get<uint64_t>();
  const uint64_t sent = summary["probe_samples_sent"].get<uint64_t>();
  EXPECT_EQ(sent, words.size());
  EXPECT_EQ(dropped, (sent + dropped) / 100);
  EXPECT_GT(dropped, 10u);
  // A counter shows a gap only when a later word arrives: a drop of the very
  // last sample of the stream cannot be seen.
  const bool last_dropped = (sent + dropped) % 100 == 0;
  EXPECT_EQ(CounterGaps(words), dropped - (last_dropped ? 1 : 0));
}

TEST_F(VirtualPpk2Test, CloseKnobEndsTheConnectionAfterExactlyNSamples) {
  Boot("mps2-an386", {{"close_after", "5000"}});
  ReadMetadata();
  StartStreaming();
  ASSERT_TRUE(dut_.link->Infer(2, 0, milliseconds(30000)).ok());
  // The reader thread ends by itself when the probe closes the socket,
  // while QEMU still runs.
  reader_.join();
  EXPECT_EQ(bytes_.size(), 5000u * 4u);
  EXPECT_FALSE(dut_.machine->Poll().has_value());
}

TEST_F(VirtualPpk2Test, GarbageKnobPutsOneStrayByteAfterEveryNSamples) {
  Boot("mps2-an386", {{"garbage_every", "1000"}});
  ReadMetadata();
  StartStreaming();
  ASSERT_TRUE(dut_.link->Infer(2, 0, milliseconds(30000)).ok());
  const std::vector<uint8_t> bytes = StopStreaming();
  const json summary = Summary();
  const uint64_t garbage = summary["probe_garbage_bytes"].get<uint64_t>();
  EXPECT_EQ(garbage, summary["probe_samples_sent"].get<uint64_t>() / 1000);
  EXPECT_EQ(bytes.size(), 4 * summary["probe_samples_sent"].get<uint64_t>() + garbage);
  // Structure: 1000 words, one 0xA5, and so on.
  for (uint64_t k = 1; k <= garbage; ++k) {
    const size_t at = k * 4000 + (k - 1);
    ASSERT_LT(at, bytes.size());
    EXPECT_EQ(bytes[at], 0xA5) << "stray byte " << k;
  }
}

TEST_F(VirtualPpk2Test, StallKnobPausesTheStreamWithoutLosingSamples) {
  Boot("mps2-an386", {{"stall_after", "2000"}, {"stall_ms", "400"}});
  ReadMetadata();
  StartStreaming();
  ASSERT_TRUE(dut_.link->Infer(2, 0, milliseconds(30000)).ok());
  const std::vector<uint32_t> words = Words(StopStreaming());
  EXPECT_EQ(CounterGaps(words), 0u);
  // Somewhere after the 2000th sample, the bytes paused for the stall.
  double longest_gap_s = 0;
  for (size_t i = 1; i < arrivals_.size(); ++i) {
    if (arrivals_[i - 1].second < 2000 * 4) continue;
    longest_gap_s = std::max(
        longest_gap_s,
        std::chrono::duration<double>(arrivals_[i].first - arrivals_[i - 1].first).count());
  }
  EXPECT_GE(longest_gap_s, 0.35);
}

}  // namespace
}  // namespace hil::testing
