#include "hil/bench/probe_reading.h"

#include "hil/did_you_mean.h"
#include "probes/probe_table.h"

namespace hil::bench {

const probes::ProbeKind& ReadProbeKind(YamlReader& reader, const YAML::Node& map, const char* key,
                                       const std::string& where, bool virtual_bench,
                                       std::string& out) {
  if (out.empty()) out = probes::DefaultProbeKind().name;
  reader.Choice(map, key, where, probes::ProbeKindNames(), out);
  const probes::ProbeKind* kind = probes::FindProbeKind(out);
  if (virtual_bench && !kind->virtual_twin) {
    reader.Problem(map[key], "the virtual bench has no " + kind->label +
                                 "; its probes: " + JoinNames(probes::ProbeKindNames(true)));
  }
  return *kind;
}

std::vector<std::string> ProbeKeys(const probes::ProbeKind& kind, std::vector<std::string> own) {
  for (const probes::SettingSpec& spec : kind.settings) own.push_back(spec.key);
  return own;
}

void ReadProbeSettings(YamlReader& reader, const YAML::Node& map, const std::string& where,
                       const probes::ProbeKind& kind, std::map<std::string, std::string>& out) {
  for (const probes::SettingSpec& spec : kind.settings) {
    const char* key = spec.key.c_str();
    bool read = false;
    switch (spec.type) {
      case probes::SettingSpec::Type::kFlag: {
        bool flag = false;
        read = reader.Flag(map, key, where, flag);
        break;
      }
      case probes::SettingSpec::Type::kNumber: {
        double number = 0;
        read = reader.Number(map, key, where, number, spec.min, spec.max);
        break;
      }
      case probes::SettingSpec::Type::kChoice: {
        std::string choice;
        read = reader.Choice(map, key, where, spec.choices, choice);
        break;
      }
    }
    // As written: the driver's factory reads the text (probes::FlagSetting).
    if (read) out[spec.key] = map[key].Scalar();
  }
}

void ReadTriggerInput(YamlReader& reader, const YAML::Node& triggers, const char* role,
                      const std::string& where, const probes::ProbeKind& kind, bool gpio,
                      std::string& out) {
  const YAML::Node node = triggers[role];
  std::string text;
  if (!node || !reader.Scalar(node, where + "." + role, text)) return;
  if (text == "none" || kind.has_input(text) || (gpio && text == "gpio")) {
    out = text;
    return;
  }
  reader.Problem(node, where + "." + role + " is " + YamlReader::Quote(text) +
                           "; give a logic input of the " + kind.label + " (" +
                           JoinNames(kind.inputs) + ")" +
                           (gpio ? ", gpio (the host GPIO line under gpio:)" : "") + " or none");
}

void WireAsTheKindDoes(const probes::ProbeKind& kind, BenchSpec& bench) {
  bench.inference = Trigger{kind.inference_input, {}};
  bench.layer = Trigger{kind.layer_input, {}};
  bench.timestamp = Trigger{kind.timestamp_input, {}};
}

void ReadTriggers(YamlReader& reader, const YAML::Node& triggers, const std::string& where,
                  const probes::ProbeKind& kind, bool gpio, BenchSpec& bench) {
  WireAsTheKindDoes(kind, bench);
  if (!triggers || !reader.Mapping(triggers, where, {"inference", "layer", "timestamp"})) return;
  for (const auto& [role, trigger] :
       {std::pair{"inference", &bench.inference}, std::pair{"layer", &bench.layer},
        std::pair{"timestamp", &bench.timestamp}}) {
    ReadTriggerInput(reader, triggers, role, where, kind, gpio, trigger->input);
    if (triggers[role]) trigger->at = YamlReader::At(triggers[role]);
  }
}

}  // namespace hil::bench
