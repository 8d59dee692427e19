#include "hil/trace_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace hil {
namespace {

constexpr char kMagic[8] = {'H', 'I', 'L', 'T', 'R', 'A', 'C', 'E'};
constexpr uint32_t kVersion = 1;

class FileWriter : public TraceWriter {
 public:
  FileWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  ~FileWriter() override { (void)Close(); }

  Status Close() override {
    if (file_ == nullptr) return OkStatus();
    const bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    return ok ? OkStatus() : Status(InfrastructureError("cannot finish writing " + path_));
  }

 protected:
  Status Flushed() {
    if (std::fflush(file_) != 0 || std::ferror(file_)) {
      return InfrastructureError("cannot write " + path_ + ": " + std::strerror(errno));
    }
    return OkStatus();
  }

  std::FILE* file_;
  std::string path_;
};

class CsvWriter final : public FileWriter {
 public:
  CsvWriter(std::FILE* file, std::string path, double rate)
      : FileWriter(file, std::move(path)), rate_(rate) {
    std::fprintf(file_, "time_s,current_a,voltage_v,logic\n");
  }

  Status Write(const SampleBlock& block) override {
    if (block.lost_before > 0) {
      std::fprintf(file_, "# gap: %llu samples lost\n",
                   static_cast<unsigned long long>(block.lost_before));
    }
    if (block.lost_inside > 0) {
      std::fprintf(file_,
                   "# %llu samples lost somewhere in the next %zu; their times are uncertain\n",
                   static_cast<unsigned long long>(block.lost_inside), block.size());
    }
    for (size_t i = 0; i < block.size(); ++i) {
      std::fprintf(file_, "%.8f,%.9g,%.6g,%u\n", static_cast<double>(block.first_index + i) / rate_,
                   block.current_a[i], block.VoltageAt(i),
                   block.logic.empty() ? 0u : block.logic[i]);
    }
    return Flushed();
  }

 private:
  double rate_;
};

class BinaryWriter final : public FileWriter {
 public:
  BinaryWriter(std::FILE* file, std::string path, double rate) : FileWriter(file, std::move(path)) {
    const uint32_t header[2] = {kVersion, 0};
    std::fwrite(kMagic, 1, sizeof(kMagic), file_);
    std::fwrite(header, sizeof(header), 1, file_);
    std::fwrite(&rate, sizeof(rate), 1, file_);
  }

  Status Write(const SampleBlock& block) override {
    if (block.size() == 0) return OkStatus();
    const uint64_t first = block.first_index;
    const uint32_t count = static_cast<uint32_t>(block.size());
    std::fwrite(&first, sizeof(first), 1, file_);
    std::fwrite(&count, sizeof(count), 1, file_);
    std::vector<uint8_t> record(13 * block.size());
    for (size_t i = 0; i < block.size(); ++i) {
      const double amps = block.current_a[i];
      const float volts = static_cast<float>(block.VoltageAt(i));
      const uint8_t logic = block.logic.empty() ? 0 : block.logic[i];
      std::memcpy(&record[13 * i], &amps, 8);
      std::memcpy(&record[13 * i + 8], &volts, 4);
      record[13 * i + 12] = logic;
    }
    std::fwrite(record.data(), 1, record.size(), file_);
    return Flushed();
  }
};

}  // namespace

Result<TraceFormat> TraceFormatFor(const std::string& path) {
  auto ends_with = [&](const std::string& suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".csv")) return TraceFormat::kCsv;
  if (ends_with(".hiltrace") || ends_with(".bin")) return TraceFormat::kBinary;
  return ConfigurationError("cannot tell the trace format of '" + path +
                            "': name it .csv (text) or .hiltrace (compact binary)");
}

