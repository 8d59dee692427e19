#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hil/measure/statistics.h"

namespace hil::measure {
namespace {

TEST(MeasureStatistics, DescribesOneToTen) {
  const std::vector<double> values = {7, 1, 10, 3, 5, 2, 9, 4, 8, 6};
  const Stats stats = Describe(values);
  EXPECT_EQ(stats.n, 10u);
  EXPECT_DOUBLE_EQ(stats.mean, 5.5);
  EXPECT_DOUBLE_EQ(stats.median, 5.5);
  EXPECT_DOUBLE_EQ(stats.min, 1);
  EXPECT_DOUBLE_EQ(stats.max, 10);
  EXPECT_NEAR(stats.std, std::sqrt(55.0 / 6.0), 1e-12);  // sample variance of 1..10
  EXPECT_NEAR(stats.p95, 9.55, 1e-12);                   // type 7: 1 + 0.95 * 9 = 9.55th
  const double half = 2.2622 * std::sqrt(55.0 / 6.0) / std::sqrt(10.0);
  EXPECT_NEAR(stats.ci95_low, 5.5 - half, 1e-9);
  EXPECT_NEAR(stats.ci95_high, 5.5 + half, 1e-9);
}

TEST(MeasureStatistics, OneValueHasNoSpreadAndNoneHasNothing) {
  const Stats one = Describe(std::vector<double>{4.25});
  EXPECT_EQ(one.n, 1u);
  EXPECT_DOUBLE_EQ(one.mean, 4.25);
  EXPECT_DOUBLE_EQ(one.p95, 4.25);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_TRUE(std::isnan(one.ci95_low));
  const Stats none = Describe(std::vector<double>{});
  EXPECT_EQ(none.n, 0u);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_TRUE(std::isnan(none.median));
}

TEST(MeasureStatistics, StudentQuantilesMatchTables) {
  EXPECT_NEAR(StudentT975(1), 12.706, 1e-3);
  EXPECT_NEAR(StudentT975(4), 2.776, 1e-3);
  EXPECT_NEAR(StudentT975(30), 2.042, 1e-3);
  // Beyond the table, the expansion.
  EXPECT_NEAR(StudentT975(40), 2.0211, 2e-4);
  EXPECT_NEAR(StudentT975(60), 2.0003, 2e-4);
  EXPECT_NEAR(StudentT975(120), 1.9799, 2e-4);
  EXPECT_NEAR(StudentT975(100000), 1.95996, 1e-4);
}

TEST(MeasureStatistics, VarianceStaysAccurateFarFromZero) {
  // Tiny spread around a large mean: a one-pass formula would lose it.
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) values.push_back(1e9 + (i % 2 == 0 ? 1e-3 : -1e-3));
  EXPECT_NEAR(Describe(values).std, 1e-3, 1e-6);
}

TEST(MeasureStatistics, TukeyFencesFindTheOutlierAndOnlyIt) {
  std::vector<double> values = {10, 10.2, 9.9, 10.1, 10.0, 9.95, 10.1, 30, 10.05};
  const std::vector<size_t> outliers = TukeyOutliers(values);
  ASSERT_EQ(outliers.size(), 1u);
  EXPECT_EQ(outliers[0], 7u);
  EXPECT_TRUE(TukeyOutliers(std::vector<double>{1, 2, 100}).empty()) << "too few to judge";
}

}  // namespace
}  // namespace hil::measure
