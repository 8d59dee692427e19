// Plan validation: a good plan reads into the model; each kind of mistake
// is reported at its exact line and column with a message that says what
// to do.
#include "hil/plan/plan_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace hil::plan {
namespace {

class PlanParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::path(::testing::TempDir()) / "plan-parser";
    std::filesystem::create_directories(directory_);
    std::ofstream(directory_ / "input.bin") << "tensor";
    std::ofstream(directory_ / "prebuilt.elf") << "elf";
  }

  Result<Plan> Parse(const std::string& text) {
    return ParsePlanText(text, "p.yaml", directory_.string());
  }

  // The plan must be refused with exactly one problem, at line:column,
  // whose message contains `words`.
  void ExpectProblem(const std::string& text, int line, int column, const std::string& words) {
    Result<Plan> plan = Parse(text);
    ASSERT_FALSE(plan.ok()) << text;
    EXPECT_EQ(plan.error().kind(), ErrorKind::kConfiguration);
    const std::string& message = plan.error().message();
    const std::string where =
        "p.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    EXPECT_EQ(message.rfind(where, 0), 0u) << message;
    EXPECT_NE(message.find(words), std::string::npos) << message;
    EXPECT_EQ(message.find('\n', where.size()) == std::string::npos ||
                  message.find("\n  ") != std::string::npos,
              true)
        << "one problem expected: " << message;
  }

  std::filesystem::path directory_;
};

const char* kGood = R"(plan: good
bench:
  kind: virtual
  probe: ppk2
networks:
  conv: {workload: mb-conv3x3, input: input.bin}
  dense: {workload: mb-dense}
configurations:
  O2: {optimisation: -O2, defines: [FAST=1]}
  Os: {optimisation: -Os, firmware: prebuilt.elf}
matrix:
  boards: [mps2-an386, mps3-an547]
  exclude:
    - {network: dense, board: mps3-an547}
measurement: {warmup: 2, runs: 20, guard_us: 50}
expectations:
  - latency_us.median < 30000
  - energy_uJ.median within 5 % of baseline
)";

TEST_F(PlanParserTest, AGoodPlanReadsIntoTheModel) {
  Result<Plan> plan = Parse(kGood);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->name, "good");
  ASSERT_EQ(plan->networks.size(), 2u);
  EXPECT_EQ(plan->networks[0].input, (directory_ / "input.bin").string());
  EXPECT_EQ(plan->configurations[1].firmware, (directory_ / "prebuilt.elf").string());
  EXPECT_EQ(plan->configurations[0].defines, std::vector<std::string>{"FAST=1"});
  EXPECT_EQ(plan->measurement.runs, 20u);
  EXPECT_EQ(plan->measurement.warmup, 2u);
  ASSERT_EQ(plan->expectations.size(), 2u);
  EXPECT_EQ(plan->expectations[0].op, "<");
  EXPECT_EQ(plan->expectations[0].value, 30000);
  EXPECT_TRUE(plan->expectations[1].baseline);
  EXPECT_EQ(plan->expectations[1].value, 5);
  const std::vector<Case> cases = ExpandMatrix(*plan);
  std::vector<std::string> ids;
  for (const Case& c : cases) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"conv/O2/mps2-an386", "conv/O2/mps3-an547",
                                           "conv/Os/mps2-an386", "conv/Os/mps3-an547",
                                           "dense/O2/mps2-an386", "dense/Os/mps2-an386"}));
}

TEST_F(PlanParserTest, NumberFormatAndFpuDefaultToInt8WithTheFpu) {
  Result<Plan> plan = Parse(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  plain:\n  float: {number_format: float32}\n"
      "  soft: {number_format: float32, fpu: off}\n");
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ASSERT_EQ(plan->configurations.size(), 3u);
  EXPECT_EQ(plan->configurations[0].number_format, model::NumberFormat::kInt8);
  EXPECT_TRUE(plan->configurations[0].fpu);
  EXPECT_EQ(plan->configurations[1].number_format, model::NumberFormat::kFloat32);
  EXPECT_TRUE(plan->configurations[1].fpu);
  EXPECT_FALSE(plan->configurations[2].fpu);
}

