// Labelled datasets: reading y_labels.csv, and the figures a model scores
// on one (top-1; AUC of the reconstruction error for an autoencoder).
#include "hil/model/dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

namespace hil::model {
namespace {

namespace fs = std::filesystem;

TEST(RocAuc, CountsTheAnomalousNormalPairsWonWithTiesAsHalf) {
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}), 0.0);
  // Pairs (a, n): (0.35, 0.1) won, (0.35, 0.4) lost, (0.8, *) won: 3 of 4.
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  // Every score equal: every pair a tie.
  EXPECT_DOUBLE_EQ(RocAuc({1, 1, 1, 1, 1}, {0, 1, 0, 1, 1}), 0.5);
  // One tie among four pairs: (0.5, 0.5) half, (0.5, 0.2) won, (0.9, *) won.
  EXPECT_DOUBLE_EQ(RocAuc({0.2, 0.5, 0.5, 0.9}, {0, 0, 1, 1}), 3.5 / 4);
  EXPECT_TRUE(std::isnan(RocAuc({0.1, 0.2}, {0, 0})));
  EXPECT_TRUE(std::isnan(RocAuc({}, {})));
}

TEST(RocAuc, AgreesWithCountingEveryPairOnARandomSet) {
  std::vector<double> scores;
  std::vector<int> labels;
  uint32_t state = 7;
  for (int i = 0; i < 200; ++i) {
    state = state * 1664525u + 1013904223u;
    labels.push_back(static_cast<int>(state >> 31));
    // Coarse scores, so that ties occur, shifted up for anomalies.
    scores.push_back(static_cast<double>((state >> 8) % 20) + 4 * labels.back());
  }
  double won = 0, pairs = 0;
  for (size_t a = 0; a < scores.size(); ++a) {
    for (size_t n = 0; n < scores.size(); ++n) {
      if (labels[a] != 1 || labels[n] != 0) continue;
      pairs += 1;
      won += scores[a] > scores[n] ? 1 : scores[a] == scores[n] ? 0.5 : 0;
    }
  }
  EXPECT_NEAR(RocAuc(scores, labels), won / pairs, 1e-12);
}

TEST(ReconstructionError, IsTheMeanSquaredDifferenceOfRealValues) {
  LoweredModel m;
  m.input_scale = 0.5f;
  m.input_zero_point = -2;
  m.input_bytes = m.output_count = 2;
  // Inputs 2 and -4 are (2+2)*0.5 = 2 and (-4+2)*0.5 = -1.
  const std::vector<uint8_t> input = {2, static_cast<uint8_t>(-4)};
  EXPECT_DOUBLE_EQ(ReconstructionError(m, input, {1.0f, -1.0f}), 0.5);
  EXPECT_DOUBLE_EQ(ReconstructionError(m, input, {2.0f, 1.0f}), 2.0);
  EXPECT_EQ(MetricFor(m), DatasetMetric::kAuc);
  m.output_count = 12;
  EXPECT_EQ(MetricFor(m), DatasetMetric::kTop1);
}

class LabelsFile : public ::testing::Test {
 protected:
  void Write(const std::string& text) { std::ofstream(folder_ / "y_labels.csv") << text; }
  std::string Error() {
    Result<std::vector<LabelledInput>> read = ReadLabels(folder_.string());
    return read.ok() ? "" : read.error().message();
  }
  void SetUp() override { fs::create_directories(folder_); }
  void TearDown() override { fs::remove_all(folder_); }
  fs::path folder_ = fs::temp_directory_path() / ("hil-labels-" + std::to_string(::getpid()));
};

TEST_F(LabelsFile, ReadsEachLineWithItsNumber) {
  Write("a.bin,12,7\r\n\nsub/b.bin,12,0\n");
  Result<std::vector<LabelledInput>> read = ReadLabels(folder_.string());
  ASSERT_TRUE(read.ok()) << read.error().message();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].file, "a.bin");
  EXPECT_EQ((*read)[0].label, 7u);
  EXPECT_EQ((*read)[1].file, "sub/b.bin");
  EXPECT_EQ((*read)[1].line, 3u);
}

