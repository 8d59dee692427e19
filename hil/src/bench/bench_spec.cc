#include "hil/bench/bench_spec.h"

#include <yaml-cpp/yaml.h>

#include <set>

namespace hil::bench {

const char* const kBenchFileKeys[] = {"benches",        "state_dir", "socket", "tcp",
                                      "firmware_cache", "roots",     "limits", nullptr};

namespace {

std::string Where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1) + ":" +
         std::to_string(node.Mark().column + 1) + ": ";
}

std::string Join(const std::set<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// A mapping whose keys are all known; names the unknown one and the known.
Status CheckKeys(const std::string& path, const YAML::Node& node, const std::string& what,
                 const std::set<std::string>& known) {
  if (!node.IsMap()) return ConfigurationError(Where(path, node) + what + " must be a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (known.count(key) == 0) {
      return ConfigurationError(Where(path, entry.first) + "unknown key '" + key + "' in " + what +
                                " (" + Join(known) + ")");
    }
  }
  return OkStatus();
}

void ReadString(const YAML::Node& node, const char* key, std::string& out) {
  if (node[key]) out = node[key].as<std::string>();
}

Status ReadTrigger(const std::string& path, const YAML::Node& triggers, const char* role,
                   std::string& out) {
  if (!triggers || !triggers[role]) return OkStatus();
  out = triggers[role].as<std::string>();
  const bool probe_input = out.size() == 2 && out[0] == 'D' && out[1] >= '0' && out[1] <= '7';
  if (!probe_input && out != "gpio" && out != "none") {
    return ConfigurationError(Where(path, triggers[role]) + "trigger " + role + " is '" + out +
                              "'; use a probe logic input D0..D7, gpio (the host GPIO line "
                              "under gpio:) or none");
  }
  return OkStatus();
}

