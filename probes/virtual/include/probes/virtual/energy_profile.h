// Per-board energy profiles of the virtual bench, loaded from
// probes/virtual/energy_profiles.yaml (documented there, with sources).
#pragma once

#include <array>
#include <map>
#include <string>

#include "hil/error.h"
#include "probes/virtual/instruction_class.h"

namespace hil::virtual_bench {

struct EnergyProfile {
  std::string name;  // the profile's key, usually the board name
  std::string core;
  double supply_v = 0;   // the DUT supply a probe would see
  int icount_shift = 0;  // QEMU -icount shift: 2^shift ns per instruction
  double static_mw = 0;  // power while running, whatever executes
  double sleep_mw = 0;   // power in WFI/WFE
  // Dynamic energy charged per executed instruction, by class, picojoules.
  std::array<double, kInstructionClassCount> class_pj{};

  double ns_per_instruction() const { return static_cast<double>(1u << icount_shift); }
};

// Loads one profile by name from a profiles file. overrides replace
// individual numbers ("static_mw", "sleep_mw", "supply_v", "icount_shift",
// or "class_pj.<class>") for what-if runs. Errors: configuration, with the
// file and the line of the offending entry.
Result<EnergyProfile> LoadEnergyProfile(const std::string& path, const std::string& name,
                                        const std::map<std::string, std::string>& overrides = {});

}  // namespace hil::virtual_bench
