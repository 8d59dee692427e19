// An example device-test suite with hil::testing: the MLPerf Tiny anomaly
// detection model on the emulated Cortex-M4, judged by gmock matchers. Run
// it on the virtual bench (default) or on hild (HIL_BENCH=daemon:...).
//
// The limits can be changed from the environment, to see a matcher fail:
//   HIL_EXAMPLE_LATENCY_LIMIT_US=1 ./anomaly_detection_test
//   HIL_EXAMPLE_AD_BASELINE_UJ=1000 ./anomaly_detection_test
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "hil/testing/device_bench.h"
#include "hil/testing/matchers.h"

namespace {

using hil::testing::CaseSpec;
using hil::testing::EnergyWithinPercentOf;
using hil::testing::MedianEnergyBelowUj;
using hil::testing::MedianLatencyBelowUs;
using hil::testing::OutputsEqualReference;
using hil::testing::Ran;
using ::testing::AllOf;

double Limit(const char* variable, double fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr ? std::atof(value) : fallback;
}

// One input frame for the autoencoder: 640 int8 values of a fixed pattern.
std::string InputFile() {
  const std::string path =
      (std::filesystem::temp_directory_path() / "hil-example-ad-input.bin").string();
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  for (int i = 0; i < 640; ++i) file.put(static_cast<char>((i * 37) % 256));
  return path;
}

CaseSpec AnomalyDetection(const std::string& kernels) {
  static const std::string input = InputFile();
  CaseSpec spec;
  spec.network = "ad";
  spec.model = HIL_EXAMPLE_SHARED_DIR "/models/ad01_int8.tflite";
  spec.input = input;
  spec.kernels = kernels;
  spec.runs = 3;
  return spec;
}

class AnomalyDetectionTest : public hil::testing::DeviceTest {};

TEST_F(AnomalyDetectionTest, RunsWithinItsLatencyBudget) {
  EXPECT_THAT(Measure(AnomalyDetection("reference")),
              AllOf(Ran(), MedianLatencyBelowUs(Limit("HIL_EXAMPLE_LATENCY_LIMIT_US", 100000))));
}

TEST_F(AnomalyDetectionTest, StaysNearItsEnergyBaseline) {
  // Measured on the virtual bench when this test was written.
  EXPECT_THAT(Measure(AnomalyDetection("reference")),
              EnergyWithinPercentOf(Limit("HIL_EXAMPLE_AD_BASELINE_UJ", HIL_EXAMPLE_AD_BASELINE_UJ),
                                    Limit("HIL_EXAMPLE_ENERGY_PERCENT", 5)));
}

TEST_F(AnomalyDetectionTest, SimdUsesLessEnergyThanReference) {
  const double reference = Measure(AnomalyDetection("reference")).energy_median_uj;
  EXPECT_THAT(Measure(AnomalyDetection("simd")), MedianEnergyBelowUj(reference));
}

TEST_F(AnomalyDetectionTest, OutputsEqualTheHostsReference) {
  EXPECT_THAT(Measure(AnomalyDetection("simd")), OutputsEqualReference());
}

}  // namespace
