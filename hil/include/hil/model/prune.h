// Structured channel pruning without retraining: the output channels of a
// convolution or fully-connected layer with the smallest weight norms are
// removed, with everything that carries them channel by channel
// (depthwise convolutions, pools, element-wise activations, a reshape that
// only flattens), and the layer that mixes them into others (the next
// convolution or fully-connected layer) loses their inputs. Its bias takes
// each removed channel's mean contribution, measured on a dataset, so the
// mean of its output is kept. The result is a model WriteTflite writes as a
// valid .tflite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/model.h"

namespace hil::model {

// Where a channel runs: the operator that makes it, the operators that
// carry it channel by channel, and the one that mixes it (by index into
// Model::operators).
struct PruneChain {
  size_t producer = 0;
  std::vector<size_t> carriers;
  size_t consumer = 0;
  int32_t channels = 0;  // of the producer's output
};

// Each output channel's weight norm in real units (an int8 filter's
// dimension 0, times its per-channel scale): what pruning removes first.
std::vector<double> ChannelNorms(const Tensor& filter);

// Every chain in the model that can be pruned: int8, per-channel weights,
// a consumer with a bias.
std::vector<PruneChain> PruneChains(const Model& model);

// The mean of (value - zero point) of each channel of the tensor each
// chain's consumer reads, over every input of a dataset and every position:
// what a removed channel contributed on average. Runs hil's reference
// runtime on the host. Errors: configuration (the dataset, a model whose
// operators and runtime layers do not line up).
Result<std::vector<std::vector<double>>> ConsumerInputMeans(const Model& model,
                                                            const std::vector<PruneChain>& chains,
                                                            const std::string& dataset);

// How many of `channels` a fraction removes: rounded down, one kept.
int32_t PrunedCount(int32_t channels, double fraction);

// The model with fractions[i] of chain i's channels removed (PrunedCount),
// smallest weight norm first, the consumers' biases compensated with
// `means` (from ConsumerInputMeans). Errors: configuration.
Result<Model> PruneChannels(const Model& model, const std::vector<PruneChain>& chains,
                            const std::vector<std::vector<double>>& means,
                            const std::vector<double>& fractions);

}  // namespace hil::model
