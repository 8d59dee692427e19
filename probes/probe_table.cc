#include "probes/probe_table.h"

#include "hil/did_you_mean.h"

namespace hil::probes {

// The kinds of HIL_PROBE_KINDS (registered_kinds.cc, written by CMake).
std::vector<ProbeKind> RegisteredKinds();

const std::vector<ProbeKind>& ProbeTable() {
  static const std::vector<ProbeKind> table = RegisteredKinds();
  return table;
}

const ProbeKind* FindProbeKind(std::string_view name) {
  for (const ProbeKind& kind : ProbeTable()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

Result<const ProbeKind*> ProbeKindNamed(const std::string& name) {
  if (const ProbeKind* kind = FindProbeKind(name)) return kind;
  const std::vector<std::string> names = ProbeKindNames();
  const std::string guess = DidYouMean(name, names);
  return ConfigurationError("unknown probe kind '" + name + "'" +
                            (guess.empty() ? "" : " (did you mean '" + guess + "'?)") +
                            "; the kinds: " + JoinNames(names));
}

std::vector<std::string> ProbeKindNames(bool virtual_only) {
  std::vector<std::string> names;
  for (const ProbeKind& kind : ProbeTable()) {
    if (!virtual_only || kind.virtual_twin) names.push_back(kind.name);
  }
  return names;
}

const ProbeKind& DefaultProbeKind() { return ProbeTable().front(); }

ProbeSettings VirtualTwinSettings(const ProbeKind& kind, const std::string& socket,
                                  uint32_t supply_mv) {
  ProbeSettings settings;
  settings.kind = kind.name;
  settings.uri = "unix:" + socket;
  settings.supply_mv = supply_mv;
  if (kind.supply == ProbeKind::DutSupply::kWhenSet) settings.options[kind.supply_setting] = "true";
  return settings;
}

Result<std::unique_ptr<PowerProbe>> MakeProbe(const ProbeSettings& settings) {
  Result<const ProbeKind*> kind = ProbeKindNamed(settings.kind);
  if (!kind.ok()) return kind.error();
  if (settings.uri.empty()) {
    return ConfigurationError("no connection string for the " + (*kind)->label + " (e.g. " +
                              (*kind)->connect_example + ")");
  }
  HIL_RETURN_IF_ERROR(CheckSettings(**kind, settings));
  return (*kind)->make(settings);
}

}  // namespace hil::probes
