// Reads a YAML test plan and validates all of it before any device is
// touched. Every problem is reported, each as "FILE:LINE:COL: message",
// with a did-you-mean for misspelt keys and names.
#pragma once

#include <string>

#include "hil/error.h"
#include "hil/plan/plan.h"

namespace hil::plan {

// Errors: configuration, with one line per problem found.
Result<Plan> ParsePlanFile(const std::string& path);

// The same on text already read; `path` names it in messages and relative
// paths in the plan are taken from `directory`.
Result<Plan> ParsePlanText(const std::string& text, const std::string& path,
                           const std::string& directory);

// The closest of `candidates` to `word`, when close enough to be a likely
// misspelling; empty otherwise.
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace hil::plan
