// libFuzzer target: any bytes given to the model compiler end in a model or
// a configuration error, never a crash, a hang or an out-of-bounds access
// (built with AddressSanitizer and UndefinedBehaviorSanitizer). A model
// that reads is analysed and planned, as "hil model info" would, lowered
// as int8 and as its float32 twin, as "hil model compile" would, and run
// once on the host's kernels when it is small enough to run quickly.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hil/model/analysis.h"
#include "hil/model/lowering.h"
#include "hil/model/tflite_reader.h"

namespace {

// Rough work of one inference, to skip running models that would time out.
int64_t Work(const hil::model::LoweredModel& lowered) {
  int64_t work = 0;
  for (const nn_layer& l : lowered.layers) {
    const int64_t out = int64_t{l.out.n} * l.out.h * l.out.w * l.out.c;
    const int64_t in = int64_t{l.in.n} * l.in.h * l.in.w * l.in.c;
    work += out * l.kernel_h * l.kernel_w * (l.op == NN_CONV_2D ? l.in.c : 1) + in;
    if (l.op == NN_FULLY_CONNECTED) work += out * l.in.c;
  }
  return work;
}

void LowerAndRun(const hil::model::Model& model) {
  hil::Result<std::unique_ptr<hil::model::LoweredModel>> lowered = hil::model::Lower(model, "fuzz");
  if (!lowered.ok()) return;
  if ((*lowered)->arena.bytes > (1 << 20) || Work(**lowered) > 5'000'000) return;
  const std::vector<uint8_t> input((*lowered)->input_bytes, 1);
  (void)hil::model::RunReference(**lowered, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hil::Result<hil::model::Model> model = hil::model::ReadTflite({data, size}, "fuzz");
  if (model.ok()) {
    (void)hil::model::AnalyseLayers(*model);
    (void)hil::model::PlanArena(*model);
    LowerAndRun(*model);
    LowerAndRun(hil::model::ToFloat32(*model));
  }
  return 0;
}
