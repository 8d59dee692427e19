// hil::testing: googletest-style device tests. A test describes a case (a
// network on a board under a framework configuration), the bench measures
// it, and gmock matchers (matchers.h) judge the figures.
//
// The bench is the virtual bench through the `hil` command (default), or
// hild: HIL_BENCH=virtual | daemon:unix:PATH | daemon:tcp:HOST:PORT (with
// HILD_TOKEN), or --hil_bench=... on the test's command line. HIL_CLI
// names the hil binary for the virtual bench.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hil/enum_text.h"

namespace hil::testing {

// How a measured case ended, as hil run words it in results.json.
enum class Outcome { kPass, kFail, kError };

}  // namespace hil::testing

template <>
struct hil::EnumText<hil::testing::Outcome> {
  using Outcome = hil::testing::Outcome;
  static constexpr std::pair<Outcome, std::string_view> kWords[] = {
      {Outcome::kPass, "pass"}, {Outcome::kFail, "fail"}, {Outcome::kError, "error"}};
};

namespace hil::testing {

// One case, as a plan's network x configuration x board.
struct CaseSpec {
  std::string network = "network";
  std::string model;     // a .tflite file (absolute), or
  std::string workload;  // a harness workload, e.g. mb-conv3x3
  std::string input;     // optional input tensor file (absolute)
  std::string dataset;   // optional dataset folder (absolute)
  std::string kernels = "reference";
  std::string number_format = "int8";
  bool fpu = true;
  std::string optimisation = "-O2";
  std::string board = "mps2-an386";
  // How the virtual bench flashes: empty for the plan's default (OpenOCD
  // through the virtual debug probe, as on a real bench), "qemu" for QEMU's
  // -kernel shortcut, or $HIL_FLASHER if set.
  std::string flasher;
  int warmup = 1;
  int runs = 5;

  std::string Key() const;  // identifies the case, for caching
};

// A measured case: the figures hil run reports, and the case's whole
// results.json entry.
struct Measured {
  std::string id;
  Outcome status = Outcome::kError;  // kError: `error` says why
  std::string error;
  double latency_median_us = 0, energy_median_uj = 0, power_mean_mw = 0;
  std::optional<bool> outputs_match;
  std::optional<double> top1_accuracy;
  nlohmann::json json;
};

// How gtest prints a Measured in a failure: its id and figures.
void PrintTo(const Measured& measured, std::ostream* out);

class DeviceBench {
 public:
  virtual ~DeviceBench() = default;
  // Runs the case on the bench; a bench that fails gives Outcome::kError.
  virtual Measured Measure(const CaseSpec& spec) = 0;
  virtual std::string Describe() const = 0;
  // address: virtual | daemon:unix:PATH | daemon:tcp:HOST:PORT.
  static std::unique_ptr<DeviceBench> FromAddress(const std::string& address);
};

// The gtest Environment that opens the bench once for the whole program.
// Register it in main, or link hil::testing_main which does.
class BenchEnvironment : public ::testing::Environment {
 public:
  explicit BenchEnvironment(std::string address = "");
  void SetUp() override;
  void TearDown() override;
  static DeviceBench& Bench();

 private:
  std::string address_;
};

// A fixture whose tests measure cases; each case is measured once per
// program run, however many tests look at it.
class DeviceTest : public ::testing::Test {
 protected:
  const Measured& Measure(const CaseSpec& spec);

 private:
  static std::map<std::string, Measured>& Cache();
};

}  // namespace hil::testing
