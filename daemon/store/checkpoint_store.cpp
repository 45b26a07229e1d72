#include "store/checkpoint_store.h"

#include <bit>

#include "store/statements.h"

namespace gw {
namespace {

// SQLite integers are signed 64-bit; hashes, devices and inodes are unsigned. Stored bit for bit.
int64_t toDb(uint64_t value) { return std::bit_cast<int64_t>(value); }
uint64_t fromDb(int64_t value) { return std::bit_cast<uint64_t>(value); }

}  // namespace

Result<CheckpointStore> CheckpointStore::create(Database& db) {
  auto load = db.prepare(sql::kCheckpointLoad);
  if (!load) return load.error();
  auto upsert = db.prepare(sql::kCheckpointUpsert);
  if (!upsert) return upsert.error();
  auto erase = db.prepare(sql::kCheckpointDelete);
  if (!erase) return erase.error();
  return CheckpointStore(db, std::move(*load), std::move(*upsert), std::move(*erase));
}

Result<std::vector<Checkpoint>> CheckpointStore::load(const std::string& source) {
  std::vector<Checkpoint> rows;
  load_.bind(1, source);
  while (true) {
    auto row = load_.step();
    if (!row) {
      load_.reset();
      return row.error();
    }
    if (!*row) break;
    Checkpoint cp;
    cp.source = source;
    cp.dev = fromDb(load_.columnInt(0));
    cp.inode = fromDb(load_.columnInt(1));
    cp.path = std::string(load_.columnText(2));
    cp.offset = fromDb(load_.columnInt(3));
    cp.size = fromDb(load_.columnInt(4));
    cp.head_len = static_cast<uint32_t>(load_.columnInt(5));
    cp.head_hash = fromDb(load_.columnInt(6));
    cp.marker_len = static_cast<uint32_t>(load_.columnInt(7));
    cp.marker_hash = fromDb(load_.columnInt(8));
    cp.skip_line = load_.columnInt(9) != 0;
    const int64_t state = load_.columnInt(10);
    cp.state = state == 1   ? CheckpointState::kRotated
               : state == 2 ? CheckpointState::kDone
                            : CheckpointState::kLive;
    cp.updated_ms = load_.columnInt(11);
    rows.push_back(std::move(cp));
  }
  load_.reset();
  return rows;
}

void CheckpointStore::stage(const Checkpoint& checkpoint) {
  staged_[Key{checkpoint.source, checkpoint.dev, checkpoint.inode}] = Staged{checkpoint, false};
}

void CheckpointStore::stageErase(const std::string& source, uint64_t dev, uint64_t inode) {
  Staged& staged = staged_[Key{source, dev, inode}];
  staged.row.source = source;
  staged.row.dev = dev;
  staged.row.inode = inode;
  staged.erase = true;
}

Result<void> CheckpointStore::commit() {
  if (staged_.empty()) return {};
  auto fail = [this](Error error) -> Result<void> {
    last_error_ = db_->lastErrorKind();
    if (last_error_ == DbErrorKind::kNone) last_error_ = DbErrorKind::kOther;
    return error;
  };
  auto tx = Transaction::begin(*db_);
  if (!tx) return fail(tx.error());
  for (const auto& [key, staged] : staged_) {
    const Checkpoint& cp = staged.row;
    Result<void> r;
    if (staged.erase) {
      erase_.bind(1, cp.source).bind(2, toDb(cp.dev)).bind(3, toDb(cp.inode));
      r = erase_.run();
    } else {
      upsert_.bind(1, cp.source)
          .bind(2, toDb(cp.dev))
          .bind(3, toDb(cp.inode))
          .bind(4, cp.path)
          .bind(5, toDb(cp.offset))
          .bind(6, toDb(cp.size))
          .bind(7, int64_t{cp.head_len})
          .bind(8, toDb(cp.head_hash))
          .bind(9, int64_t{cp.marker_len})
          .bind(10, toDb(cp.marker_hash))
          .bind(11, int64_t{cp.skip_line ? 1 : 0})
          .bind(12, static_cast<int64_t>(cp.state))
          .bind(13, cp.updated_ms);
      r = upsert_.run();
    }
    if (!r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  staged_.clear();
  last_error_ = DbErrorKind::kNone;
  return {};
}

}  // namespace gw
