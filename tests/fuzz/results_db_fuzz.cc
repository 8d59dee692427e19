// libFuzzer target: any file as a results.db opens and reads as runs and
// cases, or ends in an error, never a crash (SQLite checks the file; hil
// checks what the file says).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "hil/run/results_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/hil-results-fuzz-" + std::to_string(::getpid()) + ".db";
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
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
