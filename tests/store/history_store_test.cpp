// HistoryStore on a real state database: one row per incident updated by each of its events,
// delivery attempts per sink, the filtered and paged query behind `gatewatch history`, and
// retention.
#include "store/history_store.h"

#include <gtest/gtest.h>

#include <limits>

#include "../common/temp_dir.h"
#include "store/state_db.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

constexpr Timestamp kT0{Millis{1'668'565'588'000}};  // 2022-11-16T02:26:28Z

IncidentRow firing(const std::string& id, Timestamp started, const std::string& rule = "edge-5xx",
                   const std::string& source = "driver-insu-prod") {
  IncidentRow row;
  row.id = id;
  row.rule = rule;
  row.rule_kind = "ratio";
  row.severity = "critical";
  row.source = source;
  row.group_json = R"({"source":")" + source + R"(","upstream":"10.0.0.5:8080"})";
  row.hostname = "ip-10-0-0-1";
  row.started_at = started;
  row.fired_at = started + 20s;
  row.utc_offset_minutes = 540;
  row.last_event = "firing";
  row.updated_at = started + 21s;
  row.peak_requests = 240;
  row.peak_errors = 230;
  row.peak_ratio = 230.0 / 240.0;
  row.summary = "502 Bad Gateway on 96% of 240 requests in the last 60s";
  row.alert_json = R"({"v":1,"event":"firing"})";
  return row;
}

DeliveryAttemptRow attempt(const std::string& incident, const std::string& sink,
                           const std::string& event, uint32_t n, Timestamp at, int status,
                           const std::string& outcome) {
  return DeliveryAttemptRow{
      .incident_id = incident,
      .sink = sink,
      .event = event,
      .attempt = n,
      .at = at,
      .http_status = status,
      .slack_error = {},
      .latency_ms = 120,
      .outcome = outcome,
      .detail = outcome == "delivered" ? "HTTP 200" : "HTTP " + std::to_string(status)};
}

std::vector<std::string> ids(const std::vector<IncidentHistory>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.incident.id);
  return out;
}

HistoryQuery filtered(const std::string& rule, const std::string& source = {},
                      bool open_only = false) {
  HistoryQuery q;
  q.rule = rule;
  q.source = source;
  q.open_only = open_only;
  return q;
}

HistoryQuery since(std::optional<Timestamp> t) {
  HistoryQuery q;
  q.since = t;
  return q;
}

HistoryQuery page(std::size_t limit, std::size_t offset = 0) {
  HistoryQuery q;
  q.limit = limit;
  q.offset = offset;
  return q;
}

class HistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    opened_.reset();
    auto opened = openStateDatabase(dir_.path().string(), kT0);
    ASSERT_TRUE(opened) << opened.error().message;
    opened_.emplace(std::move(*opened));
    auto store = HistoryStore::open(opened_->db);
    ASSERT_TRUE(store) << store.error().message;
    store_.emplace(std::move(*store));
  }
  HistoryStore& store() { return *store_; }
  std::vector<IncidentHistory> query(const HistoryQuery& q) {
    auto rows = store().query(q);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<IncidentHistory>{};
  }

  testing::TempDir dir_;
  std::optional<StateDbOpened> opened_;
  std::optional<HistoryStore> store_;
};

