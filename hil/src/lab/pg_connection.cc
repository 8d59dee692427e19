#include "hil/lab/pg_connection.h"

#include <charconv>
#include <cstdlib>

namespace hil::lab {
namespace {

// libpq's message on one line: a log line per event, whatever libpq says.
std::string Message(const PGconn* connection) {
  const std::string raw = connection ? PQerrorMessage(connection) : "out of memory";
  std::string text;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\n' && raw[i] != '\t') {
      text += raw[i];
    } else if (!text.empty() && text.back() != ' ') {
      text += ' ';
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

PGconn* Connect(const StoreAddress& address, int timeout_s) {
  const std::string timeout = std::to_string(timeout_s);
  // The connection string is expanded as the dbname (URI or key=value); the
  // password and timeout are separate parameters, never text in it.
  std::vector<const char*> keys = {"dbname", "connect_timeout", "application_name"};
  std::vector<const char*> values = {address.conninfo.c_str(), timeout.c_str(), "hild"};
  if (!address.password.empty()) {
    keys.push_back("password");
    values.push_back(address.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keys.data(), values.data(), 1);
}

// The parameters as libpq takes them: NULL for SQL NULL.
std::vector<const char*> Values(const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& param : params) values.push_back(param ? param->c_str() : nullptr);
  return values;
}

}  // namespace

Status CheckConninfo(const std::string& conninfo) {
  char* why = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &why);
  if (options == nullptr) {
    std::string text = why ? why : "cannot be parsed";
    PQfreemem(why);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return ConfigurationError("store '" + ShownConninfo(conninfo) + "': " + text +
                              " (give postgresql://USER@HOST/DB or 'host=... dbname=...')");
  }
  bool has_password = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (std::string(option->keyword) == "password" && option->val != nullptr &&
        *option->val != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(options);
  if (has_password) {
    return ConfigurationError(
        "store: the connection string carries a password; put it in a file named by "
        "password_file (or in ~/.pgpass) instead, so it never shows in ps, logs or bench files");
  }
  return OkStatus();
}

std::string ShownConninfo(const std::string& conninfo) {
  char* why = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &why);
  PQfreemem(why);
  if (options == nullptr) return "(an unreadable connection string)";
  // Where it goes and as whom, in that order; never the password.
  std::string shown;
  for (const char* key : {"host", "hostaddr", "port", "dbname", "user"}) {
    for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
      if (std::string(option->keyword) != key || option->val == nullptr || *option->val == '\0')
        continue;
      shown += (shown.empty() ? "" : " ") + std::string(key) + "=" + option->val;
    }
  }
  PQconninfoFree(options);
  return shown;
}

int64_t PgRows::Integer(int row, int column) const {
  const std::string text = Text(row, column);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

double PgRows::Number(int row, int column) const {
  const std::string text = Text(row, column);
  return text.empty() ? 0 : std::strtod(text.c_str(), nullptr);
}

int64_t PgRows::Affected() const {
  const char* count = PQcmdTuples(result_.get());
  return count == nullptr || *count == '\0' ? 0 : std::strtoll(count, nullptr, 10);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const StoreAddress& address,
                                                         int timeout_s) {
  HIL_RETURN_IF_ERROR(CheckConninfo(address.conninfo));
  PGconn* connection = Connect(address, timeout_s);
  if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
    const std::string why = Message(connection);
    PQfinish(connection);
    return InfrastructureError("cannot reach the lab store " + ShownConninfo(address.conninfo) +
                               ": " + why);
  }
  // Notices (a table that already exists, say) are not hild's business.
  PQsetNoticeProcessor(
      connection, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(connection, address, timeout_s));
}

PgConnection::PgConnection(PGconn* connection, StoreAddress address, int timeout_s)
    : connection_(connection),
      address_(std::move(address)),
      timeout_s_(timeout_s),
      shown_(ShownConninfo(address_.conninfo)) {}

PgConnection::~PgConnection() { PQfinish(connection_); }

Status PgConnection::Reconnect() {
  PGconn* fresh = Connect(address_, timeout_s_);
  if (fresh == nullptr || PQstatus(fresh) != CONNECTION_OK) {
    const std::string why = Message(fresh);
    PQfinish(fresh);
    return InfrastructureError("lost the lab store " + shown_ +
                               " and cannot reach it again: " + why);
  }
  PQsetNoticeProcessor(
      fresh, [](void*, const char*) {}, nullptr);
  PQfinish(connection_);
  connection_ = fresh;
  prepared_.clear();
  return OkStatus();
}

Result<PgRows> PgConnection::Answer(PGresult* result, const std::string& what) {
  PgRows rows(result);
  const ExecStatusType status = PQresultStatus(rows.result());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
  // A dropped connection is opened again on the next call.
  return InfrastructureError("lab store " + shown_ + ": " + what + ": " + Message(connection_));
}

Result<PgRows> PgConnection::Run(const std::string& sql, const std::vector<PgParam>& params,
                                 const std::string& what) {
  if (PQstatus(connection_) != CONNECTION_OK) HIL_RETURN_IF_ERROR(Reconnect());
  const std::vector<const char*> values = Values(params);
  return Answer(PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0),
                what);
}

Result<PgRows> PgConnection::RunPrepared(const std::string& name, const std::string& sql,
                                         const std::vector<PgParam>& params,
                                         const std::string& what) {
  if (PQstatus(connection_) != CONNECTION_OK) HIL_RETURN_IF_ERROR(Reconnect());
  if (prepared_.count(name) == 0) {
    Result<PgRows> made =
        Answer(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr), what);
    if (!made.ok()) return made.error();
    prepared_.insert(name);
  }
  const std::vector<const char*> values = Values(params);
  return Answer(PQexecPrepared(connection_, name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0),
                what);
}

Status PgConnection::Execute(const std::string& sql, const std::string& what) {
  if (PQstatus(connection_) != CONNECTION_OK) HIL_RETURN_IF_ERROR(Reconnect());
  Result<PgRows> done = Answer(PQexec(connection_, sql.c_str()), what);
  return done.ok() ? OkStatus() : Status(done.error());
}

PgTransaction::~PgTransaction() {
  if (open_) (void)connection_.Execute("ROLLBACK", "rolling back");
}

Status PgTransaction::Begin(const std::string& statement) {
  HIL_RETURN_IF_ERROR(connection_.Execute(statement, "starting a transaction"));
  open_ = true;
  return OkStatus();
}

Status PgTransaction::Commit() {
  open_ = false;
  return connection_.Execute("COMMIT", "committing");
}

std::string PgTextArray(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    literal += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

}  // namespace hil::lab
