#include "store/state_db.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "store/statements.h"

namespace gw {
namespace {

namespace fs = std::filesystem;

// Rows of `PRAGMA quick_check` output quoted in the message about a damaged file.
constexpr int kIntegrityRowsReported = 3;

// Why a file at the database path cannot be used as ours; empty when it can.
struct Verdict {
  std::string damage;  // non-empty: move the file aside
  Error hard_error;    // non-empty message: give up (environment problem, not the file's)
};

Verdict inspect(Database& db) {
  auto fail = [&db](const Error& error) -> Verdict {
    const DbErrorKind kind = db.lastErrorKind();
    if (kind == DbErrorKind::kCorrupt || kind == DbErrorKind::kNotADatabase) {
      return {error.message, {}};
    }
    return {{}, error};
  };
  auto app_id = db.queryInt(sql::kApplicationIdQuery);
  if (!app_id) return fail(app_id.error());
  auto version = db.queryInt(sql::kUserVersion);
  if (!version) return fail(version.error());
  auto objects = db.queryInt(sql::kCountObjects);
  if (!objects) return fail(objects.error());

  if (*app_id != sql::kApplicationId && (*app_id != 0 || *objects != 0)) {
    return {"it is an SQLite database of another program (application_id " +
                std::to_string(*app_id) + ", " + std::to_string(*objects) + " schema objects)",
            {}};
  }
  if (*version > sql::kSchemaVersion) {
    return {"it was written by a newer gatewatch (schema version " + std::to_string(*version) +
                ", this build knows up to " + std::to_string(sql::kSchemaVersion) + ")",
            {}};
  }
  auto check = db.prepare(sql::kQuickCheck);
  if (!check) return fail(check.error());
  auto row = check->step();
  if (!row) return fail(row.error());
  if (*row && check->columnText(0) != "ok") {
    // quick_check lists problems one per row; the first few say enough.
    std::string problems(check->columnText(0));
    for (int i = 0; i < kIntegrityRowsReported; ++i) {
      auto more = check->step();
      if (!more || !*more) break;
      problems += "; " + std::string(check->columnText(0));
    }
    return {"the integrity check failed: " + problems, {}};
  }
  return {};
}

std::string compactTime(Timestamp now) {
  std::string text = formatRfc3339(std::chrono::floor<std::chrono::seconds>(now), 0);
  std::erase(text, '-');
  std::erase(text, ':');
  return text;  // 20240101T120000Z
}

// Renames the database (and its WAL) out of the way; returns the new name.
std::string moveAside(const std::string& path, Timestamp now) {
  std::string target = path + ".corrupt-" + compactTime(now);
  std::error_code ec;
  for (int n = 1; fs::exists(target, ec); ++n) {
    target = path + ".corrupt-" + compactTime(now) + "-" + std::to_string(n);
  }
  fs::rename(path, target, ec);
  if (ec) {
    // Renaming failed (odd permissions): removing it is still better than never starting.
    spdlog::error("store: cannot move {} aside to {}: {}; removing it", path, target, ec.message());
    fs::remove(path, ec);
    target.clear();
  }
  if (fs::exists(path + "-wal", ec)) {
    if (target.empty()) {
      fs::remove(path + "-wal", ec);
    } else {
      fs::rename(path + "-wal", target + "-wal", ec);
    }
  }
  fs::remove(path + "-shm", ec);  // shared-memory index only; rebuilt from the WAL
  return target;
}

}  // namespace

Result<void> migrate(Database& db) {
  auto version = db.queryInt(sql::kUserVersion);
  if (!version) return version.error();
  for (const sql::Migration& migration : sql::kMigrations) {
    if (migration.version <= *version) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    if (auto r = db.exec(migration.sql); !r) return r.error();
    const std::string bump = "PRAGMA user_version = " + std::to_string(migration.version) +
                             "; PRAGMA application_id = " + std::to_string(sql::kApplicationId);
    if (auto r = db.exec(bump); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    spdlog::info("store: database {} migrated to schema version {}", db.path(), migration.version);
  }
  return {};
}

Result<StateDbOpened> openStateDatabase(const std::string& state_dir, Timestamp now) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) {
    return Error{"cannot create the state directory " + state_dir + ": " + ec.message() +
                 " (create it, writable by the service user, or set state_dir)"};
  }
  const std::string path = (fs::path(state_dir) / kStateDbFileName).string();
  std::string moved_aside;
  // Two attempts: the file as found, then a fresh one after moving a damaged file aside.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto db = Database::open(path);
    if (!db) {
      return Error{db.error().message + " (check that " + state_dir +
                   " is writable by the service user)"};
    }
    Verdict verdict = inspect(*db);
    if (verdict.damage.empty() && verdict.hard_error.message.empty()) {
      // WAL: readers (gatewatch history) never block the daemon's commits. synchronous=NORMAL
      // keeps every commit across a process crash; a power cut may lose the last commits,
      // which only means reading a few lines again (checkpoints are at-least-once by design).
      auto wal = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
      if (!wal) {
        const DbErrorKind kind = db->lastErrorKind();
        if (kind == DbErrorKind::kCorrupt || kind == DbErrorKind::kNotADatabase) {
          verdict.damage = wal.error().message;
        } else {
          verdict.hard_error = wal.error();
        }
      }
    }
    if (verdict.damage.empty() && verdict.hard_error.message.empty()) {
      const bool fresh =
          db->queryInt(sql::kUserVersion).ok() && db->queryInt(sql::kUserVersion).value() == 0;
      auto migrated = migrate(*db);
      if (!migrated) {
        const DbErrorKind kind = db->lastErrorKind();
        if (kind == DbErrorKind::kCorrupt || kind == DbErrorKind::kNotADatabase) {
          verdict.damage = migrated.error().message;
        } else {
          return Error{migrated.error().message + " (check free space and that " + state_dir +
                       " is writable by the service user)"};
        }
      } else {
        return StateDbOpened{std::move(*db), std::move(moved_aside), fresh};
      }
    }
    if (!verdict.hard_error.message.empty()) {
      return Error{verdict.hard_error.message + " (is another gatewatch running with state_dir " +
                   state_dir + "? is it writable by the service user?)"};
    }
    if (attempt == 1) break;
    {
      Database closing = std::move(*db);  // closed at the end of this scope, before the rename
    }
    moved_aside = moveAside(path, now);
    spdlog::error(
        "store: the state database {} cannot be used: {}. It was moved aside to {} and a new "
        "one started: checkpoints are lost, so each log starts again per its start_at. Keep "
        "the old file for a bug report if it was not yours to replace.",
        path, verdict.damage, moved_aside.empty() ? "(removed)" : moved_aside);
  }
  return Error{"the state database " + path + " is still unusable after moving it aside"};
}

}  // namespace gw
