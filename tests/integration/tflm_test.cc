// TensorFlow Lite Micro on the emulated boards: the MLPerf Tiny models with
// TFLM's reference kernels and with CMSIS-NN give outputs identical to
// hil's host reference (every kws01 input; seeded random inputs for anomaly
// detection and for a network with every op hil lowers), the layer pin
// splits TFLM's Invoke into its operators, and the arena TFLM used is
// reported. The TFLM libraries are cached in HIL_TEST_FIRMWARE_CACHE
// between runs (about a minute per board to build).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>

#include "../unit/every_op_model.h"
#include "cli_runner.h"
#include "hil/run/firmware_builder.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

nlohmann::json RunPlan(const ScratchFolder& scratch, const std::string& plan) {
  const CliRun run = RunHil("run " + plan + " --out " + scratch.File("out") +
                            " --firmware-cache " HIL_TEST_FIRMWARE_CACHE);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::ifstream file(scratch.File("out") + "/results.json");
  if (!file) return nlohmann::json::object({{"cases", nlohmann::json::array()}});
  return nlohmann::json::parse(file);
}

// A dataset folder of `count` inputs of `bytes` random bytes (seeded),
// labelled 0 and 1 in turn (an autoencoder's set needs both for its AUC):
// what matters is each output against the host's.
std::string RandomDataset(const ScratchFolder& scratch, const std::string& name, size_t count,
                          size_t bytes, uint32_t seed) {
  const std::string folder = scratch.File(name);
  std::filesystem::create_directories(folder);
  std::mt19937 random(seed);
  std::ofstream labels(folder + "/y_labels.csv");
  for (size_t i = 0; i < count; ++i) {
    const std::string file = "random_" + std::to_string(i) + ".bin";
    std::string data(bytes, '\0');
    for (char& byte : data) byte = static_cast<char>(random() & 0xff);
    std::ofstream(folder + "/" + file, std::ios::binary) << data;
    labels << file << ",2," << i % 2 << "\n";
  }
  return folder;
}

class TflmOnBoard : public ::testing::TestWithParam<std::string> {};

