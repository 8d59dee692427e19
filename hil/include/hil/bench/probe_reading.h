// The parts of a plan's `bench:` and a bench file's bench that depend on
// the probe kind, read the same way for both through the probe table: the
// kind, its settings and the inputs the triggers are wired to.
#pragma once

#include <map>
#include <string>

#include "hil/bench/bench_spec.h"
#include "hil/yaml_reader.h"
#include "probes/probe_kind.h"

namespace hil::bench {

// Reads map[key] as a kind of the probe table into `out` (kept when absent
// or wrong). On the virtual bench only kinds with a virtual twin. Returns
// the kind `out` names.
const probes::ProbeKind& ReadProbeKind(YamlReader& reader, const YAML::Node& map, const char* key,
                                       const std::string& where, bool virtual_bench,
                                       std::string& out);

// Reads the kind's settings from `map` into `out` as text, each checked
// against its type and range; `where` names the map.
void ReadProbeSettings(YamlReader& reader, const YAML::Node& map, const std::string& where,
                       const probes::ProbeKind& kind, std::map<std::string, std::string>& out);

// The keys a probe mapping may have: `own` and the kind's settings.
std::vector<std::string> ProbeKeys(const probes::ProbeKind& kind, std::vector<std::string> own);

// Reads triggers[role]: "none", a logic input of the kind, or "gpio" when
// `gpio` (a real bench's host GPIO). Keeps `out` when absent or wrong.
void ReadTriggerInput(YamlReader& reader, const YAML::Node& triggers, const char* role,
                      const std::string& where, const probes::ProbeKind& kind, bool gpio,
                      std::string& out);

// The kind's default wiring of the three triggers.
void WireAsTheKindDoes(const probes::ProbeKind& kind, BenchSpec& bench);

// Wires the triggers as the kind does by default, then reads `triggers`
// (when given: a mapping of inference, layer and timestamp) over that.
void ReadTriggers(YamlReader& reader, const YAML::Node& triggers, const std::string& where,
                  const probes::ProbeKind& kind, bool gpio, BenchSpec& bench);

}  // namespace hil::bench