TEST_F(PlanParserTest, SimdKernelsWithFloat32AreRefusedAtTheKernelsKey) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  f: {number_format: float32, kernels: simd}\n",
      5, 40, "the simd kernels are int8 only");
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  f: {number_format: float16}\n",
      5, 22, "must be one of int8, float32 (did you mean 'float32'?)");
}

TEST_F(PlanParserTest, FrameworkAxisReadsTflmWithItsOwnKernelSets) {
  Result<Plan> plan = Parse(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n"
      "  hil-simd: {kernels: simd}\n"
      "  tflm-ref: {framework: tflm}\n"
      "  tflm-cmsis: {framework: tflm, kernels: cmsis-nn, optimisation: -Os, fpu: 'off'}\n"
      "  tflm-float: {framework: tflm, number_format: float32}\n");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  ASSERT_EQ(plan->configurations.size(), 4u);
  EXPECT_EQ(plan->configurations[0].framework, "hil");
  EXPECT_EQ(plan->configurations[0].kernels, "simd");
  EXPECT_EQ(plan->configurations[1].framework, "tflm");
  EXPECT_EQ(plan->configurations[1].kernels, "reference");
  EXPECT_EQ(plan->configurations[2].kernels, "cmsis-nn");
  EXPECT_EQ(plan->configurations[2].optimisation, "-Os");
  EXPECT_FALSE(plan->configurations[2].fpu);
  EXPECT_EQ(plan->configurations[3].number_format, model::NumberFormat::kFloat32);
}

TEST_F(PlanParserTest, AModelNamesItsMlperfBenchmark) {
  Result<Plan> plan = Parse("plan: x\nnetworks:\n  kws: {model: " HIL_SHARED_DIR
                            "/models/kws_ref_model.tflite, mlperf: kws01}\n"
                            "matrix: {boards: [mps2-an386]}\n");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->networks[0].mlperf, "kws01");
  ExpectProblem("plan: x\nnetworks:\n  kws: {mlperf: kws1, model: " HIL_SHARED_DIR
                "/models/kws_ref_model.tflite}\n"
                "matrix: {boards: [mps2-an386]}\n",
                3, 17,
                "networks.kws.mlperf is 'kws1'; it must be one of kws01, ad01, ic01, "
                "vww01, sww01 (did you mean 'kws01'?)");
  ExpectProblem(
      "plan: x\nnetworks:\n  conv: {workload: mb-conv3x3, mlperf: ic01}\n"
      "matrix: {boards: [mps2-an386]}\n",
      3, 40, "networks.conv.mlperf names the benchmark of a .tflite model");
}

// A dataset is checked against its model when the plan is read, so a bad
// label or input stops the run before any case is measured.
TEST_F(PlanParserTest, ADatasetIsCheckedAgainstItsModelWhenThePlanIsRead) {
  const std::filesystem::path set = directory_ / "set";
  std::filesystem::create_directories(set);
  std::ofstream(set / "a.bin") << std::string(490, 'x');  // KWS takes 490 bytes
  std::ofstream(set / "short.bin") << std::string(10, 'x');
  const std::string plan =
      "plan: x\nnetworks:\n  kws:\n    model: " HIL_SHARED_DIR
      "/models/kws_ref_model.tflite\n    dataset: set\nmatrix: {boards: [mps2-an386]}\n";
  std::ofstream(set / "y_labels.csv") << "a.bin,12,11\n";
  Result<Plan> good = Parse(plan);
  ASSERT_TRUE(good.ok()) << good.error().ToString();

  std::ofstream(set / "y_labels.csv") << "a.bin,12,3\na.bin,12,12\n";
  ExpectProblem(plan, 5, 14,
                "networks.kws.dataset: " + (set / "y_labels.csv").string() +
                    ":2: label 12 names no output; the model has 12 (labels 0 to 11)");
  std::ofstream(set / "y_labels.csv") << "a.bin,12,3\nshort.bin,12,1\n";
  ExpectProblem(plan, 5, 14, "y_labels.csv:2: short.bin has 10 bytes; the model takes 490");
  std::ofstream(set / "y_labels.csv") << "gone.bin,12,1\n";
  ExpectProblem(plan, 5, 14, "y_labels.csv:1: no input file gone.bin");
  std::ofstream(set / "y_labels.csv") << "a.bin,12\n";
  ExpectProblem(plan, 5, 14, "y_labels.csv:1: expected file,classes,label");
}