TEST_F(LabelsFile, RefusesBadLinesAtTheirNumber) {
  Write("a.bin,12,7\na.bin,12\n");
  EXPECT_NE(Error().find("y_labels.csv:2: expected file,classes,label"), std::string::npos);
  Write("../secret,2,1\n");
  EXPECT_NE(Error().find("y_labels.csv:1: the input '../secret' must be a file inside"),
            std::string::npos);
  Write("/etc/passwd,2,1\n");
  EXPECT_NE(Error().find("must be a file inside"), std::string::npos);
  Write("a.bin,2,1x\n");
  EXPECT_NE(Error().find("y_labels.csv:1: the label '1x' is not a class number"),
            std::string::npos);
  Write("a.bin,2,-1\n");
  EXPECT_NE(Error().find("is not a class number"), std::string::npos);
  fs::remove(folder_ / "y_labels.csv");
  EXPECT_NE(Error().find("no y_labels.csv"), std::string::npos);
}

TEST_F(LabelsFile, AnAnomalySetNeedsZeroAndOneLabelsOfBothKinds) {
  LoweredModel autoencoder;
  autoencoder.input_bytes = autoencoder.output_count = 640;
  const DatasetScorer scorer(autoencoder);
  const auto check = [&](std::vector<LabelledInput> entries) {
    Status status = scorer.CheckLabels(entries, "set/y_labels.csv");
    return status.ok() ? std::string() : status.error().message();
  };
  EXPECT_EQ(check({{"a", 0, 1}, {"b", 1, 2}}), "");
  EXPECT_NE(check({{"a", 0, 1}, {"b", 2, 7}}).find("set/y_labels.csv:7: label 2"),
            std::string::npos);
  EXPECT_NE(check({{"a", 1, 1}, {"b", 1, 2}}).find("has only anomalous ones"), std::string::npos);
  EXPECT_NE(check({}).find("lists no inputs"), std::string::npos);
  LoweredModel classifier;
  classifier.input_bytes = 490;
  classifier.output_count = 12;
  EXPECT_TRUE(DatasetScorer(classifier).CheckLabels({{"a", 11, 1}}, "x").ok());
}

TEST(LabelNames, FromMlperfFileNamesWhereEveryFileOfALabelAgrees) {
  const std::vector<LabelledInput> entries = {
      {"tst_000000_Stop_7.bin", 7, 1}, {"tst_000001_Stop_7.bin", 7, 2},
      {"tst_000002_Left_2.bin", 2, 3}, {"x_Up_8.bin", 8, 4},
      {"y_Down_8.bin", 8, 5},          {"plain.bin", 3, 6},
      {"big_Huge_99999.bin", 99999, 7}};
  const std::vector<std::string> names = LabelNames("/nonexistent", entries);
  ASSERT_EQ(names.size(), 9u);
  EXPECT_EQ(names[7], "Stop");
  EXPECT_EQ(names[2], "Left");
  EXPECT_EQ(names[8], "") << "Up and Down disagree";
  EXPECT_EQ(names[3], "");
  EXPECT_EQ(LabelText(7, names), "7 (Stop)");
  EXPECT_EQ(LabelText(3, names), "3");
  EXPECT_EQ(LabelText(40, names), "40");
}

TEST(RandomInputs, TheSameSeedGivesTheSameBytes) {
  const auto a = RandomInputs(3, 640, 7), b = RandomInputs(3, 640, 7), c = RandomInputs(3, 640, 8);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].size(), 640u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a[0], a[1]);
  // std::mt19937_64's first output for seed 7 is fixed by the standard.
  std::mt19937_64 engine(7);
  EXPECT_EQ(a[0][0], static_cast<uint8_t>(engine() & 0xff));
}

}  // namespace
}  // namespace hil::model
