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
    Migration{2, R"sql(
CREATE TABLE outbox (
  -- AUTOINCREMENT: ids follow sending order and are never handed out again, so an id in a log
  -- line names one notification.
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  sink            TEXT    NOT NULL,     -- the sink's configured name
  incident_id     TEXT    NOT NULL,
  event           TEXT    NOT NULL,     -- firing | reminder | resolved (after merging, the newest)
  idempotency_key TEXT    NOT NULL,     -- sent with every attempt; receivers dedupe by it
  alert_json      TEXT    NOT NULL,     -- the redacted Alert (alert/alert.h toStoredJson)
  created_ms      INTEGER NOT NULL,     -- when first queued, Unix ms (max_age counts from here)
  next_attempt_ms INTEGER NOT NULL,     -- not sent before this, Unix ms
  attempts        INTEGER NOT NULL,     -- failed attempts so far
  last_error      TEXT    NOT NULL      -- the last attempt's classification, '' before any
);
CREATE INDEX outbox_by_incident ON outbox (sink, incident_id);

CREATE TABLE incidents (
  id                 TEXT    PRIMARY KEY,  -- stable across firing, reminders and resolved
  rule               TEXT    NOT NULL,
  rule_kind          TEXT    NOT NULL,     -- ratio | consecutive | burn_rate | silence | error_log
  severity           TEXT    NOT NULL,
  source             TEXT    NOT NULL,
  group_json         TEXT    NOT NULL,     -- {"source":"x","upstream":"1.2.3.4:80"}
  hostname           TEXT    NOT NULL,
  started_ms         INTEGER NOT NULL,     -- the first failing request, Unix ms
  fired_ms           INTEGER NOT NULL,
  resolved_ms        INTEGER,              -- NULL while open
  utc_offset_minutes INTEGER NOT NULL,     -- of the source's lines, for display
  last_event         TEXT    NOT NULL,     -- firing | reminder | resolved
  updated_ms         INTEGER NOT NULL,     -- when the last event was recorded (retention)
  peak_requests      INTEGER NOT NULL,
  peak_errors        INTEGER NOT NULL,
  peak_ratio         REAL    NOT NULL,     -- peak_errors / peak_requests, 0..1
  summary            TEXT    NOT NULL,
  alert_json         TEXT    NOT NULL,     -- the latest Alert as sent (redacted)
  test               INTEGER NOT NULL      -- 1: a `gatewatch test-alert`
);
CREATE INDEX incidents_by_started ON incidents (started_ms);
CREATE INDEX incidents_by_rule ON incidents (rule);
CREATE INDEX incidents_by_updated ON incidents (updated_ms);

CREATE TABLE delivery_attempts (
  incident_id TEXT    NOT NULL,
  sink        TEXT    NOT NULL,
  event       TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,  -- 1 for the first try of this notification
  at_ms       INTEGER NOT NULL,  -- when the answer (or the failure) came, Unix ms
  http_status INTEGER NOT NULL,  -- 0: no HTTP answer (timeout, connection refused)
  slack_error TEXT    NOT NULL,  -- Slack's error string, '' when none
  latency_ms  INTEGER NOT NULL,
  outcome     TEXT    NOT NULL,  -- delivered | retry | rate_limited | failed | expired
  detail      TEXT    NOT NULL   -- the classification's reason; never a URL or a secret
);
CREATE INDEX delivery_attempts_by_incident ON delivery_attempts (incident_id);
)sql"},
    Migration{3, R"sql(
CREATE TABLE minutes (
  -- One row per source and minute the daemon followed the source, zero-traffic minutes
  -- included: a missing row means "not watched". WITHOUT ROWID: the key is the only index.
  source    TEXT    NOT NULL,  -- the configured source name
  minute_ms INTEGER NOT NULL,  -- the minute's first millisecond, Unix ms (UTC)
  requests  INTEGER NOT NULL,  -- access lines parsed, by the line's own time
  failures  INTEGER NOT NULL,  -- 5xx answers
  s2xx      INTEGER NOT NULL,
  s3xx      INTEGER NOT NULL,
  s4xx      INTEGER NOT NULL,
  s5xx      INTEGER NOT NULL,
  s502      INTEGER NOT NULL,
  s503      INTEGER NOT NULL,
  s504      INTEGER NOT NULL,
  PRIMARY KEY (source, minute_ms)
) WITHOUT ROWID;
)sql"},
    Migration{4, R"sql(
-- The firing alert as sent, kept beside the latest (alert_json): its context lines are what the
-- on-call person saw first; a resolved alert carries the lines of the recovery.
ALTER TABLE incidents ADD COLUMN firing_alert_json TEXT;  -- NULL: no firing alert recorded
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

// --- outbox
inline constexpr std::string_view kOutboxInsert = R"sql(
INSERT INTO outbox (sink, incident_id, event, idempotency_key, alert_json, created_ms,
                    next_attempt_ms, attempts, last_error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
RETURNING id)sql";

inline constexpr std::string_view kOutboxLatest = R"sql(
SELECT id, sink, incident_id, event, idempotency_key, alert_json, created_ms, next_attempt_ms,
       attempts, last_error
FROM outbox WHERE sink = ?1 AND incident_id = ?2 ORDER BY id DESC LIMIT 1)sql";

