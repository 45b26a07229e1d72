// Opens the state database (state_dir/gatewatch.db) ready for use: schema migrated to the
// latest version. A corrupt file, a foreign file or one written by a newer gatewatch is moved
// aside (gatewatch.db.corrupt-<time>) with a clear message and a fresh database is started:
// losing checkpoints costs a re-read per start_at, never a daemon that cannot start.
#pragma once

#include <string>

#include "common/result.h"
#include "common/time.h"
#include "store/sqlite.h"

namespace gw {

inline constexpr const char* kStateDbFileName = "gatewatch.db";

struct StateDbOpened {
  Database db;
  std::string moved_aside;  // where a damaged/foreign file went; empty when none was
  bool fresh = false;       // no earlier state: the schema was created now
};

// Creates state_dir when missing. `now` names the moved-aside file. Fails only when no usable
// database can be had at all (state_dir not writable), with a message saying what to fix.
Result<StateDbOpened> openStateDatabase(const std::string& state_dir, Timestamp now);

// Applies the migrations in store/statements.h that `db` lacks. Exposed for tests.
Result<void> migrate(Database& db);

}  // namespace gw
