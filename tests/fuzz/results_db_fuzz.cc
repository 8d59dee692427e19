// libFuzzer target: any file as a results.db opens and reads as runs and
// cases, or ends in an error, never a crash (SQLite checks the file; hil
// checks what the file says).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_file.h"
#include "hil/run/results_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = FuzzInputFile(data, size, ".db");
  if (path.empty()) return 0;
  // A journal left by the run before would be replayed into this file.
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  hil::Result<std::unique_ptr<hil::run::ResultsStore>> store = hil::run::ResultsStore::Open(path);
  if (!store.ok()) return 0;
  hil::Result<std::vector<hil::run::StoredRun>> runs = (*store)->Runs();
  if (!runs.ok()) return 0;
  for (size_t i = 0; i < runs->size() && i < 16; ++i) {
    (void)hil::run::LoadRunRecord(**store, (*runs)[i].id);
    (void)(*store)->LatestRun((*runs)[i].plan, 0);
  }
  return 0;
}
