// A case and a run as results.json has them (../shared/docs/design.md, kept
// as a contract; testplans/README.md lists the additions).
#pragma once

#include <nlohmann/json.hpp>

#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

nlohmann::ordered_json CaseJson(const CaseResult& result);
nlohmann::ordered_json BenchJson(const plan::Plan& plan);

// Read back from a case's results.json entry, for the summary, the CSV and
// the report alike.
//
// What a person should read: each reason the case failed (or its error),
// each expectation skipped for want of a baseline, and per-layer figures
// that rest on fewer inferences than the case's. Empty for a clean pass.
std::vector<std::string> CaseNotes(const nlohmann::ordered_json& c);
// "94.0 %" (top-1) or "AUC 0.9600"; "" without a dataset.
std::string AccuracyText(const nlohmann::ordered_json& c);
// Flash: text + data (initialised data is stored in flash). RAM: data + bss
// (the arena lies in bss). 0 when unknown.
uint64_t FlashBytes(const nlohmann::ordered_json& c);
uint64_t RamBytes(const nlohmann::ordered_json& c);
// Whether a run's latencies are emulated time (the virtual bench).
bool EmulatedTime(const nlohmann::ordered_json& bench);
// The sentence that says what emulated time means.
extern const char* const kEmulatedTimeNote;

// ISO 8601 UTC of now, to the second, or to the millisecond (hild orders
// the jobs of a bench by it).
std::string NowIso8601(bool with_milliseconds = false);

}  // namespace hil::run
