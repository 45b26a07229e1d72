#include "store/history_store.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "store/statements.h"

namespace gw {
namespace {

int64_t toMs(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp fromMs(int64_t ms) { return Timestamp{Millis{ms}}; }

// Counts are unsigned; SQLite integers are signed 64-bit. Stored bit for bit.
int64_t toDb(uint64_t value) { return std::bit_cast<int64_t>(value); }
uint64_t fromDb(int64_t value) { return std::bit_cast<uint64_t>(value); }

// A size_t bound to SQLite: values beyond int64 are cut (an offset that large finds no row).
int64_t boundedInt(std::size_t value) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(value, kMax));
}

// Columns of the incident queries (store/statements.h), in order.
IncidentRow readIncident(const Statement& s) {
  IncidentRow row;
  row.id = std::string(s.columnText(0));
  row.rule = std::string(s.columnText(1));
  row.rule_kind = std::string(s.columnText(2));
  row.severity = std::string(s.columnText(3));
  row.source = std::string(s.columnText(4));
  row.group_json = std::string(s.columnText(5));
  row.hostname = std::string(s.columnText(6));
  row.started_at = fromMs(s.columnInt(7));
  row.fired_at = fromMs(s.columnInt(8));
  if (!s.columnIsNull(9)) row.resolved_at = fromMs(s.columnInt(9));
  row.utc_offset_minutes = static_cast<int>(s.columnInt(10));
  row.last_event = std::string(s.columnText(11));
  row.updated_at = fromMs(s.columnInt(12));
  row.peak_requests = fromDb(s.columnInt(13));
  row.peak_errors = fromDb(s.columnInt(14));
  row.peak_ratio = s.columnDouble(15);
  row.summary = std::string(s.columnText(16));
  row.alert_json = std::string(s.columnText(17));
  row.test = s.columnInt(18) != 0;
  if (!s.columnIsNull(19)) row.firing_alert_json = std::string(s.columnText(19));
  return row;
}

// Steps a bound query to its end, collecting every row; resets it either way.
template <class Row, class Read>
Result<std::vector<Row>> collect(Statement& s, Read read) {
  std::vector<Row> rows;
  while (true) {
    auto more = s.step();
    if (!more) {
      s.reset();
      return more.error();
    }
    if (!*more) break;
    rows.push_back(read(s));
  }
  s.reset();
  return rows;
}

}  // namespace

Result<HistoryStore> HistoryStore::open(Database& db) {
  Prepared p;
  struct Item {
    Statement* stmt;
    std::string_view sql;
  };
  for (const Item& item :
       {Item{&p.upsert, sql::kIncidentUpsert}, Item{&p.by_id, sql::kIncidentById},
        Item{&p.query, sql::kIncidentQuery}, Item{&p.open, sql::kIncidentOpen},
        Item{&p.insert_attempt, sql::kAttemptInsert},
        Item{&p.attempts_of, sql::kAttemptsOfIncident},
        Item{&p.prune_count, sql::kPruneCountIncidents},
        Item{&p.prune_attempts, sql::kPruneAttemptsOfOldIncidents},
        Item{&p.prune_incidents, sql::kPruneIncidents},
        Item{&p.prune_orphans, sql::kPruneOrphanAttempts}}) {
    auto stmt = db.prepare(item.sql);
    if (!stmt) return stmt.error();
    *item.stmt = std::move(*stmt);
  }
  return HistoryStore(db, std::move(p));
}

Result<void> HistoryStore::recordEvent(const IncidentRow& row) {
  // One statement (an upsert) carries the whole state, so it needs no transaction of its own:
  // SQLite applies a statement entirely or not at all.
  Statement& s = sql_.upsert;
  s.bind(1, row.id)
      .bind(2, row.rule)
      .bind(3, row.rule_kind)
      .bind(4, row.severity)
      .bind(5, row.source)
      .bind(6, row.group_json)
      .bind(7, row.hostname)
      .bind(8, toMs(row.started_at))
      .bind(9, toMs(row.fired_at));
  if (row.resolved_at) {
    s.bind(10, toMs(*row.resolved_at));
  } else {
    s.bindNull(10);
  }
  s.bind(11, int64_t{row.utc_offset_minutes})
      .bind(12, row.last_event)
      .bind(13, toMs(row.updated_at))
      .bind(14, toDb(row.peak_requests))
      .bind(15, toDb(row.peak_errors))
      .bind(16, row.peak_ratio)
      .bind(17, row.summary)
      .bind(18, row.alert_json)
      .bind(19, int64_t{row.test ? 1 : 0});
  return s.run();
}

