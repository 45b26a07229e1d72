#include "store/sqlite.h"

#include <sqlite3.h>

#include <chrono>

namespace gw {
namespace {

// Another gatewatch command (history, a second daemon by mistake) may hold the write lock for a
// moment; waiting this long is better than failing a checkpoint commit.
constexpr int kBusyTimeoutMs = 5000;

DbErrorKind kindOf(int code) {
  switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return DbErrorKind::kNone;
    case SQLITE_CORRUPT:
      return DbErrorKind::kCorrupt;
    case SQLITE_NOTADB:
      return DbErrorKind::kNotADatabase;
    case SQLITE_FULL:
      return DbErrorKind::kFull;
    case SQLITE_READONLY:
      return DbErrorKind::kReadOnly;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return DbErrorKind::kBusy;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return DbErrorKind::kCantOpen;
    case SQLITE_IOERR:
      return DbErrorKind::kIo;
    default:
      return DbErrorKind::kOther;
  }
}

}  // namespace

struct DbConnection {
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Close> db;
  std::string path;
  DbErrorKind last_error = DbErrorKind::kNone;

  Error fail(int code, std::string_view what) {
    last_error = kindOf(code);
    std::string message = "database " + path + ": " + std::string(what) + " failed: ";
    message += db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(code);
    return Error{std::move(message)};
  }
};

const char* toString(DbErrorKind kind) {
  switch (kind) {
    case DbErrorKind::kNone:
      return "none";
    case DbErrorKind::kCorrupt:
      return "corrupt";
    case DbErrorKind::kNotADatabase:
      return "not_a_database";
    case DbErrorKind::kFull:
      return "full";
    case DbErrorKind::kReadOnly:
      return "read_only";
    case DbErrorKind::kBusy:
      return "busy";
    case DbErrorKind::kCantOpen:
      return "cant_open";
    case DbErrorKind::kIo:
      return "io";
    case DbErrorKind::kOther:
      return "other";
  }
  return "?";
}

// ---- Statement

void Statement::Finalize::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bindNull(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    conn_->last_error = DbErrorKind::kNone;
    return false;
  }
  Error error = conn_->fail(rc, sqlite3_sql(stmt_.get()));
  sqlite3_reset(stmt_.get());
  return error;
}

Result<void> Statement::run() {
  auto done = step();
  reset();
  if (!done) return done.error();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int64_t Statement::columnInt(int index) const { return sqlite3_column_int64(stmt_.get(), index); }

std::string_view Statement::columnText(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index))};
}

double Statement::columnDouble(int index) const {
  return sqlite3_column_double(stmt_.get(), index);
}

bool Statement::columnIsNull(int index) const {
  return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

// ---- Database

Database::Database(std::unique_ptr<DbConnection> conn) : conn_(std::move(conn)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

const std::string& Database::path() const { return conn_->path; }
DbErrorKind Database::lastErrorKind() const { return conn_->last_error; }

Result<Database> Database::open(const std::string& path) {
  auto conn = std::make_unique<DbConnection>();
  conn->path = path;
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  conn->db.reset(raw);  // sqlite3_open_v2 hands out a handle even on failure; close it too
  if (rc != SQLITE_OK) return conn->fail(rc, "open");
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 0);
  return Database(std::move(conn));
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(conn_->db.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error error = conn_->fail(rc, text);
    if (message != nullptr) {
      error.message = "database " + conn_->path + ": " + text + " failed: " + message;
      sqlite3_free(message);
    }
    return error;
  }
  conn_->last_error = DbErrorKind::kNone;
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(conn_->db.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return conn_->fail(rc, sql);
  }
  conn_->last_error = DbErrorKind::kNone;
  return Statement(stmt, conn_.get());
}

Result<int64_t> Database::queryInt(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return Error{"database " + conn_->path + ": " + std::string(sql) + " returned no row"};
  return stmt->columnInt(0);
}

// ---- Transaction

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto r = db_->exec("COMMIT");
  if (r) db_ = nullptr;  // on failure the destructor rolls back
  return r;
}

}  // namespace gw
