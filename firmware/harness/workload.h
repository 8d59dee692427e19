/* The inference hook: what the harness runs when the host says "infer".
 *
 * A workload is a network split into layers. The harness drives the trigger
 * pins around run_layer calls, so a workload never touches a pin. The layer
 * micro-benchmarks implement this today; the NN runtime plugs real networks
 * into the same hook. */
#ifndef HIL_WORKLOAD_H
#define HIL_WORKLOAD_H

#include <stdint.h>

struct workload {
  const char *model_id;  /* reported by profile% as m-model-[...] */
  const char *kernels;   /* kernel set, e.g. "reference" */
  uint32_t input_bytes;  /* bytes of one input tensor */
  uint32_t output_count; /* values reported by m-results-[...] */
  uint32_t layer_count;

  /* Called once at boot: weights, buffers. */
  void (*init)(void);
  /* Loads an input tensor; shorter inputs are zero-padded. */
  void (*set_input)(const uint8_t *data, uint32_t length);
  const char *(*layer_op)(uint32_t layer);
  uint32_t (*layer_macs)(uint32_t layer);
  void (*run_layer)(uint32_t layer);
  /* Output value i of the last inference, dequantised. */
  float (*output)(uint32_t index);
  /* Optional: output value i as the network computed it (int8), so the
   * host can compare bits rather than three decimals (m-hil-raw-[...]). */
  int32_t (*output_raw)(uint32_t index);
  /* Optional: a framework that runs the whole network in one call (TFLM's
   * interpreter) instead of layer by layer. It calls
   * inference_layer_start(i) as layer i begins, so the harness still marks
   * each boundary on the layer pin. */
  void (*run_inference)(void);
  /* Optional: bytes of working memory the network really used (TFLM's
   * arena_used_bytes), reported by hil-info; 0 when not known. */
  uint32_t (*arena_used)(void);
};

/* Called by a run_inference workload at the start of each layer. */
void inference_layer_start(uint32_t layer);

/* Provided by exactly one workload linked into the firmware. */
extern const struct workload the_workload;

#endif