TEST_P(TflmOnBoard, KeywordSpottingAndAnomalyDetectionEqualTheHostReference) {
  ScratchFolder scratch;
  const std::string board = GetParam();
  const std::string ad_inputs = RandomDataset(scratch, "ad-random", 20, 640, 19);
  const std::string plan = scratch.File("tflm.yaml");
  std::ofstream(plan) << "plan: tflm\n"
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
                         "    dataset: "
                      << ad_inputs
                      << "\n"
                         "configurations:\n"
                         "  tflm-reference: {framework: tflm, kernels: reference}\n"
                         "  tflm-cmsis-nn: {framework: tflm, kernels: cmsis-nn}\n"
                         "matrix:\n"
                         "  boards: ["
                      << board
                      << "]\n"
                         "measurement: {warmup: 1, runs: 2}\n";
  const nlohmann::json results = RunPlan(scratch, plan);
  ASSERT_EQ(results["cases"].size(), 4u);
  std::map<std::string, double> instructions;
  for (const nlohmann::json& c : results["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "pass") << c["error"];
    const std::string configuration = c["configuration"];
    EXPECT_EQ(c["kernels"], configuration);  // the harness names its kernels tflm-<set>
    EXPECT_EQ(c["verification"]["outputs_compared"], "bits");
    EXPECT_EQ(c["dataset"]["outputs_matching_reference"], c["dataset"]["inputs"])
        << "first mismatch: " << c["dataset"]["first_mismatch"];
    // The arena lives in .bss, so what TFLM used fits in it.
    const uint64_t arena = c["firmware"]["arena_bytes"];
    EXPECT_GT(arena, 1000u);
    EXPECT_LT(arena, c["firmware"]["bss_bytes"].get<uint64_t>());
    instructions[c["network"].get<std::string>() + "/" + configuration] =
        c["verification"]["ground_truth"]["instructions"].get<double>();
    if (c["network"] == "kws") {
      EXPECT_EQ(c["dataset"]["inputs"], 100);
      EXPECT_GE(c["dataset"]["top1_accuracy"].get<double>(), 0.9);
      // The profiler's pin split: TFLM's 13 operators, as hil's runtime has
      // them (or, when RESHAPE's two edges share a sample, every window
      // says so).
      if (c["layers"].empty()) {
        EXPECT_EQ(c["windows"]["layers_unresolved"], c["windows"]["used"]);
      } else {
        ASSERT_EQ(c["layers"].size(), 13u);
        EXPECT_EQ(c["layers"][0]["op"], "CONV_2D");
        EXPECT_EQ(c["layers"][12]["op"], "SOFTMAX");
        EXPECT_LE(c["verification"]["layer_sum_error_pct"].get<double>(), 0.01);
      }
    } else {
      EXPECT_EQ(c["dataset"]["inputs"], 20);
      EXPECT_EQ(c["dataset"]["metric"], "auc");  // an autoencoder
    }
    std::printf("%s: %.0f us, %.1f uJ, %.0f instructions, arena %llu B, text %llu B\n",
                c["id"].get<std::string>().c_str(), c["latency_us"]["median"].get<double>(),
                c["energy_uJ"]["median"].get<double>(),
                c["verification"]["ground_truth"]["instructions"].get<double>(),
                static_cast<unsigned long long>(arena),
                static_cast<unsigned long long>(c["firmware"]["text_bytes"].get<uint64_t>()));
  }
  // CMSIS-NN's point: on keyword spotting it runs several times fewer
  // instructions than TFLM's reference kernels on every core.
  EXPECT_GT(instructions["kws/tflm-reference"], 4 * instructions["kws/tflm-cmsis-nn"]);
}

INSTANTIATE_TEST_SUITE_P(Boards, TflmOnBoard,
                         ::testing::Values("mps2-an386", "mps2-an500", "mps3-an547"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// TFLM's reference kernels define TFLite's int8 semantics: on a network
// with every op hil lowers, over seeded random inputs, hil's host reference
// gives the same bits as TFLM. (CMSIS-NN on it matched too when run here;
// it is left out to spare CI nine more kernel builds.)
TEST(Tflm, EveryOpNetworkEqualsTheHostReferenceOnRandomInputs) {
  ScratchFolder scratch;
  const std::vector<uint8_t> model = EveryOpModel();
  std::ofstream(scratch.File("every-op.tflite"), std::ios::binary)
      .write(reinterpret_cast<const char*>(model.data()),
             static_cast<std::streamsize>(model.size()));
  const std::string inputs = RandomDataset(scratch, "every-op-random", 40, 256, 2026);
  const std::string plan = scratch.File("every-op.yaml");
  std::ofstream(plan) << "plan: every-op\n"
                         "networks:\n"
                         "  every-op:\n"
                         "    model: every-op.tflite\n"
                         "    dataset: "
                      << inputs
                      << "\n"
                         "configurations:\n"
                         "  tflm-reference: {framework: tflm, kernels: reference}\n"
                         "matrix:\n"
                         "  boards: [mps2-an386]\n"
                         "measurement: {warmup: 0, runs: 2}\n";
  const nlohmann::json results = RunPlan(scratch, plan);
  ASSERT_EQ(results["cases"].size(), 1u);
  for (const nlohmann::json& c : results["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "pass") << c["error"];
    EXPECT_EQ(c["dataset"]["inputs"], 40);
    EXPECT_EQ(c["dataset"]["outputs_matching_reference"], 40)
        << "first mismatch: " << c["dataset"]["first_mismatch"];
  }
}

// The float32 twin, written by hil as a .tflite for TFLM: TFLM's float
// kernels sum in their own order and call newlib's expf, so the outputs are
// held to 1e-5 of the largest one rather than to the bit.
TEST(Tflm, KeywordSpottingFloat32TwinRunsOnTflm) {
  ScratchFolder scratch;
  const std::string plan = scratch.File("float.yaml");
  std::ofstream(plan) << "plan: float\n"
                         "networks:\n"
                         "  kws:\n"
                         "    model: " HIL_SHARED_DIR
                         "/models/kws_ref_model.tflite\n"
                         "    dataset: " HIL_SHARED_DIR
                         "/datasets/kws01\n"
                         "configurations:\n"
                         "  tflm-float: {framework: tflm, number_format: float32}\n"
                         "matrix:\n"
                         "  boards: [mps2-an386]\n"
                         "measurement: {warmup: 0, runs: 2}\n";
  const nlohmann::json results = RunPlan(scratch, plan);
  ASSERT_EQ(results["cases"].size(), 1u);
  const nlohmann::json& c = results["cases"][0];
  EXPECT_EQ(c["status"], "pass") << c["error"];
  EXPECT_EQ(c["verification"]["outputs_compared"], "relative 1e-5");
  EXPECT_EQ(c["dataset"]["outputs_matching_reference"], 100);
  EXPECT_GE(c["dataset"]["top1_accuracy"].get<double>(), 0.9);
  // Not bit-exact, but close: a few units in the last place.
  EXPECT_LT(c["verification"]["max_output_error"].get<double>(), 1e-6);
  std::printf("kws float32 on TFLM: top-1 %.2f, largest output difference %.3g, arena %llu B\n",
              c["dataset"]["top1_accuracy"].get<double>(),
              c["verification"]["max_output_error"].get<double>(),
              static_cast<unsigned long long>(c["firmware"]["arena_bytes"].get<uint64_t>()));
}

// The TFLM firmware builds for every hardware board profile (each with its
// own board layer and trigger pins), and a hardware board uses the TFLM
// library of the emulated board with the same core: no tree of its own.
TEST(Tflm, KeywordSpottingBuildsForEveryHardwareBoard) {
  run::FirmwareBuilder builder(HIL_TEST_FIRMWARE_CACHE);
  for (const char* board :
       {"nucleo-l4r5zi", "nucleo-l496zg", "nucleo-f767zi", "disco-f469ni", "nrf52840dk"}) {
    SCOPED_TRACE(board);
    run::FirmwareRequest request;
    request.board = board;
    request.workload = "model";
    request.model = HIL_SHARED_DIR "/models/kws_ref_model.tflite";
    request.framework = "tflm";
    request.kernels = "cmsis-nn";
    Result<run::Firmware> firmware = builder.Provide(request);
    ASSERT_TRUE(firmware.ok()) << firmware.error().ToString();
    EXPECT_TRUE(std::filesystem::exists(firmware->elf));
    // The model's bytes, TFLM and CMSIS-NN: well over 100 KB of flash.
    EXPECT_GT(firmware->text_bytes, 100000u);
    std::printf("%s: %s, text %llu B, bss %llu B\n", board, firmware->elf.c_str(),
                static_cast<unsigned long long>(firmware->text_bytes),
                static_cast<unsigned long long>(firmware->bss_bytes));
  }
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HIL_TEST_FIRMWARE_CACHE) + "/tflm")) {
    const std::string name = entry.path().filename().string();
    for (const char* board :
         {"nucleo-l4r5zi", "nucleo-l496zg", "nucleo-f767zi", "disco-f469ni", "nrf52840dk"}) {
      EXPECT_EQ(name.find(board), std::string::npos) << name;  // keyed by core, not by board
    }
  }
}

}  // namespace
}  // namespace hil::testing
