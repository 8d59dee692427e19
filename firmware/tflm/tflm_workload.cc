// A network run by TensorFlow Lite Micro: the model's .tflite bytes and
// tables as "hil model compile --framework tflm" emits them (tflm_model.h),
// an op resolver holding exactly the model's operators, and an arena sized
// from the model. TFLM's interpreter runs the whole graph in one Invoke, so a
// profiler marks the start of each operator on the layer pin, which is how
// the research instrumented TFLM.
#include <cstring>
#include <new>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/micro_profiler_interface.h"
#include "tflm_model.h"

extern "C" {
#include "workload.h"
void fault_report(const char *what);
}

// The last message TFLM logged (tflm_support.cc), for fault reports.
extern const char *tflm_last_message();

namespace {

class LayerPinProfiler : public tflite::MicroProfilerInterface {
 public:
  // The interpreter calls this right before each operator's Invoke.
  uint32_t BeginEvent(const char *) override {
    inference_layer_start(next_layer_);
    return next_layer_++;
  }
  void EndEvent(uint32_t) override {}
  void Restart() { next_layer_ = 0; }

 private:
  uint32_t next_layer_ = 0;
};

using Resolver = tflite::MicroMutableOpResolver<HIL_TFLM_OP_COUNT>;

alignas(16) uint8_t arena[HIL_TFLM_ARENA_BYTES];
// The input as the host loaded it. TFLM's planner lets later tensors reuse
// the input tensor's bytes once its last reader has run, so each inference
// writes it again, as an application does before every Invoke.
alignas(16) uint8_t input_copy[HIL_MODEL_INPUT_BYTES];
// Built in place at init: no heap, and no order-of-construction questions.
alignas(Resolver) unsigned char resolver_storage[sizeof(Resolver)];
alignas(
    tflite::MicroInterpreter) unsigned char interpreter_storage[sizeof(tflite::MicroInterpreter)];
alignas(LayerPinProfiler) unsigned char profiler_storage[sizeof(LayerPinProfiler)];
tflite::MicroInterpreter *interpreter;
LayerPinProfiler *profiler;

void Fail(const char *what) {
  static char message[200];
  const char *detail = tflm_last_message();
  std::strncpy(message, what, sizeof message - 1);
  if (detail[0] != '\0') {
    std::strncat(message, ": ", sizeof message - std::strlen(message) - 1);
    std::strncat(message, detail, sizeof message - std::strlen(message) - 1);
  }
  fault_report(message);
}

void TflmInit() {
  const tflite::Model *model = tflite::GetModel(hil_tflm_model);
  if (model->version() != TFLITE_SCHEMA_VERSION) Fail("tflm: the model's schema version differs");
  Resolver *resolver = new (resolver_storage) Resolver();
#define HIL_TFLM_ADD(method) \
  if (resolver->method() != kTfLiteOk) Fail("tflm: cannot register " #method);
  HIL_TFLM_OPS(HIL_TFLM_ADD)
#undef HIL_TFLM_ADD
  profiler = new (profiler_storage) LayerPinProfiler();
  interpreter = new (interpreter_storage)
      tflite::MicroInterpreter(model, *resolver, arena, sizeof arena, nullptr, profiler);
  if (interpreter->AllocateTensors() != kTfLiteOk) Fail("tflm: AllocateTensors failed");
  if (interpreter->inputs_size() != 1 || interpreter->outputs_size() != 1 ||
      interpreter->input(0)->bytes != HIL_MODEL_INPUT_BYTES ||
      interpreter->output(0)->bytes != HIL_MODEL_OUTPUT_COUNT * HIL_MODEL_OUTPUT_ELEMENT_BYTES) {
    Fail("tflm: the interpreter's input or output differs from the compiled tables");
  }
}

void TflmSetInput(const uint8_t *data, uint32_t length) {
  const uint32_t copied = length < HIL_MODEL_INPUT_BYTES ? length : HIL_MODEL_INPUT_BYTES;
  std::memcpy(input_copy, data, copied);
  std::memset(input_copy + copied, 0, HIL_MODEL_INPUT_BYTES - copied);
}

const char *TflmLayerOp(uint32_t layer) { return hil_tflm_layer_names[layer]; }
uint32_t TflmLayerMacs(uint32_t layer) { return hil_tflm_layer_macs[layer]; }

// TFLM runs the graph in one call; run_inference replaces it.
void TflmRunLayer(uint32_t) {}

void TflmRunInference() {
  std::memcpy(interpreter->input(0)->data.uint8, input_copy, HIL_MODEL_INPUT_BYTES);
  profiler->Restart();
  if (interpreter->Invoke() != kTfLiteOk) Fail("tflm: Invoke failed");
}

// int8 outputs as their values, float32 ones as their bits: the host
// compares either bit for bit with its reference.
int32_t TflmOutputRaw(uint32_t index) {
  const TfLiteTensor *output = interpreter->output(0);
  if (output->type == kTfLiteFloat32) {
    int32_t bits;
    std::memcpy(&bits, &output->data.f[index], sizeof bits);
    return bits;
  }
  return output->data.int8[index];
}

float TflmOutput(uint32_t index) {
  const TfLiteTensor *output = interpreter->output(0);
  if (output->type == kTfLiteFloat32) return output->data.f[index];
  return static_cast<float>(output->data.int8[index] - output->params.zero_point) *
         output->params.scale;
}

uint32_t TflmArenaUsed() { return static_cast<uint32_t>(interpreter->arena_used_bytes()); }

}  // namespace

extern "C" const struct workload the_workload = {
    .model_id = HIL_MODEL_ID,
    .kernels = HIL_TFLM_KERNELS_NAME,
    .input_bytes = HIL_MODEL_INPUT_BYTES,
    .output_count = HIL_MODEL_OUTPUT_COUNT,
    .layer_count = HIL_MODEL_LAYERS,
    .init = TflmInit,
    .set_input = TflmSetInput,
    .layer_op = TflmLayerOp,
    .layer_macs = TflmLayerMacs,
    .run_layer = TflmRunLayer,
    .output = TflmOutput,
    .output_raw = TflmOutputRaw,
    .run_inference = TflmRunInference,
    .arena_used = TflmArenaUsed,
};
