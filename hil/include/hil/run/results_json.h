// A case and a run as results.json has them (../shared/docs/design.md, kept
// as a contract; testplans/README.md lists the additions).
#pragma once

#include <nlohmann/json.hpp>

#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

nlohmann::ordered_json CaseJson(const CaseResult& result);
nlohmann::ordered_json BenchJson(const plan::Plan& plan);

// A case as CaseJson wrote it, read back from results.db or a results.json
// (which may have been edited, or come from elsewhere): a key that is
// missing or of another type reads as its default, and nothing throws.
// CaseJson(CaseFromJson(CaseJson(r))) is CaseJson(r).
CaseResult CaseFromJson(const nlohmann::ordered_json& json);

// What a person should read: each reason the case failed (or its error),
// each expectation skipped for want of a baseline, and per-layer figures
// that rest on fewer inferences than the case's. Empty for a clean pass.
// For the summary, the CSV and the report alike.
std::vector<std::string> CaseNotes(const CaseResult& c);
// "94.0 %" (top-1) or "AUC 0.9600"; "" without a dataset.
std::string AccuracyText(const CaseResult& c);
// Flash: text + data (initialised data is stored in flash). RAM: data + bss
// (the arena lies in bss). 0 when unknown.
uint64_t FlashBytes(const CaseResult& c);
uint64_t RamBytes(const CaseResult& c);
// A text of a run's bench description (kind, probe, name...), "" when it is
// missing or not text: the description may come from a file.
std::string BenchText(const nlohmann::ordered_json& bench, const char* key);
// Whether a run's latencies are emulated time (the virtual bench).
bool EmulatedTime(const nlohmann::ordered_json& bench);
// The sentence that says what emulated time means.
extern const char* const kEmulatedTimeNote;

// ISO 8601 UTC of now, to the second, or to the millisecond (hild orders
// the jobs of a bench by it).
std::string NowIso8601(bool with_milliseconds = false);

}  // namespace hil::run
