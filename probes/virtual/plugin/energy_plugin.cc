// The virtual bench's energy plugin for qemu-system-arm 7.2.
//
// Loaded with
//   -plugin libhil_energy_plugin.so,profiles=FILE,profile=NAME,truth=FILE
//     [,pins=0x20000000][,pin_code=START-END][,summary=FILE][,edges=FILE][,set.KEY=VALUE...]
//     [,ppk2=SOCKET|lpm01a=SOCKET[,probe_drop_every=N][,probe_garbage_every=N]
//      [,probe_close_after=N][,probe_stall_after=N,probe_stall_ms=MS][,probe_max_lag_ms=MS]
//      [,probe_samples=FILE]][,pace=realtime]
// it counts every executed instruction by energy class (inline, per
// instruction, which stays exact under -icount where translation blocks can
// be cut short and re-executed), tracks the harness's trigger pins through
// the stores to their set/clear addresses, and writes the exact
// instructions, time and energy of every window to the truth file (and, if
// asked, every edge with its virtual time to the edges file).
#include <time.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "probes/virtual/energy_profile.h"
#include "probes/virtual/instruction_class.h"
#include "probes/virtual/pacer.h"
#include "probes/virtual/window_tracker.h"
#include "qemu_plugin_api.h"
#include "virtual_probe.h"