TEST_F(HistoryStoreTest, FiringReminderResolvedUpdateOneRow) {
  IncidentRow row = firing("inc-a", kT0);
  ASSERT_TRUE(store().recordEvent(row));

  row.last_event = "reminder";
  row.updated_at = kT0 + 30min;
  row.peak_requests = 300;
  row.peak_errors = 299;
  row.peak_ratio = 299.0 / 300.0;
  row.alert_json = R"({"v":1,"event":"reminder"})";
  ASSERT_TRUE(store().recordEvent(row));

  auto open = store().openIncidents();
  ASSERT_TRUE(open) << open.error().message;
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().last_event, "reminder");
  EXPECT_FALSE(open->front().resolved_at.has_value());

  row.last_event = "resolved";
  row.resolved_at = kT0 + 62min;
  row.updated_at = kT0 + 62min + 5s;
  row.summary = "resolved after 1h 2m";
  row.alert_json = R"({"v":1,"event":"resolved"})";
  ASSERT_TRUE(store().recordEvent(row));

  reopen();
  auto all = query(HistoryQuery{});
  ASSERT_EQ(all.size(), 1u);
  const IncidentRow& got = all[0].incident;
  EXPECT_EQ(got.id, "inc-a");
  EXPECT_EQ(got.rule, "edge-5xx");
  EXPECT_EQ(got.rule_kind, "ratio");
  EXPECT_EQ(got.severity, "critical");
  EXPECT_EQ(got.source, "driver-insu-prod");
  EXPECT_EQ(got.group_json, R"({"source":"driver-insu-prod","upstream":"10.0.0.5:8080"})");
  EXPECT_EQ(got.hostname, "ip-10-0-0-1");
  EXPECT_EQ(got.started_at, kT0);
  EXPECT_EQ(got.fired_at, kT0 + 20s);
  ASSERT_TRUE(got.resolved_at.has_value());
  EXPECT_EQ(*got.resolved_at, kT0 + 62min);
  EXPECT_EQ(got.utc_offset_minutes, 540);
  EXPECT_EQ(got.last_event, "resolved");
  EXPECT_EQ(got.updated_at, kT0 + 62min + 5s);
  EXPECT_EQ(got.peak_requests, 300u);
  EXPECT_EQ(got.peak_errors, 299u);
  EXPECT_DOUBLE_EQ(got.peak_ratio, 299.0 / 300.0);
  EXPECT_EQ(got.summary, "resolved after 1h 2m");
  EXPECT_EQ(got.alert_json, R"({"v":1,"event":"resolved"})");
  EXPECT_EQ(got.firing_alert_json, R"({"v":1,"event":"firing"})")
      << "the firing alert as sent is kept beside the latest";
  EXPECT_FALSE(got.test);
  EXPECT_TRUE(store().openIncidents().value().empty());
}

TEST_F(HistoryStoreTest, IncidentFirstSeenResolvedHasNoFiringAlert) {
  IncidentRow row = firing("inc-r", kT0);
  row.last_event = "resolved";
  row.resolved_at = kT0 + 2min;
  ASSERT_TRUE(store().recordEvent(row));
  auto found = store().incident("inc-r");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->incident.firing_alert_json, "");
}

TEST_F(HistoryStoreTest, AttemptsComeBackOldestFirstWithEveryField) {
  ASSERT_TRUE(store().recordEvent(firing("inc-a", kT0)));
  DeliveryAttemptRow slack = attempt("inc-a", "ops-slack", "firing", 1, kT0 + 21s, 404, "failed");
  slack.slack_error = "no_service";
  slack.latency_ms = 87;
  slack.detail = "Slack refused the message: no_service (is the webhook URL right?)";
  ASSERT_TRUE(
      store().recordAttempt(attempt("inc-a", "pager", "firing", 1, kT0 + 22s, 503, "retry")));
  ASSERT_TRUE(store().recordAttempt(slack));
  ASSERT_TRUE(
      store().recordAttempt(attempt("inc-a", "pager", "firing", 2, kT0 + 25s, 200, "delivered")));
  ASSERT_TRUE(store().recordAttempt(
      attempt("inc-other", "pager", "firing", 1, kT0 + 25s, 200, "delivered")));

  auto found = store().incident("inc-a");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  const auto& attempts = (*found)->attempts;
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].sink, "ops-slack");  // at +21s: oldest first by time
  EXPECT_EQ(attempts[0].incident_id, "inc-a");
  EXPECT_EQ(attempts[0].event, "firing");
  EXPECT_EQ(attempts[0].attempt, 1u);
  EXPECT_EQ(attempts[0].at, kT0 + 21s);
  EXPECT_EQ(attempts[0].http_status, 404);
  EXPECT_EQ(attempts[0].slack_error, "no_service");
  EXPECT_EQ(attempts[0].latency_ms, 87);
  EXPECT_EQ(attempts[0].outcome, "failed");
  EXPECT_EQ(attempts[0].detail, slack.detail);
  EXPECT_EQ(attempts[1].sink, "pager");
  EXPECT_EQ(attempts[1].outcome, "retry");
  EXPECT_EQ(attempts[2].attempt, 2u);
  EXPECT_EQ(attempts[2].outcome, "delivered");
}

TEST_F(HistoryStoreTest, IncidentByIdThatDoesNotExistIsEmpty) {
  auto found = store().incident("nope");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(found->has_value());
}

