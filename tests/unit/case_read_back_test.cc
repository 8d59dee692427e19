// Results stay typed until they are written: a case read back from
// results.db or a results.json is the CaseResult that wrote it, and a file
// that says anything reads without a throw.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "hil/run/compare.h"
#include "hil/run/results_json.h"
#include "hil/run/results_store.h"

namespace hil::run {
namespace {

using Json = nlohmann::ordered_json;

measure::Stats Figure(double mean, size_t n) {
  measure::Stats stats;
  stats.n = n;
  stats.mean = mean, stats.median = mean * 0.99, stats.std = mean / 50;
  stats.min = mean * 0.9, stats.max = mean * 1.1, stats.p95 = mean * 1.05;
  stats.ci95_low = mean * 0.98, stats.ci95_high = mean * 1.02;
  return stats;
}

// A case with every field results.json keeps set to something of its own.
CaseResult EveryField() {
  CaseResult r;
  r.id = "kws/cmsis/mps2-an386", r.network = "kws", r.configuration = "cmsis";
  r.board = "mps2-an386", r.kernels = "tflm-cmsis-nn", r.model_id = "kws01";
  r.status = CaseStatus::kFail;
  r.error = "measurement invalid: 1 of 12 windows invalid; window 4: too short";
  r.failures = {"outputs differ", "expectation not met: x"};
  r.attempts = 2, r.seconds = 12.625, r.started = "2026-12-06T07:00:00Z";
  measure::CaseFigures& f = r.figures;
  f.latency_us = Figure(1216424.25, 10), f.energy_uj = Figure(45540.5, 10);
  f.net_energy_uj = Figure(30001.75, 10), f.power_mw = Figure(37.4375, 10);
  f.layers = {{0, Figure(1000, 10), Figure(40, 10)}, {2, Figure(3000.5, 10), Figure(120, 10)}};
  r.layer_ops = {"CONV_2D", "", "FULLY_CONNECTED"};
  f.windows = 12, f.used = 10, f.warmup = 1, f.layers_unresolved = 1;
  f.problems = {"fewer windows than asked"};
  f.invalid = {{4, {"too short", "samples lost"}}, {9, {"no layer edge"}}};
  f.mlperf_latency_us = 1216000, f.mlperf_energy_uj = 45500.25;
  f.baseline.power_w = 0.0012345, f.baseline.seconds = 0.5;
  r.firmware = {"/cache/kws.elf", 90112, 1024, 51200, std::string(64, 'a'), false};
  r.arena_bytes = 22000;
  Verification& v = r.verification;
  v.outputs_match = false, v.outputs_compared = "relative 1e-5", v.max_output_error = 0.25;
  v.samples_lost = 3, v.layer_sum_error_pct = 0.5, v.latency_crosscheck_error_pct = 0.03;
  v.has_ground_truth = true, v.truth_latency_us = 1216400, v.truth_energy_uj = 45541;
  v.truth_instructions = 38012000, v.truth_latency_error_pct = 0.002,
  v.truth_energy_error_pct = 0.01;
  DatasetResult& dataset = r.dataset.emplace();
  dataset.inputs = 100, dataset.correct = 91, dataset.matched = 99;
  dataset.first_mismatch = "tst_000042.bin";
  r.expectations = {{"latency_us.median < 2 s", true, false, "1.216 s"},
                    {"energy_uJ.median within 5 % of baseline", false, true, "no baseline"}};
  r.outputs = {0.125f, -3.5f, 1e-7f};
  r.trace.time_s = {0, 0.001, 0.002}, r.trace.current_ma = {10.5, 37.25, 11};
  r.trace.window_start_s = 0.0005, r.trace.window_end_s = 0.0019;
  r.trace.boundaries_s = {0.001, 0.0015};
  return r;
}

TEST(CaseReadBack, EveryFieldReadsBackAsItWasWritten) {
  const CaseResult written = EveryField();
  const Json json = CaseJson(written);
  const CaseResult read = CaseFromJson(json);
  EXPECT_EQ(CaseJson(read).dump(), json.dump());
  // The typed fields themselves, not only their text.
  EXPECT_EQ(read.status, CaseStatus::kFail);
  EXPECT_EQ(read.layer_ops, written.layer_ops);
  ASSERT_EQ(read.figures.invalid.size(), 2u);
  EXPECT_EQ(read.figures.invalid[0].window, 4u);
  EXPECT_EQ(read.figures.invalid[0].problems, written.figures.invalid[0].problems);
  EXPECT_EQ(read.figures.problems, written.figures.problems);
  ASSERT_TRUE(read.dataset);
  EXPECT_EQ(read.dataset->correct, 91u);
  EXPECT_EQ(read.figures.latency_us.ci95_high, written.figures.latency_us.ci95_high);
  EXPECT_EQ(read.verification.outputs_match, std::optional<bool>(false));
  EXPECT_EQ(read.outputs, written.outputs);
  EXPECT_TRUE(read.figures.baseline.available());
  EXPECT_FALSE(read.error_kind) << "results.json does not keep the error class";
}

TEST(CaseReadBack, AnAutoencoderAndAnImportedSessionReadBackToo) {
  CaseResult r = EveryField();
  r.dataset.emplace();
  r.dataset->metric = "auc", r.dataset->inputs = 40, r.dataset->auc = std::nan("");
  r.imported = ImportedSession{1000, 45000.0, {{1.5, 12.5, 80, 3600000.25}, {13, 24, 80, 3599990}}};
  r.trace.windows_s = {{1.5, 12.5}, {13, 24}};
  const Json json = CaseJson(r);
  ASSERT_TRUE(json["dataset"]["auc"].is_null());
  ASSERT_EQ(json["mlperf"]["windows"].size(), 2u);
  const CaseResult read = CaseFromJson(json);
  EXPECT_EQ(CaseJson(read).dump(), json.dump());
  ASSERT_TRUE(read.imported);
  EXPECT_EQ(read.imported->runner_energy_uj, std::optional<double>(45000.0));
  EXPECT_EQ(read.trace.windows_s.size(), 2u);
}

// What a hand-edited or foreign results.json might hold: keys of another
// type, negative and absurd counts, a layer index that would allocate the
// machine, a trace whose columns differ in length.
TEST(CaseReadBack, AnEntryThatSaysAnythingReadsAsDefaults) {
  const Json hostile = Json::parse(R"({
    "id": 5, "status": "bogus", "error": ["x"], "failures": "x",
    "latency_us": {"n": -3, "mean": "x", "ci95": [1]},
    "energy_uJ": {"n": 1e300, "median": 2.5},
    "layers": [{"index": 99999999999, "op": "CONV_2D"}, 5, {"index": -1, "op": 7}],
    "windows": "x", "problems": [1, "window x: y", "window 3: a", "window 3: b"],
    "dataset": {"inputs": -1, "top1_accuracy": 1e308, "auc": "x"},
    "expectations": [3, {"what": 1, "ok": "yes"}],
    "trace": {"time_s": [1, 2, 3], "current_mA": [1], "window_s": 4},
    "outputs": "no", "attempts": -5, "seconds": "x",
    "firmware": {"text_bytes": -1, "arena_bytes": 1e20, "sha256": 1},
    "mlperf": {"sample_rate_hz": 1000, "windows": [1, {"inferences": -2}]}
  })");
  const CaseResult r = CaseFromJson(hostile);
  EXPECT_EQ(r.id, "");
  EXPECT_EQ(r.status, CaseStatus::kError);
  EXPECT_EQ(r.figures.latency_us.n, 0u);
  EXPECT_TRUE(std::isnan(r.figures.latency_us.mean));
  EXPECT_EQ(r.figures.energy_uj.n, 0u);
  EXPECT_EQ(r.figures.energy_uj.median, 2.5);
  ASSERT_EQ(r.figures.layers.size(), 1u);  // the huge index and the number are left out
  EXPECT_EQ(r.figures.layers[0].index, 0u);
  EXPECT_EQ(r.figures.problems, (std::vector<std::string>{"window x: y"}));
  ASSERT_EQ(r.figures.invalid.size(), 1u);
  EXPECT_EQ(r.figures.invalid[0].problems, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(r.dataset);
  EXPECT_EQ(r.dataset->inputs, 0u);
  EXPECT_EQ(r.dataset->correct, 0u);
  EXPECT_EQ(r.expectations.size(), 1u);
  EXPECT_EQ(r.trace.current_ma.size(), r.trace.time_s.size());
  EXPECT_TRUE(r.outputs.empty());
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(r.firmware.text_bytes, 0u);
  EXPECT_EQ(r.arena_bytes, 0u);
  ASSERT_TRUE(r.imported);
  ASSERT_EQ(r.imported->windows.size(), 1u);
  EXPECT_EQ(r.imported->windows[0].inferences, 0u);
  // Whatever was read writes out and reads back the same.
  EXPECT_EQ(CaseJson(CaseFromJson(CaseJson(r))).dump(), CaseJson(r).dump());
}

TEST(CaseReadBack, AResultsJsonOfAnotherShapeIsAConfigurationErrorOrReadsAsDefaults) {
  const std::string dir = ::testing::TempDir() + "/read-back";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/array.json") << "[1, 2]";
    std::ofstream(dir + "/odd.json")
        << R"({"plan": 7, "run": "x", "bench": {"kind": 3}, "cases": ["junk", {"id": "a"}]})";
  }
  Result<RunRecord> array = LoadRun(dir + "/array.json", "");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.error().kind(), ErrorKind::kConfiguration);
  Result<RunRecord> odd = LoadRun(dir + "/odd.json", "");
  ASSERT_TRUE(odd.ok()) << odd.error().ToString();
  EXPECT_EQ(odd->plan, "");
  EXPECT_EQ(odd->id, 0);
  ASSERT_EQ(odd->cases.size(), 2u);
  EXPECT_EQ(odd->cases[1].id, "a");
  EXPECT_TRUE(Incomparabilities(*odd, *odd).empty());
}

// The store keeps a case as results.json has it; the run read back from it
// is the run that was written.
TEST(CaseReadBack, AStoredRunReadsBackAsItWasWritten) {
  const std::string path = ::testing::TempDir() + "/read-back.db";
  std::filesystem::remove(path);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
  ASSERT_TRUE(store.ok());
  const CaseResult written = EveryField();
  const int64_t run = *(*store)->BeginRun("p", "/p.yaml", "2026-12-06T07:00:00Z", Json::object());
  ASSERT_TRUE((*store)->AddCase(run, written.id, "fail", CaseJson(written)).ok());
  ASSERT_TRUE((*store)->FinishRun(run, "2026-12-06T07:01:00Z", "finished").ok());
  Result<RunRecord> read = LoadRunRecord(**store, run);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->cases.size(), 1u);
  EXPECT_EQ(CaseJson(read->cases[0]).dump(), CaseJson(written).dump());
}

}  // namespace
}  // namespace hil::run
