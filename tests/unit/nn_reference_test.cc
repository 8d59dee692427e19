// The NN runtime's reference kernels on the host, on the real MLPerf Tiny
// keyword-spotting model and dataset: the accuracy shows the int8 semantics
// (per-channel requantisation, padding, pooling, softmax) are right.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "hil/model/lowering.h"
#include "hil/model/tflite_reader.h"
#include "kws01.h"
#include "nn_fixedpoint.h"

namespace hil::model {
namespace {

const std::string kShared = HIL_SHARED_DIR;

std::unique_ptr<LoweredModel> LowerFile(const std::string& path) {
  Result<Model> model = ReadTfliteFile(path);
  EXPECT_TRUE(model.ok()) << model.error().ToString();
  Result<std::unique_ptr<LoweredModel>> lowered = Lower(*model, "test");
  EXPECT_TRUE(lowered.ok()) << lowered.error().ToString();
  return std::move(*lowered);
}

TEST(NnFixedPoint, RequantisationRoundsAsTfliteDoes) {
  int32_t multiplier = 0, shift = 0;
  QuantizeMultiplier(0.5, multiplier, shift);
  EXPECT_EQ(multiplier, 1 << 30);
  EXPECT_EQ(shift, 0);
  QuantizeMultiplier(0.75 / 64, multiplier, shift);
  EXPECT_EQ(multiplier, 1610612736);  // 0.75 * 2^31
  EXPECT_EQ(shift, -6);
  // 100 * 0.75 / 64 = 1.171875 -> 1; -100 -> -1; ties round away from zero.
  EXPECT_EQ(nn_requantize(100, multiplier, shift), 1);
  EXPECT_EQ(nn_requantize(-100, multiplier, shift), -1);
  QuantizeMultiplier(0.5 / 4, multiplier, shift);
  EXPECT_EQ(nn_requantize(12, multiplier, shift), 2);    // 1.5 -> 2
  EXPECT_EQ(nn_requantize(-12, multiplier, shift), -2);  // -1.5 -> -2
  EXPECT_EQ(nn_requantize(10, multiplier, shift), 1);    // 1.25 -> 1
  QuantizeMultiplier(3.0, multiplier, shift);            // > 1: a left shift
  EXPECT_EQ(shift, 2);
  EXPECT_EQ(nn_requantize(7, multiplier, shift), 21);
  EXPECT_EQ(nn_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX) << "the one overflow saturates";
}

TEST(NnReference, KeywordSpottingClassifiesTheDataset) {
  std::unique_ptr<LoweredModel> kws = LowerFile(kShared + "/models/kws_ref_model.tflite");
  ASSERT_NE(kws, nullptr);
  EXPECT_EQ(kws->layers.size(), 13u);
  EXPECT_EQ(kws->input_bytes, 490u);
  EXPECT_EQ(kws->output_count, 12u);
  size_t total = 0, correct = 0;
  for (const testing::LabelledInput& sample : testing::Kws01()) {
    const std::string& file = sample.file;
    Result<ModelOutput> out = RunReference(*kws, sample.bytes);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    // Softmax outputs are probabilities in 1/256: they sum to about 1.
    int sum = 0;
    for (int32_t v : out->raw) sum += v + 128;
    EXPECT_NEAR(sum, 256, 12) << file;
    const size_t top = std::max_element(out->raw.begin(), out->raw.end()) - out->raw.begin();
    correct += top == sample.label;
    ++total;
  }
  EXPECT_EQ(total, 100u);
  // MLPerf Tiny's reference KWS model scores about 90 % on its test set.
  EXPECT_GE(correct, 90u) << "top-1 on kws01: " << correct << " of " << total;
  std::printf("kws01 top-1 with the reference kernels: %zu of %zu\n", correct, total);
}

TEST(NnReference, TheSameInputGivesTheSameBitsAndAWrongSizeIsRefused) {
  std::unique_ptr<LoweredModel> ad = LowerFile(kShared + "/models/ad01_int8.tflite");
  ASSERT_NE(ad, nullptr);
  std::vector<uint8_t> input(640);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 37);
  Result<ModelOutput> first = RunReference(*ad, input);
  Result<ModelOutput> second = RunReference(*ad, input);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->raw, second->raw);
  EXPECT_EQ(first->raw.size(), 640u);
  input.pop_back();
  Result<ModelOutput> short_input = RunReference(*ad, input);
  ASSERT_FALSE(short_input.ok());
  EXPECT_NE(short_input.error().message().find("639 bytes; the model takes 640"),
            std::string::npos);
}

}  // namespace
}  // namespace hil::model
