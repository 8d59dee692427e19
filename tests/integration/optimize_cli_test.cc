// hil optimize on the virtual bench, as a user runs it: the example spec in
// testplans/ finds a deployment that meets its limits with its saving
// against the baseline, the model's confirmed predictions are within 5 %,
// the chosen deployment's outputs on the DUT equal the host's over the
// whole dataset; --resume measures nothing twice; Ctrl-C keeps what was
// measured and --resume goes on from it; the per-layer kernel mask does on
// the DUT what the search assumes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

namespace fs = std::filesystem;

const std::string kCache = " --firmware-cache " HIL_TEST_FIRMWARE_CACHE;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream file(path);
  if (!file) return nlohmann::json();
  return nlohmann::json::parse(file, nullptr, false);
}

// Runs of a plan in a results.db, counted with the CLI a user would use.
size_t RunsListed(const std::string& out) {
  const CliRun listed = RunHil("report " + out + " --list");
  size_t runs = 0;
  for (size_t at = 0; (at = listed.output.find("optimize-", at)) != std::string::npos; ++at) ++runs;
  return runs;
}

TEST(OptimizeCli, TheExampleSpecFindsACheaperDeploymentWithinItsLimits) {
  ScratchFolder scratch;
  const std::string out = scratch.File("out");
  const std::string spec = CMAKE_SOURCE_DIR "/testplans/optimize-kws.yaml";
  const CliRun run = RunHil("optimize " + spec + " --out " + out + kCache);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json result = ReadJson(out + "/optimize.json");
  ASSERT_TRUE(result.is_object()) << run.output;
  ASSERT_TRUE(result["chosen"].is_string()) << result.dump(1);
  EXPECT_NE(result["chosen"], result["baseline"]);
  EXPECT_GT(result["saving_pct"]["energy"].get<double>(), 50) << result["saving_pct"];
  // The chosen deployment over the 100 kws01 inputs on the DUT: top-1
  // within the limit, every output the host's.
  const nlohmann::json& confirmed = result["confirmation"];
  ASSERT_TRUE(confirmed.is_object()) << result.dump(1);
  EXPECT_EQ(confirmed["inputs"], 100);
  EXPECT_EQ(confirmed["outputs_matching_reference"], 100);
  EXPECT_GE(confirmed["top1_pct"].get<double>(), result["int8_top1_pct"].get<double>() - 1.0);
  // Every deployment measured because the model predicted it: within 5 %.
  size_t confirmed_predictions = 0;
  for (const nlohmann::json& c : result["candidates"]) {
    if (!c.contains("prediction_error_pct")) continue;
    ++confirmed_predictions;
    EXPECT_LE(std::abs(c["prediction_error_pct"]["energy"].get<double>()), 5) << c.dump();
    EXPECT_LE(std::abs(c["prediction_error_pct"]["latency"].get<double>()), 5) << c.dump();
  }
  EXPECT_GE(confirmed_predictions, 1u) << "the model chose nothing to confirm";
  EXPECT_LE(result["measurements"].get<size_t>(), 16u) << "the spec's budget";
  // Pruning: the host search's network runs on the cheapest whole-model
  // deployment, cheaper still, its outputs the host's for the pruned model,
  // and the saving against that deployment is what pruning adds.
  const nlohmann::json& pruning = result["pruning"];
  ASSERT_FALSE(pruning["steps"].empty()) << pruning.dump(1);
  ASSERT_TRUE(pruning["file"].is_string()) << pruning.dump(1);
  EXPECT_TRUE(fs::exists(pruning["file"].get<std::string>()));
  EXPECT_LT(fs::file_size(pruning["file"].get<std::string>()),
            fs::file_size(HIL_SHARED_DIR "/models/kws_ref_model.tflite"));
  const std::string chosen = result["chosen"];
  EXPECT_NE(chosen.find(".p" + std::to_string(pruning["pruned_permille"].get<int>()) + "@"),
            std::string::npos)
      << chosen << " is not the pruned network";
  ASSERT_TRUE(result["best_whole_model"].is_string());
  EXPECT_NE(result["best_whole_model"], result["chosen"]);
  EXPECT_GT(result["saving_vs_best_whole_model_pct"]["energy"].get<double>(), 1)
      << result["saving_vs_best_whole_model_pct"];
  for (const nlohmann::json& c : result["candidates"]) {
    if (c["key"] != result["chosen"]) continue;
    EXPECT_EQ(c["why"], "pruned network");
    EXPECT_EQ(c["measured"]["outputs_match"], true) << c.dump();
  }
  EXPECT_NE(run.output.find("against the best whole-model configuration"), std::string::npos);
  EXPECT_NE(ReadWholeFile(out + "/reproduce.yaml").find(pruning["file"].get<std::string>()),
            std::string::npos)
      << "the reproduction runs the pruned network";
  const std::string report = ReadWholeFile(out + "/report.html");
  EXPECT_NE(report.find("<h2>Pruning</h2>"), std::string::npos);
  EXPECT_NE(report.find("The optimised network: <code>" + pruning["file"].get<std::string>()),
            std::string::npos);
  for (const char* file : {"report.html", "reproduce.yaml", "results.db"})
    EXPECT_TRUE(fs::exists(out + "/" + file)) << file;
  EXPECT_EQ(RunHil("validate " + out + "/reproduce.yaml").exit_code, 0);
  std::printf("%s\n", run.output.substr(run.output.rfind("search stopped")).c_str());

  // Resumed: nothing is measured twice, and the same deployment is chosen.
  const size_t runs = RunsListed(out);
  const CliRun resumed = RunHil("optimize " + spec + " --out " + out + " --resume" + kCache);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const nlohmann::json again = ReadJson(out + "/optimize.json");
  EXPECT_EQ(again["measurements"], 0) << resumed.output;
  EXPECT_EQ(again["chosen"], result["chosen"]);

  // The same folder without --resume: refused, and nothing added to it.
  const CliRun refused = RunHil("optimize " + spec + " --out " + out + kCache);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--resume"), std::string::npos) << refused.output;
  EXPECT_EQ(RunsListed(out), runs + 1) << "the resumed search's confirmation, no more";
}

