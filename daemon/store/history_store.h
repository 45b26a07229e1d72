// HistoryStore: every incident and every delivery attempt, kept in the state database for
// `gatewatch history`, /api/alerts and the history page, and pruned after the retention period.
// It stores plain rows; the alert stage decides what goes in them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "store/sqlite.h"

namespace gw {

// One incident, updated by each of its events (firing, reminders, resolved).
struct IncidentRow {
  std::string id;
  std::string rule;
  std::string rule_kind;  // "ratio", ...
  std::string severity;
  std::string source;
  std::string group_json;  // {"source":"x","upstream":"1.2.3.4:80"}
  std::string hostname;
  Timestamp started_at{};
  Timestamp fired_at{};
  std::optional<Timestamp> resolved_at;
  int utc_offset_minutes = 0;
  std::string last_event;  // "firing", "reminder", "resolved"
  Timestamp updated_at{};
  uint64_t peak_requests = 0;
  uint64_t peak_errors = 0;
  double peak_ratio = 0;
  std::string summary;
  std::string alert_json;  // the latest Alert as sent (redacted context included)
  // The first firing Alert as sent; written by the store on a "firing" event, "" when none was
  // recorded (a database from before schema version 4).
  std::string firing_alert_json;
  bool test = false;
};

// One try to deliver one notification to one sink.
struct DeliveryAttemptRow {
  std::string incident_id;
  std::string sink;
  std::string event;
  uint32_t attempt = 0;  // 1 for the first
  Timestamp at{};
  int http_status = 0;      // 0: no HTTP answer
  std::string slack_error;  // Slack's error string, if any
  int64_t latency_ms = 0;
  // "delivered", "retry", "rate_limited", "failed" (permanent), "expired" (max_age passed)
  std::string outcome;
  std::string detail;  // the classification's reason; never a URL or a secret
};

// A query's page is read into memory whole (incident rows carry their alert JSON): larger
// limits are cut to this, which also bounds what one /api/alerts request costs.
inline constexpr std::size_t kMaxHistoryLimit = 1000;
// Attempts returned per incident: the newest ones, which say how each sink ended. A notification
// retried for its whole max_age at the 5-minute backoff cap makes about 300.
inline constexpr std::size_t kMaxAttemptsPerIncident = 500;
// openIncidents() returns at most this many, oldest first: incidents left open by a stop are
// re-sent to Alertmanager after a restart, and a flood of them must not stall the start.
inline constexpr std::size_t kMaxOpenIncidents = 1000;

struct HistoryQuery {
  std::optional<Timestamp> since;  // incidents updated at or after
  std::string rule;                // empty: every rule
  std::string source;              // empty: every source
  bool open_only = false;
  std::size_t limit = 100;  // cut to kMaxHistoryLimit
  std::size_t offset = 0;
};

struct IncidentHistory {
  IncidentRow incident;
  std::vector<DeliveryAttemptRow> attempts;  // oldest first; the newest kMaxAttemptsPerIncident
};

class HistoryStore {
 public:
  static Result<HistoryStore> open(Database& db);

  // Inserts the incident or updates it with this event's state.
  Result<void> recordEvent(const IncidentRow& row);
  Result<void> recordAttempt(const DeliveryAttemptRow& row);
  // Newest first (by started_at).
  Result<std::vector<IncidentHistory>> query(const HistoryQuery& query);
  Result<std::optional<IncidentHistory>> incident(const std::string& id);
  // Incidents not resolved (to re-send to Alertmanager after a restart), test alerts left out.
  Result<std::vector<IncidentRow>> openIncidents();
  // Deletes incidents (and their attempts) updated before `before`; returns how many.
  Result<int64_t> prune(Timestamp before);

 private:
  struct Prepared {
    Statement upsert, by_id, query, open, insert_attempt, attempts_of, prune_count, prune_attempts,
        prune_incidents, prune_orphans;
  };
  HistoryStore(Database& db, Prepared prepared) : db_(&db), sql_(std::move(prepared)) {}
  Result<std::vector<DeliveryAttemptRow>> attemptsOf(const std::string& incident_id);

  Database* db_;
  Prepared sql_;
};

}  // namespace gw
