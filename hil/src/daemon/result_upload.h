// A lab hild's results go to the shared store after being written locally:
// each job's results.db is uploaded as each case finishes and when the job
// ends. An upload that fails (the database is away) is remembered, in
// memory and in STATE/uploads.pending, and tried again on every heartbeat
// until it lands: a finished result is never lost, only late.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "hil/lab/pg_results.h"

namespace hil::daemon {

class ResultUploader {
 public:
  // `pending_file` holds the uploads still owed, across restarts.
  ResultUploader(std::unique_ptr<lab::PgResults> store, std::string host, std::string pending_file);

  // Uploads the results.db in `out_dir`; on failure keeps it for Retry.
  // True when it landed.
  bool Upload(const std::string& out_dir, int64_t job);
  // Tries every upload still owed; how many remain.
  size_t Retry();
  size_t owed();

 private:
  bool TryUpload(const std::string& out_dir, int64_t job);  // mutex_ held
  void SavePending();                                       // mutex_ held

  std::mutex mutex_;  // one connection: one upload at a time
  std::unique_ptr<lab::PgResults> store_;
  std::string host_, pending_file_;
  std::map<std::string, int64_t> pending_;  // out_dir -> job
};

}  // namespace hil::daemon
