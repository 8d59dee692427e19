// libFuzzer target: any bytes given to the TFLite reader end in a model or
// a configuration error, never a crash, a hang or an out-of-bounds read
// (built with AddressSanitizer and UndefinedBehaviorSanitizer). A model
// that reads is also analysed and planned, as "hil model info" would.
#include <cstddef>
#include <cstdint>

#include "hil/model/analysis.h"
#include "hil/model/tflite_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hil::Result<hil::model::Model> model = hil::model::ReadTflite({data, size}, "fuzz");
  if (model.ok()) {
    (void)hil::model::AnalyseLayers(*model);
    (void)hil::model::PlanArena(*model);
  }
  return 0;
}
