#include "store/outbox_store.h"

#include "store/statements.h"

namespace gw {
namespace {

int64_t toMs(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp fromMs(int64_t ms) { return Timestamp{Millis{ms}}; }

// Columns of kOutboxLatest and kOutboxAll, in order.
OutboxEntry readEntry(const Statement& row) {
  OutboxEntry entry;
  entry.id = row.columnInt(0);
  entry.sink = std::string(row.columnText(1));
  entry.incident_id = std::string(row.columnText(2));
  entry.event = std::string(row.columnText(3));
  entry.idempotency_key = std::string(row.columnText(4));
  entry.alert_json = std::string(row.columnText(5));
  entry.created_at = fromMs(row.columnInt(6));
  entry.next_attempt_at = fromMs(row.columnInt(7));
  entry.attempts = static_cast<uint32_t>(row.columnInt(8));
  entry.last_error = std::string(row.columnText(9));
  return entry;
}

// Runs an UPDATE ... RETURNING id and fails when no row had that id: the caller's copy of the
// outbox and the table disagree, and saying so beats silently losing the new content.
Result<void> updateOne(Statement& stmt, int64_t id, const char* what) {
  auto row = stmt.step();
  stmt.reset();
  if (!row) return row.error();
  if (!*row) {
    return Error{std::string("outbox: ") + what + ": no notification " + std::to_string(id) +
                 " in the outbox (already delivered or removed)"};
  }
  return {};
}

}  // namespace

Result<OutboxStore> OutboxStore::open(Database& db) {
  Prepared p;
  struct Item {
    Statement* stmt;
    std::string_view sql;
  };
  for (const Item& item :
       {Item{&p.insert, sql::kOutboxInsert}, Item{&p.latest, sql::kOutboxLatest},
        Item{&p.replace, sql::kOutboxReplace}, Item{&p.all, sql::kOutboxAll},
        Item{&p.record_attempt, sql::kOutboxRecordAttempt}, Item{&p.remove, sql::kOutboxDelete},
        Item{&p.count, sql::kOutboxCount}}) {
    auto stmt = db.prepare(item.sql);
    if (!stmt) return stmt.error();
    *item.stmt = std::move(*stmt);
  }
  return OutboxStore(db, std::move(p));
}

Result<int64_t> OutboxStore::add(const OutboxEntry& entry) {
  Statement& s = sql_.insert;
  s.bind(1, entry.sink)
      .bind(2, entry.incident_id)
      .bind(3, entry.event)
      .bind(4, entry.idempotency_key)
      .bind(5, entry.alert_json)
      .bind(6, toMs(entry.created_at))
      .bind(7, toMs(entry.next_attempt_at))
      .bind(8, int64_t{entry.attempts})
      .bind(9, entry.last_error);
  auto row = s.step();
  if (!row) {
    s.reset();
    return row.error();
  }
  const int64_t id = *row ? s.columnInt(0) : 0;
  s.reset();  // finishes the INSERT: RETURNING hands the row out before the statement is done
  if (id == 0) return Error{"outbox: database " + db_->path() + ": the insert returned no id"};
  return id;
}

Result<std::optional<OutboxEntry>> OutboxStore::latest(const std::string& sink,
                                                       const std::string& incident_id) {
  Statement& s = sql_.latest;
  s.bind(1, sink).bind(2, incident_id);
  auto row = s.step();
  if (!row) {
    s.reset();
    return row.error();
  }
  std::optional<OutboxEntry> entry;
  if (*row) entry = readEntry(s);
  s.reset();
  return entry;
}

Result<void> OutboxStore::replace(int64_t id, const std::string& event,
                                  const std::string& idempotency_key, const std::string& alert_json,
                                  Timestamp next_attempt_at) {
  sql_.replace.bind(1, id)
      .bind(2, event)
      .bind(3, idempotency_key)
      .bind(4, alert_json)
      .bind(5, toMs(next_attempt_at));
  return updateOne(sql_.replace, id, "merging a notification");
}

Result<std::vector<OutboxEntry>> OutboxStore::all() {
  Statement& s = sql_.all;
  std::vector<OutboxEntry> entries;
  while (true) {
    auto row = s.step();
    if (!row) {
      s.reset();
      return row.error();
    }
    if (!*row) break;
    entries.push_back(readEntry(s));
  }
  s.reset();
  return entries;
}

Result<void> OutboxStore::recordAttempt(int64_t id, uint32_t attempts, Timestamp next_attempt_at,
                                        const std::string& last_error) {
  sql_.record_attempt.bind(1, id)
      .bind(2, int64_t{attempts})
      .bind(3, toMs(next_attempt_at))
      .bind(4, last_error);
  return updateOne(sql_.record_attempt, id, "saving an attempt");
}

Result<void> OutboxStore::remove(int64_t id) {
  // Removing an entry that is already gone is fine: the goal (not in the outbox) holds.
  sql_.remove.bind(1, id);
  return sql_.remove.run();
}

Result<int64_t> OutboxStore::count() {
  Statement& s = sql_.count;
  auto row = s.step();
  if (!row) {
    s.reset();
    return row.error();
  }
  const int64_t n = *row ? s.columnInt(0) : 0;
  s.reset();
  return n;
}

}  // namespace gw
