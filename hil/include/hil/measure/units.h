// hil — numbers for people: fixed notation, a unit chosen by magnitude,
// at least four significant digits. Machine outputs (results.json,
// results.csv) keep full precision and never go through here.
#pragma once

#include <cstdint>
#include <string>

namespace hil::measure {

enum class Quantity {
  kTimeUs,    // given in microseconds: ns, us, ms, s
  kEnergyUj,  // given in microjoules: nJ, uJ, mJ, J
  kPowerMw,   // given in milliwatts: uW, mW, W
};

// "1.216 s", "45.54 mJ", "812.3 us", "n/a" for NaN.
std::string Human(double value, Quantity quantity);

// The value and its interval in the value's unit, with as many digits as it
// takes for bounds that differ from the value to read differently:
// "1.216 s [1.2159, 1.2163]".
std::string HumanWithInterval(double value, double low, double high, Quantity quantity);

// A signed change: "+2.000 ms", "-812.3 us".
std::string HumanChange(double delta, Quantity quantity);

// An interval of changes, both bounds in one unit, with digits enough for
// bounds that differ to read differently: "[+1.998, +2.002] ms".
std::string HumanChangeInterval(double low, double high, Quantity quantity);

// Bytes in binary units: "812 B", "12.34 KiB", "1.500 MiB".
std::string HumanBytes(uint64_t bytes);

// The unit Human picks for values of this magnitude, and how many base units
// make one of it: an axis shows every tick in the unit of its largest value.
struct DisplayUnit {
  const char* name;  // "ms"
  double scale;      // base units per one: 1000 for ms of a time in us
};
DisplayUnit UnitForMagnitude(double magnitude, Quantity quantity);

// The unit a quantity is given in ("us", "uJ", "mW"), for column headers of
// machine outputs.
const char* BaseUnit(Quantity quantity);

}  // namespace hil::measure
