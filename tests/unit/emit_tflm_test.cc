// What hil hands TFLM: the kernel groups and resolver entries a model
// needs, an arena estimate that covers what TFLM used on the DUT, and
// .tflite files hil writes (the float32 twin) that read back as the same
// network.
#include "hil/model/emit_tflm.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "every_op_model.h"
#include "hil/model/lowering.h"
#include "hil/model/tflite_reader.h"
#include "hil/model/tflite_writer.h"
#include "hil/model/to_float.h"
#include "hil/run/firmware_builder.h"

namespace hil::model {
namespace {

const std::string kKws = HIL_SHARED_DIR "/models/kws_ref_model.tflite";

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(EmitTflm, KeywordSpottingNeedsItsSixKernelGroupsAndFiveResolverEntries) {
  Result<Model> kws = ReadTfliteFile(kKws);
  ASSERT_TRUE(kws.ok()) << kws.error().ToString();
  EXPECT_EQ(TflmKernelGroups(*kws),
            (std::vector<std::string>{"conv", "depthwise_conv", "fully_connected", "pooling",
                                      "reshape", "softmax"}));
  const std::string dir = ::testing::TempDir() + "/emit-tflm-kws";
  std::filesystem::remove_all(dir);
  std::ifstream file(kKws, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  ASSERT_TRUE(EmitTflm(*kws, bytes, "kws", dir).ok());
  const std::string header = Slurp(dir + "/tflm_model.h");
  EXPECT_NE(header.find("#define HIL_TFLM_OPS(X) X(AddAveragePool2D) X(AddConv2D) "
                        "X(AddDepthwiseConv2D) X(AddFullyConnected) X(AddReshape) X(AddSoftmax)"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("#define HIL_MODEL_LAYERS 13u"), std::string::npos);
  EXPECT_NE(header.find("#define HIL_MODEL_INPUT_BYTES 490u"), std::string::npos);
  EXPECT_NE(header.find("#define HIL_MODEL_OUTPUT_COUNT 12u"), std::string::npos);
  EXPECT_EQ(Slurp(dir + "/tflm_kernels.txt"),
            "conv\ndepthwise_conv\nfully_connected\npooling\nreshape\nsoftmax\n");
  // Every byte of the file, in order, in the C array.
  const std::string data = Slurp(dir + "/tflm_model_data.cc");
  EXPECT_NE(data.find("The .tflite file's " + std::to_string(bytes.size()) + " bytes"),
            std::string::npos);
}

TEST(EmitTflm, ArenaEstimateCoversWhatTflmUsedWithoutWastingTheBoard) {
  // On the emulated Cortex-M4, TFLM reported arena_used_bytes of 22,772
  // (reference kernels) and 22,820 (CMSIS-NN) for keyword spotting, and
  // 70,832 for its float32 twin.
  Result<Model> kws = ReadTfliteFile(kKws);
  ASSERT_TRUE(kws.ok());
  const uint32_t int8_arena = TflmArenaBytes(*kws);
  EXPECT_GE(int8_arena, 22820u);
  EXPECT_LE(int8_arena, 3 * 22820u);
  const uint32_t float_arena = TflmArenaBytes(ToFloat32(*kws));
  EXPECT_GE(float_arena, 70832u);
  EXPECT_LE(float_arena, 3 * 70832u);
  EXPECT_EQ(int8_arena % 16, 0u);
}

// Written and read back, a network computes the same bits: the float twin
// TFLM runs is the network hil's reference runs.
TEST(TfliteWriter, ModelsReadBackAsTheSameNetwork) {
  Result<Model> kws = ReadTfliteFile(kKws);
  ASSERT_TRUE(kws.ok());
  const std::vector<uint8_t> every_op_bytes = testing::EveryOpModel();
  Result<Model> every_op = ReadTflite(every_op_bytes, "every-op");
  ASSERT_TRUE(every_op.ok()) << every_op.error().ToString();
  for (const Model& original : {*kws, ToFloat32(*kws), *every_op, ToFloat32(*every_op)}) {
    Result<std::vector<uint8_t>> written = WriteTflite(original);
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    Result<Model> read = ReadTflite(*written, "written");
    ASSERT_TRUE(read.ok()) << read.error().ToString();
    ASSERT_EQ(read->operators.size(), original.operators.size());
    ASSERT_EQ(read->tensors.size(), original.tensors.size());
    for (size_t i = 0; i < original.operators.size(); ++i) {
      SCOPED_TRACE("operator " + std::to_string(i));
      const Operator &a = original.operators[i], &b = read->operators[i];
      EXPECT_EQ(a.kind, b.kind);
      EXPECT_EQ(a.inputs, b.inputs);
      EXPECT_EQ(a.outputs, b.outputs);
      EXPECT_EQ(a.padding, b.padding);
      EXPECT_EQ(a.stride_w, b.stride_w);
      EXPECT_EQ(a.stride_h, b.stride_h);
      EXPECT_EQ(a.filter_w, b.filter_w);
      EXPECT_EQ(a.depth_multiplier, b.depth_multiplier);
      EXPECT_EQ(a.axis, b.axis);
      EXPECT_EQ(a.beta, b.beta);
      EXPECT_EQ(a.activation, b.activation);
    }
    for (size_t t = 0; t < original.tensors.size(); ++t) {
      SCOPED_TRACE("tensor " + original.tensors[t].name);
      EXPECT_EQ(read->tensors[t].type, original.tensors[t].type);
      EXPECT_EQ(read->tensors[t].shape, original.tensors[t].shape);
      EXPECT_EQ(read->tensors[t].data, original.tensors[t].data);
      EXPECT_EQ(read->tensors[t].quantization.scale, original.tensors[t].quantization.scale);
    }
    Result<std::unique_ptr<LoweredModel>> before = Lower(original, "a");
    Result<std::unique_ptr<LoweredModel>> after = Lower(*read, "b");
    ASSERT_TRUE(before.ok() && after.ok());
    std::vector<uint8_t> input((*before)->input_bytes);
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 37 + 11);
    Result<ModelOutput> x = RunReference(**before, input), y = RunReference(**after, input);
    ASSERT_TRUE(x.ok() && y.ok());
    EXPECT_EQ(x->raw, y->raw);
  }
}

// A relative --firmware-cache once reached the linker as "-lbuild/...": the
// TFLM libraries are linked by path from another working folder.
TEST(TflmBuild, ACacheFolderGivenRelativeIsMadeAbsolute) {
  const run::FirmwareBuilder builder("some/relative/../cache");
  EXPECT_EQ(builder.cache_dir(), (std::filesystem::current_path() / "some/cache").string());
}

}  // namespace
}  // namespace hil::model