namespace {

using hil::virtual_bench::Checkpoint;
using hil::virtual_bench::ClassifyThumb;
using hil::virtual_bench::EnergyProfile;
using hil::virtual_bench::kInstructionClassCount;
using hil::virtual_bench::MeterReading;
using hil::virtual_bench::Pacer;
using hil::virtual_bench::Pin;
using hil::virtual_bench::VirtualProbe;
using hil::virtual_bench::VirtualProbeOptions;
using hil::virtual_bench::WindowTracker;

// Each pin has a set word and a clear word (firmware/PROTOCOL.md).
constexpr uint64_t kPinWordsBytes = 8 * hil::virtual_bench::kPinCount;

// The plugin serves one vCPU (the boards are single-core), so plain globals
// updated from QEMU's vCPU thread are safe.
struct PluginState {
  EnergyProfile profile;
  uint64_t pins_base = 0x20000000;
  // Code that writes the pin words; stores elsewhere are not watched. Empty
  // (0, 0): watch every store, for firmware whose symbols are unknown.
  uint64_t pin_code_start = 0;
  uint64_t pin_code_end = 0;
  // Inline counters QEMU increments directly, one per class.
  uint64_t counts[kInstructionClassCount] = {};
  int64_t clock_at_start_ns = -1;
  FILE* truth = nullptr;
  FILE* edges = nullptr;  // optional: every pin edge with its virtual time
  std::string summary_path;
  std::unique_ptr<WindowTracker> tracker;
  std::unique_ptr<VirtualProbe> probe;  // when asked for with ppk2= or lpm01a=
  std::unique_ptr<Pacer> pacer;         // pace=realtime
  uint32_t blocks_since_pace = 0;
};

PluginState* state = nullptr;

// The vCPU thread writes the counters; the virtual PPK2's thread reads them
// too, so every read is an atomic load (a plain load on x86-64).
MeterReading Read() {
  MeterReading reading;
  for (size_t i = 0; i < kInstructionClassCount; ++i) {
    reading.instructions[i] = __atomic_load_n(&state->counts[i], __ATOMIC_RELAXED);
  }
  return reading;
}

uint8_t LogicBits() {
  uint8_t logic = 0;
  for (int pin = 0; pin < hil::virtual_bench::kPinCount; ++pin) {
    if (state->tracker->pin_level(static_cast<Pin>(pin))) logic |= static_cast<uint8_t>(1u << pin);
  }
  return logic;
}

Checkpoint CheckpointOf(const MeterReading& reading) {
  const auto span = hil::virtual_bench::Between(MeterReading{}, reading, state->profile);
  return Checkpoint{span.duration_ns, span.energy_nj * 1000.0, 0};
}

int64_t VirtualClockNs() {
  return qemu_clock_get_ns != nullptr ? qemu_clock_get_ns(kQemuClockVirtual) : -1;
}

void OnStore(unsigned int, qemu_plugin_meminfo_t, uint64_t address, void*) {
  const uint64_t offset = address - state->pins_base;
  if (offset >= kPinWordsBytes) return;
  // Backpressure: a streaming probe that lags holds the DUT at its next pin
  // write, so every window edge reaches the reader within the lag bound.
  if (state->probe != nullptr && state->probe->streaming()) {
    state->probe->Throttle(Read().total_instructions() << state->profile.icount_shift);
  }
  // The inline counter of the storing instruction has already run, so the
  // edge is placed at the end of that instruction.
  const Pin pin = static_cast<Pin>(offset / 8);
  const bool level = offset % 8 == 0;
  const bool before = state->tracker->pin_level(pin);
  const MeterReading now = Read();
  state->tracker->OnPinStore(pin, level, now);
  if (before == level) return;
  if (state->probe != nullptr) {
    Checkpoint edge = CheckpointOf(now);
    edge.logic = LogicBits();
    state->probe->OnEdge(edge);
  }
  if (state->edges != nullptr) {
    const uint64_t instructions = now.total_instructions();
    std::fprintf(state->edges,
                 "{\"pin\":%d,\"level\":%d,\"instructions\":%" PRIu64 ",\"time_ns\":%" PRIu64 "}\n",
                 static_cast<int>(pin), level ? 1 : 0, instructions,
                 instructions << state->profile.icount_shift);
  }
}

// pace=realtime: every 64 translation blocks (a few hundred instructions,
// microseconds of virtual time), virtual time is held to the host's.
void OnBlock(unsigned int, void*) {
  if (++state->blocks_since_pace < 64) return;
  state->blocks_since_pace = 0;
  state->pacer->Pace(Read().total_instructions() << state->profile.icount_shift);
}

void OnTranslate(qemu_plugin_id_t, qemu_plugin_tb* tb) {
  const size_t count = qemu_plugin_tb_n_insns(tb);
  if (state->pacer != nullptr) {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, OnBlock, QEMU_PLUGIN_CB_NO_REGS, nullptr);
  }
  for (size_t i = 0; i < count; ++i) {
    qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    const auto* bytes = static_cast<const uint8_t*>(qemu_plugin_insn_data(insn));
    const auto instruction_class = ClassifyThumb({bytes, qemu_plugin_insn_size(insn)});
    qemu_plugin_register_vcpu_insn_exec_inline(
        insn, QEMU_PLUGIN_INLINE_ADD_U64, &state->counts[static_cast<size_t>(instruction_class)],
        1);
    // Only stores can move a pin, only memory classes store, and only the
    // firmware's pin function stores to the pin words: a callback on every
    // store would double QEMU's run time on store-heavy code.
    using hil::virtual_bench::InstructionClass;
    const bool memory = instruction_class == InstructionClass::kLoadStore ||
                        instruction_class == InstructionClass::kFpu ||
                        instruction_class == InstructionClass::kSimd;
    const uint64_t address = qemu_plugin_insn_vaddr(insn);
    const bool pin_code = state->pin_code_end == 0 ||
                          (address >= state->pin_code_start && address < state->pin_code_end);
    if (memory && pin_code) {
      qemu_plugin_register_vcpu_mem_cb(insn, OnStore, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W,
                                       nullptr);
    }
  }
}

