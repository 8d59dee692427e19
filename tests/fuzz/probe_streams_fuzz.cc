// libFuzzer target: any bytes from a power monitor (PPK2, LPM01A in ASCII
// and binary, JS110) decode to samples, gaps and garbage counts, never a
// crash, an unbounded buffer or an absurd loss. The first byte picks the
// decoder and the size of the reads the bytes arrive in.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "probes/js110/codec.h"
#include "probes/lpm01a/stream_decoder.h"
#include "probes/ppk2/stream_decoder.h"

namespace {

template <typename Decoder>
void FeedInPieces(Decoder& decoder, std::span<const uint8_t> bytes, size_t piece) {
  std::vector<hil::SampleBlock> blocks;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    decoder.Feed(bytes.subspan(at, std::min(piece, bytes.size() - at)), blocks);
    blocks.clear();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t choice = data[0];
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const size_t piece = 1 + (choice >> 2) * 7;
  std::vector<hil::SampleBlock> blocks;
  switch (choice & 3) {
    case 0: {
      hil::ppk2::StreamDecoder decoder{hil::ppk2::DecoderOptions{}};
      FeedInPieces(decoder, bytes, piece);
      decoder.Finish(blocks);
      break;
    }
    case 1:
    case 2: {
      hil::lpm01a::DecoderOptions options;
      options.format = (choice & 3) == 1 ? hil::lpm01a::StreamFormat::kAscii
                                         : hil::lpm01a::StreamFormat::kBinary;
      options.rate_hz = 1000;
      hil::lpm01a::StreamDecoder decoder(options);
      FeedInPieces(decoder, bytes, piece);
      decoder.Finish(blocks);
      // The LPM01A stamps once a second: no run of bytes this short can
      // honestly report more loss than a minute per timestamp allows.
      if (decoder.counts().lost_samples > 1000ull * 61 * (bytes.size() + 1)) __builtin_trap();
      (void)decoder.TakeMessages();
      break;
    }
    default: {
      hil::js110::StreamDecoder decoder(hil::js110::Calibration{}, 0);
      FeedInPieces(decoder, bytes, piece);
      break;
    }
  }
  return 0;
}
