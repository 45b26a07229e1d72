// The status server on 127.0.0.1 with a snapshot source and a real SQLite history: each
// endpoint's answers, the HTTP limits (methods, header size, time per request, connections),
// bind errors, and garbage that must never take it down.
#include "http/status_server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "../common/temp_dir.h"
#include "raw_client.h"
#include "store/history_store.h"
#include "store/state_db.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::httpGet;
using testing::RawClient;
using testing::RawResponse;

constexpr Timestamp kT0{Millis{1'668'565'588'000}};  // 2022-11-16T02:26:28Z = 11:26:28+09:00
constexpr Timestamp kNow = kT0 + 5h;

class FakeClock final : public Clock {
 public:
  Timestamp now() const override { return kNow; }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
};

StatusSnapshot healthySnapshot() {
  StatusSnapshot s;
  s.taken_at = kNow;
  s.started_at = kT0;
  s.version = "0.1.0";
  SourceStatus web;
  web.name = "web";
  web.lines_parsed = 100;
  web.last_line_at = kNow - 1s;
  s.sources.push_back(web);
  s.paths.push_back({"web", "/var/log/nginx/access.log", 512});
  SinkStatus ops;
  ops.name = "ops";
  ops.type = "slack";
  s.sinks.push_back(ops);
  return s;
}

// Label values as hostile as configuration and log paths can make them.
StatusSnapshot hostileSnapshot() {
  StatusSnapshot s = healthySnapshot();
  s.version = "0.1.0\n\"beta\"\\";
  SourceStatus evil;
  evil.name = "evil\"src\\name\nnext ünï 日本 \xff";
  evil.last_line_at = kNow;
  s.sources.push_back(evil);
  s.paths.push_back({evil.name, "/var/log/\"x\"\\y\n\xc3\x28.log", 9});
  SinkStatus sink;
  sink.name = "sink\\\"\n";
  sink.failing = true;
  s.sinks.push_back(sink);
  s.alerts[{"rule \"q\"", "firing"}] = 3;
  s.alerts[{"rule\\", "resolved\n"}] = 1;
  return s;
}

IncidentRow incident(const std::string& id, const std::string& rule, const std::string& source,
                     Timestamp started, std::optional<Timestamp> resolved) {
  IncidentRow row;
  row.id = id;
  row.rule = rule;
  row.rule_kind = "ratio";
  row.severity = "critical";
  row.source = source;
  row.group_json = R"({"source":")" + source + R"("})";
  row.hostname = "ip-10-0-0-1";
  row.started_at = started;
  row.fired_at = started + 20s;
  row.resolved_at = resolved;
  row.utc_offset_minutes = 540;
  row.last_event = resolved ? "resolved" : "firing";
  row.updated_at = resolved.value_or(started + 20s);
  row.peak_requests = 240;
  row.peak_errors = 231;
  row.peak_ratio = 231.0 / 240.0;
  row.summary = "502 Bad Gateway on 96% of 240 requests in the last 60s";
  row.alert_json = R"({"version":1,"id":")" + id +
                   R"(","context":{"access":["GET /<script>alert(1)</script> 502"],"error":[]}})";
  return row;
}

DeliveryAttemptRow attempt(const std::string& id, const std::string& sink, const std::string& event,
                           uint32_t n, Timestamp at, int status, const std::string& outcome,
                           const std::string& slack_error = {}) {
  return DeliveryAttemptRow{.incident_id = id,
                            .sink = sink,
                            .event = event,
                            .attempt = n,
                            .at = at,
                            .http_status = status,
                            .slack_error = slack_error,
                            .latency_ms = 80,
                            .outcome = outcome,
                            .detail = "HTTP " + std::to_string(status)};
}

std::vector<std::string> ids(const Json& list) {
  std::vector<std::string> out;
  for (const Json& alert : list["alerts"]) out.push_back(alert["id"]);
  return out;
}

class StatusServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = openStateDatabase(dir_.path().string(), kT0);
    ASSERT_TRUE(opened) << opened.error().message;
    db_.emplace(std::move(*opened));
    auto store = HistoryStore::open(db_->db);
    ASSERT_TRUE(store) << store.error().message;
    // Newest first by started_at: inc-5, inc-4, inc-3, inc-2, inc-1.
    const IncidentRow rows[] = {
        incident("inc-1", "edge-5xx", "web", kT0, kT0 + 10min),
        incident("inc-2", "edge-5xx", "api", kT0 + 1h, kT0 + 65min),
        incident("inc-3", "upstream-down", "web", kT0 + 2h, std::nullopt),
        incident("inc-4", "upstream-down", "api", kT0 + 3h, kT0 + 190min),
        incident("inc-5", "edge-5xx", "web", kT0 + 4h, std::nullopt),
    };
    for (const IncidentRow& row : rows) ASSERT_TRUE(store->recordEvent(row));
    const DeliveryAttemptRow attempts[] = {
        attempt("inc-1", "ops", "firing", 1, kT0 + 21s, 503, "retry"),
        attempt("inc-1", "ops", "firing", 2, kT0 + 40s, 200, "delivered"),
        attempt("inc-1", "pager", "firing", 1, kT0 + 22s, 200, "delivered"),
        attempt("inc-1", "ops", "resolved", 1, kT0 + 10min + 1s, 200, "delivered"),
        attempt("inc-5", "ops", "firing", 1, kT0 + 4h + 21s, 403, "failed", "invalid_token"),
    };
    for (const DeliveryAttemptRow& row : attempts) ASSERT_TRUE(store->recordAttempt(row));
  }

  StatusServerOptions options() const {
    StatusServerOptions o;
    o.listen = "127.0.0.1:0";
    o.state_db_path = (dir_.path() / kStateDbFileName).string();
    o.request_timeout = 2s;
    return o;
  }

  void start(StatusServerOptions o) {
    auto server = StatusServer::start(
        std::move(o),
        [this] {
          std::lock_guard lock(mutex_);
          return snapshot_;
        },
        clock_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }
  void start() { start(options()); }

  void publish(StatusSnapshot s) {
    std::lock_guard lock(mutex_);
    snapshot_ = std::make_shared<const StatusSnapshot>(std::move(s));
  }

  RawResponse get(const std::string& target, const std::string& method = "GET") {
    auto response = httpGet(server_->port(), target, method);
    EXPECT_TRUE(response.has_value()) << method << " " << target << ": no answer";
    return response.value_or(RawResponse{});
  }
  Json getJson(const std::string& target, int status = 200) {
    const RawResponse response = get(target);
    EXPECT_EQ(response.status, status) << target << ": " << response.body;
    EXPECT_EQ(response.header("content-type"), "application/json") << target;
    Json parsed = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << target << ": " << response.body;
    return parsed;
  }

  gw::testing::TempDir dir_;
  std::optional<StateDbOpened> db_;
  FakeClock clock_;
  std::mutex mutex_;
  std::shared_ptr<const StatusSnapshot> snapshot_;
  std::unique_ptr<StatusServer> server_;
};

// --- /healthz

TEST_F(StatusServerTest, HealthzIs200WithEachSourcesLag) {
  publish(healthySnapshot());
  start();
  const Json body = getJson("/healthz");
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["sources"][0]["lag_bytes"], 512);
  EXPECT_EQ(body["sources"][0]["last_line_at"], "2022-11-16T07:26:27Z");
}

TEST_F(StatusServerTest, HealthzIs503WhenASourceStaysUnreadable) {
  publish(healthySnapshot());
  start();
  EXPECT_EQ(get("/healthz").status, 200);
  StatusSnapshot s = healthySnapshot();
  s.sources[0].readable = false;
  s.sources[0].problem = "permission denied";
  s.sources[0].unreadable_since = kNow - 5min;
  publish(s);
  const Json body = getJson("/healthz", 503);
  EXPECT_EQ(body["status"], "unhealthy");
  EXPECT_NE(body["reasons"][0].get<std::string>().find("permission denied"), std::string::npos);
}

TEST_F(StatusServerTest, HealthzIs503WhenTheOutboxIsStuck) {
  StatusSnapshot s = healthySnapshot();
  s.sinks[0].oldest_pending_at = kNow - 1h;
  publish(s);
  start();
  EXPECT_EQ(getJson("/healthz", 503)["status"], "unhealthy");
}

