// Every SQL statement of the state database, by name, and the schema as an ordered list of
// migrations. The database's user_version is the number of migrations applied; later features
// (outbox, alert history) append migrations here, never edit one that has shipped.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gw::sql {

// Marks the file as gatewatch's ("GWAT"), so a foreign SQLite file is told apart from ours.
inline constexpr int64_t kApplicationId = 0x47574154;

struct Migration {
  int version;           // user_version after this migration
  std::string_view sql;  // run in one transaction together with the user_version bump
};

inline constexpr std::array kMigrations = {
    Migration{1, R"sql(
CREATE TABLE checkpoints (
  source      TEXT    NOT NULL,  -- the followed path or glob's key (one per configured log)
  dev         INTEGER NOT NULL,  -- st_dev of the file
  inode       INTEGER NOT NULL,  -- st_ino of the file
  path        TEXT    NOT NULL,  -- last path the file was seen at (for people and for logs)
  offset      INTEGER NOT NULL,  -- first byte not yet delivered: always a line start
  size        INTEGER NOT NULL,  -- file size when the offset was saved
  head_len    INTEGER NOT NULL,  -- bytes hashed at the start of the file (<= 256)
  head_hash   INTEGER NOT NULL,
  marker_len  INTEGER NOT NULL,  -- bytes hashed just before offset (<= 64)
  marker_hash INTEGER NOT NULL,
  skip_line   INTEGER NOT NULL,  -- 1: offset is inside an overlong line already delivered (cut)
  state       INTEGER NOT NULL,  -- 0 live, 1 rotated away (still draining), 2 done (read to its end)
  updated_ms  INTEGER NOT NULL,  -- wall time of the commit, Unix milliseconds
  PRIMARY KEY (source, dev, inode)
) WITHOUT ROWID;
)sql"},
};

inline constexpr int kSchemaVersion = kMigrations.back().version;

// --- state database checks
inline constexpr std::string_view kUserVersion = "PRAGMA user_version";
inline constexpr std::string_view kApplicationIdQuery = "PRAGMA application_id";
inline constexpr std::string_view kCountObjects = "SELECT count(*) FROM sqlite_master";
inline constexpr std::string_view kQuickCheck = "PRAGMA quick_check";

// --- checkpoints
inline constexpr std::string_view kCheckpointLoad = R"sql(
SELECT dev, inode, path, offset, size, head_len, head_hash, marker_len, marker_hash, skip_line,
       state, updated_ms
FROM checkpoints WHERE source = ?1 ORDER BY updated_ms)sql";

inline constexpr std::string_view kCheckpointUpsert = R"sql(
INSERT INTO checkpoints (source, dev, inode, path, offset, size, head_len, head_hash, marker_len,
                         marker_hash, skip_line, state, updated_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (source, dev, inode) DO UPDATE SET
  path = excluded.path, offset = excluded.offset, size = excluded.size,
  head_len = excluded.head_len, head_hash = excluded.head_hash,
  marker_len = excluded.marker_len, marker_hash = excluded.marker_hash,
  skip_line = excluded.skip_line, state = excluded.state, updated_ms = excluded.updated_ms)sql";

inline constexpr std::string_view kCheckpointDelete =
    "DELETE FROM checkpoints WHERE source = ?1 AND dev = ?2 AND inode = ?3";

}  // namespace gw::sql
