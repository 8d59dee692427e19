// Decoder throughput: PPK2 words to calibrated samples (decode, counter
// check, calibrate, block assembly), fed in 64 KiB reads as the driver
// reads them. The reference Python host library decodes about 0.5 MS/s on
// this kind of machine; the target is at least 100 times that on one core.
#include <benchmark/benchmark.h>

#include <random>

#include "probes/js110/codec.h"
#include "probes/lpm01a/stream_decoder.h"
#include "probes/ppk2/stream_decoder.h"

namespace {

std::vector<uint8_t> Ppk2Stream(size_t words) {
  std::mt19937 random(1);
  std::vector<uint8_t> bytes;
  bytes.reserve(4 * words);
  for (size_t k = 0; k < words; ++k) {
    const uint32_t word =
        (random() & 0x3FFF) | (random() % 5) << 14 | (k & 63) << 18 | (random() & 0xFF) << 24;
    for (int shift = 0; shift < 32; shift += 8)
      bytes.push_back(static_cast<uint8_t>(word >> shift));
  }
  return bytes;
}

void Feed(benchmark::State& state, const std::vector<uint8_t>& bytes, auto& decoder,
          size_t samples) {
  std::vector<hil::SampleBlock> blocks;
  for (auto _ : state) {
    for (size_t at = 0; at < bytes.size(); at += 65536) {
      decoder.Feed({bytes.data() + at, std::min<size_t>(65536, bytes.size() - at)}, blocks);
      blocks.clear();
    }
  }
  state.counters["MS/s"] = benchmark::Counter(
      static_cast<double>(samples) * state.iterations() / 1e6, benchmark::Counter::kIsRate);
}

void Ppk2DecodeAndCalibrate(benchmark::State& state) {
  const size_t words = 1'000'000;
  const std::vector<uint8_t> bytes = Ppk2Stream(words);
  hil::ppk2::DecoderOptions options;
  options.spike_filter = state.range(0) != 0;
  hil::ppk2::StreamDecoder decoder(options);
  Feed(state, bytes, decoder, words);
}
BENCHMARK(Ppk2DecodeAndCalibrate)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("spike_filter")
    ->Unit(benchmark::kMillisecond);

void Js110DecodeAndCalibrate(benchmark::State& state) {
  // The whole 16-bit packet index, so that each pass follows the last one
  // without a jump back (which the decoder drops as repeated frames).
  const size_t frames = 65'536;
  std::vector<uint8_t> bytes(frames * 512);
  std::mt19937 random(2);
  for (size_t f = 0; f < frames; ++f) {
    bytes[f * 512 + 2] = 0x00, bytes[f * 512 + 3] = 0x02;
    bytes[f * 512 + 4] = f & 0xFF, bytes[f * 512 + 5] = (f >> 8) & 0xFF;
    for (size_t i = 8; i < 512; ++i) bytes[f * 512 + i] = static_cast<uint8_t>(random() & 0xFC);
  }
  hil::js110::Calibration calibration;
  calibration.current_gain.fill(1e-9);
  calibration.voltage_gain.fill(1e-3);
  hil::js110::StreamDecoder decoder(calibration, 0);
  Feed(state, bytes, decoder, frames * 126);
}
BENCHMARK(Js110DecodeAndCalibrate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