TEST_F(PlanParserTest, MlperfEnergyModeDefaultsToFiveTenSecondTimestampWindows) {
  const std::string head =
      "plan: x\nbench: {probe: lpm01a}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
      "matrix: {boards: [mps2-an386]}\n";
  Result<Plan> plan = Parse(head + "measurement: {window: timestamp, mlperf: true, runs: 370}\n");
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->measurement.windows, 5u);
  EXPECT_EQ(plan->measurement.min_window_s, 10);
  EXPECT_EQ(plan->measurement.runs, 370u);
  Result<Plan> three =
      Parse(head + "measurement: {window: timestamp, mlperf: true, windows: 3, min_window_s: 1}\n");
  ASSERT_TRUE(three.ok()) << three.error().message();
  EXPECT_EQ(three->measurement.windows, 3u);
  EXPECT_EQ(three->measurement.min_window_s, 1);
  // MLPerf's energy mode measures between timestamp pulses.
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement: {mlperf: true}\n",
      4, 23, "measures between timestamp pulses: add window: timestamp");
  // Per-inference windows: at most 256 runs, and no window count.
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement: {runs: 300}\n",
      4, 21, "per-inference windows take at most 256");
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement: {windows: 5}\n",
      4, 24, "measurement.windows counts timestamp windows");
}

TEST_F(PlanParserTest, RealtimePaceIsTheVirtualBenchs) {
  Result<Plan> plan = Parse(
      "plan: x\nbench: {pace: realtime}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
      "matrix: {boards: [mps2-an386]}\n");
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->bench.pace, "realtime");
  ExpectProblem(
      "plan: x\nbench: {pace: slow}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
      "matrix: {boards: [mps2-an386]}\n",
      2, 15, "bench.pace is 'slow'; it must be one of fast, realtime");
}

TEST_F(PlanParserTest, AMissingBaselineFailsUnlessThePlanSaysSkip) {
  const std::string body =
      "networks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n";
  Result<Plan> plan = Parse("plan: x\n" + body);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->on_missing_baseline, "fail");
  plan = Parse("plan: x\n" + body + "on_missing_baseline: skip\n");
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->on_missing_baseline, "skip");
  ExpectProblem("plan: x\n" + body + "on_missing_baseline: pass\n", 4, 22,
                "it must be one of fail, skip");
  // The old key was read and never used: refused, saying what replaced it.
  ExpectProblem("plan: x\n" + body + "baseline: old/results.db\n", 4, 11,
                "'baseline' is not a plan key");
}

TEST_F(PlanParserTest, AKernelSetOfTheOtherFrameworkIsNamedAsSuch) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  t: {framework: tflm, kernels: simd}\n",
      5, 33,
      "configurations.t.kernels is 'simd', a kernel set of hil's runtime (framework: hil); with "
      "framework tflm the kernels are reference, cmsis-nn");
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  h: {kernels: cmsis-nn}\n",
      5, 16,
      "configurations.h.kernels is 'cmsis-nn', a kernel set of framework: tflm; with framework "
      "hil the kernels are reference, simd (or set framework: tflm for CMSIS-NN)");
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  t: {framework: tflite}\n",
      5, 18, "configurations.t.framework is 'tflite'; it must be one of hil, tflm");
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "configurations:\n  t: {framework: tflm, kernels: cmsis}\n",
      5, 33, "configurations.t.kernels is 'cmsis'; it must be one of reference, cmsis-nn");
}

// Ten kinds of malformed plan, each at its exact position.

