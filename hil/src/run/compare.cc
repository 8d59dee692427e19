#include "hil/run/compare.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "hil/measure/figures_json.h"
#include "hil/measure/statistics.h"
#include "hil/run/results_store.h"

namespace hil::run {
namespace {

using Json = nlohmann::ordered_json;

}  // namespace

std::vector<CaseChange> CompareRuns(const RunRecord& before, const RunRecord& after,
                                    double threshold_pct) {
  std::map<std::string, const Json*> earlier;
  for (const Json& c : before.cases) earlier[c.value("id", "")] = &c;
  std::vector<CaseChange> changes;
  for (const Json& c : after.cases) {
    CaseChange change;
    change.id = c.value("id", "");
    const auto found = earlier.find(change.id);
    if (found == earlier.end()) {
      change.note = "not in the earlier run";
      changes.push_back(change);
      continue;
    }
    const auto sha = [](const Json& entry) {
      const auto firmware = entry.find("firmware");
      return firmware != entry.end() && firmware->is_object() ? firmware->value("sha256", "")
                                                              : std::string();
    };
    const std::string was = sha(*found->second), is = sha(c);
    if (!was.empty() && !is.empty() && was != is) {
      change.firmware_changed =
          "firmware changed: " + was.substr(0, 8) + "... -> " + is.substr(0, 8) + "...";
    }
    for (const char* figure : {"latency_us", "energy_uJ", "power_mW"}) {
      const measure::Stats a = measure::StatsFromJson(found->second->value(figure, Json()));
      const measure::Stats b = measure::StatsFromJson(c.value(figure, Json()));
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
    return run.bench.is_object() ? run.bench.value(key, "") : std::string();
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
  std::ifstream file(path);
  if (!file) return ConfigurationError(name + ": neither a run number nor a results.json");
  const Json json = Json::parse(file, nullptr, false);
  if (json.is_discarded() || !json.contains("cases") || !json["cases"].is_array()) {
    return ConfigurationError(path.string() + " is not a hil results.json");
  }
  RunRecord record;
  record.plan = json.value("plan", "");
  record.started = json.value("started", "");
  record.status = json.value("status", "");
  record.id = json.value("run", int64_t{0});
  record.bench = json.value("bench", Json::object());
  for (const Json& c : json["cases"]) record.cases.push_back(c);
  return record;
}

}  // namespace hil::run
