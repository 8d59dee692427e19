// The 100 labelled keyword-spotting inputs of ../shared/datasets/kws01
// (files and y_labels.csv: file,classes,label), read for host-side tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace hil::testing {

struct LabelledInput {
  std::string file;
  std::vector<uint8_t> bytes;
  size_t label = 0;
};

inline std::vector<LabelledInput> Kws01() {
  const std::string folder = std::string(HIL_SHARED_DIR) + "/datasets/kws01/";
  std::ifstream labels(folder + "y_labels.csv");
  std::vector<LabelledInput> inputs;
  std::string line;
  while (std::getline(labels, line)) {
    std::stringstream fields(line);
    std::string file, classes, label;
    if (!std::getline(fields, file, ',') || !std::getline(fields, classes, ',') ||
        !std::getline(fields, label)) {
      continue;
    }
    std::ifstream in(folder + file, std::ios::binary);
    inputs.push_back({file,
                      std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                           std::istreambuf_iterator<char>()),
                      std::stoul(label)});
  }
  return inputs;
}

}  // namespace hil::testing