void OnExit(qemu_plugin_id_t, void*) {
  hil::virtual_bench::VirtualProbeStats probe_stats;
  if (state->probe != nullptr) {
    state->probe->Stop();
    probe_stats = state->probe->stats();
  }
  const MeterReading end = Read();
  const auto total = hil::virtual_bench::Between(MeterReading{}, end, state->profile);
  // QEMU's virtual clock can be read here, outside any translation block.
  // What it ran beyond the instructions' own time is time the core spent
  // halted in WFI, plus QEMU's start-up; it is charged at sleep power.
  const int64_t clock = VirtualClockNs();
  const int64_t elapsed = clock >= 0 && state->clock_at_start_ns >= 0
                              ? clock - state->clock_at_start_ns
                              : static_cast<int64_t>(total.duration_ns);
  const uint64_t halted_ns =
      elapsed > static_cast<int64_t>(total.duration_ns) ? elapsed - total.duration_ns : 0;
  const double energy_nj =
      total.energy_nj + state->profile.sleep_mw * static_cast<double>(halted_ns) / 1000.0;
  char text[512];
  std::snprintf(text, sizeof(text),
                "{\"kind\":\"summary\",\"profile\":\"%s\",\"instructions\":%" PRIu64
                ",\"running_ns\":%" PRIu64 ",\"halted_ns\":%" PRIu64
                ",\"energy_nJ\":%.3f,\"edges\":%" PRIu64 ",\"inference_windows\":%" PRIu64
                ",\"timestamp_windows\":%" PRIu64 ",\"probe_samples_sent\":%" PRIu64
                ",\"probe_samples_dropped\":%" PRIu64 ",\"probe_garbage_bytes\":%" PRIu64 "}\n",
                state->profile.name.c_str(), total.instructions, total.duration_ns, halted_ns,
                energy_nj, state->tracker->edges(), state->tracker->inference_windows(),
                state->tracker->timestamp_windows(), probe_stats.samples_sent,
                probe_stats.samples_dropped, probe_stats.garbage_bytes);
  qemu_plugin_outs(text);
  if (!state->summary_path.empty()) {
    if (FILE* summary = std::fopen(state->summary_path.c_str(), "w")) {
      std::fputs(text, summary);
      std::fclose(summary);
    }
  }
  if (state->truth != nullptr) std::fclose(state->truth);
  if (state->edges != nullptr) std::fclose(state->edges);
  state->truth = nullptr;
  state->edges = nullptr;
}

