#include "capture_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>
#include <vector>

#include "drivers/dut/running_dut.h"
#include "dut_exchange.h"
#include "hil/trace_file.h"
#include "probes/probe_table.h"

namespace hil::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::atomic<bool> interrupted{false};
void OnSignal(int) { interrupted = true; }

struct CaptureArguments {
  probes::ProbeSettings probe;
  uint32_t supply_mv = 0;
  double rate_hz = 0;
  double seconds = 5;
  double grace = 3;  // beyond --seconds, for a device that streams slower than its clock
  std::string out;
  std::string mode;        // the PPK2's source_meter setting, by another name
  std::string lpm_format;  // the LPM01A's format setting
  bool spike_filter = false;
  std::vector<std::string> settings;  // --probe-setting KEY=VALUE
  // With a DUT, the capture sends it these commands once samples flow and
  // ends --tail seconds after the last reply.
  std::string dut;
  std::vector<std::string> dut_commands;
  double dut_timeout_s = 60;
  double tail_s = 0.5;
  bool seconds_given = false;
};

// The DUT's half of a capture: its commands run on a thread of their own
// while the capture drains the probe, so no command can start before the
// capture does (the race of a capture started with '&' and a 'hil dut').
class DutDuringCapture {
 public:
  DutDuringCapture(std::unique_ptr<dut::DutLink> link, std::vector<std::string> commands,
                   std::chrono::milliseconds infer_timeout)
      : link_(std::move(link)), commands_(std::move(commands)), infer_timeout_(infer_timeout) {}
  ~DutDuringCapture() {
    if (thread_.joinable()) thread_.join();
  }

  void Start() {
    thread_ = std::thread([this] {
      for (const std::string& command : commands_) {
        Result<dut::Reply> reply = SendDutCommand(*link_, command, infer_timeout_);
        if (!reply.ok()) {
          failure_ = reply.error();
          break;
        }
        replies_.push_back(std::move(*reply));
      }
      done_ = true;
    });
  }
  bool started() const { return thread_.joinable(); }
  bool done() const { return done_; }

  // After the thread ends: prints every exchange; the exit code they call for.
  int Report() {
    if (thread_.joinable()) thread_.join();
    int exit_code = kExitOk;
    for (size_t i = 0; i < replies_.size(); ++i) {
      if (PrintDutExchange(commands_[i], replies_[i])) {
        exit_code = ExitCodeFor(ErrorKind::kTestFailure);
      }
    }
    if (failure_) {
      std::fprintf(stderr, "hil capture: the DUT: %s\n", failure_->ToString().c_str());
      return ExitCodeFor(failure_->kind());
    }
    return exit_code;
  }

 private:
  std::unique_ptr<dut::DutLink> link_;
  std::vector<std::string> commands_;
  std::chrono::milliseconds infer_timeout_;
  std::vector<dut::Reply> replies_;
  std::optional<Error> failure_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil capture: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

int RunCapture(CaptureArguments arguments) {
  probes::ProbeSettings settings = arguments.probe;
  if (arguments.supply_mv != 0) settings.supply_mv = arguments.supply_mv;
  // The probe's own settings: --probe-setting, and the older flags that
  // each name one (checked against the kind by MakeProbe).
  for (const std::string& setting : arguments.settings) {
    const size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Fail(ConfigurationError("--probe-setting " + setting +
                                     ": give KEY=VALUE, e.g. spike_filter=true"));
    }
    settings.options[setting.substr(0, equals)] = setting.substr(equals + 1);
  }
  if (arguments.rate_hz != 0) settings.options["rate_hz"] = std::to_string(arguments.rate_hz);
  if (!arguments.mode.empty()) {
    settings.options["source_meter"] = arguments.mode == "source" ? "true" : "false";
  }
  if (!arguments.lpm_format.empty()) settings.options["format"] = arguments.lpm_format;
  if (arguments.spike_filter) settings.options["spike_filter"] = "true";
  Result<TraceFormat> format = TraceFormatFor(arguments.out);
  if (!format.ok()) return Fail(format.error());
  // The DUT is reached first: a virtual bench's DUT, and with it its probe,
  // starts when its UART gets a client.
  std::unique_ptr<DutDuringCapture> dut_session;
  if (!arguments.dut.empty()) {
    Result<std::unique_ptr<dut::DutLink>> link = dut::ConnectRunningDut(arguments.dut);
    if (!link.ok()) return Fail(link.error());
    dut_session = std::make_unique<DutDuringCapture>(
        std::move(*link), arguments.dut_commands,
        std::chrono::milliseconds(static_cast<int64_t>(arguments.dut_timeout_s * 1000)));
    // Without --seconds the replies end the capture, not a sample count.
    if (!arguments.seconds_given) arguments.seconds = std::numeric_limits<double>::infinity();
  }
  Result<std::unique_ptr<PowerProbe>> made = probes::MakeProbe(settings);
  if (!made.ok()) return Fail(made.error());
  PowerProbe& probe = **made;

