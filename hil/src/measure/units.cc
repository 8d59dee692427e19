#include "hil/measure/units.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hil::measure {
namespace {

struct Unit {
  const char* name;
  double scale;  // base units per one of these
};

// Each ladder runs from small to large, in the quantity's base unit.
struct Ladder {
  Unit units[4];
};

const Ladder& LadderOf(Quantity quantity) {
  static const Ladder time{{{"ns", 1e-3}, {"us", 1}, {"ms", 1e3}, {"s", 1e6}}};
  static const Ladder energy{{{"nJ", 1e-3}, {"uJ", 1}, {"mJ", 1e3}, {"J", 1e6}}};
  static const Ladder power{{{"nW", 1e-6}, {"uW", 1e-3}, {"mW", 1}, {"W", 1e3}}};
  return quantity == Quantity::kTimeUs ? time : quantity == Quantity::kEnergyUj ? energy : power;
}

// The largest unit in which the magnitude is at least 1 (the smallest for
// tiny values, the base for zero).
const Unit& UnitFor(double magnitude, Quantity quantity) {
  const Ladder& ladder = LadderOf(quantity);
  if (magnitude == 0) return ladder.units[quantity == Quantity::kPowerMw ? 2 : 1];
  const Unit* chosen = &ladder.units[0];
  for (const Unit& unit : ladder.units) {
    if (magnitude >= unit.scale) chosen = &unit;
  }
  return *chosen;
}

// Decimals giving `significant` digits for a number of this magnitude.
int DecimalsFor(double scaled, int significant) {
  if (scaled == 0) return significant - 1;
  const int whole = static_cast<int>(std::floor(std::log10(std::fabs(scaled)))) + 1;
  return whole >= significant ? 0 : significant - whole;
}

std::string Fixed(double value, int decimals, bool sign = false) {
  char text[64];
  std::snprintf(text, sizeof text, sign ? "%+.*f" : "%.*f", decimals, value);
  return text;
}

constexpr int kSignificant = 4;

}  // namespace

DisplayUnit UnitForMagnitude(double magnitude, Quantity quantity) {
  const Unit& unit = UnitFor(std::isfinite(magnitude) ? std::fabs(magnitude) : 0, quantity);
  return DisplayUnit{unit.name, unit.scale};
}

std::string Human(double value, Quantity quantity) {
  if (!std::isfinite(value)) return "n/a";
  const Unit& unit = UnitFor(std::fabs(value), quantity);
  const double scaled = value / unit.scale;
  return Fixed(scaled, DecimalsFor(scaled, kSignificant)) + " " + unit.name;
}

std::string HumanWithInterval(double value, double low, double high, Quantity quantity) {
  if (!std::isfinite(value)) return "n/a";
  if (!std::isfinite(low) || !std::isfinite(high)) return Human(value, quantity);
  const Unit& unit = UnitFor(std::fabs(value), quantity);
  const double v = value / unit.scale, lo = low / unit.scale, hi = high / unit.scale;
  int decimals = DecimalsFor(v, kSignificant);
  // More digits until a bound that is not the value reads differently (at
  // most six more: beyond that the difference is rounding noise).
  for (int extra = 0; extra < 6; ++extra, ++decimals) {
    const std::string text = Fixed(v, decimals);
    const bool low_ok = lo == v || Fixed(lo, decimals) != text;
    const bool high_ok = hi == v || Fixed(hi, decimals) != text;
    if (low_ok && high_ok) break;
  }
  return Fixed(v, decimals) + " " + unit.name + " [" + Fixed(lo, decimals) + ", " +
         Fixed(hi, decimals) + "]";
}

std::string HumanChange(double delta, Quantity quantity) {
  if (!std::isfinite(delta)) return "n/a";
  const Unit& unit = UnitFor(std::fabs(delta), quantity);
  const double scaled = delta / unit.scale;
  return Fixed(scaled, DecimalsFor(scaled, kSignificant), true) + " " + unit.name;
}

std::string HumanChangeInterval(double low, double high, Quantity quantity) {
  if (!std::isfinite(low) || !std::isfinite(high)) return "n/a";
  const Unit& unit = UnitFor(std::max(std::fabs(low), std::fabs(high)), quantity);
  const double lo = low / unit.scale, hi = high / unit.scale;
  int decimals = DecimalsFor(std::max(std::fabs(lo), std::fabs(hi)), kSignificant);
  for (int extra = 0;
       extra < 6 && lo != hi && Fixed(lo, decimals, true) == Fixed(hi, decimals, true); ++extra) {
    ++decimals;
  }
  return "[" + Fixed(lo, decimals, true) + ", " + Fixed(hi, decimals, true) + "] " + unit.name;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const double kib = static_cast<double>(bytes) / 1024;
  if (kib < 1024) return Fixed(kib, DecimalsFor(kib, kSignificant)) + " KiB";
  const double mib = kib / 1024;
  return Fixed(mib, DecimalsFor(mib, kSignificant)) + " MiB";
}

const char* BaseUnit(Quantity quantity) {
  return quantity == Quantity::kTimeUs ? "us" : quantity == Quantity::kEnergyUj ? "uJ" : "mW";
}

}  // namespace hil::measure
