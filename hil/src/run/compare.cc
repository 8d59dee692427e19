#include "hil/run/compare.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "hil/measure/figures_json.h"
#include "hil/measure/statistics.h"
#include "hil/run/results_json.h"
#include "hil/run/results_store.h"

namespace hil::run {
namespace {

using Json = nlohmann::ordered_json;

// A results.json of thousands of cases with their traces is tens of MiB.
constexpr uintmax_t kMaxResultsJsonBytes = uintmax_t{1} << 30;

}  // namespace

std::vector<CaseChange> CompareRuns(const RunRecord& before, const RunRecord& after,
                                    double threshold_pct) {
  std::map<std::string, const CaseResult*> earlier;
  for (const CaseResult& c : before.cases) earlier[c.id] = &c;
  std::vector<CaseChange> changes;
  for (const CaseResult& c : after.cases) {
    CaseChange change;
    change.id = c.id;
    const auto found = earlier.find(change.id);
    if (found == earlier.end()) {
      change.note = "not in the earlier run";
      changes.push_back(change);
      continue;
    }
    const CaseResult& then = *found->second;
    const std::string& was = then.firmware.sha256;
    const std::string& is = c.firmware.sha256;
    if (!was.empty() && !is.empty() && was != is) {
      change.firmware_changed =
          "firmware changed: " + was.substr(0, 8) + "... -> " + is.substr(0, 8) + "...";
    }
    using Figure = measure::Stats measure::CaseFigures::*;
    for (const auto& [figure, member] :
         {std::pair<const char*, Figure>{"latency_us", &measure::CaseFigures::latency_us},
          {"energy_uJ", &measure::CaseFigures::energy_uj},
          {"power_mW", &measure::CaseFigures::power_mw}}) {
      const measure::Stats& a = then.figures.*member;
      const measure::Stats& b = c.figures.*member;
      const double na = static_cast<double>(a.n), nb = static_cast<double>(b.n);
      if (!std::isfinite(a.mean) || !std::isfinite(b.mean)) {
        change.note = std::string("no ") + figure + " in one of the runs";
        continue;
      }
      FigureChange f;
      f.figure = figure;
      f.before = a.mean;
      f.after = b.mean;
      f.difference = b.mean - a.mean;
      f.percent = 100 * f.difference / a.mean;
      // Welch: unequal variances, Satterthwaite's degrees of freedom.
      const double va = na > 1 && std::isfinite(a.std) ? a.std * a.std / na : 0;
      const double vb = nb > 1 && std::isfinite(b.std) ? b.std * b.std / nb : 0;
      const double se = std::sqrt(va + vb);
      double df = 1;
      if (va + vb > 0) {
        const double denominator =
            (na > 1 ? va * va / (na - 1) : 0) + (nb > 1 ? vb * vb / (nb - 1) : 0);
        df = denominator > 0 ? (va + vb) * (va + vb) / denominator : 1;
      }
      const double half =
          measure::StudentT975(static_cast<size_t>(std::max(1.0, std::floor(df)))) * se;
      f.low = f.difference - half;
      f.high = f.difference + half;
      f.significant = f.low > 0 || f.high < 0;
      // Every figure here is better smaller.
      f.regression = f.significant && f.percent > threshold_pct;
      change.figures.push_back(f);
    }
    changes.push_back(change);
  }
  return changes;
}

std::vector<std::string> Incomparabilities(const RunRecord& before, const RunRecord& after) {
  std::vector<std::string> reasons;
  if (before.plan != after.plan) {
    reasons.push_back("the runs are of different plans ('" + before.plan + "' and '" + after.plan +
                      "'): their cases share ids by chance");
  }
  const auto bench = [](const RunRecord& run, const char* key) {
    return BenchText(run.bench, key);
  };
  for (const char* key : {"kind", "name", "probe"}) {
    if (bench(before, key) != bench(after, key)) {
      reasons.push_back(std::string("the benches differ in ") + key + " ('" + bench(before, key) +
                        "' and '" + bench(after, key) + "')");
    }
  }
  return reasons;
}

Result<RunRecord> LoadRun(const std::string& name, const std::string& database) {
  int64_t id = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (error == std::errc() && end == name.data() + name.size()) {
    if (!std::filesystem::exists(database)) {
      return ConfigurationError("run " + name + ": no results database " + database +
                                " (give --db, or a results.json)");
    }
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(database);
    if (!store.ok()) return store.error();
    return LoadRunRecord(**store, id);
  }
  std::filesystem::path path = name;
  if (std::filesystem::is_directory(path)) path /= "results.json";
  std::error_code unreadable;
  const uintmax_t bytes = std::filesystem::file_size(path, unreadable);
  if (unreadable) return ConfigurationError(name + ": neither a run number nor a results.json");
  if (bytes > kMaxResultsJsonBytes) {
    return ConfigurationError(path.string() + " is " + std::to_string(bytes >> 20) +
                              " MiB; a results.json hil reads is at most " +
                              std::to_string(kMaxResultsJsonBytes >> 20) + " MiB");
  }
  std::ifstream file(path);
  if (!file) return ConfigurationError(name + ": cannot read " + path.string());
  const Json json = Json::parse(file, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("cases") ||
      !json["cases"].is_array()) {
    return ConfigurationError(path.string() + " is not a hil results.json");
  }
  static const Json kNull;
  const auto at = [&](const char* key) -> const Json& {
    const auto found = json.find(key);
    return found == json.end() ? kNull : *found;
  };
  const auto text = [&](const char* key) {
    return at(key).is_string() ? at(key).get<std::string>() : std::string();
  };
  RunRecord record;
  record.plan = text("plan");
  record.started = text("started");
  record.status = text("status");
  record.id = at("run").is_number_integer() ? at("run").get<int64_t>() : 0;
  record.bench = at("bench").is_object() ? at("bench") : Json::object();
  for (const Json& c : json["cases"]) record.cases.push_back(CaseFromJson(c));
  return record;
}

}  // namespace hil::run
