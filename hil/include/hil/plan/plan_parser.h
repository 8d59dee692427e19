// Reads a YAML test plan and validates all of it before any device is
// touched. Every problem is reported, each as "FILE:LINE:COL: message",
// with a did-you-mean for misspelt keys and names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/plan/plan.h"

namespace hil::plan {

// Plans larger than this are refused before they are parsed.
constexpr size_t kDefaultMaxPlanBytes = 1 << 20;

// What a plan may read, for a reader that does not trust its author (hild).
struct PlanPolicy {
  // Folders whose files a plan may name (models, inputs, datasets,
  // firmware), after symbolic links are resolved. Unset: anywhere (the CLI,
  // run by the user whose files they are). Set and empty: nowhere.
  std::optional<std::vector<std::string>> roots;
  size_t max_bytes = kDefaultMaxPlanBytes;
};

// Errors: configuration, with one line per problem found.
Result<Plan> ParsePlanFile(const std::string& path, const PlanPolicy& policy = {});

// The same on text already read; `path` names it in messages and relative
// paths in the plan are taken from `directory`.
Result<Plan> ParsePlanText(const std::string& text, const std::string& path,
                           const std::string& directory, const PlanPolicy& policy = {});

// Whether `file` (absolute, or relative to the working folder) lies inside
// one of `roots` once every symbolic link on the way is resolved. Says
// nothing about whether it exists.
bool WithinRoots(const std::string& file, const std::vector<std::string>& roots);

}  // namespace hil::plan
