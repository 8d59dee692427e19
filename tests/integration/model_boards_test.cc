// The MLPerf Tiny models compiled for the DUT on every emulated board: each
// runs through "hil run", every kws01 output equals the host reference bit
// for bit, and the top-1 accuracy is reported.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "../unit/every_op_model.h"
#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

// Runs a plan with hil run into the scratch folder; its results.json, or
// null (and a test failure) when hil run does not end with exit 0.
nlohmann::json RunPlan(const ScratchFolder& scratch, const std::string& plan) {
  const CliRun run = RunHil("run " + plan + " --out " + scratch.File("out") + " --firmware-cache " +
                            scratch.File("cache"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::ifstream file(scratch.File("out") + "/results.json");
  if (run.exit_code != 0 || !file)
    return nlohmann::json::object({{"cases", nlohmann::json::array()}});
  return nlohmann::json::parse(file);
}

TEST(ModelBoards, KeywordSpottingAndAnomalyDetectionRunOnEveryBoardBitExact) {
  ScratchFolder scratch;
  const std::string plan = scratch.File("models.yaml");
  // The large model images go through OpenOCD and the virtual Bus Pirate,
  // as every case does by default.
  std::ofstream(plan) << "plan: models\n"
                         "networks:\n"
                         "  kws:\n"
                         "    model: " HIL_SHARED_DIR
                         "/models/kws_ref_model.tflite\n"
                         "    input: " HIL_SHARED_DIR
                         "/datasets/kws01/tst_000003_Up_8.bin\n"
                         "    dataset: " HIL_SHARED_DIR
                         "/datasets/kws01\n"
                         "  ad:\n"
                         "    model: " HIL_SHARED_DIR
                         "/models/ad01_int8.tflite\n"
                         "configurations:\n"
                         "  reference: {kernels: reference}\n"
                         "  simd: {kernels: simd}\n"
                         "matrix:\n"
                         "  boards: [mps2-an386, mps2-an500, mps3-an547]\n"
                         "measurement: {warmup: 1, runs: 2}\n";
  const nlohmann::json results = RunPlan(scratch, plan);
  ASSERT_EQ(results["cases"].size(), 12u);
  std::map<std::string, double> instructions;  // per case id, from the emulator
  for (const nlohmann::json& c : results["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "pass") << c["error"];
    // No mlperf key: profile% reports the model file's stem.
    EXPECT_EQ(c["model_id"], c["network"] == "kws" ? "kws_ref_model" : "ad01_int8");
    instructions[c["id"]] = c["verification"]["ground_truth"]["instructions"].get<double>();
    if (c["network"] == "kws") {
      EXPECT_EQ(c["dataset"]["inputs"], 100);
      EXPECT_EQ(c["dataset"]["outputs_matching_reference"], 100);
      EXPECT_GE(c["dataset"]["top1_accuracy"].get<double>(), 0.9);
      EXPECT_EQ(c["verification"]["outputs_match"], true);
      // RESHAPE lasts under a microsecond: its two layer edges usually fall
      // in one 10 us sample, and such windows leave their split out.
      if (c["layers"].empty()) {
        EXPECT_EQ(c["windows"]["layers_unresolved"], c["windows"]["used"]);
      } else {
        ASSERT_EQ(c["layers"].size(), 13u);
        EXPECT_EQ(c["layers"][0]["op"], "CONV_2D");
      }
      std::printf(
          "%s: top-1 %.2f, %d/100 bit-exact, %.0f us, %.1f uJ, %.0f instructions per inference\n",
          c["id"].get<std::string>().c_str(), c["dataset"]["top1_accuracy"].get<double>(),
          c["dataset"]["outputs_matching_reference"].get<int>(),
          c["latency_us"]["median"].get<double>(), c["energy_uJ"]["median"].get<double>(),
          instructions[c["id"]]);
    } else {
      // Ten fully connected layers; the smallest last a few microseconds,
      // under a 10 us sample, so a window may not resolve them all. Either
      // the split is there in full, or every window says why it is not.
      if (c["layers"].empty()) {
        EXPECT_EQ(c["windows"]["layers_unresolved"], c["windows"]["used"]);
      } else {
        EXPECT_EQ(c["layers"].size(), 10u);
      }
    }
  }
  // The research saw 3.3 to 6.6 times fewer with CMSIS-NN on a Cortex-M4.
  const double ratio =
      instructions["kws/reference/mps2-an386"] / instructions["kws/simd/mps2-an386"];
  std::printf("keyword spotting on the Cortex-M4: simd executes %.2fx fewer instructions\n", ratio);
  EXPECT_GE(ratio, 3.0);
}

// Every op in both int8 kernel sets and in float32 with the FPU and in
// soft-float, on every board: the DUT's output bits equal the host's.
TEST(ModelBoards, EveryOpRunsBitExactInEveryConfigurationOnEveryBoard) {
  ScratchFolder scratch;
  const std::vector<uint8_t> model = EveryOpModel();
  std::ofstream(scratch.File("every-op.tflite"), std::ios::binary)
      .write(reinterpret_cast<const char*>(model.data()),
             static_cast<std::streamsize>(model.size()));
  std::string input(256, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>(i * 89 + 7);
  std::ofstream(scratch.File("input.bin"), std::ios::binary) << input;
  const std::string plan = scratch.File("every-op.yaml");
  std::ofstream(plan) << "plan: every-op\n"
                         "networks:\n"
                         "  every-op:\n"
                         "    model: every-op.tflite\n"
                         "    input: input.bin\n"
                         "configurations:\n"
                         "  reference: {kernels: reference}\n"
                         "  simd: {kernels: simd}\n"
                         "  float: {number_format: float32}\n"
                         "  soft-float: {number_format: float32, fpu: \"off\"}\n"
                         "matrix:\n"
                         "  boards: [mps2-an386, mps2-an500, mps3-an547]\n"
                         "measurement: {warmup: 0, runs: 2}\n";
  const nlohmann::json results = RunPlan(scratch, plan);
  ASSERT_EQ(results["cases"].size(), 12u);
  std::map<std::string, double> instructions;
  for (const nlohmann::json& c : results["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "pass") << c["error"];
    EXPECT_EQ(c["verification"]["outputs_match"], true);
    instructions[c["id"]] = c["verification"]["ground_truth"]["instructions"].get<double>();
    std::printf("%s: %.0f us, %.1f uJ, %.0f instructions per inference\n",
                c["id"].get<std::string>().c_str(), c["latency_us"]["median"].get<double>(),
                c["energy_uJ"]["median"].get<double>(), instructions[c["id"]]);
  }
  // Without an FPU every float operation is a libgcc call.
  EXPECT_GT(instructions["every-op/soft-float/mps2-an386"],
            3 * instructions["every-op/float/mps2-an386"]);
}

// Keyword spotting's float32 twin on the Cortex-M4's FPU: all 100 kws01
// outputs equal the host's bit for bit, and it classifies as well as int8.
TEST(ModelBoards, KeywordSpottingInFloat32IsBitExactOnTheFpu) {
  ScratchFolder scratch;
  const std::string plan = scratch.File("float.yaml");
  // QEMU loads this one itself (-kernel): the explicit shortcut stays tested.
  std::ofstream(plan) << "plan: float\nbench: {flasher: qemu}\n"
                         "networks:\n"
                         "  kws:\n"
                         "    model: " HIL_SHARED_DIR
                         "/models/kws_ref_model.tflite\n"
                         "    dataset: " HIL_SHARED_DIR
                         "/datasets/kws01\n"
                         "configurations:\n"
                         "  float: {number_format: float32}\n"
                         "matrix:\n"
                         "  boards: [mps2-an386]\n"
                         "measurement: {warmup: 0, runs: 2}\n";
  const nlohmann::json results = RunPlan(scratch, plan);
  ASSERT_EQ(results["cases"].size(), 1u);
  const nlohmann::json& c = results["cases"][0];
  EXPECT_EQ(c["status"], "pass") << c["error"];
  EXPECT_EQ(c["dataset"]["inputs"], 100);
  EXPECT_EQ(c["dataset"]["outputs_matching_reference"], 100);
  EXPECT_GE(c["dataset"]["top1_accuracy"].get<double>(), 0.9);
  std::printf("kws float32 on the Cortex-M4 FPU: top-1 %.2f, %.0f us, %.1f uJ per inference\n",
              c["dataset"]["top1_accuracy"].get<double>(), c["latency_us"]["median"].get<double>(),
              c["energy_uJ"]["median"].get<double>());
}

}  // namespace
}  // namespace hil::testing