TEST_F(HistoryStoreTest, QueryIsNewestFirstByStartAndFiltersByRuleSourceAndOpen) {
  IncidentRow a = firing("inc-a", kT0, "edge-5xx", "api");
  IncidentRow b = firing("inc-b", kT0 + 1h, "upstream-down", "api");
  IncidentRow c = firing("inc-c", kT0 + 2h, "edge-5xx", "shop");
  c.resolved_at = kT0 + 3h;
  c.last_event = "resolved";
  // Recorded out of order: the query sorts, not the insertion.
  for (const auto& row : {c, a, b}) ASSERT_TRUE(store().recordEvent(row));

  EXPECT_EQ(ids(query(HistoryQuery{})), (std::vector<std::string>{"inc-c", "inc-b", "inc-a"}));
  EXPECT_EQ(ids(query(filtered("edge-5xx"))), (std::vector<std::string>{"inc-c", "inc-a"}));
  EXPECT_EQ(ids(query(filtered("", "api"))), (std::vector<std::string>{"inc-b", "inc-a"}));
  EXPECT_EQ(ids(query(filtered("edge-5xx", "shop"))), (std::vector<std::string>{"inc-c"}));
  EXPECT_EQ(ids(query(filtered("", "", true))), (std::vector<std::string>{"inc-b", "inc-a"}));
  EXPECT_TRUE(query(filtered("no-such-rule")).empty());
}

TEST_F(HistoryStoreTest, SinceKeepsIncidentsUpdatedAtOrAfterIt) {
  IncidentRow old_one = firing("inc-old", kT0 - 48h);
  old_one.updated_at = kT0 - 47h;
  IncidentRow long_running = firing("inc-long", kT0 - 30h);
  long_running.updated_at = kT0 - 1h;  // started before, still updated (a reminder) since
  IncidentRow edge = firing("inc-edge", kT0 - 25h);
  edge.updated_at = kT0 - 24h;  // exactly at the boundary: included
  for (const auto& row : {old_one, long_running, edge}) ASSERT_TRUE(store().recordEvent(row));

  EXPECT_EQ(ids(query(since(kT0 - 24h))), (std::vector<std::string>{"inc-edge", "inc-long"}));
  EXPECT_EQ(ids(query(since(kT0 - 24h + 1ms))), (std::vector<std::string>{"inc-long"}));
  EXPECT_EQ(query(since(std::nullopt)).size(), 3u);
}

TEST_F(HistoryStoreTest, LimitAndOffsetPageWithoutOverlap) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(store().recordEvent(firing("inc-" + std::to_string(i), kT0 + i * 1min)));
  }
  EXPECT_EQ(ids(query(page(3))), (std::vector<std::string>{"inc-6", "inc-5", "inc-4"}));
  EXPECT_EQ(ids(query(page(3, 3))), (std::vector<std::string>{"inc-3", "inc-2", "inc-1"}));
  EXPECT_EQ(ids(query(page(3, 6))), (std::vector<std::string>{"inc-0"}));
  EXPECT_TRUE(query(page(3, 7)).empty());
}

TEST_F(HistoryStoreTest, SameStartTimeStillPagesWithoutOverlap) {
  for (const char* id : {"x1", "x2", "x3", "x4"}) ASSERT_TRUE(store().recordEvent(firing(id, kT0)));
  auto first = ids(query(page(2)));
  auto second = ids(query(page(2, 2)));
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  for (const auto& id : first) EXPECT_EQ(std::count(second.begin(), second.end(), id), 0) << id;
}

TEST_F(HistoryStoreTest, BadLimitAndOffsetValuesAreBounded) {
  // A few rows, and a limit far above the cap: the cap applies, nothing overflows.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store().recordEvent(firing("inc-" + std::to_string(i), kT0 + i * 1s)));
  }
  EXPECT_EQ(query(page(std::numeric_limits<std::size_t>::max())).size(), 3u);
  EXPECT_TRUE(query(page(0)).empty());
  EXPECT_TRUE(query(page(100, std::numeric_limits<std::size_t>::max())).empty());
}

TEST_F(HistoryStoreTest, LimitIsCappedAtTheMaximum) {
  auto tx = Transaction::begin(opened_->db);
  ASSERT_TRUE(tx);
  for (std::size_t i = 0; i < kMaxHistoryLimit + 5; ++i) {
    IncidentRow row = firing("bulk-" + std::to_string(i), kT0 + Millis(i));
    ASSERT_TRUE(store().recordEvent(row));
  }
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(query(page(kMaxHistoryLimit + 5)).size(), kMaxHistoryLimit);
  EXPECT_EQ(query(page(5000)).size(), kMaxHistoryLimit);
}