TEST_F(StatusServerTest, BeforeTheFirstSnapshotHealthzAndMetricsAre503) {
  start();
  EXPECT_EQ(get("/healthz").status, 503);
  EXPECT_EQ(get("/metrics").status, 503);
}

// --- /metrics

TEST_F(StatusServerTest, MetricsAreTextFormat004) {
  publish(healthySnapshot());
  start();
  const RawResponse response = get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("gatewatch_lines_total{source=\"web\",result=\"parsed\"} 100\n"),
            std::string::npos);
}

// `promtool check metrics` on `text`: its exit status and output.
std::pair<int, std::string> promtool(const std::string& text, const gw::testing::TempDir& dir) {
  const std::string in = dir.write("metrics.txt", text);
  const std::string out = dir.file("promtool.out");
  const int status =
      std::system(("promtool check metrics < '" + in + "' > '" + out + "' 2>&1").c_str());
  std::ifstream file(out);
  std::stringstream output;
  output << file.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output.str()};
}

bool havePromtool() { return std::system("command -v promtool > /dev/null 2>&1") == 0; }

TEST_F(StatusServerTest, PromtoolAcceptsMetricsWithHostileLabelValues) {
  if (!havePromtool()) GTEST_SKIP() << "promtool not found (Debian package prometheus)";
  publish(hostileSnapshot());
  start();
  const RawResponse response = get("/metrics");
  ASSERT_EQ(response.status, 200);
  EXPECT_NE(response.body.find(R"(source="evil\"src\\name\nnext ünï 日本 )"), std::string::npos)
      << response.body;
  const auto [status, output] = promtool(response.body, dir_);
  EXPECT_EQ(status, 0) << output << "\n--- metrics:\n" << response.body;
  EXPECT_EQ(output, "") << output;
}

TEST_F(StatusServerTest, PromtoolAcceptsMetricsOfAnEmptySnapshot) {
  if (!havePromtool()) GTEST_SKIP() << "promtool not found (Debian package prometheus)";
  const auto [status, output] = promtool(renderMetrics(StatusSnapshot{}), dir_);
  EXPECT_EQ(status, 0) << output;
}

// --- /api/alerts

TEST_F(StatusServerTest, AlertsNewestFirstWithIncidentFieldsInTheirOwnOffset) {
  start();
  const Json body = getJson("/api/alerts");
  EXPECT_EQ(ids(body), (std::vector<std::string>{"inc-5", "inc-4", "inc-3", "inc-2", "inc-1"}));
  EXPECT_TRUE(body["next_offset"].is_null());
  const Json& first = body["alerts"][4];
  EXPECT_EQ(first["rule"], "edge-5xx");
  EXPECT_EQ(first["group"]["source"], "web");
  EXPECT_EQ(first["started_at"], "2022-11-16T11:26:28+09:00");
  EXPECT_EQ(first["resolved_at"], "2022-11-16T11:36:28+09:00");
  EXPECT_EQ(first["duration_seconds"], 600.0);
  EXPECT_FALSE(first["open"]);
  EXPECT_EQ(first["peak"]["requests"], 240);
  EXPECT_EQ(first["peak"]["errors"], 231);
  EXPECT_EQ(first["alert"]["context"]["access"][0], "GET /<script>alert(1)</script> 502");
  // Per sink: how its notifications ended.
  ASSERT_EQ(first["deliveries"].size(), 2u);
  const Json& ops = first["deliveries"][0];
  EXPECT_EQ(ops["sink"], "ops");
  EXPECT_EQ(ops["attempts"], 3);
  EXPECT_EQ(ops["last_outcome"], "delivered");
  EXPECT_EQ(ops["last_event"], "resolved");
  EXPECT_EQ(ops["delivered_at"], "2022-11-16T11:36:29+09:00");
  EXPECT_EQ(ops["last_http_status"], 200);
  EXPECT_EQ(first["deliveries"][1]["sink"], "pager");

  const Json& newest = body["alerts"][0];
  EXPECT_TRUE(newest["open"]);
  EXPECT_TRUE(newest["resolved_at"].is_null());
  EXPECT_EQ(newest["duration_seconds"], 3600.0);  // open: up to now
  EXPECT_EQ(newest["deliveries"][0]["last_outcome"], "failed");
  EXPECT_EQ(newest["deliveries"][0]["last_slack_error"], "invalid_token");
  EXPECT_EQ(newest["deliveries"][0]["last_http_status"], 403);
  EXPECT_TRUE(newest["deliveries"][0]["delivered_at"].is_null());
}