// Per-layer kernel choice on the DUT (firmware/nn/README.md): a SIMD build
// with NN_REFERENCE_LAYERS runs exactly the masked layers with the reference
// kernels. Every layer masked costs what the reference kernels cost, the
// first layer alone lands in between, and every output stays the host's.
TEST(PerLayerKernels, AMaskRunsTheReferenceKernelsOnThoseLayersOnly) {
  ScratchFolder scratch;
  const std::string plan = scratch.File("per-layer.yaml");
  std::ofstream(plan) << "plan: per-layer\nbench: {kind: virtual, probe: ppk2}\n"
                         "networks:\n  kws:\n    model: " HIL_SHARED_DIR
                         "/models/kws_ref_model.tflite\n    input: " HIL_SHARED_DIR
                         "/datasets/kws01/tst_000000_Stop_7.bin\n"
                         "configurations:\n"
                         "  reference: {kernels: reference}\n"
                         "  simd: {kernels: simd}\n"
                         "  first: {kernels: simd, defines: [NN_REFERENCE_LAYERS=0x1ULL]}\n"
                         "  every: {kernels: simd, defines: [NN_REFERENCE_LAYERS=0xffffULL]}\n"
                         "matrix: {boards: [mps2-an386]}\n"
                         "measurement: {warmup: 1, runs: 2}\n";
  const std::string out = scratch.File("out");
  const CliRun run = RunHil("run " + plan + " --out " + out + kCache);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json results = ReadJson(out + "/results.json");
  ASSERT_EQ(results["cases"].size(), 4u) << run.output;
  std::map<std::string, double> latency;
  for (const nlohmann::json& c : results["cases"]) {
    EXPECT_EQ(c["verification"]["outputs_match"], true) << c.dump();
    latency[c["configuration"]] = c["latency_us"]["median"].get<double>();
  }
  ASSERT_EQ(latency.size(), 4u);
  EXPECT_LT(latency["simd"], latency["first"]);
  EXPECT_LT(latency["first"], latency["every"]);
  EXPECT_NEAR(latency["every"], latency["reference"], 0.01 * latency["reference"]);
}

