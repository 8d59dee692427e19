/* Element-wise and data-movement kernels: memory-bound, so both int8
 * kernel sets share them (as CMSIS-NN's gain is in the MAC loops). PAD,
 * CONCATENATION and RESHAPE move bytes and serve float32 layers too. */
#include <string.h>

#include "nn.h"
#include "nn_fixedpoint.h"
#include "nn_kernels.h"

static int32_t count(const struct nn_dims *d) { return d->n * d->h * d->w * d->c; }

/* TFLite's int8 ADD: both inputs move to a common scale with 20 bits of
 * headroom, are summed, and the sum is requantised. multiplier/shift hold
 * {input 1, input 2, output}. */
void nn_add_int8(const struct nn_layer *l, const int8_t *a, const int8_t *b, int8_t *out) {
  enum { kLeftShift = 20 };
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x = (a[i] - l->input_zero_point) * (1 << kLeftShift);
    const int32_t y = (b[i] - l->input2_zero_point) * (1 << kLeftShift);
    const int32_t sum = nn_requantize(x, l->multiplier[0], l->shift[0]) +
                        nn_requantize(y, l->multiplier[1], l->shift[1]);
    const int32_t value = nn_requantize(sum, l->multiplier[2], l->shift[2]) + l->output_zero_point;
    out[i] = (int8_t)nn_clamp(value, l->act_min, l->act_max);
  }
}

/* TFLite's int8 MUL: the product of the offset inputs, requantised. */
void nn_mul_int8(const struct nn_layer *l, const int8_t *a, const int8_t *b, int8_t *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t product = (a[i] - l->input_zero_point) * (b[i] - l->input2_zero_point);
    const int32_t value =
        nn_requantize(product, l->multiplier[0], l->shift[0]) + l->output_zero_point;
    out[i] = (int8_t)nn_clamp(value, l->act_min, l->act_max);
  }
}

/* Any int8 -> int8 function of one value (LOGISTIC, TANH, RELU, RELU6,
 * QUANTIZE): the compiler tabulates it, indexed by the value's byte. */
void nn_lookup_int8(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) out[i] = l->weights[(uint8_t)in[i]];
}

static int32_t element_bytes(const struct nn_layer *l) { return l->number == NN_FLOAT32 ? 4 : 1; }

/* Copies every input row into the output's rows side by side. */
void nn_concatenation(const struct nn_layer *l, uint8_t *arena, uint8_t *out) {
  const int32_t rows = l->in.n;
  int32_t row_bytes = 0;
  for (uint32_t p = 0; p < l->part_count; ++p) row_bytes += l->parts[2 * p + 1];
  int32_t column = 0;
  for (uint32_t p = 0; p < l->part_count; ++p) {
    const uint8_t *in = &arena[l->parts[2 * p]];
    const int32_t bytes = l->parts[2 * p + 1];
    for (int32_t r = 0; r < rows; ++r)
      memcpy(&out[r * row_bytes + column], &in[r * bytes], (size_t)bytes);
    column += bytes;
  }
}

/* Copies the input into the middle of the output and fills the border with
 * the value that means zero: the zero point, or 0.0f. */
void nn_pad(const struct nn_layer *l, const uint8_t *in, uint8_t *out) {
  const int32_t size = element_bytes(l);
  const int32_t total = count(&l->out);
  if (l->number == NN_FLOAT32) {
    const float zero = 0.0f;
    for (int32_t i = 0; i < total; ++i) memcpy(&out[i * 4], &zero, 4);
  } else {
    memset(out, l->output_zero_point, (size_t)total);
  }
  const size_t row = (size_t)(l->in.c * size);
  for (int32_t b = 0; b < l->in.n; ++b) {
    for (int32_t y = 0; y < l->in.h; ++y) {
      for (int32_t x = 0; x < l->in.w; ++x) {
        const int32_t to =
            ((b * l->out.h + y + l->pad_top) * l->out.w + x + l->pad_left) * l->out.c +
            l->pad_channel;
        memcpy(&out[to * size], &in[((b * l->in.h + y) * l->in.w + x) * l->in.c * size], row);
      }
    }
  }
}

void nn_reshape(const struct nn_layer *l, const uint8_t *in, uint8_t *out) {
  /* Same bytes, another shape: move them only if the planner put the
   * output elsewhere. */
  if (in != out) memmove(out, in, (size_t)(count(&l->in) * element_bytes(l)));
}
