#include "probes/virtual/sample_synthesizer.h"

#include <gtest/gtest.h>

namespace hil::virtual_bench {
namespace {

TEST(SampleSynthesizerTest, SpreadsEnergyEvenlyBetweenCheckpoints) {
  SampleSynthesizer synthesizer(10'000);
  synthesizer.Start({0, 0, 0});
  synthesizer.Add({40'000, 4000, 0});  // 1 pJ per ns
  std::vector<SyntheticSample> samples;
  synthesizer.Drain(samples);
  ASSERT_EQ(samples.size(), 4u);
  for (const SyntheticSample& sample : samples) EXPECT_DOUBLE_EQ(sample.energy_pj, 1000);
  EXPECT_EQ(samples[3].end_ns, 40'000u);
}

TEST(SampleSynthesizerTest, EdgeCheckpointsKeepEnergyOnTheirSide) {
  SampleSynthesizer synthesizer(10'000);
  synthesizer.Start({0, 0, 0});
  // Low power until 15 us, then high power with the pin up.
  synthesizer.Add({15'000, 150, 0x01});
  synthesizer.Add({30'000, 150 + 15'000, 0x01});
  std::vector<SyntheticSample> samples;
  synthesizer.Drain(samples);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_DOUBLE_EQ(samples[0].energy_pj, 100);         // 10 us of low power, 10 pJ/us
  EXPECT_DOUBLE_EQ(samples[1].energy_pj, 50 + 5'000);  // half low, half high
  EXPECT_DOUBLE_EQ(samples[2].energy_pj, 10'000);
  EXPECT_EQ(samples[0].logic, 0);
  EXPECT_EQ(samples[1].logic, 1);  // latched at the sample's end
  // Total energy is conserved exactly.
  EXPECT_DOUBLE_EQ(samples[0].energy_pj + samples[1].energy_pj + samples[2].energy_pj, 15'150);
}

TEST(SampleSynthesizerTest, EmitsOnlyCompleteSamplesAndContinuesLater) {
  SampleSynthesizer synthesizer(10'000);
  synthesizer.Start({1'000, 500, 0});
  synthesizer.Add({16'000, 2'000, 0});
  std::vector<SyntheticSample> samples;
  synthesizer.Drain(samples);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].end_ns, 11'000u);
  synthesizer.Add({21'000, 2'500, 0});
  synthesizer.Drain(samples);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_DOUBLE_EQ(samples[0].energy_pj + samples[1].energy_pj, 2'000);
  EXPECT_EQ(synthesizer.position_ns(), 21'000u);
}

TEST(SampleSynthesizerTest, ReportsPulsesShorterThanASample) {
  SampleSynthesizer synthesizer(10'000);
  synthesizer.Start({0, 0, 0x04});     // pin 2 idles high
  synthesizer.Add({3'000, 30, 0x00});  // falls
  synthesizer.Add({3'100, 31, 0x04});  // rises 100 ns later
  synthesizer.Add({20'000, 200, 0x04});
  std::vector<SyntheticSample> samples;
  synthesizer.Drain(samples);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].logic, 0x04);  // high at both ends of the sample...
  EXPECT_EQ(samples[0].fell, 0x04);   // ...but the pulse is reported
  EXPECT_EQ(samples[0].rose, 0x04);
  EXPECT_EQ(samples[1].fell | samples[1].rose, 0);
}

TEST(SampleSynthesizerTest, NothingBeforeStart) {
  SampleSynthesizer synthesizer;
  synthesizer.Add({50'000, 10, 0});
  std::vector<SyntheticSample> samples;
  synthesizer.Drain(samples);
  EXPECT_TRUE(samples.empty());
}

}  // namespace
}  // namespace hil::virtual_bench
