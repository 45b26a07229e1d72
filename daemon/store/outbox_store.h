// OutboxStore: the notifications not yet delivered, in the state database. A notification is
// written before its first attempt and deleted once delivered or given up, so a kill -9 loses
// nothing: the next start sends what is here (at least once; receivers dedupe by idempotency key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "store/sqlite.h"

namespace gw {

struct OutboxEntry {
  int64_t id = 0;  // assigned by add()
  std::string sink;
  std::string incident_id;
  std::string event;  // "firing", "reminder", "resolved"
  std::string idempotency_key;
  std::string alert_json;  // toStoredJson(Alert)
  Timestamp created_at{};
  Timestamp next_attempt_at{};
  uint32_t attempts = 0;
  std::string last_error;  // the last classification's reason, "" before the first attempt
};

class OutboxStore {
 public:
  // Prepares its statements; the schema is store/statements.h's.
  static Result<OutboxStore> open(Database& db);

  Result<int64_t> add(const OutboxEntry& entry);  // returns the id
  // The newest entry of this incident for this sink, if any (to merge a newer state into).
  Result<std::optional<OutboxEntry>> latest(const std::string& sink,
                                            const std::string& incident_id);
  // Replaces an entry's content with a merged notification: a new key (a receiver may hold the
  // old one), attempts back to 0, last_error cleared.
  Result<void> replace(int64_t id, const std::string& event, const std::string& idempotency_key,
                       const std::string& alert_json, Timestamp next_attempt_at);
  // Every entry, oldest first.
  Result<std::vector<OutboxEntry>> all();
  Result<void> recordAttempt(int64_t id, uint32_t attempts, Timestamp next_attempt_at,
                             const std::string& last_error);
  Result<void> remove(int64_t id);
  Result<int64_t> count();

 private:
  struct Prepared {
    Statement insert, latest, replace, all, record_attempt, remove, count;
  };
  OutboxStore(Database& db, Prepared prepared) : db_(&db), sql_(std::move(prepared)) {}
  Database* db_;
  Prepared sql_;
};

}  // namespace gw
