#include "probes_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "probes/discovery.h"
#include "probes/probe_table.h"

namespace hil::cli {
namespace {

int RunProbes(bool as_json) {
  std::vector<std::string> notes;
  Result<std::vector<probes::DiscoveredProbe>> found = probes::DiscoverProbes(notes);
  if (!found.ok()) {
    std::fprintf(stderr, "hil probes: %s\n", found.error().ToString().c_str());
    return ExitCodeFor(found.error().kind());
  }
  if (as_json) {
    nlohmann::json list = nlohmann::json::array();
    for (const probes::DiscoveredProbe& probe : *found) {
      char vid_pid[16];
      std::snprintf(vid_pid, sizeof(vid_pid), "%04x:%04x", probe.vid, probe.pid);
      list.push_back({{"kind", probe.kind},
                      {"model", probe.model},
                      {"connect", probe.connect},
                      {"serial", probe.serial},
                      {"vid_pid", vid_pid},
                      {"note", probe.note}});
    }
    std::printf("%s\n", list.dump(2).c_str());
    return kExitOk;
  }
  for (const std::string& note : notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  if (found->empty()) {
    std::string known;
    for (const probes::ProbeKind& kind : probes::ProbeTable()) {
      for (const probes::UsbIdentity& usb : kind.usb) {
        char vid_pid[16];
        std::snprintf(vid_pid, sizeof(vid_pid), "%04x:%04x", usb.vid, usb.pid);
        known += (known.empty() ? "" : ", ") + kind.label + " " + vid_pid;
      }
    }
    std::printf("no power monitors found (known: %s).\nA virtual one: hil bench up --probe %s\n",
                known.c_str(), probes::ProbeKindNames(true).front().c_str());
    return kExitOk;
  }
  std::printf("%-8s %-26s %-16s %-9s %s\n", "KIND", "CONNECT", "SERIAL", "VID:PID", "MODEL");
  for (const probes::DiscoveredProbe& probe : *found) {
    std::printf("%-8s %-26s %-16s %04x:%04x %s%s%s\n",
                probe.kind.empty() ? "-" : probe.kind.c_str(), probe.connect.c_str(),
                probe.serial.empty() ? "?" : probe.serial.c_str(), probe.vid, probe.pid,
                probe.model.c_str(), probe.note.empty() ? "" : " -- ", probe.note.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddProbesCommand(CLI::App& app, int& exit_code) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand(
      "probes",
      "List attached power monitors (serial ports by VID:PID through libserialport, USB\n"
      "devices through libusb). CONNECT is what 'hil capture --connect' takes.");
  command->add_flag("--json", *as_json, "Print JSON instead of a table");
  command->callback([as_json, &exit_code] { exit_code = RunProbes(*as_json); });
}

}  // namespace hil::cli
