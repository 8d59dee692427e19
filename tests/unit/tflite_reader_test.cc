// The TFLite reader on the real MLPerf Tiny models, and on broken ones: a
// truncated or corrupted file is an error naming the problem, an unknown
// operator is named with its layer.
#include "hil/model/tflite_reader.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "hil/model/analysis.h"

namespace hil::model {
namespace {

std::vector<uint8_t> Bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing " << path;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
}

const std::string kKws = std::string(HIL_SHARED_DIR) + "/models/kws_ref_model.tflite";
const std::string kAd = std::string(HIL_SHARED_DIR) + "/models/ad01_int8.tflite";

TEST(TfliteReader, ReadsTheKeywordSpottingModel) {
  Result<Model> model = ReadTfliteFile(kKws);
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  ASSERT_EQ(model->inputs.size(), 1u);
  const Tensor& input = model->tensors[model->inputs[0]];
  EXPECT_EQ(input.type, TensorType::kInt8);
  EXPECT_EQ(input.shape, (std::vector<int32_t>{1, 49, 10, 1}));
  EXPECT_EQ(input.bytes(), 490) << "the size of every kws01 input tensor";
  const Tensor& output = model->tensors[model->outputs[0]];
  EXPECT_EQ(output.shape, (std::vector<int32_t>{1, 12}));
  ASSERT_EQ(model->operators.size(), 13u);
  const Operator& first = model->operators[0];
  EXPECT_EQ(first.kind, OpKind::kConv2D);
  EXPECT_EQ(first.stride_w, 2);
  EXPECT_EQ(first.stride_h, 2);
  EXPECT_EQ(first.activation, Activation::kRelu);
  // Per-channel quantised filter: one scale per output channel, axis 0.
  const Tensor& filter = model->tensors[first.inputs[1]];
  EXPECT_TRUE(filter.constant());
  EXPECT_EQ(filter.quantization.scale.size(), 64u);
  EXPECT_EQ(filter.quantization.axis, 0);
  EXPECT_EQ(model->operators[1].kind, OpKind::kDepthwiseConv2D);
  EXPECT_EQ(model->operators[9].kind, OpKind::kAveragePool2D);
  EXPECT_EQ(model->operators[12].kind, OpKind::kSoftmax);
  EXPECT_FLOAT_EQ(model->operators[12].beta, 1.0f);
  int64_t macs = 0;
  for (const LayerInfo& layer : AnalyseLayers(*model)) macs += layer.macs;
  EXPECT_EQ(macs, 2656768) << "DS-CNN small: about 2.7 M MACs";
}

TEST(TfliteReader, ReadsTheAnomalyDetectionModel) {
  Result<Model> model = ReadTfliteFile(kAd);
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  ASSERT_EQ(model->operators.size(), 10u);
  for (const Operator& op : model->operators) EXPECT_EQ(op.kind, OpKind::kFullyConnected);
  EXPECT_EQ(model->tensors[model->inputs[0]].shape, (std::vector<int32_t>{1, 640}));
}

TEST(TfliteReader, TheArenaNeverOverlapsTensorsAliveTogether) {
  Result<Model> model = ReadTfliteFile(kKws);
  ASSERT_TRUE(model.ok());
  const ArenaPlan plan = PlanArena(*model);
  // Two 25x5x64 int8 activations (8000 bytes) are alive at once at most,
  // and the 490-byte input (496 aligned) stays for the whole inference.
  EXPECT_EQ(plan.bytes, 16496);
  for (const Operator& op : model->operators) {
    for (int32_t t : op.outputs) {
      const int32_t input = model->inputs[0];
      EXPECT_TRUE(plan.offset[t] >= plan.offset[input] + 496 ||
                  plan.offset[t] + model->tensors[t].bytes() <= plan.offset[input])
          << "a layer writes over the input";
    }
  }
  for (const Operator& op : model->operators) {
    for (int32_t a : op.inputs) {
      for (int32_t b : op.outputs) {
        if (a < 0 || model->tensors[a].constant() || a == b) continue;
        const int64_t a0 = plan.offset[a], a1 = a0 + model->tensors[a].bytes();
        const int64_t b0 = plan.offset[b], b1 = b0 + model->tensors[b].bytes();
        EXPECT_TRUE(a1 <= b0 || b1 <= a0) << "an op's input and output share bytes";
      }
    }
  }
}

TEST(TfliteReader, AnUnsupportedOperatorIsNamedWithItsLayer) {
  std::vector<uint8_t> bytes = Bytes(kKws);
  // Turn the first operator code (CONV_2D) into SQUARED_DIFFERENCE (99).
  struct Root : flatbuffers::Table {};
  const auto* root = flatbuffers::GetRoot<flatbuffers::Table>(bytes.data());
  const auto* codes =
      root->GetPointer<const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::Table>>*>(6);
  ASSERT_NE(codes, nullptr);
  const flatbuffers::Table* conv = codes->Get(0);
  const uint8_t* deprecated = conv->GetAddressOf(4);
  const uint8_t* builtin = conv->GetAddressOf(10);
  ASSERT_TRUE(deprecated != nullptr || builtin != nullptr);
  if (deprecated != nullptr) bytes[deprecated - bytes.data()] = 99;
  if (builtin != nullptr) {
    const int32_t code = 99;
    std::memcpy(&bytes[builtin - bytes.data()], &code, 4);
  }
  Result<Model> model = ReadTflite(bytes, "kws.tflite");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(model.error().message().find("kws.tflite: layer 0 ('functional_1/activation/Relu;"),
            std::string::npos)
      << model.error().message();
  EXPECT_NE(model.error().message().find("operator SQUARED_DIFFERENCE is not supported"),
            std::string::npos)
      << model.error().message();
}

TEST(TfliteReader, TruncatedAndCorruptedFilesAreErrorsNotCrashes) {
  const std::vector<uint8_t> good = Bytes(kKws);
  for (size_t size : {size_t{0}, size_t{7}, size_t{100}, good.size() / 2, good.size() - 1}) {
    Result<Model> model = ReadTflite({good.data(), size}, "cut.tflite");
    ASSERT_FALSE(model.ok()) << size;
    EXPECT_NE(model.error().message().find("cut.tflite: not a valid TensorFlow Lite model"),
              std::string::npos)
        << model.error().message();
  }
  std::vector<uint8_t> renamed = good;
  renamed[4] = 'X';
  EXPECT_NE(ReadTflite(renamed, "x").error().message().find("no TFL3 identifier"),
            std::string::npos);
  // Random byte flips: every outcome is a model or an error.
  std::mt19937 random(5);
  size_t errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> bytes = good;
    for (int flip = 0; flip < 8; ++flip)
      bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
    errors += !ReadTflite(bytes, "flipped").ok();
  }
  std::printf("%zu of 300 corrupted files refused\n", errors);
}

