// report.html: one self-contained page (inline SVG and CSS; no script, no
// network) that a person would rather look at than read: the summary, the
// latency-energy trade-off with its Pareto front, the current through one
// inference with its layers, per-layer bars, and the change from a baseline.
#pragma once

#include <string>

#include "hil/error.h"
#include "hil/run/exports.h"

namespace hil::run {

std::string HtmlReport(const RunRecord& run, const RunRecord* baseline);

// Written like the other exports: to a temporary file, then renamed.
Status WriteHtmlReport(const RunRecord& run, const RunRecord* baseline, const std::string& path);

}  // namespace hil::run