  // Everything the user asked is checked before the device is touched.
  Status opened = probe.Open();
  if (!opened.ok()) return Fail(opened.error());
  const ProbeInfo& info = probe.info();
  Result<std::unique_ptr<TraceWriter>> writer =
      OpenTraceWriter(arguments.out, *format, info.sample_rate_hz);
  if (!writer.ok()) return Fail(writer.error());
  if (dut_session) {
    std::fprintf(stderr, "capturing from %s at %s until the DUT has answered %zu command%s\n",
                 info.model.c_str(), info.uri.c_str(), arguments.dut_commands.size(),
                 arguments.dut_commands.size() == 1 ? "" : "s");
  } else {
    std::fprintf(stderr, "capturing %.1f s from %s at %s (%.0f samples/s, supply %.3f V) to %s\n",
                 arguments.seconds, info.model.c_str(), info.uri.c_str(), info.sample_rate_hz,
                 info.supply_v, arguments.out.c_str());
  }

  ::signal(SIGINT, OnSignal);
  ::signal(SIGTERM, OnSignal);
  Status started = probe.Start();
  if (!started.ok()) return Fail(started.error());

  const bool terminal = ::isatty(STDERR_FILENO);
  const uint64_t wanted = std::isinf(arguments.seconds)
                              ? std::numeric_limits<uint64_t>::max()
                              : static_cast<uint64_t>(arguments.seconds * info.sample_rate_hz);
  uint64_t covered = 0;  // samples of the timeline seen: received and lost
  std::optional<Error> failure;
  bool stopping = false;
  Clock::time_point last_progress = Clock::now();
  // The wall clock bounds a capture whatever the device sends: garbage, a
  // trickle, or samples with a clock of their own.
  Clock::time_point give_up = Clock::time_point::max();
  if (!std::isinf(arguments.seconds)) {
    give_up =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(arguments.seconds + arguments.grace));
  }
  // A probe that never sends a sample must not hold the DUT's commands back
  // for ever.
  const Clock::time_point first_sample_deadline =
      Clock::now() +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(arguments.grace));
  // Once the DUT has answered: the samples and the wall time still to wait.
  std::optional<uint64_t> tail_until_sample;
  Clock::time_point tail_until = Clock::time_point::max();
  const uint64_t tail_samples = static_cast<uint64_t>(arguments.tail_s * info.sample_rate_hz);
  for (;;) {
    if (dut_session && !dut_session->started() &&
        (covered > 0 || Clock::now() >= first_sample_deadline)) {
      dut_session->Start();
    }
    if (dut_session && dut_session->done() && !tail_until_sample) {
      tail_until_sample = covered + tail_samples;
      tail_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(arguments.tail_s));
    }
    const bool tail_over =
        tail_until_sample && covered >= *tail_until_sample && Clock::now() >= tail_until;
    if (!stopping && tail_until_sample && !tail_over &&
        Clock::now() >= tail_until + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(arguments.grace))) {
      failure = InfrastructureError(
          "the DUT has answered, but the probe delivered no samples for " +
          std::to_string(arguments.grace) + " s after: is it the right probe and port?");
      stopping = true;
      (void)probe.Stop();
    }
    if (!stopping && Clock::now() >= give_up && covered < wanted) {
      const ProbeStats so_far = probe.stats();
      char text[160];
      std::snprintf(text, sizeof(text), "after %.1f s the probe had delivered %.3f of %.3f s",
                    arguments.seconds + arguments.grace, covered / info.sample_rate_hz,
                    arguments.seconds);
      failure =
          InfrastructureError(std::string(text) + " of samples (" + std::to_string(so_far.samples) +
                              " samples, " + std::to_string(so_far.garbage_bytes) +
                              " bytes that were not samples): is it the right probe and "
                              "port?");
      stopping = true;
      (void)probe.Stop();
    }
    if (!stopping && (covered >= wanted || interrupted || tail_over)) {
      stopping = true;
      Status stopped = probe.Stop();
      if (!stopped.ok() && !failure) failure = stopped.error();
    }
    SampleBlock block;
    Result<PowerProbe::Poll> poll = probe.Next(block, milliseconds(200));
    if (!poll.ok()) {
      if (!failure) failure = poll.error();
      break;
    }
    if (*poll == PowerProbe::Poll::kEnd) break;
    if (*poll == PowerProbe::Poll::kBlock) {
      covered = std::max(covered, block.end_index());
      Status written = (*writer)->Write(block);
      if (!written.ok()) {
        failure = written.error();
        break;
      }
    }
    if (Clock::now() - last_progress > milliseconds(terminal ? 250 : 5000)) {
      last_progress = Clock::now();
      const ProbeStats stats = probe.stats();
      char planned[32] = "";
      if (!std::isinf(arguments.seconds)) {
        std::snprintf(planned, sizeof(planned), " / %.1f", arguments.seconds);
      }
      std::fprintf(stderr, "%s  %.1f%s s, %llu samples, %llu lost%s", terminal ? "\r" : "",
                   covered / info.sample_rate_hz, planned,
                   static_cast<unsigned long long>(stats.samples),
                   static_cast<unsigned long long>(stats.lost_samples), terminal ? "" : "\n");
    }
  }
  (void)probe.Stop();
  Status closed = (*writer)->Close();
  if (!closed.ok() && !failure) failure = closed.error();
  const ProbeStats stats = probe.stats();
  std::fprintf(stderr,
               "%scaptured %.3f s: %llu samples, %llu lost on the device, %llu dropped "
               "because the host fell behind, %llu stray bytes skipped, %llu events\n",
               terminal ? "\n" : "", covered / info.sample_rate_hz,
               static_cast<unsigned long long>(stats.samples),
               static_cast<unsigned long long>(stats.lost_samples),
               static_cast<unsigned long long>(stats.overflow_samples),
               static_cast<unsigned long long>(stats.garbage_bytes),
               static_cast<unsigned long long>(stats.events));
  // The DUT's replies go to stdout after the progress line, whole.
  const int dut_exit = dut_session ? dut_session->Report() : kExitOk;
  if (failure) {
    // A recording played to its end is a finished capture, not a failure.
    if (settings.uri.rfind("replay:", 0) == 0 &&
        failure->message().find("end of recording") != std::string::npos) {
      return kExitOk;
    }
    std::fprintf(stderr, "the samples before the failure are in %s\n", arguments.out.c_str());
    return Fail(*failure);
  }
  return dut_exit;
}

