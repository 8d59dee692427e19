#include "hil/error.h"

#include <gtest/gtest.h>

namespace hil {
namespace {

TEST(ErrorTest, EachKindHasTheContractExitCode) {
  EXPECT_EQ(ExitCodeFor(ErrorKind::kTestFailure), 1);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kConfiguration), 2);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kInfrastructure), 3);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kMeasurementInvalid), 1);
}

TEST(ErrorTest, ContextKeepsTheKind) {
  Error error = InfrastructureError("connection closed").WithContext("reading the PPK2");
  EXPECT_EQ(error.kind(), ErrorKind::kInfrastructure);
  EXPECT_EQ(error.message(), "reading the PPK2: connection closed");
  EXPECT_EQ(error.ToString(), "infrastructure error: reading the PPK2: connection closed");
}

Status FailsWhen(bool fail) {
  if (fail) return ConfigurationError("bad");
  return OkStatus();
}

Result<int> Doubles(bool fail) {
  HIL_RETURN_IF_ERROR(FailsWhen(fail));
  return 2;
}

TEST(ResultTest, ReturnIfErrorPropagatesTheError) {
  Result<int> good = Doubles(false);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 2);
  Result<int> bad = Doubles(true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kConfiguration);
}

}  // namespace
}  // namespace hil
