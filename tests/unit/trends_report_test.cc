// trends.html: a chart per case and figure over a plan's runs, the
// regression hil compare would flag between two runs marked on the run that
// regressed (and nowhere else), and each point linked to its run.
#include "hil/run/trends_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace hil::run {
namespace {

measure::Stats Figure(double mean, double std) {
  measure::Stats s;
  s.n = 20, s.mean = mean, s.median = mean, s.std = std, s.min = mean - std, s.max = mean + std;
  s.p95 = mean + std, s.ci95_low = mean - std / 2, s.ci95_high = mean + std / 2;
  return s;
}

TrendRun Night(int64_t id, double latency_us, const std::string& host) {
  TrendRun run;
  run.record.id = id;
  run.record.plan = "nightly";
  run.record.status = "finished";
  run.record.started = "2026-12-0" + std::to_string(id) + "T02:00:00Z";
  run.host = host;
  run.job = 100 + id;
  CaseResult c;
  c.id = "kws/cmsis-nn/mps2-an386";
  c.status = CaseStatus::kPass;
  c.firmware.sha256 = "ab12cd34ef56ab12cd34ef56";
  c.figures.latency_us = Figure(latency_us, 2);
  c.figures.energy_uj = Figure(50, 0.5);
  DatasetResult accuracy;
  accuracy.inputs = 100, accuracy.correct = 90;
  c.dataset = accuracy;
  run.record.cases.push_back(c);
  return run;
}

TEST(TrendsReport, ARegressionIsMarkedOnTheRunThatRegressedOnly) {
  const std::vector<TrendRun> runs = {Night(1, 1000, "rack1"), Night(2, 1001, "rack2"),
                                      Night(3, 1200, "rack1"), Night(4, 1199, "rack2")};
  const std::string path =
      (std::filesystem::temp_directory_path() / "hil-trends-test.html").string();
  ASSERT_TRUE(WriteTrendsReport(runs, 5, path).ok());
  std::ifstream in(path);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  EXPECT_NE(html.find("Trends of plan nightly"), std::string::npos);
  EXPECT_NE(html.find("1 regression</span>"), std::string::npos) << "3 against 2, not 4 against 3";
  size_t marked = 0;
  for (size_t at = html.find("class=\"regression\""); at != std::string::npos;
       at = html.find("class=\"regression\"", at + 1)) {
    ++marked;
  }
  EXPECT_EQ(marked, 1u);
  // The regressed point is run 3's, says so, and links to its row.
  const size_t point = html.find("class=\"regression\"");
  const size_t link = html.rfind("<a href=\"#run-", point);
  EXPECT_EQ(html.substr(link, 16), "<a href=\"#run-3\"");
  EXPECT_NE(html.find("REGRESSION against the run before", point), std::string::npos);
  EXPECT_NE(html.find("host rack1, firmware ab12cd34ef56"), std::string::npos);
  EXPECT_NE(html.find("<tr id=\"run-3\">"), std::string::npos);
  // Latency, energy and accuracy: three charts for the one case.
  size_t charts = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++charts;
  EXPECT_EQ(charts, 3u);
}

}  // namespace
}  // namespace hil::run