int Refuse(const std::string& message) {
  // QEMU prints nothing of its own when a plugin refuses to install.
  std::fprintf(stderr, "hil energy plugin: %s\n", message.c_str());
  return -1;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t* info, int argc,
                                                               char** argv) {
  if (info->system_emulation && info->system.smp_vcpus != 1) {
    return Refuse("the boards are single-core; run QEMU with one vCPU");
  }
  std::string profiles_path, profile_name, truth_path, summary_path, edges_path;
  uint64_t pins_base = 0x20000000;
  uint64_t pin_code_start = 0, pin_code_end = 0;
  std::map<std::string, std::string> overrides;
  VirtualProbeOptions probe;
  std::string probe_kind;
  struct Knob {
    const char* key;
    uint64_t* target;
  };
  uint64_t max_lag_ms = 20;
  bool realtime = false;
  const Knob knobs[] = {
      {"probe_drop_every", &probe.drop_every},   {"probe_garbage_every", &probe.garbage_every},
      {"probe_close_after", &probe.close_after}, {"probe_stall_after", &probe.stall_after},
      {"probe_stall_ms", &probe.stall_ms},       {"probe_max_lag_ms", &max_lag_ms},
  };
  for (int i = 0; i < argc; ++i) {
    const std::string argument = argv[i];
    const size_t equals = argument.find('=');
    if (equals == std::string::npos) return Refuse("argument '" + argument + "' is not KEY=VALUE");
    const std::string key = argument.substr(0, equals);
    const std::string value = argument.substr(equals + 1);
    if (key == "profiles") {
      profiles_path = value;
    } else if (key == "profile") {
      profile_name = value;
    } else if (key == "truth") {
      truth_path = value;
    } else if (key == "summary") {
      summary_path = value;
    } else if (key == "edges") {
      edges_path = value;
    } else if (key == "pins") {
      pins_base = std::strtoull(value.c_str(), nullptr, 0);
    } else if (key == "pin_code") {
      // START-END, hexadecimal or decimal
      char* dash = nullptr;
      pin_code_start = std::strtoull(value.c_str(), &dash, 0);
      if (dash == nullptr || *dash != '-') return Refuse("pin_code takes START-END");
      pin_code_end = std::strtoull(dash + 1, nullptr, 0);
    } else if (key == "ppk2" || key == "lpm01a") {
      if (!probe_kind.empty()) return Refuse("one virtual probe per QEMU: ppk2= or lpm01a=");
      probe_kind = key;
      probe.socket_path = value;
    } else if (key == "probe_samples") {
      probe.samples_path = value;
    } else if (key == "pace") {
      if (value != "realtime" && value != "fast") return Refuse("pace is realtime or fast");
      realtime = value == "realtime";
    } else if (key.rfind("probe_", 0) == 0) {
      bool known = false;
      for (const Knob& knob : knobs) {
        if (key != knob.key) continue;
        *knob.target = std::strtoull(value.c_str(), nullptr, 10);
        known = true;
      }
      if (!known) return Refuse("unknown virtual probe knob '" + key + "'");
    } else if (key.rfind("set.", 0) == 0) {
      overrides[key.substr(4)] = value;
    } else {
      return Refuse(
          "unknown argument '" + key +
          "'; expected profiles, profile, truth, summary, edges, pins, pin_code, ppk2, lpm01a, "
          "probe_*, pace or set.KEY");
    }
  }
  if (profiles_path.empty() || profile_name.empty() || truth_path.empty()) {
    return Refuse("needs profiles=FILE, profile=NAME and truth=FILE");
  }
  auto profile = hil::virtual_bench::LoadEnergyProfile(profiles_path, profile_name, overrides);
  if (!profile.ok()) return Refuse(profile.error().message());

  state = new PluginState();
  state->profile = *profile;
  state->pins_base = pins_base;
  state->pin_code_start = pin_code_start;
  state->pin_code_end = pin_code_end;
  state->summary_path = summary_path;
  state->truth = std::fopen(truth_path.c_str(), "w");
  if (state->truth == nullptr) return Refuse("cannot write " + truth_path);
  if (!edges_path.empty()) {
    state->edges = std::fopen(edges_path.c_str(), "w");
    if (state->edges == nullptr) return Refuse("cannot write " + edges_path);
  }
  state->tracker = std::make_unique<WindowTracker>(*profile, [](const std::string& line) {
    std::fputs(line.c_str(), state->truth);
    std::fputc('\n', state->truth);
    // A crash of the guest or of QEMU keeps every window closed so far.
    std::fflush(state->truth);
  });
  state->clock_at_start_ns = VirtualClockNs();
  if (realtime) {
    state->pacer = std::make_unique<Pacer>(
        [] {
          timespec now{};
          clock_gettime(CLOCK_MONOTONIC, &now);
          return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
        },
        [](int64_t ns) {
          const timespec pause{static_cast<time_t>(ns / 1'000'000'000),
                               static_cast<long>(ns % 1'000'000'000)};
          nanosleep(&pause, nullptr);
        });
  }
  if (!probe_kind.empty()) {
    probe.max_lag_ns = max_lag_ms * 1'000'000;
    auto personality = probe_kind == "ppk2"
                           ? hil::virtual_bench::MakePpk2Personality(profile->supply_v)
                           : hil::virtual_bench::MakeLpm01aPersonality(profile->supply_v);
    state->probe = std::make_unique<VirtualProbe>(probe, std::move(personality),
                                                  [] { return CheckpointOf(Read()); });
    auto started = state->probe->Start();
    if (!started.ok()) return Refuse(started.error().message());
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, OnTranslate);
  qemu_plugin_register_atexit_cb(id, OnExit, nullptr);
  return 0;
}

}  // extern "C"