TEST_F(StatusServerTest, AlertFiltersSelectByRuleSourceOpenAndSince) {
  start();
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(getJson("/api/alerts?rule=upstream-down")), (V{"inc-4", "inc-3"}));
  EXPECT_EQ(ids(getJson("/api/alerts?source=web")), (V{"inc-5", "inc-3", "inc-1"}));
  EXPECT_EQ(ids(getJson("/api/alerts?open=true")), (V{"inc-5", "inc-3"}));
  EXPECT_EQ(ids(getJson("/api/alerts?open=0")).size(), 5u);
  EXPECT_EQ(ids(getJson("/api/alerts?rule=edge-5xx&source=web&open=1")), (V{"inc-5"}));
  // since: updated at or after. inc-5 was updated at 4h00m20s, inc-4 at 3h10m.
  EXPECT_EQ(ids(getJson("/api/alerts?since=90m")), (V{"inc-5"}));
  EXPECT_EQ(ids(getJson("/api/alerts?since=2022-11-16T13:26:28%2B09:00")),
            (V{"inc-5", "inc-4", "inc-3"}));
  EXPECT_EQ(ids(getJson("/api/alerts?rule=nothing-like-it")), V{});
}

TEST_F(StatusServerTest, AlertPagesFollowNextOffsetToTheEnd) {
  start();
  std::vector<std::string> seen;
  std::string target = "/api/alerts?limit=2";
  for (int page = 0; page < 10; ++page) {
    const Json body = getJson(target);
    for (const std::string& id : ids(body)) seen.push_back(id);
    if (body["next_offset"].is_null()) break;
    target = "/api/alerts?limit=2&offset=" + std::to_string(body["next_offset"].get<int>());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"inc-5", "inc-4", "inc-3", "inc-2", "inc-1"}));
  EXPECT_EQ(getJson("/api/alerts?limit=2&offset=2")["next_offset"], 4);
  EXPECT_TRUE(getJson("/api/alerts?offset=1000")["alerts"].empty());
}

TEST_F(StatusServerTest, BadAlertParametersAre400NamingTheParameter) {
  start();
  for (const auto& [query, parameter] :
       std::vector<std::pair<std::string, std::string>>{{"since=yesterday", "since"},
                                                        {"limit=0", "limit"},
                                                        {"limit=5000", "limit"},
                                                        {"offset=-3", "offset"},
                                                        {"open=perhaps", "open"},
                                                        {"rule=a&rule=b", "rule"},
                                                        {"color=red", "color"},
                                                        {"since=%zz", "since"}}) {
    const Json body = getJson("/api/alerts?" + query, 400);
    EXPECT_EQ(body["parameter"], parameter) << query;
    EXPECT_NE(body["error"].get<std::string>().find(parameter), std::string::npos) << query;
  }
}

TEST_F(StatusServerTest, OneAlertHasEveryAttempt) {
  start();
  const Json body = getJson("/api/alerts/inc-1");
  EXPECT_EQ(body["id"], "inc-1");
  ASSERT_EQ(body["attempts"].size(), 4u);
  EXPECT_EQ(body["attempts"][0]["sink"], "ops");
  EXPECT_EQ(body["attempts"][0]["outcome"], "retry");
  EXPECT_EQ(body["attempts"][0]["http_status"], 503);
  EXPECT_EQ(body["attempts"][0]["at"], "2022-11-16T11:26:49+09:00");
  EXPECT_EQ(body["deliveries"].size(), 2u);
}

TEST_F(StatusServerTest, UnknownAlertIs404) {
  start();
  EXPECT_EQ(getJson("/api/alerts/inc-999", 404)["error"], "no incident with id inc-999");
  getJson("/api/alerts/" + std::string(300, 'x'), 404);
  getJson("/api/alerts/%00%ff%22", 404);
}

