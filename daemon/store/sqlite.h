// RAII wrappers around SQLite: a Database connection and its prepared Statements. Every failure
// comes back as a Result carrying SQLite's own message; sqlite.cpp is the only file that includes
// <sqlite3.h>, so no SQLite type leaks beyond these classes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3_stmt;

namespace gw {

// What kind of failure the last call hit: callers react differently to a corrupt file (move it
// aside), a full disk (keep going, retry later) and a busy database (another process holds it).
enum class DbErrorKind : uint8_t {
  kNone,
  kCorrupt,       // the file is damaged
  kNotADatabase,  // the file is not SQLite at all
  kFull,          // disk full (or the page limit reached)
  kReadOnly,      // file or directory not writable
  kBusy,          // locked by another connection beyond the busy timeout
  kCantOpen,      // missing directory, permissions
  kIo,            // disk I/O error
  kOther,
};
const char* toString(DbErrorKind kind);

// The open connection and its last error; defined in sqlite.cpp. Heap-allocated so that its
// address survives moves of the Database that owns it (Statements point at it).
struct DbConnection;

class Statement {
 public:
  Statement() = default;

  // Binding indexes start at 1, like SQLite's. Text is copied.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, double value);  // REAL; pass int64_t for INTEGER columns
  Statement& bindNull(int index);

  // Advances: true when a row is available, false when done; an Error on failure.
  Result<bool> step();
  // step() for a statement that returns no rows, then reset().
  Result<void> run();
  void reset();  // rewinds and clears the bindings

  int64_t columnInt(int index) const;
  std::string_view columnText(int index) const;  // valid until the next step/reset
  double columnDouble(int index) const;
  bool columnIsNull(int index) const;

 private:
  friend class Database;
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(sqlite3_stmt* stmt, DbConnection* conn) : stmt_(stmt), conn_(conn) {}
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  DbConnection* conn_ = nullptr;
};

class Database {
 public:
  // Opens (creating when missing) the file with a busy timeout. SQLite opens lazily: a corrupt
  // or foreign file shows up on the first statement, not here. Journal mode is the caller's
  // (store/state_db.cpp sets WAL once the file is known to be ours).
  static Result<Database> open(const std::string& path);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  const std::string& path() const;

  // Runs one or more statements that return no rows.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // A single integer from a query such as "PRAGMA user_version".
  Result<int64_t> queryInt(std::string_view sql);

  // The kind of the last failure on this connection (kNone after a success).
  DbErrorKind lastErrorKind() const;

 private:
  explicit Database(std::unique_ptr<DbConnection> conn);
  std::unique_ptr<DbConnection> conn_;
};

// BEGIN IMMEDIATE on creation, ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace gw