// Moves the first tensor's zero_point vector to the end of the file so its
// int64 elements sit 4 bytes off 8-byte alignment: a layout the flatbuffers
// verifier accepts, so the reader must still read those elements safely.
std::vector<uint8_t> WithMisalignedZeroPoints(std::vector<uint8_t> bytes,
                                              std::vector<int64_t>& moved) {
  namespace fb = flatbuffers;
  const auto slot = [](int id) { return static_cast<fb::voffset_t>(4 + 2 * id); };
  const auto* model = fb::GetRoot<fb::Table>(bytes.data());
  const auto* graph = model->GetPointer<const fb::Vector<fb::Offset<fb::Table>>*>(slot(2))->Get(0);
  const auto* tensors = graph->GetPointer<const fb::Vector<fb::Offset<fb::Table>>*>(slot(0));
  for (fb::uoffset_t i = 0; i < tensors->size(); ++i) {
    const fb::Table* quantization = tensors->Get(i)->GetPointer<const fb::Table*>(slot(4));
    if (quantization == nullptr) continue;
    const auto* zero_points = quantization->GetPointer<const fb::Vector<int64_t>*>(slot(3));
    if (zero_points == nullptr || zero_points->size() == 0) continue;
    moved.assign(zero_points->begin(), zero_points->end());
    const size_t field = quantization->GetAddressOf(slot(3)) - bytes.data();
    const auto count = static_cast<uint32_t>(moved.size());
    while (bytes.size() % 8 != 0) bytes.push_back(0);  // the length word lands 8-aligned...
    const size_t vector = bytes.size();
    bytes.resize(vector + 4 + 8 * moved.size());  // ...so the elements start 4 bytes off
    std::memcpy(bytes.data() + vector, &count, 4);
    std::memcpy(bytes.data() + vector + 4, moved.data(), 8 * moved.size());
    const auto offset = static_cast<uint32_t>(vector - field);
    std::memcpy(bytes.data() + field, &offset, 4);
    return bytes;
  }
  ADD_FAILURE() << "no tensor with zero points";
  return bytes;
}

// libFuzzer found shapes whose element count overflowed int64.
TEST(TfliteReader, AShapeTooLargeForAnyMicrocontrollerIsRefused) {
  namespace fb = flatbuffers;
  std::vector<uint8_t> bytes = Bytes(kKws);
  const auto slot = [](int id) { return static_cast<fb::voffset_t>(4 + 2 * id); };
  const auto* model = fb::GetRoot<fb::Table>(bytes.data());
  const auto* graph = model->GetPointer<const fb::Vector<fb::Offset<fb::Table>>*>(slot(2))->Get(0);
  const auto* tensor = graph->GetPointer<const fb::Vector<fb::Offset<fb::Table>>*>(slot(0))->Get(0);
  const auto* shape = tensor->GetPointer<const fb::Vector<int32_t>*>(slot(0));
  ASSERT_GE(shape->size(), 2u);
  auto* dims = const_cast<uint8_t*>(shape->Data());
  const int32_t huge = 786439;  // x 786439 x ... overflows 64 bits with four such
  for (fb::uoffset_t d = 0; d < shape->size(); ++d) std::memcpy(dims + 4 * d, &huge, 4);
  Result<Model> read = ReadTflite(bytes, "huge.tflite");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message().find("over 2^31 elements"), std::string::npos)
      << read.error().message();
  Tensor t;
  t.shape = {786439, 786439, 786439, 786439};
  EXPECT_EQ(t.elements(), kMaxTensorElements) << "saturates instead of overflowing";
}

TEST(TfliteReader, ReadsMisalignedEightByteValuesAndBuffersAtAnyAddress) {
  std::vector<int64_t> moved;
  const std::vector<uint8_t> bytes = WithMisalignedZeroPoints(Bytes(kKws), moved);
  ASSERT_FALSE(moved.empty());
  Result<Model> model = ReadTflite(bytes, "moved.tflite");
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  bool found = false;
  for (const Tensor& tensor : model->tensors) found |= tensor.quantization.zero_point == moved;
  EXPECT_TRUE(found);
  // The same file one byte into a buffer: every scalar read would be misaligned.
  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  Result<Model> again = ReadTflite({shifted.data() + 1, bytes.size()}, "shifted.tflite");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->tensors.size(), model->tensors.size());
}

}  // namespace
}  // namespace hil::model
