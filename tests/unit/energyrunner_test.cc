// EnergyRunner sessions: the real one in ../shared reproduces the runner's
// figures; truncated, foreign and inconsistent ones are refused by name;
// what hil writes in the layout reads back.
#include "hil/mlperf/energyrunner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hil/run/results_json.h"

namespace hil::mlperf {
namespace {

namespace fs = std::filesystem;

const std::string kSession = HIL_SHARED_DIR "/datasets/energyrunner/l4r5zi-kws-v0.5";

class Scratch {
 public:
  Scratch()
      : path_(fs::temp_directory_path() /
              ("hil-er-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Scratch() { fs::remove_all(path_); }
  // A copy of the shared session, each file under `prefix` + its name.
  std::string CopyOfSession(const std::string& prefix = "") const {
    const fs::path to = path_ / "session";
    fs::create_directories(to);
    for (const char* name :
         {"trace1-energy.bin", "trace1-timestamps.json", "log.txt", "results.txt"}) {
      fs::copy_file(fs::path(kSession) / name, to / (prefix + name));
      fs::permissions(to / (prefix + name), fs::perms::owner_write, fs::perm_options::add);
    }
    return to.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(EnergyRunner, TheSharedSessionReproducesTheRunnersFigures) {
  Result<EnergyRunnerSession> session = ReadEnergyRunnerSession(kSession);
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  EXPECT_EQ(session->model, "kws01");
  EXPECT_EQ(session->session_id, "20210603011824");
  EXPECT_DOUBLE_EQ(session->sample_rate_hz, 1000.0);
  EXPECT_DOUBLE_EQ(session->supply_v, 1.8);
  ASSERT_EQ(session->windows.size(), 5u);
  ASSERT_EQ(session->runner_window_energy_uj.size(), 5u);
  for (size_t w = 0; w < 5; ++w) {
    SCOPED_TRACE(w);
    EXPECT_EQ(session->windows[w].inferences, 100u);
    EXPECT_NEAR(session->windows[w].duration_s(), 18.055, 0.002);
    // The runner's window energies, within a 1 ms sample at either edge.
    EXPECT_NEAR(session->windows[w].energy_uj, session->runner_window_energy_uj[w],
                1e-4 * session->runner_window_energy_uj[w]);
  }
  ASSERT_TRUE(session->runner_median_uj_per_inference.has_value());
  EXPECT_DOUBLE_EQ(*session->runner_median_uj_per_inference, 7373.704);
  const double median = MedianEnergyPerInference(*session);
  std::printf("median %.3f uJ/inference, the runner's %.3f (%+.4f %%)\n", median,
              *session->runner_median_uj_per_inference,
              (median / *session->runner_median_uj_per_inference - 1) * 100);
  EXPECT_NEAR(median, 7373.704, 0.002 * 7373.704);
}

TEST(EnergyRunner, TheImportedRunCarriesTheFiguresAndTheWindows) {
  Result<EnergyRunnerSession> session = ReadEnergyRunnerSession(kSession);
  ASSERT_TRUE(session.ok());
  const run::RunRecord record = ImportedRun(*session, "nucleo-l4r5zi");
  ASSERT_EQ(record.cases.size(), 1u);
  // As results.json and results.db will have it.
  const nlohmann::ordered_json c = run::CaseJson(record.cases[0]);
  EXPECT_EQ(c["id"], "kws01/energyrunner/nucleo-l4r5zi");
  EXPECT_EQ(c["status"], "pass") << c["error"];
  EXPECT_EQ(c["energy_uJ"]["n"], 5);
  EXPECT_NEAR(c["energy_uJ"]["median"].get<double>(), 7373.704, 0.002 * 7373.704);
  // 18.055 s for 100 inferences, 40.8 mW: the runner's throughput and power.
  EXPECT_NEAR(c["latency_us"]["median"].get<double>(), 180550, 30);
  EXPECT_NEAR(c["power_mW"]["median"].get<double>(), 40.84, 0.02);
  EXPECT_LT(std::abs(c["mlperf"]["difference_pct"].get<double>()), 0.2);
  EXPECT_EQ(c["trace"]["windows_s"].size(), 5u);
  EXPECT_LE(c["trace"]["time_s"].size(), 1600u);
}

TEST(EnergyRunner, EnergyPrefixedNamesAreRead) {
  Scratch scratch;
  Result<EnergyRunnerSession> session = ReadEnergyRunnerSession(scratch.CopyOfSession("energy_"));
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  EXPECT_EQ(session->prefix, "energy_");
  EXPECT_EQ(session->windows.size(), 5u);
  EXPECT_TRUE(session->runner_median_uj_per_inference.has_value());
}

// The session is refused with `words` in the message, after `damage`.
void ExpectRefused(const std::function<void(const fs::path&)>& damage, const std::string& words) {
  Scratch scratch;
  const fs::path folder = scratch.CopyOfSession();
  damage(folder);
  Result<EnergyRunnerSession> session = ReadEnergyRunnerSession(folder.string());
  ASSERT_FALSE(session.ok()) << words;
  EXPECT_EQ(session.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(session.error().message().find(words), std::string::npos) << session.error().message();
}

TEST(EnergyRunner, TruncatedForeignAndInconsistentSessionsAreRefusedByName) {
  const auto resize = [](const fs::path& folder, uintmax_t size) {
    fs::resize_file(folder / "trace1-energy.bin", size);
  };
  ExpectRefused([&](const fs::path& f) { resize(f, fs::file_size(f / "trace1-energy.bin") - 2); },
                "trace1-energy.bin is truncated: 2 stray bytes");
  // Cut at a whole sample, halfway: the windows run past the trace's end.
  ExpectRefused([&](const fs::path& f) { resize(f, 5 + 4 * 50000); }, "past the trace's 50.000");
  ExpectRefused(
      [](const fs::path& f) {
        std::fstream file(f / "trace1-energy.bin", std::ios::in | std::ios::out | std::ios::binary);
        file.put('P');  // a PNG, say
      },
      "is not an EnergyRunner energy trace");
  ExpectRefused(
      [](const fs::path& f) { std::ofstream(f / "trace1-timestamps.json") << "[0.1, 2.0]"; },
      "has 2 timestamps");
  ExpectRefused(
      [](const fs::path& f) { std::ofstream(f / "trace1-timestamps.json") << "[0.1, 3, 2, 4, 5]"; },
      "timestamp 2 (2.000000 s) does not come after");
  ExpectRefused(
      [](const fs::path& f) { std::ofstream(f / "trace1-timestamps.json") << "{\"a\":1}"; },
      "is not a JSON list");
  ExpectRefused([](const fs::path& f) { std::ofstream(f / "log.txt") << "nothing useful\n"; },
                "does not say how many inferences");
  ExpectRefused([](const fs::path& f) { fs::remove(f / "log.txt"); }, "has no log.txt");
  ExpectRefused([](const fs::path& f) { fs::remove(f / "trace1-energy.bin"); },
                "not an EnergyRunner energy session");
}

TEST(EnergyRunner, WhatHilWritesReadsBack) {
  Scratch scratch;
  SessionToWrite out;
  out.sample_rate_hz = 1000;
  out.model = "ad01";
  out.supply_v = 3.0;
  // 12 s of 30 uJ samples with a 60 uJ stretch in each of two windows.
  out.energy_uj.assign(12000, 30.0f);
  for (size_t i = 2000; i < 4000; ++i) out.energy_uj[i] = 60.0f;
  for (size_t i = 7000; i < 9000; ++i) out.energy_uj[i] = 60.0f;
  out.timestamps_s = {0.1, 2.0, 4.0, 7.0, 9.0};
  out.inferences = {40, 50};
  ASSERT_TRUE(WriteEnergyRunnerSession(out, scratch.path() + "/written").ok());
  Result<EnergyRunnerSession> back = ReadEnergyRunnerSession(scratch.path() + "/written");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->model, "ad01");
  EXPECT_DOUBLE_EQ(back->supply_v, 3.0);
  ASSERT_EQ(back->windows.size(), 2u);
  EXPECT_EQ(back->windows[0].inferences, 40u);
  EXPECT_EQ(back->windows[1].inferences, 50u);
  EXPECT_NEAR(back->windows[0].energy_uj, 2000 * 60.0, 1e-6);
  EXPECT_NEAR(back->windows[1].energy_uj, 2000 * 60.0, 1e-6);
  EXPECT_NEAR(MedianEnergyPerInference(*back), (120000.0 / 40 + 120000.0 / 50) / 2, 1e-6);
}

TEST(EnergyRunner, EdgesCutSamplesInProportion) {
  EnergyRunnerSession session;
  session.sample_rate_hz = 10;
  session.energy_uj = {1, 2, 4, 8};
  EXPECT_DOUBLE_EQ(EnergyBetween(session, 0.0, 0.4), 15);
  EXPECT_DOUBLE_EQ(EnergyBetween(session, 0.05, 0.25), 0.5 + 2 + 2);
  EXPECT_DOUBLE_EQ(EnergyBetween(session, 0.12, 0.18), 2 * 0.6);
  EXPECT_DOUBLE_EQ(EnergyBetween(session, 0.3, 9.0), 8);
}

}  // namespace
}  // namespace hil::mlperf
