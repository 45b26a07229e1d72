#include "store/minute_store.h"

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

// The minute a time falls in, as its first millisecond: rows are keyed by it.
Timestamp minuteOf(Timestamp t) { return std::chrono::floor<std::chrono::minutes>(t); }

// Binds one row to kMinuteAdd or kMinuteFillMissing (same parameters) and runs it.
Result<void> writeRow(Statement& s, const SourceMinutes& row) {
  const MinuteCounts& c = row.counts;
  s.bind(1, row.source)
      .bind(2, toMs(minuteOf(c.minute)))
      .bind(3, toDb(c.requests))
      .bind(4, toDb(c.failures))
      .bind(5, toDb(c.s2xx))
      .bind(6, toDb(c.s3xx))
      .bind(7, toDb(c.s4xx))
      .bind(8, toDb(c.s5xx))
      .bind(9, toDb(c.s502))
      .bind(10, toDb(c.s503))
      .bind(11, toDb(c.s504));
  return s.run();
}

// The rows in one transaction: a flush lands whole or not at all (and the caller keeps it).
Result<void> writeAll(Database& db, std::string_view sql, std::span<const SourceMinutes> rows) {
  if (rows.empty()) return {};
  auto statement = db.prepare(sql);
  if (!statement) return statement.error();
  auto tx = Transaction::begin(db);
  if (!tx) return tx.error();
  for (const SourceMinutes& row : rows) {
    if (auto r = writeRow(*statement, row); !r) return r.error();
  }
  return tx->commit();
}

}  // namespace

MinuteStore::MinuteStore(Database& db) : db_(db) {}

Result<void> MinuteStore::add(std::span<const SourceMinutes> deltas) {
  return writeAll(db_, sql::kMinuteAdd, deltas);
}

Result<void> MinuteStore::fillMissing(std::span<const SourceMinutes> counts) {
  return writeAll(db_, sql::kMinuteFillMissing, counts);
}

Result<std::vector<MinuteCounts>> MinuteStore::read(std::string_view source, Timestamp from,
                                                    Timestamp to) {
  if (to - from > kMaxMinuteSpan) to = from + kMaxMinuteSpan;
  std::vector<MinuteCounts> out;
  if (to <= from) return out;
  auto statement = db_.prepare(sql::kMinuteRead);
  if (!statement) return statement.error();
  Statement& s = *statement;
  s.bind(1, source).bind(2, toMs(from)).bind(3, toMs(to));
  while (true) {
    auto more = s.step();
    if (!more) return more.error();
    if (!*more) break;
    MinuteCounts c;
    c.minute = fromMs(s.columnInt(0));
    c.requests = fromDb(s.columnInt(1));
    c.failures = fromDb(s.columnInt(2));
    c.s2xx = fromDb(s.columnInt(3));
    c.s3xx = fromDb(s.columnInt(4));
    c.s4xx = fromDb(s.columnInt(5));
    c.s5xx = fromDb(s.columnInt(6));
    c.s502 = fromDb(s.columnInt(7));
    c.s503 = fromDb(s.columnInt(8));
    c.s504 = fromDb(s.columnInt(9));
    out.push_back(c);
  }
  return out;
}

Result<std::vector<SourceSummary>> MinuteStore::sources(Timestamp now) {
  auto statement = db_.prepare(sql::kMinuteSources);
  if (!statement) return statement.error();
  Statement& s = *statement;
  // The 24 h before `now`, counting the minute `now` falls in.
  const Timestamp end = minuteOf(now) + std::chrono::minutes(1);
  s.bind(1, toMs(end - std::chrono::hours(24)))
      .bind(2, toMs(end))
      .bind(3, static_cast<int64_t>(kMaxSourcesListed));
  std::vector<SourceSummary> out;
  while (true) {
    auto more = s.step();
    if (!more) return more.error();
    if (!*more) break;
    SourceSummary summary;
    summary.source = std::string(s.columnText(0));
    summary.first_minute = fromMs(s.columnInt(1));
    summary.last_minute = fromMs(s.columnInt(2));
    summary.requests_24h = fromDb(s.columnInt(3));
    summary.failures_24h = fromDb(s.columnInt(4));
    out.push_back(std::move(summary));
  }
  return out;
}

Result<uint64_t> MinuteStore::pruneBefore(Timestamp cutoff) {
  auto statement = db_.prepare(sql::kMinutePrune);
  if (!statement) return statement.error();
  statement->bind(1, toMs(cutoff));
  if (auto r = statement->run(); !r) return r.error();
  // changes(): the rows the last INSERT, UPDATE or DELETE on this connection touched.
  auto deleted = db_.queryInt("SELECT changes()");
  if (!deleted) return deleted.error();
  return static_cast<uint64_t>(std::max<int64_t>(0, *deleted));
}

}  // namespace gw