// Anomaly detection has no dataset in ../shared: accuracy is not judged,
// the search stays int8, and every measurement's outputs are checked
// against the host's on random bytes.
TEST(OptimizeCli, TheAnomalyDetectionSpecSearchesInt8WithoutADataset) {
  ScratchFolder scratch;
  const std::string out = scratch.File("out");
  const CliRun run =
      RunHil("optimize " CMAKE_SOURCE_DIR "/testplans/optimize-ad.yaml --out " + out + kCache);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json result = ReadJson(out + "/optimize.json");
  ASSERT_TRUE(result["chosen"].is_string()) << run.output;
  EXPECT_NE(result["chosen"], result["baseline"]);
  EXPECT_GT(result["saving_pct"]["latency"].get<double>(), 50) << result["saving_pct"];
  EXPECT_TRUE(result["int8_top1_pct"].is_null()) << "no dataset, no score";
  size_t measured = 0;
  for (const nlohmann::json& c : result["candidates"]) {
    EXPECT_EQ(c["number_format"], "int8");
    if (!c.contains("measured")) continue;
    ++measured;
    EXPECT_EQ(c["measured"]["outputs_match"], true) << c.dump();
  }
  EXPECT_GE(measured, 5u);
  EXPECT_TRUE(fs::exists(out + "/random-input.bin"));
  EXPECT_EQ(RunHil("validate " + out + "/reproduce.yaml").exit_code, 0);
}

TEST(OptimizeCli, CtrlCKeepsWhatWasMeasuredAndResumeGoesOn) {
  ScratchFolder scratch;
  const std::string spec = scratch.File("small.yaml");
  std::ofstream(spec) << "optimize: small\nnetwork:\n  model: " HIL_SHARED_DIR
                         "/models/kws_ref_model.tflite\n  dataset: " HIL_SHARED_DIR
                         "/datasets/kws01\nboards: [mps2-an386]\n"
                         "space: {frameworks: [hil], number_formats: [int8], fpu: [on], "
                         "optimisations: [-O2, -O3, -Os]}\nbudget: {max_measurements: 6}\n";
  const std::string out = scratch.File("out"), log = scratch.File("log");
  const pid_t pid = SpawnProgram(
      HIL_CLI_PATH, {"optimize", spec, "--out", out, "--firmware-cache", HIL_TEST_FIRMWARE_CACHE},
      log);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  bool second = false;
  while (!(second = ReadWholeFile(log).find("measuring 2/") != std::string::npos) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(second) << "the search did not reach its second measurement in 5 minutes, so "
                         "Ctrl-C came during the first:\n"
                      << ReadWholeFile(log);
  ASSERT_TRUE(WIFEXITED(status)) << ReadWholeFile(log);
  EXPECT_EQ(WEXITSTATUS(status), 3) << ReadWholeFile(log);
  const nlohmann::json stopped = ReadJson(out + "/optimize.json");
  ASSERT_TRUE(stopped.is_object()) << ReadWholeFile(log);
  EXPECT_TRUE(stopped["interrupted"].get<bool>());
  const size_t kept = stopped["measurements"].get<size_t>();
  EXPECT_GE(kept, 2u) << "the measurement in progress finishes and is kept";

  const CliRun resumed = RunHil("optimize " + spec + " --out " + out + " --resume" + kCache);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const nlohmann::json done = ReadJson(out + "/optimize.json");
  size_t before = 0;
  for (const nlohmann::json& c : done["candidates"])
    // (and perhaps again, for a layer table its earlier runs did not give)
    before += c.value("why", "").rfind("measured before (--resume)", 0) == 0;
  EXPECT_EQ(before, kept);
  EXPECT_TRUE(done["chosen"].is_string()) << resumed.output;
}

}  // namespace
}  // namespace hil::testing
