// The firmware image for one case: a prebuilt ELF the plan names, the image
// the hil build made (default flags), or one built now for the
// configuration's flags, cached per configuration and board.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/to_float.h"

namespace hil::run {

struct FirmwareRequest {
  std::string board;
  std::string workload;
  std::string optimisation = "-O2";
  std::vector<std::string> defines;
  std::string prebuilt;  // used as is when set
  std::string model;     // a .tflite file: compiled, and linked as the "model" workload
  std::string model_id;  // what profile% reports (an MLPerf id); empty: the model's file stem
  std::string framework = "hil";  // the model's runtime: hil (firmware/nn) or tflm
  std::string kernels =
      "reference";  // the kernel set: reference|simd (hil), reference|cmsis-nn (tflm)
  model::NumberFormat number_format = model::NumberFormat::kInt8;  // float32: the float twin
  bool fpu = true;  // false: built with -mfloat-abi=soft
};

struct Firmware {
  std::string elf;
  uint64_t text_bytes = 0, data_bytes = 0, bss_bytes = 0;
  std::string sha256;
  bool built_now = false;
};

class FirmwareBuilder {
 public:
  // cache_dir: where configuration builds live; empty: $HIL_CACHE_DIR, else
  // ~/.cache/hil.
  explicit FirmwareBuilder(std::string cache_dir = "");

  // Errors: configuration (a prebuilt ELF that is not one, a build that
  // fails on the configuration's flags: the log's tail is in the message),
  // infrastructure (the toolchain cannot be run).
  Result<Firmware> Provide(const FirmwareRequest& request,
                           const std::function<void(const std::string&)>& progress = {});

  const std::string& cache_dir() const { return cache_dir_; }

 private:
  Result<std::string> Build(const FirmwareRequest& request,
                            const std::function<void(const std::string&)>& progress);
  // The model's sources in the cache, compiled once per content, framework
  // and number format; returns the folder.
  Result<std::string> CompileModel(const FirmwareRequest& request, const std::string& digest,
                                   const std::function<void(const std::string&)>& progress);
  // TFLM's libraries for the request's board, optimisation and FPU, with the
  // kernel groups the compiled model names; returns their paths, in link
  // order.
  Result<std::vector<std::string>> BuildTflm(
      const FirmwareRequest& request, const std::string& model_dir,
      const std::function<void(const std::string&)>& progress);
  std::string cache_dir_;
};

// The TFLM source tree hil was configured with (HIL_TFLM_SOURCE_DIR, or the
// pinned commits CMake fetched), or $HIL_TFLM_ROOT; empty when there is none.
std::string TflmSourceRoot();

// Hex SHA-256 of a file's bytes. Errors: configuration (unreadable).
Result<std::string> Sha256OfFile(const std::string& path);

}  // namespace hil::run