Result<void> HistoryStore::recordAttempt(const DeliveryAttemptRow& row) {
  sql_.insert_attempt.bind(1, row.incident_id)
      .bind(2, row.sink)
      .bind(3, row.event)
      .bind(4, int64_t{row.attempt})
      .bind(5, toMs(row.at))
      .bind(6, int64_t{row.http_status})
      .bind(7, row.slack_error)
      .bind(8, row.latency_ms)
      .bind(9, row.outcome)
      .bind(10, row.detail);
  return sql_.insert_attempt.run();
}

Result<std::vector<DeliveryAttemptRow>> HistoryStore::attemptsOf(const std::string& incident_id) {
  sql_.attempts_of.bind(1, incident_id).bind(2, boundedInt(kMaxAttemptsPerIncident));
  return collect<DeliveryAttemptRow>(sql_.attempts_of, [&incident_id](const Statement& s) {
    DeliveryAttemptRow row;
    row.incident_id = incident_id;
    row.sink = std::string(s.columnText(0));
    row.event = std::string(s.columnText(1));
    row.attempt = static_cast<uint32_t>(s.columnInt(2));
    row.at = fromMs(s.columnInt(3));
    row.http_status = static_cast<int>(s.columnInt(4));
    row.slack_error = std::string(s.columnText(5));
    row.latency_ms = s.columnInt(6);
    row.outcome = std::string(s.columnText(7));
    row.detail = std::string(s.columnText(8));
    return row;
  });
}

Result<std::vector<IncidentHistory>> HistoryStore::query(const HistoryQuery& query) {
  Statement& s = sql_.query;
  if (query.since) {
    s.bind(1, toMs(*query.since));
  } else {
    s.bindNull(1);
  }
  s.bind(2, query.rule)
      .bind(3, query.source)
      .bind(4, int64_t{query.open_only ? 1 : 0})
      .bind(5, boundedInt(std::min(query.limit, kMaxHistoryLimit)))
      .bind(6, boundedInt(query.offset));
  auto incidents = collect<IncidentRow>(s, readIncident);
  if (!incidents) return incidents.error();

  // The incidents and their attempts are read in two steps; an attempt recorded in between
  // shows up or not, which is all a reader can ask of a live history.
  std::vector<IncidentHistory> out;
  out.reserve(incidents->size());
  for (IncidentRow& incident : *incidents) {
    auto attempts = attemptsOf(incident.id);
    if (!attempts) return attempts.error();
    out.push_back(IncidentHistory{std::move(incident), std::move(*attempts)});
  }
  return out;
}

Result<std::optional<IncidentHistory>> HistoryStore::incident(const std::string& id) {
  sql_.by_id.bind(1, id);
  auto rows = collect<IncidentRow>(sql_.by_id, readIncident);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<IncidentHistory>{};
  auto attempts = attemptsOf(id);
  if (!attempts) return attempts.error();
  return std::optional<IncidentHistory>{
      IncidentHistory{std::move(rows->front()), std::move(*attempts)}};
}

Result<std::vector<IncidentRow>> HistoryStore::openIncidents() {
  sql_.open.bind(1, boundedInt(kMaxOpenIncidents));
  return collect<IncidentRow>(sql_.open, readIncident);
}

Result<int64_t> HistoryStore::prune(Timestamp before) {
  const int64_t cutoff = toMs(before);
  auto tx = Transaction::begin(*db_);
  if (!tx) return tx.error();
  // Counted inside the write transaction, so the number is exactly what the deletes remove.
  sql_.prune_count.bind(1, cutoff);
  auto counted = sql_.prune_count.step();
  const int64_t pruned = counted && *counted ? sql_.prune_count.columnInt(0) : 0;
  sql_.prune_count.reset();
  if (!counted) return counted.error();
  for (Statement* s : {&sql_.prune_attempts, &sql_.prune_incidents, &sql_.prune_orphans}) {
    s->bind(1, cutoff);
    if (auto r = s->run(); !r) return r.error();
  }
  if (auto r = tx->commit(); !r) return r.error();
  return pruned;
}

}  // namespace gw
