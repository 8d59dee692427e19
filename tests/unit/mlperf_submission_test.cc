// hil export mlperf: the tree mlcommons/tiny's submission checker reads,
// from a run's cases; names that would leave the folder are refused.
// GCC 12 warns falsely inside <regex> when built with ASan (GCC bug 105562).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "hil/mlperf/submission.h"
#include "hil/run/results_json.h"

namespace hil::mlperf {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// A case as results.json keeps it, read back as the exports take it.
run::CaseResult Case(const std::string& id, const std::string& model_id, Json more = {}) {
  const Json stats = {{"n", 5}, {"mean", 2000.0}, {"median", 2000.0}};
  Json c = {{"id", id},
            {"network", id.substr(0, id.find('/'))},
            {"configuration", id.substr(id.find('/') + 1, id.rfind('/') - id.find('/') - 1)},
            {"board", "mps2-an386"},
            {"model_id", model_id},
            {"kernels", "tflm-cmsis-nn"},
            {"status", "pass"},
            {"latency_us", {{"n", 5}, {"median", 50000.0}}},
            {"energy_uJ", stats},
            {"power_mW", {{"median", 40.0}}},
            {"firmware", {{"sha256", std::string(64, 'a')}}}};
  if (more.is_object()) c.update(more);
  return run::CaseFromJson(c);
}

std::string Text(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The first capture of `pattern` in any line of the file, or "".
std::string Match(const fs::path& path, const std::string& pattern) {
  std::istringstream lines(Text(path));
  const std::regex expression(pattern);
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, match, expression)) return match[1];
  }
  return "";
}

class SubmissionTest : public ::testing::Test {
 protected:
  SubmissionTest() : out_(fs::temp_directory_path() / ("hil-sub-" + std::to_string(::getpid()))) {
    fs::remove_all(out_);
    run_.id = 7;
    run_.plan = "energy";
    run_.bench = {{"kind", "virtual"}, {"probe", "lpm01a"}};
    const run::CaseResult kws =
        Case("kws/cmsis/mps2-an386", "kws01",
             {{"dataset",
               {{"inputs", 100}, {"top1_accuracy", 0.94}, {"outputs_matching_reference", 100}}},
              {"mlperf", {{"energy_uJ", 2000.5}, {"latency_us", 50000.0}}}});
    run_.cases = {kws, Case("ad/cmsis/mps2-an386", "ad01"),
                  Case("conv/cmsis/mps2-an386", "mb-conv3x3")};
    options_.out_dir = out_.string();
    options_.submitter = "hil";
    options_.system = "virtual-m4";
  }
  ~SubmissionTest() override { fs::remove_all(out_); }

  fs::path out_;
  run::RunRecord run_;
  SubmissionOptions options_;
};

TEST_F(SubmissionTest, EveryModeMeasuredIsWrittenWithTheCheckersLines) {
  Result<SubmissionWritten> written = WriteSubmission(run_, options_);
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  const fs::path kws = out_ / "open/hil/results/virtual-m4/kws";
  for (const char* mode : {"performance", "accuracy", "energy"})
    for (const char* file : {"log.txt", "results.txt", "results.json"})
      EXPECT_TRUE(fs::exists(kws / mode / file)) << mode << "/" << file;
  EXPECT_EQ(Match(kws / "performance/results.txt",
                  R"(.* Median throughput is\s+([\d\.]+) inf\./sec\..*)"),
            "20.000");
  EXPECT_EQ(Match(kws / "accuracy/results.txt", R"(.* Top[- ]1%?\s?[:=] ([\d\.]+).*)"), "94.0");
  EXPECT_EQ(Match(kws / "energy/results.txt", R"(.*Median energy cost is ([\d\.]+) uJ/inf.*)"),
            "2000.500");
  EXPECT_NE(Text(kws / "performance/log.txt").find("m-model-[kws01]"), std::string::npos);
  // Anomaly detection: performance only, and a note saying why.
  const fs::path ad = out_ / "open/hil/results/virtual-m4/ad";
  EXPECT_TRUE(fs::exists(ad / "performance/results.txt"));
  EXPECT_FALSE(fs::exists(ad / "accuracy"));
  EXPECT_FALSE(fs::exists(ad / "energy"));
  EXPECT_FALSE(fs::exists(out_ / "open/hil/results/virtual-m4/conv"));  // not an MLPerf id
  const Json system = Json::parse(Text(out_ / "open/hil/systems/virtual-m4.json"));
  EXPECT_EQ(system["Status"], "available");
  EXPECT_EQ(system["Inference Framework"], "TensorFlow Lite Micro");
  EXPECT_FALSE(system.contains("system_type"));
  ASSERT_EQ(written->notes.size(), 2u);
  EXPECT_NE(written->notes[0].find("ad: no accuracy"), std::string::npos);
}

TEST_F(SubmissionTest, AnAnomalyDatasetGivesTheAucLineTheCheckerReadsForAd) {
  run::DatasetResult& dataset = run_.cases[1].dataset.emplace();
  dataset.metric = "auc", dataset.inputs = 20, dataset.matched = 20, dataset.auc = 0.96;
  Result<SubmissionWritten> written = WriteSubmission(run_, options_);
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  const fs::path accuracy = out_ / "open/hil/results/virtual-m4/ad/accuracy";
  for (const char* file : {"log.txt", "results.txt", "results.json"})
    EXPECT_TRUE(fs::exists(accuracy / file)) << file;
  EXPECT_EQ(Match(accuracy / "results.txt", R"(.* AUC\s?[:=] ([\d\.]+).*)"), "0.9600");
  EXPECT_EQ(Match(accuracy / "results.txt", R"(.* Top[- ]1%?\s?[:=] ([\d\.]+).*)"), "");
  for (const std::string& note : written->notes)
    EXPECT_EQ(note.find("ad: no accuracy"), std::string::npos) << note;
}

TEST_F(SubmissionTest, NamesThatWouldLeaveTheFolderAreRefused) {
  for (const std::string name : {"../x", "a/b", ".hidden", ""}) {
    options_.submitter = name;
    Result<SubmissionWritten> written = WriteSubmission(run_, options_);
    ASSERT_FALSE(written.ok()) << name;
    EXPECT_EQ(written.error().kind(), ErrorKind::kConfiguration);
  }
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(SubmissionTest, TwoCasesOfOneBenchmarkAskForAChoiceAndAFailedCaseIsRefused) {
  run_.cases.push_back(Case("kws/ref/mps2-an386", "kws01"));
  Result<SubmissionWritten> ambiguous = WriteSubmission(run_, options_);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.error().message().find("kws/cmsis/mps2-an386, kws/ref/mps2-an386"),
            std::string::npos);
  options_.configuration = "ref";
  run_.cases.back().status = run::CaseStatus::kFail;
  Result<SubmissionWritten> failed = WriteSubmission(run_, options_);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("did not pass"), std::string::npos);
  EXPECT_FALSE(fs::exists(out_));
}

}  // namespace
}  // namespace hil::mlperf