// Every kind's settings, from the probe table, for --help.
std::string ProbeSettingsHelp() {
  std::string text = "A setting of the probe's kind, KEY=VALUE (repeatable):";
  for (const probes::ProbeKind& kind : probes::ProbeTable()) {
    if (kind.settings.empty()) continue;
    text += "\n  " + kind.name + ":";
    for (const probes::SettingSpec& spec : kind.settings) {
      text += "\n    " + spec.key + "=";
      switch (spec.type) {
        case probes::SettingSpec::Type::kFlag:
          text += "true|false";
          break;
        case probes::SettingSpec::Type::kNumber:
          text += "N";
          break;
        case probes::SettingSpec::Type::kChoice:
          for (size_t i = 0; i < spec.choices.size(); ++i) text += (i ? "|" : "") + spec.choices[i];
          break;
      }
      text += "  " + spec.meaning;
    }
  }
  return text;
}

}  // namespace

void AddCaptureCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<CaptureArguments>();
  CLI::App* command = app.add_subcommand(
      "capture",
      "Record raw current from a power monitor to a trace file.\n\n"
      "Examples:\n"
      "  hil capture --probe ppk2 --connect serial:/dev/ttyACM0 --seconds 10 --out t.csv\n"
      "  hil capture --probe ppk2 --connect unix:/tmp/bench/ppk2.sock --raw raw.bin --out t.csv\n"
      "  hil capture --probe ppk2 --connect replay:raw.bin --out again.csv\n"
      "  hil capture --probe ppk2 --connect unix:bench/ppk2.sock --out t.hiltrace \\\n"
      "              --dut unix:/tmp/hil-qemu-XXXXXX/uart.sock --dut-command \"infer 6 1\"\n"
      "      (sends the DUT its commands once samples flow; ends 0.5 s after the reply)\n"
      "  hil capture --probe lpm01a --connect serial:/dev/ttyACM1@3686400 \\\n"
      "              --probe-setting format=binary --probe-setting rate_hz=100000 \\\n"
      "              --supply-mv 1800 --out t.hiltrace\n\n"
      "Exit codes: 0 captured, 2 bad arguments or a setting the device refused,\n"
      "3 the probe could not be reached or failed during the capture (the samples\n"
      "before the failure are kept in --out).");
  command->add_option("--probe", arguments->probe.kind, "Probe kind")
      ->required()
      ->check(CLI::IsMember(probes::ProbeKindNames()));
  command
      ->add_option("--connect", arguments->probe.uri,
                   "Where the probe is: serial:/dev/ttyACM0[@BAUD], unix:PATH, tcp:HOST:PORT, "
                   "replay:FILE")
      ->required();
  command
      ->add_option("--grace", arguments->grace,
                   "Seconds past --seconds after which a capture that has not got its "
                   "samples ends as an infrastructure error (exit 3)")
      ->capture_default_str();
  command->add_option("--seconds", arguments->seconds, "How long to capture")
      ->default_val(5)
      ->check(CLI::PositiveNumber);
  command->add_option("--out", arguments->out, "Trace file: .csv (text) or .hiltrace (binary)")
      ->required();
  command->add_option("--raw", arguments->probe.record_path,
                      "Also keep the raw bytes read, for --connect replay:FILE");
  command->add_option("--supply-mv", arguments->supply_mv,
                      "DUT supply in mV (PPK2 source meter sets it; otherwise it is stated)");
  command->add_option("--mode", arguments->mode, "PPK2: ampere (DUT has its own supply) or source")
      ->check(CLI::IsMember({"ampere", "source"}));
  command->add_flag("--spike-filter", arguments->spike_filter,
                    "PPK2: smooth the samples after a range switch, as the vendor app does");
  command->add_option("--rate", arguments->rate_hz, "LPM01A sample rate in Hz (ASCII up to 5000)");
  command
      ->add_option("--lpm-format", arguments->lpm_format,
                   "LPM01A stream: ascii (with D7 events) or binary (up to 100 kHz)")
      ->check(CLI::IsMember({"ascii", "binary"}));
  command->add_option("--probe-setting", arguments->settings, ProbeSettingsHelp());
  CLI::Option* dut =
      command->add_option("--dut", arguments->dut,
                          "A DUT that already runs the harness (as 'hil dut --connect'): the "
                          "capture sends it the --dut-command commands once samples flow and "
                          "ends --tail seconds after the last reply");
  command
      ->add_option("--dut-command", arguments->dut_commands,
                   "A protocol command for --dut without its '%', e.g. \"infer 6 1\" "
                   "(repeatable, sent in order)")
      ->needs(dut);
  dut->needs("--dut-command");
  command
      ->add_option("--tail", arguments->tail_s,
                   "With --dut: seconds captured after the last reply, so the trace passes the "
                   "last inference's falling edge")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--timeout", arguments->dut_timeout_s,
                   "With --dut: seconds allowed for an 'infer' reply")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->callback([arguments, command, &exit_code] {
    arguments->seconds_given = command->count("--seconds") > 0;
    exit_code = RunCapture(*arguments);
  });
}

}  // namespace hil::cli
