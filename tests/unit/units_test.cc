// Numbers for people: the formats are a contract with whoever reads a
// summary, a report or hil compare's table, so they are pinned here.
#include "hil/measure/units.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hil::measure {
namespace {

TEST(Human, FixedNotationAUnitPerMagnitudeAndFourSignificantDigits) {
  EXPECT_EQ(Human(1216424, Quantity::kTimeUs), "1.216 s");
  EXPECT_EQ(Human(45536.1, Quantity::kEnergyUj), "45.54 mJ");
  EXPECT_EQ(Human(812.34, Quantity::kTimeUs), "812.3 us");
  EXPECT_EQ(Human(0.5, Quantity::kTimeUs), "500.0 ns");
  EXPECT_EQ(Human(27612.0, Quantity::kTimeUs), "27.61 ms");
  EXPECT_EQ(Human(37.4412, Quantity::kPowerMw), "37.44 mW");
  EXPECT_EQ(Human(0.0123, Quantity::kPowerMw), "12.30 uW");
  EXPECT_EQ(Human(2500, Quantity::kPowerMw), "2.500 W");
  EXPECT_EQ(Human(7373.444, Quantity::kEnergyUj), "7.373 mJ");
  EXPECT_EQ(Human(12345e6, Quantity::kTimeUs), "12345 s");  // no larger unit: whole seconds
  EXPECT_EQ(Human(-2000, Quantity::kTimeUs), "-2.000 ms");
  EXPECT_EQ(Human(0, Quantity::kEnergyUj), "0.000 uJ");
  EXPECT_EQ(Human(std::nan(""), Quantity::kTimeUs), "n/a");
}

TEST(Human, IntervalsGainDigitsUntilTheirBoundsReadDifferently) {
  EXPECT_EQ(HumanWithInterval(1216424, 1216000, 1216900, Quantity::kTimeUs),
            "1.2164 s [1.2160, 1.2169]");
  EXPECT_EQ(HumanWithInterval(27612, 27000, 28000, Quantity::kTimeUs), "27.61 ms [27.00, 28.00]");
  // A zero-width interval stays short.
  EXPECT_EQ(HumanWithInterval(105840, 105840, 105840, Quantity::kTimeUs),
            "105.8 ms [105.8, 105.8]");
  // A bound too close to tell apart in six more digits stops there.
  EXPECT_EQ(HumanWithInterval(1, 1 - 1e-12, 1 + 1e-12, Quantity::kTimeUs),
            "1.000000000 us [1.000000000, 1.000000000]");
  EXPECT_EQ(HumanWithInterval(100, std::nan(""), 101, Quantity::kTimeUs), "100.0 us");
}

TEST(Human, ChangesAreSignedAndBytesBinary) {
  EXPECT_EQ(HumanChange(2000, Quantity::kTimeUs), "+2.000 ms");
  EXPECT_EQ(HumanChange(-812.34, Quantity::kTimeUs), "-812.3 us");
  EXPECT_EQ(HumanChange(44000, Quantity::kEnergyUj), "+44.00 mJ");
  EXPECT_EQ(HumanBytes(812), "812 B");
  EXPECT_EQ(HumanBytes(12636), "12.34 KiB");
  EXPECT_EQ(HumanBytes(1572864), "1.500 MiB");
  EXPECT_STREQ(BaseUnit(Quantity::kEnergyUj), "uJ");
  // hil compare's interval of a difference: one unit, bounds told apart.
  EXPECT_EQ(HumanChangeInterval(1998, 2002, Quantity::kTimeUs), "[+1.998, +2.002] ms");
  EXPECT_EQ(HumanChangeInterval(1999.9, 2000.1, Quantity::kTimeUs), "[+1.9999, +2.0001] ms");
  EXPECT_EQ(HumanChangeInterval(-3.5, 12, Quantity::kEnergyUj), "[-3.50, +12.00] uJ");
}

TEST(Human, AnAxisTakesTheUnitOfItsLargestValue) {
  const DisplayUnit seconds = UnitForMagnitude(1.2e6, Quantity::kTimeUs);
  EXPECT_STREQ(seconds.name, "s");
  EXPECT_EQ(seconds.scale, 1e6);
  EXPECT_STREQ(UnitForMagnitude(54490, Quantity::kTimeUs).name, "ms");
  EXPECT_STREQ(UnitForMagnitude(45540, Quantity::kEnergyUj).name, "mJ");
  EXPECT_STREQ(UnitForMagnitude(-812, Quantity::kEnergyUj).name, "uJ");
  EXPECT_STREQ(UnitForMagnitude(0, Quantity::kPowerMw).name, "mW");
  EXPECT_STREQ(UnitForMagnitude(std::nan(""), Quantity::kTimeUs).name, "us");
}

}  // namespace
}  // namespace hil::measure
