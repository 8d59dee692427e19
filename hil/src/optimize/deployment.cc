#include "hil/optimize/deployment.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

namespace hil::optimize {

std::string Deployment::Name() const {
  // '.' separates the parts: a kernel set's own name may hold a '-'.
  const std::string level = optimisation.size() > 1 ? optimisation.substr(1) : optimisation;
  std::string name = framework + "." + kernels + "." + std::string(ToText(number_format)) + "." +
                     (fpu ? "fpu" : "softfp") + "." + level;
  if (reference_layers != 0) {
    char mask[24];
    std::snprintf(mask, sizeof mask, ".r%llx", static_cast<unsigned long long>(reference_layers));
    name += mask;
  }
  if (pruned_permille != 0) name += ".p" + std::to_string(pruned_permille);
  return name;
}

std::optional<Deployment> DeploymentNamed(const std::string& name, const std::string& board) {
  std::vector<std::string> parts;
  std::istringstream words(name);
  for (std::string part; std::getline(words, part, '.');) parts.push_back(part);
  if (parts.size() < 5 || parts.size() > 7) return std::nullopt;
  Deployment d;
  d.framework = parts[0];
  d.kernels = parts[1];
  const std::optional<model::NumberFormat> format = FromText<model::NumberFormat>(parts[2]);
  if (!format || (parts[3] != "fpu" && parts[3] != "softfp")) return std::nullopt;
  d.number_format = *format;
  d.fpu = parts[3] == "fpu";
  d.optimisation = "-" + parts[4];
  d.board = board;
  // The optional parts: .rMASK (hex), then .pPERMILLE; Name() says which
  // order, as the check below.
  for (size_t i = 5; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.size() < 2 || part.size() > 17 || (part[0] != 'r' && part[0] != 'p'))
      return std::nullopt;
    const char* end = part.data() + part.size();
    const auto [at, error] = part[0] == 'r'
                                 ? std::from_chars(part.data() + 1, end, d.reference_layers, 16)
                                 : std::from_chars(part.data() + 1, end, d.pruned_permille);
    if (error != std::errc() || at != end) return std::nullopt;
  }
  if (d.Name() != name) return std::nullopt;
  return d;
}

const char* DimensionName(Dimension dimension) {
  switch (dimension) {
    case Dimension::kKernels:
      return "kernels";
    case Dimension::kNumberFormat:
      return "number format";
    case Dimension::kFpu:
      return "FPU";
    case Dimension::kOptimisation:
      return "optimisation";
    case Dimension::kBoard:
      return "board";
  }
  return "?";
}

std::string ValueOf(const Deployment& d, Dimension dimension) {
  switch (dimension) {
    case Dimension::kKernels:
      return d.framework + "/" + d.kernels;
    case Dimension::kNumberFormat:
      return std::string(ToText(d.number_format));
    case Dimension::kFpu:
      return d.fpu ? "on" : "off";
    case Dimension::kOptimisation:
      return d.optimisation;
    case Dimension::kBoard:
      return d.board;
  }
  return "";
}

Deployment BaselineOf(const plan::OptimizeSpec& spec) {
  Deployment d;
  d.framework = spec.space.frameworks.empty() ? "hil" : spec.space.frameworks.front();
  d.board = spec.boards.empty() ? "" : spec.boards.front();
  return d;
}

std::vector<Deployment> SpaceOf(const plan::OptimizeSpec& spec) {
  const Deployment baseline = BaselineOf(spec);
  std::vector<Deployment> space = {baseline};
  const plan::SearchSpace& s = spec.space;
  for (const std::string& board : spec.boards)
    for (const std::string& framework : s.frameworks)
      for (const std::string& kernels : plan::KernelSetsOf(framework)) {
        if (std::find(s.kernels.begin(), s.kernels.end(), kernels) == s.kernels.end()) continue;
        for (model::NumberFormat format : s.number_formats) {
          // The specialised kernel sets are int8 kernels.
          if (format == model::NumberFormat::kFloat32 && kernels != "reference") continue;
          for (bool fpu : s.fpu)
            for (const std::string& level : s.optimisations) {
              const Deployment d{framework, kernels, format, fpu, level, board};
              if (!(d == baseline)) space.push_back(d);
            }
        }
      }
  return space;
}

plan::Configuration ConfigurationOf(const Deployment& d) {
  plan::Configuration c;
  c.name = d.Name();
  c.framework = d.framework;
  c.kernels = d.kernels;
  c.number_format = d.number_format;
  c.fpu = d.fpu;
  c.optimisation = d.optimisation;
  if (PerLayer(d)) {
    char define[64];
    std::snprintf(define, sizeof define, "NN_REFERENCE_LAYERS=0x%llxULL",
                  static_cast<unsigned long long>(d.reference_layers));
    c.defines.push_back(define);
  }
  return c;
}

}  // namespace hil::optimize
