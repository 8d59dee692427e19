// Every kind of power monitor hil knows: the only list of them. Nothing
// outside a probe's folder and this table names a kind; the rest of hil
// asks the table. probes/README.md, "Adding a probe", says how to add one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hil/power_probe.h"
#include "probes/probe_kind.h"

namespace hil::probes {

// In the order of probes/CMakeLists.txt's HIL_PROBE_KINDS; the first is the
// default of plans and bench files.
const std::vector<ProbeKind>& ProbeTable();

// The kind named, or null.
const ProbeKind* FindProbeKind(std::string_view name);

// The kind named. Errors: configuration, listing the kinds, with a
// did-you-mean.
Result<const ProbeKind*> ProbeKindNamed(const std::string& name);

// The table's names; with `virtual_only`, those the virtual bench has.
std::vector<std::string> ProbeKindNames(bool virtual_only = false);

// The default kind: the table's first.
const ProbeKind& DefaultProbeKind();

// The settings that open the virtual bench's twin of `kind`, served on the
// Unix socket `socket`: it supplies the DUT at `supply_mv` when the kind
// can, so that the energy model and the probe agree on the voltage.
ProbeSettings VirtualTwinSettings(const ProbeKind& kind, const std::string& socket,
                                  uint32_t supply_mv);

// Checks the settings against the kind and builds its driver (not yet
// opened). Errors: configuration (unknown kind, a setting the kind does not
// take or a value it refuses).
Result<std::unique_ptr<PowerProbe>> MakeProbe(const ProbeSettings& settings);

}  // namespace hil::probes
