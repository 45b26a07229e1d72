// Durable read positions of followed log files. One row per (source, device, inode): the offset
// of the first byte not yet delivered plus fingerprints (hash of the head bytes and of the bytes
// just before the offset) that tell the same file from a truncated, rewritten or reused one.
// Rows are staged in memory and committed together in one transaction; a failed commit (disk
// full, read-only) keeps them staged for the next attempt.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "common/result.h"
#include "store/sqlite.h"

namespace gw {

enum class CheckpointState : uint8_t {
  kLive = 0,     // at the configured path (or matching the glob)
  kRotated = 1,  // renamed away; still being read until drained and quiet
  kDone = 2,     // read to its end and closed; kept so the file is not read again
};

struct Checkpoint {
  std::string source;  // key of the followed path or glob
  uint64_t dev = 0;
  uint64_t inode = 0;
  std::string path;  // last path the file was seen at
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t head_len = 0;
  uint64_t head_hash = 0;
  uint32_t marker_len = 0;
  uint64_t marker_hash = 0;
  bool skip_line = false;  // offset lies inside an overlong line whose cut head was delivered
  CheckpointState state = CheckpointState::kLive;
  int64_t updated_ms = 0;  // commit time, Unix ms, on the clock of file times (coarse)

  bool operator==(const Checkpoint&) const = default;
};

class CheckpointStore {
 public:
  // Prepares the statements on a migrated database (store/state_db.h). The database must
  // outlive the store.
  static Result<CheckpointStore> create(Database& db);

  // Every row of one source, oldest first.
  Result<std::vector<Checkpoint>> load(const std::string& source);

  // Stages a row, replacing an earlier staged row or erase of the same file.
  void stage(const Checkpoint& checkpoint);
  void stageErase(const std::string& source, uint64_t dev, uint64_t inode);
  std::size_t staged() const { return staged_.size(); }

  // Writes everything staged in one transaction. On failure nothing is lost: the rows stay
  // staged (newer stage() calls replace them) and the next commit tries again.
  Result<void> commit();
  // The kind of the last commit failure (disk full, read-only, ...).
  DbErrorKind lastErrorKind() const { return last_error_; }

 private:
  CheckpointStore(Database& db, Statement load, Statement upsert, Statement erase)
      : db_(&db), load_(std::move(load)), upsert_(std::move(upsert)), erase_(std::move(erase)) {}

  using Key = std::tuple<std::string, uint64_t, uint64_t>;
  struct Staged {
    Checkpoint row;
    bool erase = false;
  };

  Database* db_;
  Statement load_;
  Statement upsert_;
  Statement erase_;
  std::map<Key, Staged> staged_;
  DbErrorKind last_error_ = DbErrorKind::kNone;
};

}  // namespace gw
