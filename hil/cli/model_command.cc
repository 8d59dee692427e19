#include "model_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "hil/model/analysis.h"
#include "hil/model/dataset.h"
#include "hil/model/emit_c.h"
#include "hil/model/emit_tflm.h"
#include "hil/model/lowering.h"
#include "hil/model/tflite_reader.h"
#include "hil/plan/plan.h"

namespace hil::cli {
namespace {

int Fail(const Error& error) {
  std::fprintf(stderr, "hil model: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

std::string TensorText(const model::Model& m, int32_t index) {
  const model::Tensor& t = m.tensors[index];
  std::string text =
      "'" + t.name + "' " + model::TensorTypeName(t.type) + " " + model::ShapeText(t.shape);
  if (t.quantization.present() && t.quantization.scale.size() == 1) {
    char q[64];
    std::snprintf(q, sizeof q, " (scale %.6g, zero point %lld)", t.quantization.scale[0],
                  static_cast<long long>(
                      t.quantization.zero_point.empty() ? 0 : t.quantization.zero_point[0]));
    text += q;
  }
  return text;
}

int Info(const std::string& path) {
  Result<model::Model> read = model::ReadTfliteFile(path);
  if (!read.ok()) return Fail(read.error());
  const model::Model& m = *read;
  const std::vector<model::LayerInfo> layers = model::AnalyseLayers(m);
  const model::ArenaPlan arena = model::PlanArena(m);
  int64_t macs = 0, weights = 0;
  for (const model::LayerInfo& l : layers) macs += l.macs, weights += l.weight_bytes;
  std::printf("%s: TFLite schema version %u, %zu layers, %zu tensors\n", path.c_str(), m.version,
              layers.size(), m.tensors.size());
  for (int32_t input : m.inputs) std::printf("  input  %s\n", TensorText(m, input).c_str());
  for (int32_t output : m.outputs) std::printf("  output %s\n", TensorText(m, output).c_str());
  std::printf("\n  %-5s %-18s %-16s %-16s %12s %10s  %s\n", "layer", "op", "input", "output",
              "MACs", "weights", "output tensor");
  for (const model::LayerInfo& l : layers) {
    std::printf("  %-5zu %-18s %-16s %-16s %12lld %10lld  %s\n", l.index, l.op.c_str(),
                model::ShapeText(l.input_shape).c_str(), model::ShapeText(l.output_shape).c_str(),
                static_cast<long long>(l.macs), static_cast<long long>(l.weight_bytes),
                l.output_name.c_str());
  }
  std::printf("\n  total: %lld MACs, %lld weight bytes, %lld arena bytes for activations\n",
              static_cast<long long>(macs), static_cast<long long>(weights),
              static_cast<long long>(arena.bytes));
  return kExitOk;
}

// The CLI checked the word against the same list (AddNumberFormat).
model::NumberFormat FormatNamed(const std::string& name) {
  return FromText<model::NumberFormat>(name).value_or(model::NumberFormat::kInt8);
}

Result<std::unique_ptr<model::LoweredModel>> Load(const std::string& path,
                                                  const std::string& number_format = "int8") {
  Result<std::unique_ptr<model::LoweredModel>> lowered = model::LowerFile(
      path, std::filesystem::path(path).stem().string(), FormatNamed(number_format));
  if (!lowered.ok()) return lowered.error().WithContext(path);
  return lowered;
}

int Compile(const std::string& path, const std::string& out, const std::string& number_format,
            const std::string& framework, const std::string& mlperf_id) {
  const std::string id =
      mlperf_id.empty() ? std::filesystem::path(path).stem().string() : mlperf_id;
  if (framework == "tflm") {
    const Status written = model::EmitTflmFile(path, id, FormatNamed(number_format), out);
    if (!written.ok()) return Fail(written.error());
    std::printf("%s -> %s/tflm_model.h, tflm_model_data.cc, tflm_kernels.txt (for TFLM)\n",
                path.c_str(), out.c_str());
    return kExitOk;
  }
  Result<std::unique_ptr<model::LoweredModel>> lowered = Load(path, number_format);
  if (!lowered.ok()) return Fail(lowered.error());
  (*lowered)->id = id;
  const Status written = model::EmitC(**lowered, out);
  if (!written.ok()) return Fail(written.error());
  int64_t weights = 0;
  for (const auto& blob : (*lowered)->weights) weights += static_cast<int64_t>(blob.size());
  for (const auto& blob : (*lowered)->words) weights += static_cast<int64_t>(4 * blob.size());
  for (const auto& blob : (*lowered)->floats) weights += static_cast<int64_t>(4 * blob.size());
  std::printf(
      "%s -> %s/model_data.c, model_data.h: %zu layers, %lld constant bytes, %lld arena bytes\n",
      path.c_str(), out.c_str(), (*lowered)->layers.size(), static_cast<long long>(weights),
      static_cast<long long>((*lowered)->arena.bytes));
  return kExitOk;
}

struct RunArguments {
  std::string model, input, dataset, number_format = "int8";
  size_t random = 0;
  uint64_t seed = 1;
  bool json = false;
};

// Label names for one input: those of the dataset it sits in, if any, and
// its own label there.
struct InputLabels {
  std::vector<std::string> names;
  std::optional<size_t> label;
};

InputLabels LabelsAround(const std::string& input) {
  InputLabels found;
  const std::filesystem::path file(input);
  Result<std::vector<model::LabelledInput>> entries =
      model::ReadLabels(file.parent_path().empty() ? "." : file.parent_path().string());
  if (!entries.ok()) return found;
  found.names = model::LabelNames(file.parent_path().string(), *entries);
  for (const model::LabelledInput& entry : *entries) {
    if (entry.file == file.filename().string()) found.label = entry.label;
  }
  return found;
}

int RunOne(const RunArguments& arguments, const model::LoweredModel& m) {
  Result<std::vector<uint8_t>> input = model::ReadInput(arguments.input);
  if (!input.ok()) return Fail(input.error());
  Result<model::ModelOutput> output = model::RunReference(m, *input);
  if (!output.ok()) return Fail(output.error().WithContext(arguments.input));
  const char* kind = m.output_float ? "float32 bits" : "int8";
  const size_t top1 = model::ArgMax(output->values);
  if (arguments.json) {
    std::printf("{\"model\": \"%s\", \"input\": \"%s\", \"raw\": [", arguments.model.c_str(),
                arguments.input.c_str());
    for (size_t i = 0; i < output->raw.size(); ++i)
      std::printf("%s%d", i ? ", " : "", output->raw[i]);
    std::printf("], \"raw_kind\": \"%s\", \"values\": [", kind);
    for (size_t i = 0; i < output->values.size(); ++i)
      std::printf("%s%.9g", i ? ", " : "", static_cast<double>(output->values[i]));
    std::printf("], \"top1\": %zu}\n", top1);
    return kExitOk;
  }
  std::printf("%s on %s (%s kernels):\n", arguments.model.c_str(), arguments.input.c_str(),
              m.output_float ? "float32" : "reference");
  if (!m.output_float) {
    std::printf("  int8  ");
    for (int32_t v : output->raw) std::printf(" %4d", v);
    std::printf("\n");
  }
  std::printf("  value ");
  for (float v : output->values) std::printf(" %.4g", static_cast<double>(v));
  std::printf("\n");
  if (model::MetricFor(m) == model::DatasetMetric::kAuc) {
    std::printf("  anomaly score (mean squared reconstruction error): %.6g\n",
                model::ReconstructionError(m, *input, output->values));
    return kExitOk;
  }
  const InputLabels labels = LabelsAround(arguments.input);
  std::printf("  top-1: class %s", model::LabelText(top1, labels.names).c_str());
  if (labels.label) {
    std::printf("; y_labels.csv says %s (%s)",
                model::LabelText(*labels.label, labels.names).c_str(),
                *labels.label == top1 ? "right" : "wrong");
  }
  std::printf("\n");
  return kExitOk;
}

// --random N: inputs no dataset holds, to see a model run (and its output
// spread) without data; the seed makes them again.
int RunRandom(const RunArguments& arguments, const model::LoweredModel& m) {
  const std::vector<std::vector<uint8_t>> inputs =
      model::RandomInputs(arguments.random, m.input_bytes, arguments.seed);
  const bool autoencoder = model::MetricFor(m) == model::DatasetMetric::kAuc;
  std::printf("%s on %zu random inputs of %u bytes (seed %llu, %s kernels):\n",
              arguments.model.c_str(), inputs.size(), m.input_bytes,
              static_cast<unsigned long long>(arguments.seed),
              m.output_float ? "float32" : "reference");
  std::vector<size_t> votes(m.output_count, 0);
  double least = INFINITY, most = -INFINITY, sum = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Result<model::ModelOutput> output = model::RunReference(m, inputs[k]);
    if (!output.ok()) return Fail(output.error().WithContext("random input " + std::to_string(k)));
    if (autoencoder) {
      const double error = model::ReconstructionError(m, inputs[k], output->values);
      least = std::min(least, error), most = std::max(most, error), sum += error;
      if (k < 10) std::printf("  input %-4zu anomaly score %.6g\n", k, error);
    } else {
      const size_t top1 = model::ArgMax(output->values);
      if (top1 < votes.size()) ++votes[top1];
      if (k < 10) {
        std::printf("  input %-4zu top-1 class %zu (%.4g)\n", k, top1,
                    static_cast<double>(output->values[top1]));
      }
    }
  }
  if (inputs.size() > 10) std::printf("  ... %zu more\n", inputs.size() - 10);
  if (autoencoder) {
    std::printf(
        "  anomaly score (mean squared reconstruction error): mean %.6g, min %.6g, max %.6g\n",
        sum / static_cast<double>(inputs.size()), least, most);
  } else {
    std::printf("  top-1 classes:");
    for (size_t c = 0; c < votes.size(); ++c) {
      if (votes[c] != 0) std::printf(" %zu: %zu,", c, votes[c]);
    }
    std::printf(" of %zu\n", inputs.size());
  }
  return kExitOk;
}

int RunDataset(const RunArguments& arguments, const model::LoweredModel& m) {
  // A dataset: files and y_labels.csv (file,classes,label).
  Result<std::vector<model::LabelledInput>> entries = model::ReadLabels(arguments.dataset);
  if (!entries.ok()) return Fail(entries.error());
  model::DatasetScorer scorer(m);
  const std::string labels_path =
      (std::filesystem::path(arguments.dataset) / "y_labels.csv").string();
  if (Status checked = scorer.CheckLabels(*entries, labels_path); !checked.ok())
    return Fail(checked.error());
  // Per label: inputs, and top-1 hits.
  std::map<size_t, std::pair<size_t, size_t>> per_label;
  for (const model::LabelledInput& entry : *entries) {
    Result<std::vector<uint8_t>> input =
        model::ReadInput((std::filesystem::path(arguments.dataset) / entry.file).string());
    if (!input.ok()) return Fail(input.error());
    Result<model::ModelOutput> output = model::RunReference(m, *input);
    if (!output.ok()) return Fail(output.error().WithContext(entry.file));
    scorer.Add(*input, output->values, entry.label);
    ++per_label[entry.label].first;
    if (model::ArgMax(output->values) == entry.label) ++per_label[entry.label].second;
  }
  const char* kernels = m.output_float ? "float32" : "reference";
  if (scorer.metric() == model::DatasetMetric::kAuc) {
    std::printf(
        "%s on %s: AUC %.4f over %zu inputs (anomaly score: mean squared "
        "reconstruction error; %s kernels)\n",
        arguments.model.c_str(), arguments.dataset.c_str(), scorer.Auc(), scorer.inputs(), kernels);
    return kExitOk;
  }
  std::printf("%s on %s: top-1 accuracy %.1f %% (%zu of %zu, %s kernels)\n",
              arguments.model.c_str(), arguments.dataset.c_str(), 100 * scorer.Top1(),
              scorer.correct(), scorer.inputs(), kernels);
  if (per_label.size() > 1 && per_label.size() <= 64) {
    const std::vector<std::string> names = model::LabelNames(arguments.dataset, *entries);
    for (const auto& [label, counts] : per_label) {
      std::printf("  %-20s %5.1f %% (%zu of %zu)\n", model::LabelText(label, names).c_str(),
                  100.0 * static_cast<double>(counts.second) / static_cast<double>(counts.first),
                  counts.second, counts.first);
    }
  }
  return kExitOk;
}

int Run(const RunArguments& arguments) {
  Result<std::unique_ptr<model::LoweredModel>> lowered =
      Load(arguments.model, arguments.number_format);
  if (!lowered.ok()) return Fail(lowered.error());
  if (!arguments.input.empty()) return RunOne(arguments, **lowered);
  if (arguments.random > 0) return RunRandom(arguments, **lowered);
  return RunDataset(arguments, **lowered);
}

}  // namespace

void AddNumberFormat(CLI::App* command, std::string& format) {
  command
      ->add_option("--number-format", format,
                   "int8 runs the model as quantised; float32 runs its float twin (weights\n"
                   "dequantised, float32 activations, the same int8 input)")
      ->check(CLI::IsMember(EnumWords<model::NumberFormat>()))
      ->capture_default_str();
}

void AddModelCommand(CLI::App& app, int& exit_code) {
  CLI::App* model =
      app.add_subcommand("model",
                         "TensorFlow Lite models: what hil's compiler and runtime see in them.\n\n"
                         "Examples:\n"
                         "  hil model info ../shared/models/kws_ref_model.tflite");
  model->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  CLI::App* info = model->add_subcommand(
      "info",
      "Layers, ops, shapes, multiply-accumulates, weight bytes and the activation\n"
      "arena of a .tflite model.\n\n"
      "Exit codes: 0 read, 2 not a model hil can run (the message names the layer).");
  info->add_option("model", *path, "The .tflite file")->required();
  info->callback([path, &exit_code] { exit_code = Info(*path); });

  auto compile_model = std::make_shared<std::string>();
  auto compile_out = std::make_shared<std::string>();
  CLI::App* compile = model->add_subcommand(
      "compile",
      "Lower a .tflite model for the DUT: C sources (weights and requantisation as const\n"
      "arrays, the layer table, the arena) that the harness firmware links; with\n"
      "--framework tflm, the model's bytes, layer table, operator list and arena size\n"
      "for the TFLM workload (hil/FRAMEWORKS.md).\n\n"
      "Examples:\n"
      "  hil model compile ../shared/models/kws_ref_model.tflite --out build/kws\n"
      "  hil model compile ../shared/models/kws_ref_model.tflite --framework tflm --out "
      "build/kws-tflm\n\n"
      "Exit codes: 0 written, 2 a model hil cannot run (the message names the layer),\n"
      "3 the files cannot be written.");
  compile->add_option("model", *compile_model, "The .tflite file")->required();
  compile->add_option("--out", *compile_out, "Folder for model_data.c and model_data.h")
      ->required();
  auto compile_format = std::make_shared<std::string>("int8");
  AddNumberFormat(compile, *compile_format);
  auto compile_framework = std::make_shared<std::string>("hil");
  compile
      ->add_option("--framework", *compile_framework,
                   "hil: hil's runtime (model_data.c); tflm: TensorFlow Lite Micro's workload")
      ->check(CLI::IsMember({"hil", "tflm"}))
      ->capture_default_str();
  auto compile_mlperf = std::make_shared<std::string>();
  compile
      ->add_option("--mlperf", *compile_mlperf,
                   "The MLPerf Tiny benchmark id the harness reports to profile%\n"
                   "(m-model-[ID]); default: the model file's stem")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(plan::kMlperfBenchmarks),
                                                     std::end(plan::kMlperfBenchmarks))));
  compile->callback([compile_model, compile_out, compile_format, compile_framework, compile_mlperf,
                     &exit_code] {
    exit_code =
        Compile(*compile_model, *compile_out, *compile_format, *compile_framework, *compile_mlperf);
  });

  auto run = std::make_shared<RunArguments>();
  CLI::App* run_command = model->add_subcommand(
      "run",
      "Run a model on the host with the NN runtime's reference kernels: the output the\n"
      "DUT's must equal bit for bit. With --dataset, the top-1 accuracy over a folder\n"
      "of inputs and its y_labels.csv (file,classes,label); for an autoencoder (as\n"
      "many outputs as input bytes, like MLPerf's ad01) the AUC of its reconstruction\n"
      "error over labels 0 (normal) and 1 (anomalous), as MLPerf Tiny scores it.\n\n"
      "Examples:\n"
      "  hil model run ../shared/models/kws_ref_model.tflite --input "
      "../shared/datasets/kws01/tst_000000_Stop_7.bin\n"
      "  hil model run ../shared/models/kws_ref_model.tflite --dataset ../shared/datasets/kws01\n"
      "  hil model run ../shared/models/kws_ref_model.tflite --dataset ../shared/datasets/kws01 "
      "--number-format float32\n"
      "  hil model run ../shared/models/ad01_int8.tflite --random 20 --seed 7\n\n"
      "Label names come from the dataset's labels.txt (one per line, label 0 first) or\n"
      "from MLPerf's file names (tst_000000_Stop_7.bin: label 7 is Stop).\n\n"
      "Exit codes: 0 ran, 2 a model, input or dataset hil cannot use.");
  run_command->add_option("model", run->model, "The .tflite file")->required();
  CLI::Option* input =
      run_command->add_option("--input", run->input, "One input tensor (raw int8 bytes)");
  CLI::Option* dataset =
      run_command->add_option("--dataset", run->dataset, "A folder with y_labels.csv");
  CLI::Option* random =
      run_command
          ->add_option("--random", run->random,
                       "N inputs of random bytes: the model's outputs without any data")
          ->check(CLI::Range(1, 100000))
          ->type_name("N");
  run_command->add_option("--seed", run->seed, "The seed of --random's inputs")
      ->capture_default_str();
  input->excludes(dataset);
  random->excludes(input);
  random->excludes(dataset);
  run_command->add_flag("--json", run->json, "With --input: print the outputs as JSON");
  AddNumberFormat(run_command, run->number_format);
  run_command->callback([run, input, dataset, random, &exit_code] {
    if (input->count() == 0 && dataset->count() == 0 && random->count() == 0) {
      std::fprintf(stderr, "hil model run: give --input FILE, --dataset DIR or --random N\n");
      exit_code = 2;
      return;
    }
    exit_code = Run(*run);
  });
}

}  // namespace hil::cli