Result<std::unique_ptr<TraceWriter>> OpenTraceWriter(const std::string& path, TraceFormat format,
                                                     double sample_rate_hz) {
  std::FILE* file = std::fopen(path.c_str(), format == TraceFormat::kCsv ? "w" : "wb");
  if (file == nullptr) {
    return ConfigurationError("cannot create " + path + ": " + std::strerror(errno));
  }
  if (format == TraceFormat::kCsv) {
    return std::unique_ptr<TraceWriter>(new CsvWriter(file, path, sample_rate_hz));
  }
  return std::unique_ptr<TraceWriter>(new BinaryWriter(file, path, sample_rate_hz));
}

TraceReader::TraceReader(std::string path, std::FILE* file, double sample_rate_hz)
    : path_(std::move(path)), file_(file), sample_rate_hz_(sample_rate_hz) {}

TraceReader::~TraceReader() { std::fclose(file_); }

Result<std::unique_ptr<TraceReader>> TraceReader::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return ConfigurationError("cannot read " + path + ": " + std::strerror(errno));
  char magic[8];
  uint32_t header[2];
  double rate = 0;
  if (std::fread(magic, 1, 8, file) != 8 || std::memcmp(magic, kMagic, 8) != 0 ||
      std::fread(header, sizeof(header), 1, file) != 1 || std::fread(&rate, 8, 1, file) != 1) {
    std::fclose(file);
    return ConfigurationError(path + " is not a hil binary trace (no HILTRACE header)");
  }
  if (header[0] != kVersion) {
    std::fclose(file);
    return ConfigurationError(path + " is trace version " + std::to_string(header[0]) +
                              "; this hil reads version 1");
  }
  return std::unique_ptr<TraceReader>(new TraceReader(path, file, rate));
}

Result<bool> TraceReader::Next(SampleBlock& block) {
  uint64_t first;
  uint32_t count;
  if (std::fread(&first, 8, 1, file_) != 1) {
    if (std::feof(file_)) return false;
    return ConfigurationError("cannot read " + path_ + ": " + std::strerror(errno));
  }
  if (std::fread(&count, 4, 1, file_) != 1) {
    return ConfigurationError(path_ + " ends inside a block header");
  }
  // The count is the file's word: believe it only as far as the bytes
  // that are left, never with an allocation of what it claims.
  const long at = std::ftell(file_);
  struct stat info {};
  if (at < 0 || ::fstat(::fileno(file_), &info) != 0) {
    return ConfigurationError("cannot read " + path_ + ": " + std::strerror(errno));
  }
  const uint64_t left = static_cast<uint64_t>(info.st_size) - static_cast<uint64_t>(at);
  if (13 * static_cast<uint64_t>(count) > left) {
    return ConfigurationError(path_ + ": a block claims " + std::to_string(count) +
                              " samples but only " + std::to_string(left) +
                              " bytes follow; the trace is cut or corrupt");
  }
  record_.resize(13 * static_cast<size_t>(count));
  if (std::fread(record_.data(), 1, record_.size(), file_) != record_.size()) {
    return ConfigurationError(path_ + " ends inside a block of " + std::to_string(count) +
                              " samples");
  }
  block = SampleBlock();
  block.first_index = first;
  block.current_a.resize(count);
  block.voltage_samples_v.resize(count);
  block.logic.resize(count);
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(&block.current_a[i], &record_[13 * i], 8);
    std::memcpy(&block.voltage_samples_v[i], &record_[13 * i + 8], 4);
    block.logic[i] = record_[13 * i + 12];
  }
  return true;
}

Result<Trace> ReadBinaryTrace(const std::string& path) {
  Result<std::unique_ptr<TraceReader>> reader = TraceReader::Open(path);
  if (!reader.ok()) return reader.error();
  Trace trace;
  trace.sample_rate_hz = (*reader)->sample_rate_hz();
  for (;;) {
    SampleBlock block;
    Result<bool> more = (*reader)->Next(block);
    if (!more.ok()) return more.error();
    if (!*more) break;
    trace.blocks.push_back(std::move(block));
  }
  return trace;
}

}  // namespace hil