// created_ms stays: max_age counts from the first notification that was queued.
inline constexpr std::string_view kOutboxReplace = R"sql(
UPDATE outbox SET event = ?2, idempotency_key = ?3, alert_json = ?4, next_attempt_ms = ?5,
                  attempts = 0, last_error = ''
WHERE id = ?1 RETURNING id)sql";

inline constexpr std::string_view kOutboxAll = R"sql(
SELECT id, sink, incident_id, event, idempotency_key, alert_json, created_ms, next_attempt_ms,
       attempts, last_error
FROM outbox ORDER BY id)sql";

inline constexpr std::string_view kOutboxRecordAttempt = R"sql(
UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4
WHERE id = ?1 RETURNING id)sql";

inline constexpr std::string_view kOutboxDelete = "DELETE FROM outbox WHERE id = ?1";
inline constexpr std::string_view kOutboxCount = "SELECT count(*) FROM outbox";

// --- incident history
// Every event brings the incident's whole current state (the detector keeps the peak), so the
// newest event's values replace the stored ones (an upsert on the id: one row per incident).
inline constexpr std::string_view kIncidentUpsert = R"sql(
INSERT INTO incidents (id, rule, rule_kind, severity, source, group_json, hostname, started_ms,
                       fired_ms, resolved_ms, utc_offset_minutes, last_event, updated_ms,
                       peak_requests, peak_errors, peak_ratio, summary, alert_json, test,
                       firing_alert_json)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        CASE WHEN ?12 = 'firing' THEN ?18 END)
ON CONFLICT (id) DO UPDATE SET
  rule = excluded.rule, rule_kind = excluded.rule_kind, severity = excluded.severity,
  source = excluded.source, group_json = excluded.group_json, hostname = excluded.hostname,
  started_ms = excluded.started_ms, fired_ms = excluded.fired_ms,
  resolved_ms = excluded.resolved_ms, utc_offset_minutes = excluded.utc_offset_minutes,
  last_event = excluded.last_event, updated_ms = excluded.updated_ms,
  peak_requests = excluded.peak_requests, peak_errors = excluded.peak_errors,
  peak_ratio = excluded.peak_ratio, summary = excluded.summary,
  alert_json = excluded.alert_json, test = excluded.test,
  firing_alert_json = coalesce(incidents.firing_alert_json, excluded.firing_alert_json))sql";

// The incident queries below all return these columns in this order.
inline constexpr std::string_view kIncidentById = R"sql(
SELECT id, rule, rule_kind, severity, source, group_json, hostname, started_ms, fired_ms,
       resolved_ms, utc_offset_minutes, last_event, updated_ms, peak_requests, peak_errors,
       peak_ratio, summary, alert_json, test, firing_alert_json
FROM incidents WHERE id = ?1)sql";

// ?1 since (Unix ms, NULL: any time), ?2 rule ('' any), ?3 source ('' any), ?4 1: open only,
// ?5 limit, ?6 offset. Newest first; the id breaks ties so pages do not overlap.
inline constexpr std::string_view kIncidentQuery = R"sql(
SELECT id, rule, rule_kind, severity, source, group_json, hostname, started_ms, fired_ms,
       resolved_ms, utc_offset_minutes, last_event, updated_ms, peak_requests, peak_errors,
       peak_ratio, summary, alert_json, test, firing_alert_json
FROM incidents
WHERE (?1 IS NULL OR updated_ms >= ?1) AND (?2 = '' OR rule = ?2) AND (?3 = '' OR source = ?3)
  AND (?4 = 0 OR resolved_ms IS NULL)
ORDER BY started_ms DESC, id DESC LIMIT ?5 OFFSET ?6)sql";

// Test alerts are never resolved and never re-sent: they are left out. ?1 limit.
inline constexpr std::string_view kIncidentOpen = R"sql(
SELECT id, rule, rule_kind, severity, source, group_json, hostname, started_ms, fired_ms,
       resolved_ms, utc_offset_minutes, last_event, updated_ms, peak_requests, peak_errors,
       peak_ratio, summary, alert_json, test, firing_alert_json
FROM incidents
WHERE resolved_ms IS NULL AND test = 0 ORDER BY started_ms, id LIMIT ?1)sql";

