#include "run_history.h"

#include <filesystem>
#include <fstream>

#include "hil/lab/pg_results.h"

namespace hil::cli {

namespace fs = std::filesystem;

Result<std::unique_ptr<run::RunHistory>> OpenRunHistory(const HistorySource& source) {
  if (!source.store.empty()) {
    lab::StoreAddress address{source.store, ""};
    if (!source.password_file.empty()) {
      std::ifstream in(source.password_file);
      if (!in || !std::getline(in, address.password) || address.password.empty()) {
        return ConfigurationError("--password-file " + source.password_file +
                                  ": needs the database password on its first line");
      }
    }
    Result<std::unique_ptr<lab::PgResults>> store = lab::PgResults::Open(address);
    if (!store.ok()) return store.error();
    return std::unique_ptr<run::RunHistory>(std::move(*store));
  }
  // A folder holds results.db; a .db file is one (hild's shared histories).
  const fs::path given = source.folder;
  const fs::path db = given.extension() == ".db" ? given : given / "results.db";
  if (!fs::exists(db)) {
    return ConfigurationError(source.folder +
                              " has no results.db (give the --out folder of a hil run, a "
                              "results .db file, or --store for a lab's database)");
  }
  Result<std::unique_ptr<run::ResultsStore>> store = run::ResultsStore::Open(db.string());
  if (!store.ok()) return store.error();
  return std::unique_ptr<run::RunHistory>(std::move(*store));
}

}  // namespace hil::cli