TEST_F(PlanParserTest, BadYaml) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}\nmatrix: {boards: [mps2-an386]}\n", 3, 1,
      "not valid YAML: end of map flow not found");
}

TEST_F(PlanParserTest, UnknownKeyWithDidYouMean) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement:\n  warmup: 1\n  runz: 5\n",
      6, 3, "unknown key 'runz' in measurement; did you mean 'runs'?");
}

TEST_F(PlanParserTest, WrongType) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement: {runs: ten}\n",
      4, 21, "measurement.runs must be a whole number from 1 to 1000000, not 'ten'");
}

TEST_F(PlanParserTest, MissingInputFile) {
  ExpectProblem(
      "plan: x\nnetworks:\n  conv: {workload: mb-conv3x3, input: nowhere.bin}\n"
      "matrix: {boards: [mps2-an386]}\n",
      3, 39, "networks.conv.input: no such file 'nowhere.bin'");
}

TEST_F(PlanParserTest, UnknownBoard) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix:\n  boards: [mps2-an368]\n", 4, 12,
      "unknown board 'mps2-an368'; did you mean 'mps2-an386'?");
}

TEST_F(PlanParserTest, EmptyMatrix) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix:\n  boards: [mps2-an386]\n"
      "  exclude: [{network: conv}]\n",
      4, 3, "the matrix is empty");
}

TEST_F(PlanParserTest, MissingRequiredKey) {
  ExpectProblem("networks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n", 1, 1,
                "the plan needs 'plan'");
}

TEST_F(PlanParserTest, UnknownWorkload) {
  ExpectProblem(
      "plan: x\nnetworks:\n  conv: {workload: mb-conv5x5}\nmatrix: {boards: [mps2-an386]}\n", 3, 20,
      "networks.conv.workload is 'mb-conv5x5'; it must be one of");
}

TEST_F(PlanParserTest, MatrixNamesAnUndefinedNetwork) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\n"
      "matrix: {networks: [cnov], boards: [mps2-an386]}\n",
      3, 21, "no network named 'cnov'; did you mean 'conv'?");
}

TEST_F(PlanParserTest, BadExpectation) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "expectations:\n  - latncy_us.median < 5\n",
      5, 5, "unknown figure 'latncy_us', did you mean 'latency_us'?");
}

TEST_F(PlanParserTest, TriggerOnAnInputProbesDoNotHave) {
  ExpectProblem(
      "plan: x\nbench:\n  triggers: {inference: D9}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
      "matrix: {boards: [mps2-an386]}\n",
      3, 25, "give a logic input of the PPK2 (D0, D1, D2, D3, D4, D5, D6, D7) or none");
  // The inputs are the probe kind's, from the probe table.
  ExpectProblem(
      "plan: x\nbench:\n  probe: lpm01a\n  triggers: {timestamp: D2}\n"
      "networks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement: {window: timestamp}\n",
      4, 25, "give a logic input of the LPM01A (D7) or none");
}

TEST_F(PlanParserTest, HardwareOnlyBoardOnTheVirtualBench) {
  ExpectProblem(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [nucleo-l4r5zi]}\n", 3,
      19, "has no emulator");
}

TEST_F(PlanParserTest, DuplicateNetwork) {
  ExpectProblem(
      "plan: x\nnetworks:\n  conv: {workload: mb-conv3x3}\n  conv: {workload: mb-dense}\n"
      "matrix: {boards: [mps2-an386]}\n",
      4, 3, "network 'conv' is defined twice");
}

TEST_F(PlanParserTest, EveryProblemIsReportedInLineOrder) {
  Result<Plan> plan = Parse(
      "plan: x\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an368]}\n"
      "measurement: {runs: 0, window: timestep}\n");
  ASSERT_FALSE(plan.ok());
  const std::string& message = plan.error().message();
  const size_t board = message.find("p.yaml:3:"), runs = message.find("p.yaml:4:21:"),
               window = message.find("p.yaml:4:32:");
  ASSERT_NE(board, std::string::npos) << message;
  ASSERT_NE(runs, std::string::npos) << message;
  ASSERT_NE(window, std::string::npos) << message;
  EXPECT_LT(board, runs);
  EXPECT_LT(runs, window);
  EXPECT_NE(message.find("did you mean 'timestamp'?"), std::string::npos) << message;
}

