#include "result_upload.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hil::daemon {

namespace fs = std::filesystem;

ResultUploader::ResultUploader(std::unique_ptr<lab::PgResults> store, std::string host,
                               std::string pending_file)
    : store_(std::move(store)), host_(std::move(host)), pending_file_(std::move(pending_file)) {
  // Owed by an earlier hild of this host: "JOB<TAB>FOLDER" per line.
  std::ifstream in(pending_file_);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    int64_t job = 0;
    std::istringstream(line.substr(0, tab)) >> job;
    pending_[line.substr(tab + 1)] = job;
  }
}

bool ResultUploader::TryUpload(const std::string& out_dir, int64_t job) {
  const fs::path db = fs::path(out_dir) / "results.db";
  std::error_code error;
  if (!fs::exists(db, error)) return true;  // the job stored nothing: nothing owed
  Result<std::unique_ptr<run::ResultsStore>> local = run::ResultsStore::Open(db.string());
  Result<lab::UploadCounts> uploaded = local.ok() ? store_->Upload(host_, out_dir, job, **local)
                                                  : Result<lab::UploadCounts>(local.error());
  if (uploaded.ok()) return true;
  std::fprintf(stderr, "hild: results of job %lld not uploaded yet (kept in %s): %s\n",
               static_cast<long long>(job), out_dir.c_str(), uploaded.error().ToString().c_str());
  return false;
}

void ResultUploader::SavePending() {
  // Written beside and renamed over: a crash leaves the old list or the new.
  const std::string temporary = pending_file_ + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const auto& [out_dir, job] : pending_) out << job << '\t' << out_dir << '\n';
  }
  std::error_code error;
  fs::rename(temporary, pending_file_, error);
}

bool ResultUploader::Upload(const std::string& out_dir, int64_t job) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool landed = TryUpload(out_dir, job);
  const bool was_owed = pending_.count(out_dir) > 0;
  if (landed && was_owed) pending_.erase(out_dir);
  if (!landed) pending_[out_dir] = job;
  if (landed == was_owed) SavePending();
  return landed;
}

size_t ResultUploader::Retry() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_.empty()) return 0;
  const size_t before = pending_.size();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (!TryUpload(it->first, it->second)) break;  // still away: the rest wait too
    it = pending_.erase(it);
  }
  if (pending_.size() != before) {
    SavePending();
    std::fprintf(stderr, "hild: %zu owed upload(s) landed in the lab store, %zu still owed\n",
                 before - pending_.size(), pending_.size());
  }
  return pending_.size();
}

size_t ResultUploader::owed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

}  // namespace hil::daemon
