#include "hil/run/exports.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hil/measure/units.h"
#include "hil/run/results_json.h"

namespace hil::run {
namespace {

std::string Csv(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Cell(const nlohmann::ordered_json& value) {
  if (value.is_null()) return "";
  // Numbers as JSON writes them: the shortest text that reads back to the
  // same double, so no precision is lost.
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

const nlohmann::ordered_json kNull;

const nlohmann::ordered_json& At(const nlohmann::ordered_json& json, const char* a, const char* b) {
  static const nlohmann::ordered_json null;
  if (!json.contains(a) || !json[a].is_object() || !json[a].contains(b)) return null;
  return json[a][b];
}

}  // namespace

std::string XmlEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

Status WriteAtomically(const std::string& path, const std::string& text) {
  // Written aside, synced, then renamed over the old file, and the folder
  // synced: after a crash, a power cut or a full disk the file is the old
  // one or the new one, whole, never a torn mix.
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return InfrastructureError("cannot write " + temporary + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return InfrastructureError("cannot write " + temporary + ": " + std::strerror(error) + "; " +
                                 path + " is unchanged");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return InfrastructureError("cannot write " + temporary + ": " + std::strerror(error) + "; " +
                               path + " is unchanged");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return InfrastructureError("cannot replace " + path + ": " + error.message());
  const std::string folder = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return OkStatus();
}

Status WriteResultsJson(const RunRecord& run, const std::string& path) {
  nlohmann::ordered_json json;
  json["plan"] = run.plan;
  json["started"] = run.started;
  json["finished"] =
      run.finished.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(run.finished);
  json["status"] = run.status;
  json["run"] = run.id;
  json["bench"] = run.bench;
  json["baseline"] = run.baseline;
  json["selection"] = run.selection;
  json["overrides"] = run.overrides;
  json["cases"] = run.cases;
  return WriteAtomically(path, json.dump(2) + "\n");
}

Status WriteResultsCsv(const RunRecord& run, const std::string& path) {
  std::ostringstream csv;
  csv << "id,network,configuration,board,status,latency_us_median,latency_us_mean,latency_us_p95,"
         "energy_uJ_median,energy_uJ_mean,power_mW_mean,samples_lost,text_bytes,data_bytes,"
         "bss_bytes,flash_bytes,ram_bytes,arena_bytes,top1_accuracy,auc,layers_unresolved,error\n";
  for (const nlohmann::ordered_json& c : run.cases) {
    const nlohmann::ordered_json& dataset = c.contains("dataset") ? c["dataset"] : kNull;
    const auto in_dataset = [&](const char* key) {
      return dataset.is_object() && dataset.contains(key) ? Cell(dataset[key]) : std::string();
    };
    csv << Csv(c.value("id", "")) << "," << Csv(c.value("network", "")) << ","
        << Csv(c.value("configuration", "")) << "," << Csv(c.value("board", "")) << ","
        << c.value("status", "") << "," << Cell(At(c, "latency_us", "median")) << ","
        << Cell(At(c, "latency_us", "mean")) << "," << Cell(At(c, "latency_us", "p95")) << ","
        << Cell(At(c, "energy_uJ", "median")) << "," << Cell(At(c, "energy_uJ", "mean")) << ","
        << Cell(At(c, "power_mW", "mean")) << "," << Cell(At(c, "verification", "samples_lost"))
        << "," << Cell(At(c, "firmware", "text_bytes")) << ","
        << Cell(At(c, "firmware", "data_bytes")) << "," << Cell(At(c, "firmware", "bss_bytes"))
        << "," << FlashBytes(c) << "," << RamBytes(c) << ","
        << Cell(At(c, "firmware", "arena_bytes")) << "," << in_dataset("top1_accuracy") << ","
        << in_dataset("auc") << "," << Cell(At(c, "windows", "layers_unresolved")) << ","
        << Csv(c["error"].is_string() ? c["error"].get<std::string>() : "") << "\n";
  }
  return WriteAtomically(path, csv.str());
}

Status WriteJUnit(const RunRecord& run, const std::string& path) {
  size_t failures = 0, errors = 0;
  double seconds = 0;
  for (const nlohmann::ordered_json& c : run.cases) {
    const std::optional<CaseStatus> status = FromText<CaseStatus>(c.value("status", ""));
    failures += status == CaseStatus::kFail;
    errors += status == CaseStatus::kError;
    seconds += c.value("seconds", 0.0);
  }
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml << "<testsuites name=\"hil\" tests=\"" << run.cases.size() << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" time=\"" << seconds << "\">\n";
  xml << "  <testsuite name=\"" << XmlEscaped(run.plan) << "\" tests=\"" << run.cases.size()
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" time=\"" << seconds
      << "\" timestamp=\"" << XmlEscaped(run.started) << "\">\n";
  for (const nlohmann::ordered_json& c : run.cases) {
    const std::optional<CaseStatus> status = FromText<CaseStatus>(c.value("status", ""));
    xml << "    <testcase classname=\"" << XmlEscaped(run.plan + "." + c.value("network", ""))
        << "\" name=\"" << XmlEscaped(c.value("id", "")) << "\" time=\"" << c.value("seconds", 0.0)
        << "\"";
    std::string details, skips;
    for (const nlohmann::ordered_json& e :
         c.value("expectations", nlohmann::ordered_json::array())) {
      const bool skipped = e.value("skipped", false);
      details += std::string(e.value("ok", false) ? "ok     "
                             : skipped            ? "SKIPPED"
                                                  : "FAILED ") +
                 " " + e.value("what", "") + ": " + e.value("detail", "") + "\n";
      if (skipped)
        skips += (skips.empty() ? "" : "; ") + e.value("what", "") + ": " + e.value("detail", "");
    }
    for (const nlohmann::ordered_json& p : c.value("problems", nlohmann::ordered_json::array())) {
      details += "problem: " + p.get<std::string>() + "\n";
    }
    const std::string message = c["error"].is_string() ? c["error"].get<std::string>() : "";
    if (status == CaseStatus::kPass && !skips.empty()) {
      // Passed, but a check did not run: CI shows it as skipped, not green.
      xml << ">\n      <skipped message=\"" << XmlEscaped("not judged: " + skips) << "\"/>\n"
          << "      <system-out>" << XmlEscaped(details) << "</system-out>\n    </testcase>\n";
    } else if (status == CaseStatus::kPass) {
      xml << ">\n      <system-out>" << XmlEscaped(details) << "</system-out>\n    </testcase>\n";
    } else {
      const char* element = status == CaseStatus::kFail ? "failure" : "error";
      xml << ">\n      <" << element << " message=\"" << XmlEscaped(message) << "\" type=\""
          << element << "\">" << XmlEscaped(details) << "</" << element << ">\n    </testcase>\n";
    }
  }
  xml << "  </testsuite>\n</testsuites>\n";
  return WriteAtomically(path, xml.str());
}

std::string SummaryTable(const RunRecord& run) {
  using measure::Human;
  using measure::Quantity;
  std::ostringstream table;
  char line[512];
  const char* format = "%-36s %-6s %12s %12s %11s %10s %10s %10s\n";
  std::snprintf(line, sizeof line, format, "case", "status", "latency", "energy", "power",
                "accuracy", "flash", "RAM");
  table << line;
  std::snprintf(line, sizeof line, format, "", "", "median", "median", "mean", "", "text+data",
                "data+bss");
  table << line;
  const auto number = [](const nlohmann::ordered_json& value) {
    return value.is_number() ? value.get<double>() : std::nan("");
  };
  for (const nlohmann::ordered_json& c : run.cases) {
    const uint64_t flash = FlashBytes(c), ram = RamBytes(c);
    std::snprintf(line, sizeof line, format, c.value("id", "").c_str(),
                  c.value("status", "").c_str(),
                  Human(number(At(c, "latency_us", "median")), Quantity::kTimeUs).c_str(),
                  Human(number(At(c, "energy_uJ", "median")), Quantity::kEnergyUj).c_str(),
                  Human(number(At(c, "power_mW", "mean")), Quantity::kPowerMw).c_str(),
                  AccuracyText(c).c_str(), flash ? measure::HumanBytes(flash).c_str() : "",
                  ram ? measure::HumanBytes(ram).c_str() : "");
    table << line;
    // Every reason, whole: a failed case can fail more than one way.
    for (const std::string& note : CaseNotes(c)) table << "    " << note << "\n";
  }
  table << "(latency and energy per inference)\n";
  if (EmulatedTime(run.bench)) table << "(" << kEmulatedTimeNote << ")\n";
  return table.str();
}

}  // namespace hil::run
