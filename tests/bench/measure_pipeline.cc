// The whole host path a PPK2 capture takes: wire bytes -> decode and
// calibrate -> trigger edges -> windows -> energy -> statistics. Targets:
// at least 50 MS/s on one core (500 times the PPK2's 100 kS/s), and an
// hour-long capture within 64 MB of peak memory.
//
// The stream is realistic rather than random: 10 mA inferences of 80 ms
// with 10 layers every 102.4 ms, 1 mA idle between them, a little noise,
// the inference pin on D0 and the layer pin on D1, as the virtual PPK2
// sends them. 1.024 s of it is encoded once and repeated (1.024 s is a
// whole number of 64-sample counter cycles, so the count runs on).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <random>

#include "hil/measure/measurement.h"
#include "hil/measure/summary.h"
#include "probes/ppk2/codec.h"
#include "probes/ppk2/stream_decoder.h"

namespace {

constexpr size_t kChunkSamples = 102'400;
constexpr size_t kPeriod = 10'240, kActive = 8'000, kLayers = 10;

std::vector<uint8_t> Chunk() {
  const hil::ppk2::Calibration calibration;
  std::mt19937 random(3);
  std::normal_distribution<double> noise(0, 20e-6);
  std::vector<uint8_t> bytes;
  bytes.reserve(4 * kChunkSamples);
  // The layer pin toggles between layers and keeps its level in between
  // inferences, as the harness drives it: 9 toggles an inference, 90 a
  // chunk, so the repeated chunk stays consistent.
  uint8_t layer_pin = 0;
  size_t previous_layer = 0;
  for (size_t i = 0; i < kChunkSamples; ++i) {
    const size_t phase = (i + kPeriod - 1000) % kPeriod;  // idle first
    const bool active = phase < kActive;
    const size_t layer = phase * kLayers / kActive;
    double amps = active ? 10e-3 + 0.5e-3 * static_cast<double>(layer) : 1e-3;
    amps += noise(random);
    if (active && layer != previous_layer && layer != 0) layer_pin ^= 1;
    if (active) previous_layer = layer;
    hil::ppk2::Sample sample = hil::ppk2::AmpsToSample(amps, calibration, 3.0);
    sample.counter = static_cast<uint8_t>(i & 63);
    sample.logic = static_cast<uint8_t>((active ? 1 : 0) | layer_pin << 1);
    const uint32_t word = hil::ppk2::EncodeWord(sample);
    for (int shift = 0; shift < 32; shift += 8)
      bytes.push_back(static_cast<uint8_t>(word >> shift));
  }
  return bytes;
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

// Runs `chunks` repetitions of the chunk through the whole path; returns
// the figures so the work cannot be optimised away.
hil::measure::CaseFigures Pipeline(const std::vector<uint8_t>& chunk, size_t chunks) {
  hil::ppk2::DecoderOptions decoder_options;
  decoder_options.vdd_v = 3.0;
  hil::ppk2::StreamDecoder decoder(decoder_options);
  hil::measure::MeasureOptions options;
  options.sample_rate_hz = hil::ppk2::kSampleRateHz;
  options.guard_s = 1e-3;
  hil::Result<std::unique_ptr<hil::measure::Measurement>> made =
      hil::measure::Measurement::Create(options);
  if (!made.ok()) std::abort();
  std::unique_ptr<hil::measure::Measurement> measurement = std::move(*made);
  std::vector<hil::SampleBlock> blocks;
  for (size_t c = 0; c < chunks; ++c) {
    for (size_t at = 0; at < chunk.size(); at += 65536) {
      decoder.Feed({chunk.data() + at, std::min<size_t>(65536, chunk.size() - at)}, blocks);
      for (const hil::SampleBlock& block : blocks) {
        if (!measurement->Feed(block).ok()) std::abort();
      }
      blocks.clear();
    }
  }
  decoder.Finish(blocks);
  for (const hil::SampleBlock& block : blocks) (void)measurement->Feed(block);
  measurement->Finish();
  return hil::measure::Summarize(measurement->windows(), measurement->baseline(), {});
}

void DecodeToEnergy(benchmark::State& state) {
  const std::vector<uint8_t> chunk = Chunk();
  const size_t chunks = static_cast<size_t>(state.range(0));
  const double rss_before = PeakRssMb();
  hil::measure::CaseFigures figures;
  for (auto _ : state) {
    figures = Pipeline(chunk, chunks);
    benchmark::DoNotOptimize(figures.energy_uj.mean);
  }
  const double samples = static_cast<double>(chunks * kChunkSamples);
  state.counters["MS/s"] = benchmark::Counter(
      samples * static_cast<double>(state.iterations()) / 1e6, benchmark::Counter::kIsRate);
  state.counters["capture_s"] = samples / hil::ppk2::kSampleRateHz;
  state.counters["windows"] = static_cast<double>(figures.used);
  state.counters["peak_MB"] = PeakRssMb();
  state.counters["growth_MB"] = PeakRssMb() - rss_before;
  if (figures.used != chunks * (kChunkSamples / kPeriod) || !figures.invalid.empty() ||
      figures.layers.size() != kLayers) {
    state.SkipWithError("the pipeline did not find every inference, valid, with its layers");
  }
}
// One minute of capture, repeated for timing; then one hour, once, for memory.
BENCHMARK(DecodeToEnergy)->Arg(59)->Unit(benchmark::kMillisecond);
BENCHMARK(DecodeToEnergy)->Arg(3516)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