TEST_F(PlanParserTest, Lpm01aDefaultsToTheTimestampInputAndNeedsTimestampWindows) {
  const std::string head =
      "plan: x\nbench: {probe: lpm01a}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
      "matrix: {boards: [mps2-an386]}\n";
  Result<Plan> timestamp = Parse(head + "measurement: {window: timestamp}\n");
  ASSERT_TRUE(timestamp.ok()) << timestamp.error().message();
  EXPECT_EQ(timestamp->bench.timestamp.input, "D7");
  Result<Plan> inference = Parse(head);
  ASSERT_FALSE(inference.ok());
  EXPECT_NE(inference.error().message().find("with an LPM01A use window: timestamp"),
            std::string::npos);
}

}  // namespace
}  // namespace hil::plan

namespace hil::plan {
namespace {

// The review's plan: 480 KB, 800 networks with long names and a matrix
// naming 800 unknown ones, ran over 5 minutes and answered with every name
// listed 800 times. Now suggestions are bounded, lists are cut and the
// problems counted: the answer is short and says how many more there are.
TEST(PlanParserHostile, A480KilobytePlanOfUnknownNamesIsAnsweredBriefly) {
  std::string text = "plan: big\nnetworks:\n";
  std::string matrix = "matrix:\n  boards: [mps2-an386]\n  networks:\n";
  for (int i = 0; i < 800; ++i) {
    const std::string name =
        "network-with-a-long-descriptive-name-number-" + std::to_string(i) + std::string(200, 'n');
    text += "  " + name + ": {workload: mb-dense}\n";
    matrix += "    - " + name + "-unknown\n";
  }
  text += matrix;
  ASSERT_GT(text.size(), 300'000u);
  Result<Plan> plan = ParsePlanText(text, "big.yaml", ::testing::TempDir());
  ASSERT_FALSE(plan.ok());
  const std::string& message = plan.error().message();
  EXPECT_LT(message.size(), 200'000u) << "the answer is bounded";
  EXPECT_NE(message.find("and 700 more problems"), std::string::npos)
      << message.substr(message.size() - 300);
  EXPECT_NE(message.find(" more\n"), std::string::npos) << "long lists of names are cut";
}

TEST(PlanParserHostile, APlanOverTheSizeLimitIsRefusedUnread) {
  PlanPolicy policy;
  policy.max_bytes = 1000;
  Result<Plan> plan =
      ParsePlanText("plan: x\n" + std::string(2000, '#'), "x.yaml", ::testing::TempDir(), policy);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(plan.error().message().find("plans are limited to 1000 bytes"), std::string::npos);
}

TEST(PlanRoots, ResolveLinksAndDotsBeforeJudging) {
  namespace fs = std::filesystem;
  const fs::path base = fs::path(::testing::TempDir()) / "plan-roots";
  fs::remove_all(base);
  fs::create_directories(base / "root/sub");
  fs::create_directories(base / "out");
  fs::create_symlink(base / "out", base / "root/escape");
  const std::vector<std::string> roots = {(base / "root").string()};
  EXPECT_TRUE(WithinRoots((base / "root/sub/model.tflite").string(), roots));
  EXPECT_TRUE(WithinRoots((base / "root/missing/model.tflite").string(), roots));
  EXPECT_FALSE(WithinRoots((base / "root/../out/model.tflite").string(), roots));
  EXPECT_FALSE(WithinRoots((base / "root/escape/model.tflite").string(), roots));
  EXPECT_FALSE(WithinRoots((base / "rootless/model.tflite").string(), roots))
      << "a prefix is not a folder";
  EXPECT_FALSE(WithinRoots("/etc/passwd", {}));
}

}  // namespace
}  // namespace hil::plan