TEST_F(HistoryStoreTest, OnlyTheNewestAttemptsOfAnIncidentAreReturned) {
  ASSERT_TRUE(store().recordEvent(firing("inc-a", kT0)));
  auto tx = Transaction::begin(opened_->db);
  ASSERT_TRUE(tx);
  const uint32_t total = kMaxAttemptsPerIncident + 10;
  for (uint32_t n = 1; n <= total; ++n) {
    ASSERT_TRUE(store().recordAttempt(
        attempt("inc-a", "hook", "firing", n, kT0 + std::chrono::seconds(n), 503, "retry")));
  }
  ASSERT_TRUE(tx->commit());
  const auto attempts = store().incident("inc-a").value().value().attempts;
  ASSERT_EQ(attempts.size(), kMaxAttemptsPerIncident);
  EXPECT_EQ(attempts.front().attempt, 11u);
  EXPECT_EQ(attempts.back().attempt, total);
}

TEST_F(HistoryStoreTest, OpenIncidentsLeaveOutResolvedAndTestAlerts) {
  IncidentRow open_one = firing("inc-open", kT0);
  IncidentRow resolved = firing("inc-done", kT0 + 1min);
  resolved.resolved_at = kT0 + 2min;
  IncidentRow test = firing("test.1", kT0 + 3min, "test-alert");
  test.test = true;
  for (const auto& row : {open_one, resolved, test}) ASSERT_TRUE(store().recordEvent(row));

  auto open = store().openIncidents();
  ASSERT_TRUE(open) << open.error().message;
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().id, "inc-open");
  auto found = store().incident("test.1").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->incident.test);
}

TEST_F(HistoryStoreTest, PruneDeletesOldIncidentsTheirAttemptsAndOldOrphans) {
  IncidentRow old_one = firing("inc-old", kT0 - 100 * 24h);
  old_one.updated_at = kT0 - 95 * 24h;
  IncidentRow recent = firing("inc-new", kT0 - 2h);
  ASSERT_TRUE(store().recordEvent(old_one));
  ASSERT_TRUE(store().recordEvent(recent));
  ASSERT_TRUE(store().recordAttempt(
      attempt("inc-old", "ops-slack", "firing", 1, kT0 - 95 * 24h, 200, "delivered")));
  ASSERT_TRUE(store().recordAttempt(
      attempt("inc-new", "ops-slack", "firing", 1, kT0 - 2h, 200, "delivered")));
  // Attempts of incidents whose row is not there: an old one goes, a recent one stays (its
  // incident's next event will write the row).
  ASSERT_TRUE(store().recordAttempt(
      attempt("inc-gone", "ops-slack", "firing", 1, kT0 - 91 * 24h, 500, "retry")));
  ASSERT_TRUE(store().recordAttempt(
      attempt("inc-later", "ops-slack", "firing", 1, kT0 - 1h, 500, "retry")));

  auto pruned = store().prune(kT0 - 90 * 24h);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 1);

  EXPECT_FALSE(store().incident("inc-old").value().has_value());
  auto kept = store().incident("inc-new").value();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->attempts.size(), 1u);
  auto left = opened_->db.queryInt("SELECT count(*) FROM delivery_attempts");
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 2) << "inc-new's attempt and inc-later's recent orphan";
  EXPECT_EQ(
      opened_->db.queryInt("SELECT count(*) FROM delivery_attempts WHERE incident_id = 'inc-later'")
          .value(),
      1);

  // Pruning again finds nothing more.
  EXPECT_EQ(store().prune(kT0 - 90 * 24h).value(), 0);
}

TEST_F(HistoryStoreTest, PeakCountsAboveInt64RoundTrip) {
  IncidentRow row = firing("inc-big", kT0);
  row.peak_requests = std::numeric_limits<uint64_t>::max();
  row.peak_errors = (uint64_t{1} << 63) + 7;
  ASSERT_TRUE(store().recordEvent(row));
  const IncidentRow got = store().incident("inc-big").value().value().incident;
  EXPECT_EQ(got.peak_requests, row.peak_requests);
  EXPECT_EQ(got.peak_errors, row.peak_errors);
}

}  // namespace
}  // namespace gw