TEST_F(StatusServerTest, AlertsWithoutAStateDatabaseAre503) {
  StatusServerOptions o = options();
  o.state_db_path = "";
  start(o);
  EXPECT_NE(getJson("/api/alerts", 503)["error"].get<std::string>().find("off"), std::string::npos);
}

TEST_F(StatusServerTest, AlertsBeforeTheDatabaseExistsAre503ThenServed) {
  StatusServerOptions o = options();
  o.state_db_path = dir_.file("later/gatewatch.db");
  start(o);
  getJson("/api/alerts", 503);
  EXPECT_FALSE(std::filesystem::exists(o.state_db_path)) << "the server must not create it";
  auto later = openStateDatabase(dir_.file("later"), kT0);
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(getJson("/api/alerts")["alerts"].size(), 0u);
}

// --- HTTP

TEST_F(StatusServerTest, UnknownPathIs404) {
  publish(healthySnapshot());
  start();
  EXPECT_EQ(getJson("/nothing-here", 404)["error"], "no such path");
}

TEST_F(StatusServerTest, PostIs405WithAllow) {
  publish(healthySnapshot());
  start();
  RawClient client(server_->port());
  ASSERT_TRUE(client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405) << response->body;
  EXPECT_EQ(response->header("allow"), "GET, HEAD");
}

