#include "http/history_reader.h"

#include <filesystem>
#include <optional>

namespace gw {

// The stores keep a reference to their Database: all live here, at a fixed address.
struct HistoryReader::Open {
  Database db;
  std::optional<HistoryStore> store;
  std::optional<MinuteStore> minutes;
};

HistoryReader::HistoryReader(std::string db_path) : path_(std::move(db_path)) {}
HistoryReader::~HistoryReader() = default;

void HistoryReader::reset() { open_.reset(); }

Result<HistoryReader::Open*> HistoryReader::connect() {
  if (open_) return open_.get();
  if (path_.empty()) return Error{"alert history is off: the daemon runs without a state database"};
  // Database::open would create a missing file: an empty database the daemon never writes.
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) {
    return Error{"alert history is not available yet: the state database " + path_ +
                 " does not exist (the daemon creates it at start)"};
  }
  auto db = Database::open(path_);
  if (!db) return Error{"alert history is not available: " + db.error().message};
  auto open = std::make_unique<Open>(Open{std::move(*db), std::nullopt, std::nullopt});
  auto store = HistoryStore::open(open->db);
  if (!store) return Error{"alert history is not available: " + store.error().message};
  open->store.emplace(std::move(*store));
  open->minutes.emplace(open->db);
  open_ = std::move(open);
  return open_.get();
}

Result<HistoryStore*> HistoryReader::store() {
  auto open = connect();
  if (!open) return open.error();
  return &*(*open)->store;
}

Result<MinuteStore*> HistoryReader::minutes() {
  auto open = connect();
  if (!open) return open.error();
  return &*(*open)->minutes;
}

}  // namespace gw
