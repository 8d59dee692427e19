// Where hil report and hil compare read runs: a results.db, or a lab's
// shared store (--store, hil/daemon/LAB.md).
#pragma once

#include <memory>
#include <string>

#include "hil/run/results_store.h"

namespace hil::cli {

struct HistorySource {
  std::string folder;         // a hil run --out folder, or hild's history/PLAN@BENCH.db
  std::string store;          // a lab: libpq connection string or postgresql:// URI
  std::string password_file;  // the lab database's password (else libpq's ~/.pgpass)
};

// Errors: configuration (no results.db there, a connection string with a
// password in it), infrastructure (cannot open or reach it).
Result<std::unique_ptr<run::RunHistory>> OpenRunHistory(const HistorySource& source);

}  // namespace hil::cli