TEST_F(StatusServerTest, RequestWithABodyIsRefusedAndTheConnectionClosed) {
  publish(healthySnapshot());
  start();
  for (const std::string method : {"POST", "GET"}) {
    RawClient client(server_->port());
    ASSERT_TRUE(
        client.send(method + " /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    auto response = client.readResponse();
    ASSERT_TRUE(response) << method;
    EXPECT_EQ(response->status, method == "POST" ? 405 : 400) << method;
    EXPECT_EQ(response->header("connection"), "close");
    EXPECT_TRUE(client.waitClosed()) << method;
  }
}

TEST_F(StatusServerTest, HeadHasGetsLengthAndNoBody) {
  publish(healthySnapshot());
  start();
  const std::string get_body = get("/metrics").body;
  RawClient client(server_->port());
  ASSERT_TRUE(client.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = client.readResponse(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), std::to_string(get_body.size()));
  // The next answer on the same connection starts right away: HEAD sent no body bytes.
  ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto next = client.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(StatusServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  publish(healthySnapshot());
  start();
  RawClient client(server_->port());
  // Pipelined: both requests in one write.
  ASSERT_TRUE(client.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = client.readResponse();
  auto second = client.readResponse();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->header("content-type"), "application/json");
  EXPECT_EQ(second->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  ASSERT_TRUE(
      client.send("GET /api/alerts?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto third = client.readResponse();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
  EXPECT_TRUE(client.waitClosed());
}

TEST_F(StatusServerTest, OversizedHeadersAre431) {
  publish(healthySnapshot());
  start();
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(client.waitClosed());
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(StatusServerTest, TenKibRequestTargetIsAnsweredNotFatal) {
  publish(healthySnapshot());
  start();
  EXPECT_EQ(get("/" + std::string(10 * 1024, 'x')).status, 404);
  EXPECT_EQ(get("/api/alerts?rule=" + std::string(10 * 1024, 'r')).status, 400);
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(StatusServerTest, ClientThatStallsMidRequestIsDisconnected) {
  publish(healthySnapshot());
  StatusServerOptions o = options();
  o.request_timeout = 300ms;
  start(o);
  RawClient stalled(server_->port());
  ASSERT_TRUE(stalled.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(stalled.waitClosed()) << "still connected after " << RawClient::kReadTimeout.count()
                                    << " ms with a 300 ms request timeout";
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(StatusServerTest, ClientThatDripsBytesIsCutOffByTheWholeRequestTimeout) {
  publish(healthySnapshot());
  StatusServerOptions o = options();
  o.request_timeout = 300ms;
  start(o);
  RawClient drip(server_->port());
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a');
  bool cut = false;
  // One byte every 20 ms would take 4.6 s: the server must end it after about 300 ms.
  for (char c : request) {
    if (!drip.send(std::string_view(&c, 1))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(20ms);  // the slow client itself, not synchronisation
  }
  EXPECT_TRUE(cut || drip.waitClosed());
  EXPECT_TRUE(cut) << "the whole drip was accepted";
}

TEST_F(StatusServerTest, ConnectionsBeyondTheLimitGet503) {
  publish(healthySnapshot());
  StatusServerOptions o = options();
  o.max_connections = 2;
  start(o);
  auto held = std::make_unique<RawClient>(server_->port());
  RawClient other(server_->port());
  // An answer on each proves the server has taken both.
  for (RawClient* c : {held.get(), &other}) {
    ASSERT_TRUE(c->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c->readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  auto refused = httpGet(server_->port(), "/healthz");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  held.reset();  // one closes: a new client is served again
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!served && std::chrono::steady_clock::now() < deadline) {
    auto r = httpGet(server_->port(), "/healthz");
    served = r && r->status == 200;
  }
  EXPECT_TRUE(served);
}

TEST_F(StatusServerTest, PortAlreadyInUseSaysSo) {
  start();
  StatusServerOptions o = options();
  o.listen = "127.0.0.1:" + std::to_string(server_->port());
  auto second = StatusServer::start(
      o, [] { return nullptr; }, clock_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message,
            "port " + std::to_string(server_->port()) +
                " on 127.0.0.1 is already in use (another gatewatch?); set http.listen to another "
                "port or \"\" to turn the status server off");
}

TEST_F(StatusServerTest, InvalidListenAddressIsAnError) {
  StatusServerOptions o = options();
  o.listen = "nowhere:9177";
  auto server = StatusServer::start(
      o, [] { return nullptr; }, clock_);
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().message.find("not an IP address"), std::string::npos);
}

TEST_F(StatusServerTest, ListensOnIpv6Loopback) {
  StatusServerOptions o = options();
  o.listen = "[::1]:0";
  auto server = StatusServer::start(
      o, [] { return nullptr; }, clock_);
  if (!server) GTEST_SKIP() << "no IPv6 loopback here: " << server.error().message;
  EXPECT_NE((*server)->port(), 0);
}

TEST_F(StatusServerTest, GarbageNeverTakesTheServerDown) {
  publish(healthySnapshot());
  StatusServerOptions o = options();
  o.request_timeout = 500ms;
  start(o);
  std::vector<std::string> garbage = {
      "\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/9.9\r\n\r\n",
      "GET /healthz HTTP/1.1\nHost: x\n\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /api/alerts HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + std::string(50000, 'b'),
      "GET /api/alerts?%%%%=&&==&since=%ff%fe HTTP/1.1\r\n\r\n",
      "GET /api/alerts/%00%ff HTTP/1.1\r\n\r\n",
      "GET http://127.0.0.1/healthz HTTP/1.1\r\n\r\n",
      "GET * HTTP/1.1\r\n\r\n",
      "CONNECT 127.0.0.1:22 HTTP/1.1\r\n\r\n",
      "GET /" + std::string(10 * 1024, '%') + " HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\n" + std::string(3000, 'X') + ": y\r\n\r\n",
      std::string("GET /healthz HTTP/1.1\r\nHost: \0\x01\x7f\r\n\r\n", 36),
  };
  std::string many_headers = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 3000; ++i) many_headers += "X: y\r\n";
  garbage.push_back(many_headers + "\r\n");
  std::mt19937 random(20221116);
  for (int i = 0; i < 100; ++i) {
    std::string bytes(random() % 2000 + 1, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    if (i % 2 == 0) bytes = "GET /healthz HTTP/1.1\r\n" + bytes;  // garbage after a good start
    garbage.push_back(std::move(bytes));
  }
  for (const std::string& request : garbage) {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    client.send(request);  // the server may close before taking it all
    client.shutdownWrite();
    EXPECT_TRUE(client.waitClosed()) << "connection left open after: " << request.substr(0, 80);
  }
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(StatusServerTest, StoppingWithOpenConnectionsReturns) {
  publish(healthySnapshot());
  start();
  RawClient idle(server_->port());
  RawClient half(server_->port());
  ASSERT_TRUE(half.send("GET /hea"));
  EXPECT_EQ(get("/healthz").status, 200);
  server_.reset();
  EXPECT_TRUE(idle.waitClosed());
  EXPECT_TRUE(half.waitClosed());
}

}  // namespace
}  // namespace gw
