#include "hil/bench/bench_spec.h"

#include <algorithm>
#include <cctype>

#include "hil/bench/probe_reading.h"
#include "probes/probe_table.h"

namespace hil::bench {

const std::vector<std::string> kBenchFileKeys = {"benches",        "state_dir", "socket", "tcp",
                                                 "firmware_cache", "roots",     "limits", "lab"};

bool ValidTag(const std::string& text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

namespace {

void ReadDebug(YamlReader& reader, const YAML::Node& debug, DebugSpec& spec) {
  if (!reader.Mapping(
          debug, "debug",
          {"serial", "interface", "transport", "target", "speed_khz", "tcl_port", "commands"}))
    return;
  reader.String(debug, "serial", "debug", spec.adapter_serial);
  reader.String(debug, "interface", "debug", spec.interface_config);
  reader.String(debug, "transport", "debug", spec.transport);
  reader.String(debug, "target", "debug", spec.target_config);
  reader.Count<uint32_t>(debug, "speed_khz", "debug", spec.speed_khz, 1, 100000);
  reader.Count<int>(debug, "tcl_port", "debug", spec.tcl_port, 1, 65535);
  reader.StringList(debug, "commands", "debug", spec.extra_commands);
}

void ReadGpio(YamlReader& reader, const YAML::Node& gpio, GpioSpec& spec) {
  if (!reader.Mapping(gpio, "gpio", {"chip", "inference", "layer", "timestamp", "reset"})) return;
  if (!gpio["chip"]) reader.Problem(gpio, "gpio needs chip: (e.g. /dev/gpiochip0)");
  reader.String(gpio, "chip", "gpio", spec.chip);
  reader.String(gpio, "inference", "gpio", spec.inference);
  reader.String(gpio, "layer", "gpio", spec.layer);
  reader.String(gpio, "timestamp", "gpio", spec.timestamp);
  reader.String(gpio, "reset", "gpio", spec.reset);
}

// One entry of `benches`, its problems going to `reader`; what is read is
// kept even when wrong, so later checks still run and report theirs.
BenchSpec ReadBench(YamlReader& reader, const YAML::Node& node) {
  BenchSpec bench;
  bench.line = YamlReader::At(node).line;
  if (!reader.Mapping(node, "a bench",
                      {"name", "kind", "board", "flasher", "uart", "supply_mv", "debug", "probe",
                       "gpio", "triggers", "tags"}))
    return bench;
  if (!node["name"]) reader.Problem(node, "a bench needs a name");
  reader.String(node, "name", "a bench", bench.name);
  reader.Enum(node, "kind", "bench " + bench.name, bench.kind);
  const bool real = bench.kind == BenchKind::kReal;
  reader.String(node, "board", "bench " + bench.name, bench.board);
  reader.StringList(node, "tags", "bench " + bench.name, bench.tags);
  for (const std::string& tag : bench.tags) {
    if (!ValidTag(tag)) {
      reader.Problem(node["tags"], "tag '" + tag.substr(0, 64) +
                                       "': a tag is 1 to 64 letters, digits, '.', '_' or '-'");
    }
  }
  const BoardSpec* board = nullptr;
  if (bench.board.empty()) {
    if (real)
      reader.Problem(node, "real bench '" + bench.name + "' needs a board: (see 'hil boards')");
    bench.board = "mps2-an386";
  }
  if (Result<const BoardSpec*> found = FindBoard(bench.board); !found.ok()) {
    reader.Problem(node["board"], found.error().message());
  } else {
    board = *found;
    if (!real && !board->emulated()) {
      reader.Problem(node["board"],
                     "board " + bench.board + " is not emulated: a bench with it is kind: real");
    }
  }
  reader.Count<uint32_t>(node, "supply_mv", "bench " + bench.name, bench.supply_mv, 800, 5000);

  const YAML::Node probe = node["probe"];
  const std::string probe_where = "bench " + bench.name + ".probe";
  bench.probe.kind = probes::DefaultProbeKind().name;
  const probes::ProbeKind* kind = &probes::DefaultProbeKind();
  if (probe && probe.IsMap()) {
    kind = &ReadProbeKind(reader, probe, "kind", probe_where, !real, bench.probe.kind);
  }
  if (probe && reader.Mapping(probe, probe_where, ProbeKeys(*kind, {"kind", "connect"}))) {
    reader.String(probe, "connect", probe_where, bench.probe.connect);
    ReadProbeSettings(reader, probe, probe_where, *kind, bench.probe.options);
  }
  if (real && bench.probe.connect.empty()) {
    if (kind->attachment == probes::Attachment::kUsb) {
      bench.probe.connect = "usb";  // the only one attached
    } else {
      reader.Problem(probe ? probe : node,
                     "real bench '" + bench.name + "' needs probe: connect: (e.g. " +
                         kind->connect_example + "; 'hil probes' lists attached probes)");
    }
  }

  if (real) {
    reader.String(node, "uart", "bench " + bench.name, bench.uart);
    if (bench.uart.empty()) {
      reader.Problem(node, "real bench '" + bench.name +
                               "' needs uart: the DUT's UART, e.g. "
                               "serial:/dev/serial/by-id/usb-STMicroelectronics_...@115200");
    }
  } else {
    for (const char* key : {"uart", "debug", "gpio"}) {
      if (node[key]) {
        reader.Problem(node[key], "virtual bench '" + bench.name + "' takes no " + key +
                                      ": QEMU provides the UART, the debug port and the pins");
      }
    }
  }
  if (real && node["debug"]) ReadDebug(reader, node["debug"], bench.debug);

  bench.flasher = Flasher::kOpenOcd;
  reader.Enum(node, "flasher", "bench " + bench.name, bench.flasher);
  if (real && bench.flasher == Flasher::kQemu) {
    reader.Problem(node["flasher"],
                   "a real bench flashes with openocd, or none when the DUT is flashed outside "
                   "hil (qemu is the virtual bench's -kernel shortcut)");
  } else if (!real && bench.flasher == Flasher::kNone) {
    reader.Problem(node["flasher"], "the virtual bench flashes with openocd or qemu");
  }
  if (real && board != nullptr && bench.flasher == Flasher::kOpenOcd &&
      !board->flashed_by_openocd() && bench.debug.interface_config.empty()) {
    reader.Problem(node, "board " + bench.board +
                             " has no OpenOCD profile: give debug: interface: and target:");
  }
  if (real && node["gpio"]) ReadGpio(reader, node["gpio"], bench.gpio);

  const YAML::Node triggers = node["triggers"];
  ReadTriggers(reader, triggers, "triggers", *kind, real, bench);
  if (triggers && triggers.IsMap()) {
    const std::pair<const char*, std::pair<std::string*, std::string*>> roles[] = {
        {"inference", {&bench.inference.input, &bench.gpio.inference}},
        {"layer", {&bench.layer.input, &bench.gpio.layer}},
        {"timestamp", {&bench.timestamp.input, &bench.gpio.timestamp}}};
    for (const auto& [role, wiring] : roles) {
      if (*wiring.first == "gpio" && wiring.second->empty()) {
        reader.Problem(triggers[role], std::string("trigger ") + role +
                                           " comes through gpio, but gpio: names no " + role +
                                           " line");
      }
    }
  }
  return bench;
}

}  // namespace

std::vector<BenchSpec> ReadBenches(YamlReader& reader, const YAML::Node& root) {
  std::vector<BenchSpec> benches;
  if (!reader.Mapping(root, "the bench file", kBenchFileKeys)) return benches;
  const YAML::Node list = root["benches"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    reader.Problem(list ? list : root, "'benches' must list at least one bench");
    return benches;
  }
  for (const YAML::Node& node : list) {
    BenchSpec bench = ReadBench(reader, node);
    for (const BenchSpec& other : benches) {
      if (!bench.name.empty() && other.name == bench.name) {
        reader.Problem(node, "bench '" + bench.name + "' twice (first on line " +
                                 std::to_string(other.line) + ")");
      }
    }
    benches.push_back(std::move(bench));
  }
  return benches;
}

Result<std::vector<BenchSpec>> ReadBenchFile(const std::string& path) {
  Result<std::string> text = YamlReader::ReadFile(path, kMaxBenchFileBytes, "bench file");
  if (!text.ok()) return text.error();
  YamlReader reader(path);
  YAML::Node root;
  if (!reader.Load(*text, root)) return reader.ToError();
  std::vector<BenchSpec> benches = ReadBenches(reader, root);
  if (!reader.ok()) return reader.ToError();
  return benches;
}

Result<BenchSpec> ReadNamedBench(const std::string& path, const std::string& name) {
  Result<std::vector<BenchSpec>> benches = ReadBenchFile(path);
  if (!benches.ok()) return benches.error();
  std::string names;  // in the file's order
  for (const BenchSpec& bench : *benches) {
    if (bench.name == name || (name.empty() && benches->size() == 1)) return bench;
    names += (names.empty() ? "" : ", ") + bench.name;
  }
  return ConfigurationError(
      path + (name.empty() ? " has several benches; pick one with --bench (" + names + ")"
                           : " has no bench '" + name + "' (benches: " + names + ")"));
}

BenchSpec DefaultVirtualBench() {
  BenchSpec bench;
  bench.name = "virtual";
  bench.board = "mps2-an386";
  bench.flasher = Flasher::kOpenOcd;
  bench.probe.kind = probes::DefaultProbeKind().name;
  WireAsTheKindDoes(probes::DefaultProbeKind(), bench);
  return bench;
}

probes::ProbeSettings ProbeSettingsOf(const BenchSpec& bench) {
  probes::ProbeSettings settings;
  settings.kind = bench.probe.kind;
  settings.uri = bench.probe.connect;
  settings.supply_mv = bench.supply_mv;
  settings.options = bench.probe.options;
  return settings;
}

flash::OpenOcdConfig OpenOcdConfigFor(const BenchSpec& bench, const BoardSpec& board) {
  const auto pick = [](const std::string& own, std::string_view profile) {
    return own.empty() ? std::string(profile) : own;
  };
  flash::OpenOcdConfig config;
  config.interface_config = pick(bench.debug.interface_config, board.openocd.interface_config);
  config.transport = pick(bench.debug.transport, board.openocd.transport);
  config.target_config = pick(bench.debug.target_config, board.openocd.target_config);
  config.speed_khz = bench.debug.speed_khz != 0 ? bench.debug.speed_khz : board.openocd.speed_khz;
  config.adapter_serial = bench.debug.adapter_serial;
  config.tcl_port = bench.debug.tcl_port;
  config.extra_commands = bench.debug.extra_commands;
  config.title = "bench " + bench.name + ", board " + std::string(board.name);
  return config;
}

}  // namespace hil::bench