inline constexpr std::string_view kAttemptInsert = R"sql(
INSERT INTO delivery_attempts (incident_id, sink, event, attempt, at_ms, http_status, slack_error,
                               latency_ms, outcome, detail)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql";

// The newest ?2 attempts of incident ?1, returned oldest first (rowid: insertion order).
inline constexpr std::string_view kAttemptsOfIncident = R"sql(
SELECT sink, event, attempt, at_ms, http_status, slack_error, latency_ms, outcome, detail
FROM (SELECT rowid AS seq, * FROM delivery_attempts WHERE incident_id = ?1
      ORDER BY at_ms DESC, seq DESC LIMIT ?2)
ORDER BY at_ms, seq)sql";

// Retention, run together in one transaction. ?1: Unix ms; older rows go.
inline constexpr std::string_view kPruneCountIncidents =
    "SELECT count(*) FROM incidents WHERE updated_ms < ?1";
inline constexpr std::string_view kPruneAttemptsOfOldIncidents = R"sql(
DELETE FROM delivery_attempts
WHERE incident_id IN (SELECT id FROM incidents WHERE updated_ms < ?1))sql";
inline constexpr std::string_view kPruneIncidents = "DELETE FROM incidents WHERE updated_ms < ?1";
// Attempts whose incident row is gone (or was never written: its recordEvent failed). Recent
// ones stay: the incident's next event writes the row and they belong to it again.
inline constexpr std::string_view kPruneOrphanAttempts = R"sql(
DELETE FROM delivery_attempts
WHERE at_ms < ?1 AND incident_id NOT IN (SELECT id FROM incidents))sql";

// --- per-minute counters (store/minute_store.h). Counts are bound as int64 bit for bit.
// ?1 source, ?2 minute_ms, ?3..?11 requests, failures, s2xx, s3xx, s4xx, s5xx, s502, s503, s504.
inline constexpr std::string_view kMinuteAdd = R"sql(
INSERT INTO minutes (source, minute_ms, requests, failures, s2xx, s3xx, s4xx, s5xx, s502, s503,
                     s504)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (source, minute_ms) DO UPDATE SET
  requests = requests + excluded.requests, failures = failures + excluded.failures,
  s2xx = s2xx + excluded.s2xx, s3xx = s3xx + excluded.s3xx, s4xx = s4xx + excluded.s4xx,
  s5xx = s5xx + excluded.s5xx, s502 = s502 + excluded.s502, s503 = s503 + excluded.s503,
  s504 = s504 + excluded.s504)sql";

// Warm-up counts: a minute that already has a row was counted live before the restart.
inline constexpr std::string_view kMinuteFillMissing = R"sql(
INSERT OR IGNORE INTO minutes (source, minute_ms, requests, failures, s2xx, s3xx, s4xx, s5xx,
                               s502, s503, s504)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))sql";

// ?1 source, [?2, ?3) Unix ms; the primary key serves it as one range.
inline constexpr std::string_view kMinuteRead = R"sql(
SELECT minute_ms, requests, failures, s2xx, s3xx, s4xx, s5xx, s502, s503, s504
FROM minutes WHERE source = ?1 AND minute_ms >= ?2 AND minute_ms < ?3 ORDER BY minute_ms)sql";

// The distinct sources found by skipping along the primary key (one seek per source rather than
// a scan of every row), then per source its first and last minute and the totals of [?1, ?2).
// ?3 limits how many sources are listed.
inline constexpr std::string_view kMinuteSources = R"sql(
WITH RECURSIVE names(name) AS (
  SELECT min(source) FROM minutes
  UNION ALL
  SELECT (SELECT min(source) FROM minutes WHERE source > names.name) FROM names
  WHERE names.name IS NOT NULL
)
SELECT name,
       (SELECT min(minute_ms) FROM minutes WHERE source = name),
       (SELECT max(minute_ms) FROM minutes WHERE source = name),
       (SELECT coalesce(sum(requests), 0) FROM minutes
        WHERE source = name AND minute_ms >= ?1 AND minute_ms < ?2),
       (SELECT coalesce(sum(failures), 0) FROM minutes
        WHERE source = name AND minute_ms >= ?1 AND minute_ms < ?2)
FROM names WHERE name IS NOT NULL LIMIT ?3)sql";

// Retention. The same skip along the key: each source's old minutes are one range of it.
inline constexpr std::string_view kMinutePrune = R"sql(
WITH RECURSIVE names(name) AS (
  SELECT min(source) FROM minutes
  UNION ALL
  SELECT (SELECT min(source) FROM minutes WHERE source > names.name) FROM names
  WHERE names.name IS NOT NULL
)
DELETE FROM minutes
WHERE source IN (SELECT name FROM names WHERE name IS NOT NULL) AND minute_ms < ?1)sql";

}  // namespace gw::sql
