// The lab tests' database: a fresh one per test in the throwaway cluster
// that ctest starts (postgres_cluster.sh, fixture "postgres").
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>

#include "hil/lab/pg_connection.h"

namespace hil::testing {

// The cluster's connection string: $HIL_TEST_POSTGRES names the file.
inline std::string ClusterConninfo() {
  const char* file = std::getenv("HIL_TEST_POSTGRES");
  const std::string path = file != nullptr ? file : CMAKE_BINARY_DIR "/test-postgres/conninfo";
  std::ifstream in(path);
  std::string conninfo;
  std::getline(in, conninfo);
  return conninfo;
}

// A new, empty database named after the running test; its connection
// string, or empty (with a failure saying how to start the cluster).
inline std::string FreshDatabase(const std::string& suffix = "") {
  const std::string cluster = ClusterConninfo();
  if (cluster.empty()) {
    ADD_FAILURE() << "no test cluster: run the lab tests through ctest, or start one with "
                     "tests/lab/postgres_cluster.sh start "
                  << CMAKE_BINARY_DIR "/test-postgres";
    return "";
  }
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "t" + std::to_string(::getpid()) + "_";
  for (char c : std::string(test->name()) + suffix) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  }
  name = name.substr(0, 63);
  Result<std::unique_ptr<lab::PgConnection>> admin = lab::PgConnection::Open({cluster, ""});
  if (!admin.ok()) {
    ADD_FAILURE() << admin.error().ToString();
    return "";
  }
  EXPECT_TRUE((*admin)->Execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "drop").ok());
  const Status created = (*admin)->Execute("CREATE DATABASE " + name, "create");
  EXPECT_TRUE(created.ok()) << created.error().ToString();
  return cluster + " dbname=" + name;
}

// The test database goes away (no new connections, and every open one is
// cut) or comes back. `conninfo` is FreshDatabase's.
inline Status SetDatabaseReachable(const std::string& conninfo, bool reachable) {
  const std::string name = conninfo.substr(conninfo.rfind("dbname=") + 7);
  Result<std::unique_ptr<lab::PgConnection>> admin =
      lab::PgConnection::Open({ClusterConninfo(), ""});
  if (!admin.ok()) return admin.error();
  HIL_RETURN_IF_ERROR((*admin)->Execute(
      "ALTER DATABASE " + name + " ALLOW_CONNECTIONS " + (reachable ? "true" : "false"),
      "allowing connections"));
  if (reachable) return OkStatus();
  return (*admin)->Execute(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'",
      "cutting connections");
}

}  // namespace hil::testing
