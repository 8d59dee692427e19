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

#include "hil/measure/figures_json.h"
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

// A number as results.json writes it; NaN as an empty cell.
std::string Cell(double value) { return Cell(measure::NumberJson(value)); }

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
  nlohmann::ordered_json& cases = json["cases"] = nlohmann::ordered_json::array();
  for (const CaseResult& c : run.cases) cases.push_back(CaseJson(c));
  return WriteAtomically(path, json.dump(2) + "\n");
}

Status WriteResultsCsv(const RunRecord& run, const std::string& path) {
  std::ostringstream csv;
  csv << "id,network,configuration,board,status,latency_us_median,latency_us_mean,latency_us_p95,"
         "energy_uJ_median,energy_uJ_mean,power_mW_mean,samples_lost,text_bytes,data_bytes,"
         "bss_bytes,flash_bytes,ram_bytes,arena_bytes,top1_accuracy,auc,layers_unresolved,error\n";
  for (const CaseResult& c : run.cases) {
    const measure::CaseFigures& f = c.figures;
    const bool top1 = c.dataset && !c.dataset->auc, auc = c.dataset && c.dataset->auc;
    csv << Csv(c.id) << "," << Csv(c.network) << "," << Csv(c.configuration) << "," << Csv(c.board)
        << "," << ToText(c.status) << "," << Cell(f.latency_us.median) << ","
        << Cell(f.latency_us.mean) << "," << Cell(f.latency_us.p95) << ","
        << Cell(f.energy_uj.median) << "," << Cell(f.energy_uj.mean) << "," << Cell(f.power_mw.mean)
        << "," << c.verification.samples_lost << "," << c.firmware.text_bytes << ","
        << c.firmware.data_bytes << "," << c.firmware.bss_bytes << "," << FlashBytes(c) << ","
        << RamBytes(c) << "," << c.arena_bytes << "," << (top1 ? Cell(c.dataset->top1()) : "")
        << "," << (auc ? Cell(*c.dataset->auc) : "") << "," << f.layers_unresolved << ","
        << Csv(c.error) << "\n";
  }
  return WriteAtomically(path, csv.str());
}

Status WriteJUnit(const RunRecord& run, const std::string& path) {
  size_t failures = 0, errors = 0;
  double seconds = 0;
  for (const CaseResult& c : run.cases) {
    failures += c.status == CaseStatus::kFail;
    errors += c.status == CaseStatus::kError;
    seconds += c.seconds;
  }
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml << "<testsuites name=\"hil\" tests=\"" << run.cases.size() << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" time=\"" << seconds << "\">\n";
  xml << "  <testsuite name=\"" << XmlEscaped(run.plan) << "\" tests=\"" << run.cases.size()
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" time=\"" << seconds
      << "\" timestamp=\"" << XmlEscaped(run.started) << "\">\n";
  for (const CaseResult& c : run.cases) {
    xml << "    <testcase classname=\"" << XmlEscaped(run.plan + "." + c.network) << "\" name=\""
        << XmlEscaped(c.id) << "\" time=\"" << c.seconds << "\"";
    std::string details, skips;
    for (const ExpectationResult& e : c.expectations) {
      details += std::string(e.ok        ? "ok     "
                             : e.skipped ? "SKIPPED"
                                         : "FAILED ") +
                 " " + e.what + ": " + e.detail + "\n";
      if (e.skipped) skips += (skips.empty() ? "" : "; ") + e.what + ": " + e.detail;
    }
    for (const std::string& problem : c.figures.problems) details += "problem: " + problem + "\n";
    for (const measure::InvalidWindow& w : c.figures.invalid) {
      for (const std::string& problem : w.problems)
        details += "problem: window " + std::to_string(w.window) + ": " + problem + "\n";
    }
    if (c.status == CaseStatus::kPass && !skips.empty()) {
      // Passed, but a check did not run: CI shows it as skipped, not green.
      xml << ">\n      <skipped message=\"" << XmlEscaped("not judged: " + skips) << "\"/>\n"
          << "      <system-out>" << XmlEscaped(details) << "</system-out>\n    </testcase>\n";
    } else if (c.status == CaseStatus::kPass) {
      xml << ">\n      <system-out>" << XmlEscaped(details) << "</system-out>\n    </testcase>\n";
    } else {
      const char* element = c.status == CaseStatus::kFail ? "failure" : "error";
      xml << ">\n      <" << element << " message=\"" << XmlEscaped(c.error) << "\" type=\""
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
  for (const CaseResult& c : run.cases) {
    const uint64_t flash = FlashBytes(c), ram = RamBytes(c);
    std::snprintf(line, sizeof line, format, c.id.c_str(), std::string(ToText(c.status)).c_str(),
                  Human(c.figures.latency_us.median, Quantity::kTimeUs).c_str(),
                  Human(c.figures.energy_uj.median, Quantity::kEnergyUj).c_str(),
                  Human(c.figures.power_mw.mean, Quantity::kPowerMw).c_str(),
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