Result<BenchSpec> ReadBench(const std::string& path, const YAML::Node& node) {
  HIL_RETURN_IF_ERROR(CheckKeys(path, node, "a bench",
                                {"name", "kind", "board", "flasher", "uart", "supply_mv", "debug",
                                 "probe", "gpio", "triggers"}));
  BenchSpec bench;
  bench.line = node.Mark().line + 1;
  if (!node["name"]) return ConfigurationError(Where(path, node) + "a bench needs a name");
  bench.name = node["name"].as<std::string>();
  ReadString(node, "kind", bench.kind);
  if (bench.kind != "virtual" && bench.kind != "real") {
    return ConfigurationError(Where(path, node["kind"]) + "kind is '" + bench.kind +
                              "'; it must be virtual or real");
  }
  const bool real = bench.kind == "real";
  ReadString(node, "board", bench.board);
  if (bench.board.empty()) {
    if (real) {
      return ConfigurationError(Where(path, node) + "real bench '" + bench.name +
                                "' needs a board: (see 'hil boards')");
    }
    bench.board = "mps2-an386";
  }
  Result<const BoardSpec*> board = FindBoard(bench.board);
  if (!board.ok()) {
    return ConfigurationError(Where(path, node["board"]) + board.error().message());
  }
  if (!real && !(*board)->emulated()) {
    return ConfigurationError(Where(path, node["board"]) + "board " + bench.board +
                              " is not emulated: a bench with it is kind: real");
  }
  if (node["supply_mv"]) {
    const int mv = node["supply_mv"].as<int>();
    if (mv < 800 || mv > 5000) {
      return ConfigurationError(Where(path, node["supply_mv"]) + "supply_mv " + std::to_string(mv) +
                                " is outside 800..5000");
    }
    bench.supply_mv = static_cast<uint32_t>(mv);
  }

  if (const YAML::Node probe = node["probe"]) {
    HIL_RETURN_IF_ERROR(CheckKeys(path, probe, "probe", {"kind", "connect"}));
    ReadString(probe, "kind", bench.probe.kind);
    ReadString(probe, "connect", bench.probe.connect);
  }
  const std::set<std::string> probe_kinds = real ? std::set<std::string>{"ppk2", "lpm01a", "js110"}
                                                 : std::set<std::string>{"ppk2", "lpm01a"};
  if (probe_kinds.count(bench.probe.kind) == 0) {
    return ConfigurationError(Where(path, node["probe"]) + "probe kind '" + bench.probe.kind +
                              "' on a " + bench.kind + " bench; use " + Join(probe_kinds));
  }
  if (real && bench.probe.connect.empty()) {
    if (bench.probe.kind != "js110") {
      return ConfigurationError(Where(path, node["probe"] ? node["probe"] : node) + "real bench '" +
                                bench.name +
                                "' needs probe: connect: (e.g. serial:/dev/ttyACM1; 'hil "
                                "probes' lists attached probes)");
    }
    bench.probe.connect = "usb";
  }

  if (real) {
    ReadString(node, "uart", bench.uart);
    if (bench.uart.empty()) {
      return ConfigurationError(Where(path, node) + "real bench '" + bench.name +
                                "' needs uart: the DUT's UART, e.g. "
                                "serial:/dev/serial/by-id/usb-STMicroelectronics_...@115200");
    }
  } else if (node["uart"] || node["debug"] || node["gpio"]) {
    return ConfigurationError(Where(path, node) + "virtual bench '" + bench.name +
                              "' takes no uart, debug or gpio: QEMU provides them");
  }

  if (const YAML::Node debug = node["debug"]) {
    HIL_RETURN_IF_ERROR(CheckKeys(
        path, debug, "debug",
        {"serial", "interface", "transport", "target", "speed_khz", "tcl_port", "commands"}));
    ReadString(debug, "serial", bench.debug.adapter_serial);
    ReadString(debug, "interface", bench.debug.interface_config);
    ReadString(debug, "transport", bench.debug.transport);
    ReadString(debug, "target", bench.debug.target_config);
    if (debug["speed_khz"]) bench.debug.speed_khz = debug["speed_khz"].as<uint32_t>();
    if (debug["tcl_port"]) {
      bench.debug.tcl_port = debug["tcl_port"].as<int>();
      if (bench.debug.tcl_port < 1 || bench.debug.tcl_port > 65535) {
        return ConfigurationError(Where(path, debug["tcl_port"]) + "tcl_port must be 1..65535");
      }
    }
    if (debug["commands"]) {
      for (const YAML::Node& command : debug["commands"]) {
        bench.debug.extra_commands.push_back(command.as<std::string>());
      }
    }
  }
  ReadString(node, "flasher", bench.flasher);
  if (bench.flasher.empty()) bench.flasher = "openocd";
  const std::set<std::string> flashers =
      real ? std::set<std::string>{"openocd", "none"} : std::set<std::string>{"openocd", "qemu"};
  if (flashers.count(bench.flasher) == 0) {
    return ConfigurationError(Where(path, node["flasher"]) + "flasher '" + bench.flasher +
                              "' on a " + bench.kind + " bench; use " + Join(flashers));
  }
  if (real && bench.flasher == "openocd" && !(*board)->flashed_by_openocd() &&
      bench.debug.interface_config.empty()) {
    return ConfigurationError(Where(path, node) + "board " + bench.board +
                              " has no OpenOCD profile: give debug: interface: and target:");
  }

  if (const YAML::Node gpio = node["gpio"]) {
    HIL_RETURN_IF_ERROR(
        CheckKeys(path, gpio, "gpio", {"chip", "inference", "layer", "timestamp", "reset"}));
    ReadString(gpio, "chip", bench.gpio.chip);
    ReadString(gpio, "inference", bench.gpio.inference);
    ReadString(gpio, "layer", bench.gpio.layer);
    ReadString(gpio, "timestamp", bench.gpio.timestamp);
    ReadString(gpio, "reset", bench.gpio.reset);
    if (bench.gpio.chip.empty()) {
      return ConfigurationError(Where(path, gpio) + "gpio needs chip: (e.g. /dev/gpiochip0)");
    }
  }

  const YAML::Node triggers = node["triggers"];
  if (triggers) {
    HIL_RETURN_IF_ERROR(CheckKeys(path, triggers, "triggers", {"inference", "layer", "timestamp"}));
  }
  HIL_RETURN_IF_ERROR(ReadTrigger(path, triggers, "inference", bench.inference_trigger));
  HIL_RETURN_IF_ERROR(ReadTrigger(path, triggers, "layer", bench.layer_trigger));
  HIL_RETURN_IF_ERROR(ReadTrigger(path, triggers, "timestamp", bench.timestamp_trigger));
  const std::pair<const char*, std::pair<std::string*, std::string*>> roles[] = {
      {"inference", {&bench.inference_trigger, &bench.gpio.inference}},
      {"layer", {&bench.layer_trigger, &bench.gpio.layer}},
      {"timestamp", {&bench.timestamp_trigger, &bench.gpio.timestamp}}};
  for (const auto& [role, wiring] : roles) {
    if (*wiring.first == "gpio" && wiring.second->empty()) {
      return ConfigurationError(Where(path, triggers[role]) + "trigger " + role +
                                " comes through gpio, but gpio: names no " + role + " line");
    }
  }
  return bench;
}

}  // namespace

Result<std::vector<BenchSpec>> ReadBenchFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return ConfigurationError("cannot read the bench file " + path);
  } catch (const YAML::Exception& e) {
    return ConfigurationError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                              std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg);
  }
  std::vector<BenchSpec> benches;
  try {
    if (!root.IsMap()) return ConfigurationError(path + ": expected a mapping with 'benches'");
    std::set<std::string> known;
    for (const char* const* key = kBenchFileKeys; *key != nullptr; ++key) known.insert(*key);
    HIL_RETURN_IF_ERROR(CheckKeys(path, root, "the bench file", known));
    const YAML::Node list = root["benches"];
    if (!list || !list.IsSequence() || list.size() == 0) {
      return ConfigurationError(path + ": 'benches' must list at least one bench");
    }
    for (const YAML::Node& node : list) {
      Result<BenchSpec> bench = ReadBench(path, node);
      if (!bench.ok()) return bench.error();
      for (const BenchSpec& other : benches) {
        if (other.name == bench->name) {
          return ConfigurationError(Where(path, node) + "bench '" + bench->name +
                                    "' twice (first on line " + std::to_string(other.line) + ")");
        }
      }
      benches.push_back(std::move(*bench));
    }
  } catch (const YAML::Exception& e) {
    return ConfigurationError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                              std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
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
  bench.flasher = "openocd";
  return bench;
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
