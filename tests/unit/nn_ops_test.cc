// Every op of hil's runtime, in a network written for the test (the shared
// MLPerf Tiny models use only a few): the int8 network follows its float32
// twin, both run the same bits twice, and hil's own exponential is close to
// the C library's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "every_op_model.h"
#include "hil/model/lowering.h"
#include "hil/model/tflite_reader.h"
#include "kws01.h"
#include "nn_kernels.h"

namespace hil::model {
namespace {

std::vector<uint8_t> RandomInput(std::mt19937& random, size_t n) {
  std::vector<uint8_t> input(n);
  for (uint8_t& v : input) v = static_cast<uint8_t>(random());
  return input;
}

TEST(NnOps, EveryOpIsReadAndLoweredInBothNumberFormats) {
  Result<Model> model = ReadTflite(testing::EveryOpModel(), "every-op.tflite");
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  std::string ops;
  for (const Operator& op : model->operators) ops += std::string(OpName(op.kind)) + " ";
  EXPECT_EQ(ops,
            "CONV_2D DEPTHWISE_CONV_2D CONV_2D ADD MUL PAD CONV_2D LOGISTIC TANH QUANTIZE "
            "CONCATENATION MAX_POOL_2D AVERAGE_POOL_2D RELU6 RELU RESHAPE FULLY_CONNECTED SOFTMAX "
            "DEQUANTIZE ");
  Result<std::unique_ptr<LoweredModel>> int8 = Lower(*model, "every-op");
  ASSERT_TRUE(int8.ok()) << int8.error().ToString();
  EXPECT_EQ((*int8)->layers.size(), 19u);
  EXPECT_TRUE((*int8)->output_float) << "the graph ends in DEQUANTIZE";
  Result<std::unique_ptr<LoweredModel>> twin = Lower(ToFloat32(*model), "every-op");
  ASSERT_TRUE(twin.ok()) << twin.error().ToString();
  // The twin keeps the int8 input behind one more layer.
  ASSERT_EQ((*twin)->layers.size(), 20u);
  EXPECT_EQ((*twin)->names[0], "DEQUANTIZE");
  EXPECT_EQ((*twin)->input_bytes, (*int8)->input_bytes);
  for (size_t i = 1; i < (*twin)->layers.size() - 1; ++i) {
    EXPECT_EQ((*twin)->layers[i].number, NN_FLOAT32) << (*twin)->names[i];
  }
}

// A zero point at the edge of int64 (a fuzzed file had one) dequantises
// without overflowing: the difference is taken in double.
TEST(NnOps, TheFloatTwinTakesAnyZeroPointWithoutOverflow) {
  Model model;
  Tensor weights;
  weights.type = TensorType::kInt8;
  weights.shape = {2};
  weights.data = {static_cast<uint8_t>(int8_t{100}), static_cast<uint8_t>(int8_t{-3})};
  weights.quantization.scale = {0.5f};
  weights.quantization.zero_point = {std::numeric_limits<int64_t>::min()};
  model.tensors.push_back(weights);
  const Model twin = ToFloat32(model);
  ASSERT_EQ(twin.tensors[0].type, TensorType::kFloat32);
  float first = 0;
  std::memcpy(&first, twin.tensors[0].data.data(), 4);
  EXPECT_FLOAT_EQ(first, 0.5f * (100.0f + 9.223372e18f));
  EXPECT_GT(first, 0.0f) << "a wrapped difference would be negative";
}

// Cut after each layer, the int8 network's output is compared with its
// float32 twin's: the int8 value may be off by the rounding it and the
// layers before it did, a few steps of its scale, never more. A wrong
// rescale in any op (ADD's common scale, MUL's product scale, a table off
// by one entry, a pad with the wrong zero) moves it by tens of steps.
TEST(NnOps, EveryLayerOfTheInt8NetworkFollowsItsFloatTwin) {
  Result<Model> model = ReadTflite(testing::EveryOpModel(), "every-op.tflite");
  ASSERT_TRUE(model.ok());
  for (size_t k = 0; k < model->operators.size(); ++k) {
    Model cut = *model;
    cut.operators.resize(k + 1);
    cut.outputs = {cut.operators[k].outputs[0]};
    const std::string layer = std::to_string(k) + " " + OpName(cut.operators[k].kind);
    Result<std::unique_ptr<LoweredModel>> int8 = Lower(cut, "cut");
    Result<std::unique_ptr<LoweredModel>> twin = Lower(ToFloat32(cut), "cut");
    ASSERT_TRUE(int8.ok() && twin.ok()) << layer;
    // The last layer turns int8 into float: measure it in its input's steps.
    const double step = (*int8)->output_float ? 1.0 / 256 : (*int8)->output_scale;
    std::mt19937 random(7);
    double worst = 0;
    for (int trial = 0; trial < 20; ++trial) {
      const std::vector<uint8_t> input = RandomInput(random, (*int8)->input_bytes);
      Result<ModelOutput> quantised = RunReference(**int8, input);
      Result<ModelOutput> real = RunReference(**twin, input);
      ASSERT_TRUE(quantised.ok() && real.ok()) << layer;
      for (size_t i = 0; i < real->values.size(); ++i) {
        worst = std::max(worst, std::abs(quantised->values[i] - real->values[i]) / step);
      }
    }
    std::printf("  layer %-20s int8 within %5.2f steps of float32\n", layer.c_str(), worst);
    EXPECT_LE(worst, 12) << layer;
  }
}

TEST(NnOps, TheWholeNetworkGivesTheFloatTwinsClassesAndTheSameBitsTwice) {
  Result<Model> model = ReadTflite(testing::EveryOpModel(), "every-op.tflite");
  ASSERT_TRUE(model.ok());
  Result<std::unique_ptr<LoweredModel>> int8 = Lower(*model, "every-op");
  Result<std::unique_ptr<LoweredModel>> twin = Lower(ToFloat32(*model), "every-op");
  ASSERT_TRUE(int8.ok() && twin.ok());
  std::mt19937 random(11);
  double worst = 0;
  int same_class = 0;
  const int inputs = 50;
  for (int k = 0; k < inputs; ++k) {
    const std::vector<uint8_t> input = RandomInput(random, (*int8)->input_bytes);
    Result<ModelOutput> quantised = RunReference(**int8, input);
    Result<ModelOutput> real = RunReference(**twin, input);
    ASSERT_TRUE(quantised.ok() && real.ok());
    EXPECT_EQ(RunReference(**int8, input)->raw, quantised->raw);
    EXPECT_EQ(RunReference(**twin, input)->raw, real->raw);
    ASSERT_EQ(quantised->values.size(), 10u);
    float sum = 0;
    size_t top_q = 0, top_f = 0;
    for (size_t i = 0; i < 10; ++i) {
      sum += real->values[i];
      worst =
          std::max(worst, std::abs(static_cast<double>(quantised->values[i] - real->values[i])));
      if (quantised->values[i] > quantised->values[top_q]) top_q = i;
      if (real->values[i] > real->values[top_f]) top_f = i;
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5f) << "float softmax sums to one";
    same_class += top_q == top_f;
  }
  std::printf(
      "every-op network: int8 vs float32 twin, worst probability difference %.4f, "
      "same class on %d of %d inputs\n",
      worst, same_class, inputs);
  EXPECT_LT(worst, 0.02);  // five steps of the softmax's 1/256
  EXPECT_GE(same_class, inputs * 9 / 10);
}

TEST(NnOps, KeywordSpottingsFloatTwinClassifiesTheDataset) {
  const std::string shared = HIL_SHARED_DIR;
  Result<std::unique_ptr<LoweredModel>> twin =
      LowerFile(shared + "/models/kws_ref_model.tflite", "kws", NumberFormat::kFloat32);
  ASSERT_TRUE(twin.ok()) << twin.error().ToString();
  int total = 0, correct = 0;
  for (const testing::LabelledInput& sample : testing::Kws01()) {
    Result<ModelOutput> out = RunReference(**twin, sample.bytes);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    const size_t top =
        std::max_element(out->values.begin(), out->values.end()) - out->values.begin();
    correct += top == sample.label;
    ++total;
  }
  EXPECT_EQ(total, 100);
  EXPECT_GE(correct, 90) << "float32 twin top-1 on kws01";
  std::printf("kws01 top-1 with the float32 twin: %d of %d\n", correct, total);
}

// Found by libFuzzer: a bias near 2^31 overflowed the accumulator, which C
// leaves undefined (the host and the DUT could then differ).
TEST(NnOps, ALayerWhoseArithmeticCouldOverflowIsRefused) {
  testing::TfliteWriter w;
  const int32_t input = w.Activation("in", {1, 4}, 0.1f, 0);
  const int32_t weights =
      w.Tensor({"w", {2, 4}, testing::kInt8, {0.01f}, {0}, 0, std::vector<uint8_t>(8, 100)});
  std::vector<uint8_t> bias(8);
  const int32_t huge = 2147483000;
  std::memcpy(bias.data(), &huge, 4);
  const int32_t b = w.Tensor({"b", {2}, testing::kInt32, {0.001f}, {0}, 0, bias});
  const int32_t out = w.Activation("out", {1, 2}, 0.5f, 0);
  w.Op(testing::kFullyConnected, {input, weights, b}, {out}, testing::kFullyConnectedOptions,
       {testing::TfliteWriter::Byte(0, testing::kNone), testing::TfliteWriter::Byte(1, 0)});
  Result<Model> model = ReadTflite(w.Finish({input}, {out}), "big-bias.tflite");
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  Result<std::unique_ptr<LoweredModel>> lowered = Lower(*model, "big-bias");
  ASSERT_FALSE(lowered.ok());
  EXPECT_NE(lowered.error().message().find("layer 0 (FULLY_CONNECTED): its accumulator could "
                                           "overflow 32 bits"),
            std::string::npos)
      << lowered.error().message();
}

TEST(NnOps, HilsExponentialIsWithinAFewUlpOfTheLibrarys) {
  EXPECT_TRUE(std::isnan(nn_expf(std::nanf("")))) << "NaN in, NaN out (found by libFuzzer)";
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double exact = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(nn_expf(x) - exact) / exact);
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_EQ(nn_expf(0), 1.0f);
  EXPECT_EQ(nn_expf(-200), 0.0f) << "underflow is zero, not a denormal or garbage";
  std::printf("nn_expf: worst relative error %.2e over [-87, 88]\n", worst);
}

}  // namespace
}  // namespace hil::model
