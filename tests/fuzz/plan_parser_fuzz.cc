// libFuzzer target: any text as a plan ends in a plan or a configuration
// error, in bounded time, never a crash; as hild reads it (no file may be
// named), so the fuzzer cannot wander the disk.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hil/plan/plan_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hil::plan::PlanPolicy policy;
  policy.roots = std::vector<std::string>{};
  const std::string text(reinterpret_cast<const char*>(data), size);
  hil::Result<hil::plan::Plan> plan = hil::plan::ParsePlanText(text, "fuzz.yaml", "/", policy);
  if (plan.ok()) (void)hil::plan::ExpandMatrix(*plan);
  return 0;
}
