#include "hil/run/case_runner.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "hil/boards.h"
#include "hil/measure/clock_sync.h"
#include "hil/measure/measurement.h"
#include "hil/measure/verification.h"
#include "hil/model/dataset.h"
#include "hil/model/lowering.h"
#include "hil/virtual_dut.h"
#include "measure_case.h"
#include "probes/probe_table.h"

namespace hil::run {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// A private folder for the bench's sockets: Unix socket paths must stay
// short, whatever --out is.
class SocketFolder {
 public:
  SocketFolder() {
    std::string pattern = (fs::temp_directory_path() / "hil-case-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~SocketFolder() {
    std::error_code error;
    if (!path_.empty()) fs::remove_all(path_, error);
  }
  bool ok() const { return !path_.empty(); }
  std::string File(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Test hook: $HIL_VIRTUAL_FAULTS = "CASE:knob=value,knob=value;CASE:..." sets
// the virtual probe's fault knobs (probes/virtual/README.md) for the case
// with that id, or every case for "*". Lets tests pull a probe out from
// under one case of a plan.
std::map<std::string, std::string> InjectedFaults(const std::string& case_id) {
  std::map<std::string, std::string> knobs;
  const char* spec = std::getenv("HIL_VIRTUAL_FAULTS");
  if (spec == nullptr) return knobs;
  std::string text = spec;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t end = std::min(text.find(';', at), text.size());
    const std::string entry = text.substr(at, end - at);
    const size_t colon = entry.rfind(':');
    if (colon != std::string::npos) {
      const std::string target = entry.substr(0, colon);
      if (target == "*" || target == case_id) {
        std::string list = entry.substr(colon + 1);
        size_t from = 0;
        while (from < list.size()) {
          const size_t comma = std::min(list.find(',', from), list.size());
          const std::string knob = list.substr(from, comma - from);
          const size_t equals = knob.find('=');
          if (equals != std::string::npos) knobs[knob.substr(0, equals)] = knob.substr(equals + 1);
          from = comma + 1;
        }
      }
    }
    at = end + 1;
  }
  return knobs;
}

// The whole capture as energy per bin of 1 ms (or per sample, when the
// probe's rate is not a multiple of 1 kHz), for the EnergyRunner layout.
class EnergyBins {
 public:
  explicit EnergyBins(double rate_hz)
      : rate_(rate_hz),
        per_bin_(rate_hz >= 1000 && std::fmod(rate_hz, 1000) == 0
                     ? static_cast<uint64_t>(rate_hz / 1000)
                     : 1) {}

  void Add(const SampleBlock& block) {
    for (size_t i = 0; i < block.size(); ++i) {
      const uint64_t bin = (block.first_index + i) / per_bin_;
      if (bin >= kMaxBins) return;  // hours of capture: the rest is left out
      if (bin >= bins_.size()) bins_.resize(bin + 1, 0.0);
      const double volts =
          block.voltage_samples_v.empty() ? block.voltage_v : block.voltage_samples_v[i];
      bins_[bin] += block.current_a[i] * volts / rate_ * 1e6;
    }
  }

  EnergyTrace Take() {
    EnergyTrace trace;
    trace.sample_rate_hz = rate_ / static_cast<double>(per_bin_);
    trace.energy_uj.assign(bins_.begin(), bins_.end());
    bins_.clear();
    return trace;
  }

 private:
  static constexpr uint64_t kMaxBins = 20'000'000;
  double rate_;
  uint64_t per_bin_;
  std::vector<double> bins_;  // summed in double, stored as EnergyRunner's float32
};

// Keeps the last couple of seconds of samples until the first window has
// closed, then cuts the stretch around it for the report.
class TraceKeeper {
 public:
  explicit TraceKeeper(double rate_hz) : rate_(rate_hz) {}

  void Keep(const SampleBlock& block) {
    if (done_) return;
    kept_.push_back(block);
    samples_ += block.size();
    while (kept_.size() > 1 && samples_ - kept_.front().size() > static_cast<size_t>(2 * rate_)) {
      samples_ -= kept_.front().size();
      kept_.pop_front();
    }
  }

  // Once the engine has closed a window of `kind`, cuts the snippet.
  void Look(const std::vector<measure::Window>& windows, measure::WindowKind kind,
            TraceSnippet& out) {
    if (done_) return;
    for (const measure::Window& w : windows) {
      if (w.kind != kind || !w.valid()) continue;
      Cut(w, out);
      done_ = true;
      kept_.clear();
      return;
    }
  }

 private:
  void Cut(const measure::Window& w, TraceSnippet& out) {
    const double margin = 0.15 * w.duration_s;
    const double from = (w.start_s - margin) * rate_, to = (w.end_s + margin) * rate_;
    std::vector<std::pair<double, double>> points;  // (index, amps)
    for (const SampleBlock& block : kept_) {
      for (size_t i = 0; i < block.size(); ++i) {
        const double index = static_cast<double>(block.first_index + i);
        if (index >= from && index <= to) points.emplace_back(index, block.current_a[i]);
      }
    }
    const size_t buckets = 750;
    const size_t per = std::max<size_t>(1, (points.size() + buckets - 1) / buckets);
    for (size_t at = 0; at < points.size(); at += per) {
      const size_t end = std::min(points.size(), at + per);
      if (per == 1) {
        out.time_s.push_back(points[at].first / rate_);
        out.current_ma.push_back(points[at].second * 1e3);
        continue;
      }
      // Min and max of the stretch, in time order, so spikes survive.
      size_t low = at, high = at;
      for (size_t k = at; k < end; ++k) {
        if (points[k].second < points[low].second) low = k;
        if (points[k].second > points[high].second) high = k;
      }
      for (size_t k : {std::min(low, high), std::max(low, high)}) {
        out.time_s.push_back(points[k].first / rate_);
        out.current_ma.push_back(points[k].second * 1e3);
      }
    }
    out.window_start_s = w.start_s;
    out.window_end_s = w.end_s;
    double t = w.start_s;
    for (size_t l = 0; l + 1 < w.layers.size(); ++l) {
      t += w.layers[l].duration_s;
      out.boundaries_s.push_back(t);
    }
  }

  double rate_;
  std::deque<SampleBlock> kept_;
  size_t samples_ = 0;
  bool done_ = false;
};

// Host GPIO edges read so far, on the probe's timeline. Every edge before
// the read is in the kernel's queue by then, so the host clock advances to
// the moment of the read.
Status FeedHostEdges(bench::UpBench& bench, const measure::ClockSync& sync,
                     measure::Measurement& measurement) {
  if (!sync.ready()) return OkStatus();
  const double read_at_s = static_cast<double>(gpio::MonotonicNowNs()) * 1e-9;
  Result<std::vector<gpio::HostEdge>> edges = bench.host_gpio->ReadEdges(milliseconds(0));
  if (!edges.ok()) return edges.error();
  for (const gpio::HostEdge& edge : *edges) {
    const double position = sync.ToPosition(static_cast<double>(edge.timestamp_ns) * 1e-9);
    HIL_RETURN_IF_ERROR(
        measurement.AddHostEdge(bench.host_roles.at(edge.input), edge.rising, position));
  }
  measurement.AdvanceHostClock(sync.ToPosition(read_at_s));
  return OkStatus();
}

}  // namespace

Status RunVirtualCase(const plan::Plan& plan, const plan::Case& c, const Firmware& firmware,
                      CaseResult& result, const Progress& progress) {
  SocketFolder folder;
  if (!folder.ok()) return InfrastructureError("cannot create a folder for the bench's sockets");
  bench::BringUpOptions options;
  options.firmware = firmware.elf;
  options.open_probe = true;
  options.progress = progress;
  VirtualDutOptions& dut = options.virtual_dut;
  dut.openocd.progress = progress;
  dut.energy.profile = plan.bench.energy_profile.empty() ? c.board : plan.bench.energy_profile;
  dut.energy.truth_path = folder.File("truth.jsonl");
  dut.energy.probe_socket = folder.File("probe.sock");
  dut.energy.probe_faults = InjectedFaults(c.id);
  dut.energy.realtime = plan.bench.pace == "realtime";
  bench::BenchSpec described = plan.bench;  // the plan's bench, on this case's board
  described.name = "virtual";
  described.board = c.board;
  Result<bench::UpBench> up = bench::BringUp(described, options);
  if (!up.ok()) return up.error();
  return MeasureCase(plan, c, *up, result, progress);
}

Status MeasureCase(const plan::Plan& plan, const plan::Case& c, bench::UpBench& up,
                   CaseResult& result, const Progress& progress) {
  const auto step = [&](const std::string& text) {
    if (progress) progress(text);
  };
  PowerProbe& probe = *up.probe;
  Result<std::vector<dut::Layer>> layers = up.link()->Layers();
  if (!layers.ok()) return up.Explain(layers.error());
  for (const dut::Layer& layer : *layers) result.layer_ops.push_back(layer.op);
  // The id MLPerf Tiny's runner picks its scripts by.
  Result<dut::Profile> profile = up.link()->GetProfile();
  if (!profile.ok()) return up.Explain(profile.error());
  result.model_id = profile->model;
  // Plain MLPerf Tiny firmware has no hil-info: then neither is known.
  if (Result<dut::HarnessInfo> info = up.link()->Info(); info.ok()) {
    result.kernels = info->kernels;
    result.arena_bytes = info->arena_bytes;
  }
  measure::MeasureOptions measure_options;
  measure_options.sample_rate_hz = probe.info().sample_rate_hz;
  measure_options.triggers = up.triggers;
  for (measure::TriggerWiring& wiring : measure_options.triggers) {
    wiring.min_pulse_s = plan.measurement.min_pulse_us * 1e-6;
  }
  measure_options.guard_s = plan.measurement.guard_us * 1e-6;
  measure_options.layer_sum_tolerance_pct = plan.verification.layer_sum_pct;
  // The harness says how many layers an inference has: the edges must agree.
  if (!layers->empty()) measure_options.expected_layers = layers->size();
  Result<std::unique_ptr<measure::Measurement>> engine =
      measure::Measurement::Create(measure_options);
  if (!engine.ok()) return engine.error();
  measure::Measurement& measurement = **engine;
  const bool timestamp_style = plan.measurement.window == measure::WindowKind::kTimestamp;

  if (timestamp_style) HIL_RETURN_IF_ERROR(up.link()->SetWindowStyle(dut::WindowStyle::kTimestamp));
  std::vector<uint8_t> input;  // kept for the reference output below
  if (!c.network->input.empty()) {
    Result<std::vector<uint8_t>> read = model::ReadInput(c.network->input);
    if (!read.ok()) return read.error();
    input = std::move(*read);
    step("loading the input tensor");
    Status loaded = up.link()->LoadBuffer(input);
    if (!loaded.ok()) return up.Explain(loaded.error());
  }

  HIL_RETURN_IF_ERROR(probe.Start());
  // The engine takes the stream as it comes, on a thread of its own, so the
  // probe's queue never fills while the DUT works. Host GPIO edges join it
  // there, placed on the probe's clock by the blocks' arrival times.
  Status fed = OkStatus();
  measure::ClockSync clock_sync(measure_options.sample_rate_hz);
  TraceKeeper keeper(measure_options.sample_rate_hz);
  EnergyBins bins(measure_options.sample_rate_hz);
  const measure::WindowKind kind =
      timestamp_style ? measure::WindowKind::kTimestamp : measure::WindowKind::kInference;
  std::atomic<bool> streaming{false}, consumer_done{false};
  std::thread consumer([&] {
    struct Done {
      std::atomic<bool>& flag;
      ~Done() { flag = true; }
    } done{consumer_done};
    for (;;) {
      SampleBlock block;
      Result<PowerProbe::Poll> poll = probe.Next(block, milliseconds(200));
      if (!poll.ok()) {
        fed = poll.error();
        return;
      }
      if (*poll == PowerProbe::Poll::kEnd) return;
      if (*poll != PowerProbe::Poll::kBlock) continue;
      const double arrived_s = static_cast<double>(gpio::MonotonicNowNs()) * 1e-9;
      keeper.Keep(block);
      if (timestamp_style) bins.Add(block);
      if (Status status = measurement.Feed(block); !status.ok() && fed.ok()) fed = status;
      streaming = true;
      if (!up.host_roles.empty()) {
        clock_sync.Observe(arrived_s, block.first_index + block.size());
        if (Status status = FeedHostEdges(up, clock_sync, measurement); !status.ok() && fed.ok())
          fed = status;
      }
      keeper.Look(measurement.windows(), kind, result.trace);
    }
  });
  // The DUT is commanded only once samples flow: an inference that began
  // before the stream would lose its rising edge (a busy host, a slow probe).
  const auto stream_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!streaming && !consumer_done && std::chrono::steady_clock::now() < stream_deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  if (!streaming) {
    (void)probe.Stop();
    consumer.join();
    HIL_RETURN_IF_ERROR(fed);
    return InfrastructureError("the " + probe.info().kind +
                               " started but sent no samples within 10 s");
  }
  // Timestamp windows: one `infer runs warmup` per window, as MLPerf's
  // runner commands them; per-inference windows: one command for all.
  const uint32_t commands = timestamp_style ? plan.measurement.windows : 1;
  Result<dut::InferenceRun> run = InfrastructureError("no inference was run");
  for (uint32_t w = 0; w < commands; ++w) {
    step("running " + std::to_string(plan.measurement.warmup) + " warm-up and " +
         std::to_string(plan.measurement.runs) + " measured inferences" +
         (commands > 1
              ? " (window " + std::to_string(w + 1) + " of " + std::to_string(commands) + ")"
              : std::string()));
    run = up.link()->Infer(plan.measurement.runs, plan.measurement.warmup, milliseconds(600000));
    if (!run.ok()) break;
  }
  // A command after the run lets the stream pass the last edge.
  Result<std::string> name = run.ok() ? up.link()->Name() : Result<std::string>(std::string());
  Status stopped = probe.Stop();
  consumer.join();
  if (!run.ok()) return up.Explain(run.error());
  if (!name.ok()) return up.Explain(name.error());
  HIL_RETURN_IF_ERROR(stopped);
  HIL_RETURN_IF_ERROR(fed);
  measurement.Finish();
  result.outputs = run->results;
  const ProbeStats stats = probe.stats();
  result.verification.samples_lost = stats.lost_samples + stats.overflow_samples;

  // Outputs against the host's reference, bit for bit: the measured run's,
  // then every input of the dataset (outside the measurement).
  if (!c.network->model.empty()) {
    Result<std::unique_ptr<model::LoweredModel>> reference =
        model::LowerFile(c.network->model, c.network->name, c.configuration->number_format);
    if (!reference.ok()) return reference.error();
    // int8 outputs (either framework) and hil's float32 ones must equal the
    // host's bit for bit. TFLM's float kernels sum in their own order and
    // call the C library's expf, so a float32 TFLM network is held to a
    // relative 1e-5 of the largest output instead.
    const bool tolerant = c.configuration->framework == "tflm" &&
                          c.configuration->number_format == model::NumberFormat::kFloat32;
    constexpr double kFloatTolerance = 1e-5;
    if (tolerant) result.verification.outputs_compared = "relative 1e-5";
    const model::LoweredModel& lowered = **reference;
    const auto same = [&](const model::ModelOutput& host, const std::vector<int32_t>& device) {
      if (host.raw.size() != device.size()) return false;
      double largest = 0, error = 0;
      for (size_t i = 0; i < device.size(); ++i) {
        const double want = host.values[i], got = lowered.Value(device[i]);
        largest = std::max(largest, std::fabs(want));
        error = std::max(error, std::fabs(want - got));
      }
      result.verification.max_output_error = std::max(result.verification.max_output_error, error);
      return tolerant ? error <= kFloatTolerance * largest : host.raw == device;
    };
    if (!c.network->input.empty()) {
      Result<model::ModelOutput> expected = model::RunReference(**reference, input);
      if (!expected.ok()) return expected.error().WithContext(c.network->input);
      result.verification.outputs_match = same(*expected, run->raw);
    }
    if (!c.network->dataset.empty()) {
      // Checked when the plan was read; again here, as the files may have
      // changed since.
      Result<std::vector<model::LabelledInput>> entries =
          model::CheckDataset(c.network->dataset, **reference);
      if (!entries.ok()) return entries.error();
      model::DatasetScorer scorer(**reference);
      DatasetResult dataset;
      for (size_t k = 0; k < entries->size(); ++k) {
        const model::LabelledInput& entry = (*entries)[k];
        step("dataset " + std::to_string(k + 1) + "/" + std::to_string(entries->size()));
        Result<std::vector<uint8_t>> sample =
            model::ReadInput((fs::path(c.network->dataset) / entry.file).string());
        if (!sample.ok()) return sample.error();
        Status loaded = up.link()->LoadBuffer(*sample);
        if (!loaded.ok()) return up.Explain(loaded.error());
        Result<dut::InferenceRun> one = up.link()->Infer(1, 0, milliseconds(120000));
        if (!one.ok()) return up.Explain(one.error());
        Result<model::ModelOutput> expected = model::RunReference(**reference, *sample);
        if (!expected.ok()) return expected.error().WithContext(entry.file);
        ++dataset.inputs;
        if (same(*expected, one->raw)) {
          ++dataset.matched;
        } else if (dataset.first_mismatch.empty()) {
          dataset.first_mismatch = entry.file;
        }
        // Scored from the DUT's outputs as real values.
        std::vector<float> values(one->raw.size());
        for (size_t i = 0; i < values.size(); ++i) values[i] = (*reference)->Value(one->raw[i]);
        scorer.Add(*sample, values, entry.label);
      }
      dataset.metric = model::MetricName(scorer.metric());
      dataset.correct = scorer.correct();
      if (scorer.metric() == model::DatasetMetric::kAuc) dataset.auc = scorer.Auc();
      result.verification.outputs_match =
          dataset.matched == dataset.inputs && result.verification.outputs_match.value_or(true);
      result.dataset = dataset;
    }
  }

  step("verifying");
  std::vector<measure::Window>& windows = measurement.windows();
  Result<std::vector<measure::TruthWindow>> truth = std::vector<measure::TruthWindow>();
  if (up.has_ground_truth()) truth = up.GroundTruth();
  if (!truth.ok()) return truth.error();
  measure::TruthCheckOptions truth_options;
  truth_options.sample_rate_hz = measure_options.sample_rate_hz;
  truth_options.energy_tolerance_pct = plan.verification.ground_truth_energy_pct;
  truth_options.latency_tolerance_pct = plan.verification.ground_truth_latency_pct;
  // Only the measured run's windows: the dataset's inferences came after.
  std::vector<measure::TruthWindow> measured_truth;
  size_t inference_windows = 0, timestamp_windows = 0;
  for (const measure::TruthWindow& t : *truth) {
    if (t.kind == measure::WindowKind::kInference && !timestamp_style &&
        inference_windows++ < plan.measurement.runs) {
      measured_truth.push_back(t);
    } else if (t.kind == measure::WindowKind::kTimestamp && timestamp_style &&
               timestamp_windows++ < commands) {
      measured_truth.push_back(t);
    }
  }
  // A real bench has no ground truth: its figures rest on the firmware's
  // timer and the layer sums alone.
  const measure::TruthCheck truth_check =
      up.has_ground_truth()
          ? measure::CompareWithGroundTruth(windows, measured_truth, truth_options)
          : measure::TruthCheck{};
  std::vector<std::string> problems = truth_check.problems;
  if (!timestamp_style) {
    measure::CrossCheckOptions timer;
    timer.sample_rate_hz = measure_options.sample_rate_hz;
    timer.tolerance_pct = plan.verification.firmware_timer_pct;
    const std::vector<double> firmware_us(run->inference_us.begin(), run->inference_us.end());
    const measure::LatencyCrossCheck crosscheck =
        measure::CrossCheckLatency(windows, firmware_us, timer);
    result.verification.latency_crosscheck_error_pct = crosscheck.max_error_pct;
    problems.insert(problems.end(), crosscheck.problems.begin(), crosscheck.problems.end());
  }

  measure::SummaryOptions summary;
  summary.kind = plan.measurement.window;
  summary.inferences_per_window = timestamp_style ? plan.measurement.runs : 1;
  summary.mlperf = plan.measurement.mlperf;
  summary.min_window_s = plan.measurement.min_window_s;
  result.figures = measure::Summarize(windows, measurement.baseline(), summary);
  if (timestamp_style) {
    EnergyTrace trace = bins.Take();
    trace.inferences_per_window = plan.measurement.runs;
    for (const measure::Window& w : windows) {
      if (w.kind == measure::WindowKind::kTimestamp && w.valid())
        trace.windows_s.emplace_back(w.start_s, w.end_s);
    }
    if (!trace.windows_s.empty()) result.energy_trace = std::move(trace);
  }
  result.figures.problems.insert(result.figures.problems.end(), problems.begin(), problems.end());

  Verification& v = result.verification;
  v.layer_sum_error_pct = result.figures.max_layer_sum_error_pct;
  v.has_ground_truth = truth_check.compared > 0;
  const double per = static_cast<double>(summary.inferences_per_window);
  v.truth_latency_us = truth_check.mean_latency_s / per * 1e6;
  v.truth_energy_uj = truth_check.mean_energy_j / per * 1e6;
  v.truth_instructions = truth_check.mean_instructions / per;
  v.truth_latency_error_pct = truth_check.max_latency_error_pct;
  v.truth_energy_error_pct = truth_check.max_energy_error_pct;
  return OkStatus();
}

}  // namespace hil::run
