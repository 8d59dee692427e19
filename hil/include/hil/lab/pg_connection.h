// One libpq connection to a lab's PostgreSQL database: parameters always
// sent apart from the SQL text (never spliced into it), every failure an
// infrastructure error that names the database and what was being done, and
// a broken connection re-opened on the next call.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::lab {

// How to reach the database: a libpq connection string or a
// postgresql:// URI, and the password kept apart from it (from a file, or
// empty to leave it to libpq's own ~/.pgpass, PGPASSFILE and the like).
struct StoreAddress {
  std::string conninfo;
  std::string password;
};

// Errors (configuration): a connection string libpq cannot parse, or one
// that carries a password (it would show in `ps`, logs and bench files).
Status CheckConninfo(const std::string& conninfo);

// The connection string with any password left out, for messages.
std::string ShownConninfo(const std::string& conninfo);

// The rows of one statement's answer, as text (NULL reads as empty).
class PgRows {
 public:
  explicit PgRows(PGresult* result) : result_(result, &PQclear) {}
  int size() const { return PQntuples(result_.get()); }
  std::string Text(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) ? std::string()
                                                   : PQgetvalue(result_.get(), row, column);
  }
  int64_t Integer(int row, int column) const;
  double Number(int row, int column) const;
  bool Flag(int row, int column) const { return Text(row, column) == "t"; }
  // Rows a statement without RETURNING changed.
  int64_t Affected() const;
  PGresult* result() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

// A parameter: text, or SQL NULL.
using PgParam = std::optional<std::string>;

class PgConnection {
 public:
  // Connects (within `timeout_s`). Errors: infrastructure (unreachable,
  // refused, wrong password), configuration (a bad connection string).
  static Result<std::unique_ptr<PgConnection>> Open(const StoreAddress& address, int timeout_s = 5);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with $1..$n bound to `params`. A connection found
  // broken is re-opened once first. `what` says what for in the error.
  Result<PgRows> Run(const std::string& sql, const std::vector<PgParam>& params,
                     const std::string& what);
  // The same, through a statement prepared once per connection under
  // `name`: the hot paths (a bench's claim, its heartbeat) skip parsing
  // and planning.
  Result<PgRows> RunPrepared(const std::string& name, const std::string& sql,
                             const std::vector<PgParam>& params, const std::string& what);
  // Several statements without parameters (schema, BEGIN/COMMIT).
  Status Execute(const std::string& sql, const std::string& what);
  const std::string& shown() const { return shown_; }

 private:
  PgConnection(PGconn* connection, StoreAddress address, int timeout_s);
  Status Reconnect();
  // A statement's answer: its rows, or an error naming the store and `what`.
  Result<PgRows> Answer(PGresult* result, const std::string& what);

  PGconn* connection_;
  std::set<std::string> prepared_;  // on this connection; a new one starts empty
  StoreAddress address_;
  int timeout_s_;
  std::string shown_;
};

// `BEGIN` ... `COMMIT`, or `ROLLBACK` when left without committing.
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& connection) : connection_(connection) {}
  ~PgTransaction();
  Status Begin() { return Begin("BEGIN"); }
  Status Begin(const std::string& statement);
  Status Commit();

 private:
  PgConnection& connection_;
  bool open_ = false;
};

// A Postgres text array literal of names: each element quoted, with
// backslashes and quotes escaped, so any text is one element.
std::string PgTextArray(const std::vector<std::string>& items);

}  // namespace hil::lab
