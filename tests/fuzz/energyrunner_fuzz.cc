// libFuzzer target: any EnergyRunner session folder reads into a session or
// ends in a configuration error, never a crash or an allocation of what a
// file claims. The input is split into the session's three files at the
// first two 0x00 0x00 pairs: trace1-energy.bin, trace1-timestamps.json,
// log.txt.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "hil/mlperf/energyrunner.h"

namespace {

void Write(const std::string& path, std::string_view bytes) {
  if (std::FILE* file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fclose(file);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string folder = "/tmp/hil-fuzz-er-" + std::to_string(::getpid());
  std::filesystem::create_directories(folder);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  for (int i = 0; i < 2; ++i) {
    const size_t cut = input.find(std::string_view("\0\0", 2));
    parts[i] = input.substr(0, cut);
    input = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 2);
  }
  parts[2] = input;
  Write(folder + "/trace1-energy.bin", parts[0]);
  Write(folder + "/trace1-timestamps.json", parts[1]);
  Write(folder + "/log.txt", parts[2]);
  hil::Result<hil::mlperf::EnergyRunnerSession> session =
      hil::mlperf::ReadEnergyRunnerSession(folder);
  if (session.ok()) (void)hil::mlperf::MedianEnergyPerInference(*session);
  return 0;
}
