#include "probes/virtual/window_tracker.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hil::virtual_bench {
namespace {

using nlohmann::json;

EnergyProfile TestProfile() {
  EnergyProfile profile;
  profile.name = "test";
  profile.icount_shift = 5;  // 32 ns per instruction
  profile.static_mw = 10;    // 10 mW x 32 ns = 320 pJ per instruction
  for (size_t c = 0; c < kInstructionClassCount; ++c) profile.class_pj[c] = 100.0 * (c + 1);
  return profile;
}

// A reading after `alu` ALU and `loads` load/store instructions in total.
MeterReading At(uint64_t alu, uint64_t loads) {
  MeterReading reading;
  reading.instructions[static_cast<size_t>(InstructionClass::kAlu)] = alu;
  reading.instructions[static_cast<size_t>(InstructionClass::kLoadStore)] = loads;
  return reading;
}

class WindowTrackerTest : public ::testing::Test {
 protected:
  WindowTracker tracker_{
      TestProfile(), [this](const std::string& line) { records_.push_back(json::parse(line)); }};
  std::vector<json> records_;
};

TEST_F(WindowTrackerTest, SpanEnergyIsDynamicPlusStatic) {
  Span span = Between(At(10, 5), At(110, 25), TestProfile());
  EXPECT_EQ(span.instructions, 120u);
  EXPECT_EQ(span.duration_ns, 120u * 32u);
  // 100 ALU x 100 pJ + 20 loads x 200 pJ + 120 x 320 pJ static = 52.4 nJ.
  EXPECT_DOUBLE_EQ(span.energy_nj, 52.4);
}

TEST_F(WindowTrackerTest, InferenceWindowIsCutIntoLayersAtEveryLayerPinEdge) {
  tracker_.OnPinStore(Pin::kInference, true, At(1000, 0));
  tracker_.OnPinStore(Pin::kLayer, true, At(1100, 0));
  tracker_.OnPinStore(Pin::kLayer, false, At(1300, 50));
  tracker_.OnPinStore(Pin::kInference, false, At(1400, 50));
  ASSERT_EQ(records_.size(), 1u);
  const json& window = records_[0];
  EXPECT_EQ(window["kind"], "inference");
  EXPECT_EQ(window["index"], 0);
  EXPECT_EQ(window["instructions"], 450);
  ASSERT_EQ(window["layers"].size(), 3u);
  EXPECT_EQ(window["layers"][0]["instructions"], 100);
  EXPECT_EQ(window["layers"][1]["instructions"], 250);
  EXPECT_EQ(window["layers"][1]["classes"]["load_store"], 50);
  EXPECT_EQ(window["layers"][2]["instructions"], 100);
  EXPECT_EQ(window["layers"][2]["duration_ns"], 3200);
}

TEST_F(WindowTrackerTest, StoresThatDoNotChangeTheLevelAreNoEdges) {
  tracker_.OnPinStore(Pin::kInference, false, At(10, 0));  // already low
  tracker_.OnPinStore(Pin::kInference, true, At(20, 0));
  tracker_.OnPinStore(Pin::kInference, true, At(30, 0));  // still high
  tracker_.OnPinStore(Pin::kInference, false, At(40, 0));
  EXPECT_EQ(tracker_.edges(), 2u);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0]["instructions"], 20);
}

TEST_F(WindowTrackerTest, LayerEdgesOutsideAnInferenceAreIgnored) {
  tracker_.OnPinStore(Pin::kLayer, true, At(5, 0));
  tracker_.OnPinStore(Pin::kInference, true, At(10, 0));
  tracker_.OnPinStore(Pin::kInference, false, At(20, 0));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0]["layers"].size(), 1u);
}

TEST_F(WindowTrackerTest, TimestampWindowsPairConsecutiveFallingEdges) {
  tracker_.OnPinStore(Pin::kTimestamp, true, At(0, 0));  // idles high
  tracker_.OnPinStore(Pin::kTimestamp, false, At(100, 0));
  tracker_.OnPinStore(Pin::kTimestamp, true, At(103, 0));
  tracker_.OnPinStore(Pin::kTimestamp, false, At(600, 0));
  tracker_.OnPinStore(Pin::kTimestamp, true, At(603, 0));
  tracker_.OnPinStore(Pin::kTimestamp, false, At(700, 0));
  tracker_.OnPinStore(Pin::kTimestamp, true, At(703, 0));
  tracker_.OnPinStore(Pin::kTimestamp, false, At(1000, 0));
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_EQ(records_[0]["kind"], "timestamp");
  EXPECT_EQ(records_[0]["instructions"], 500);
  EXPECT_EQ(records_[1]["index"], 1);
  EXPECT_EQ(records_[1]["instructions"], 300);
}

}  // namespace
}  // namespace hil::virtual_bench
