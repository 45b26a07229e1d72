// The history page and its safety on the real status server (127.0.0.1, a real SQLite history):
// security headers on every answer, the page's paths and static files (content types, ETag,
// versioned URLs), basic auth end to end, /api/alerts `until` and `zone`, and bad parameters on
// every endpoint answered with a 400 that names the parameter.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

#include "../common/temp_dir.h"
#include "http/basic_auth.h"
#include "http/status_server.h"
#include "http/web_assets.h"
#include "raw_client.h"
#include "store/history_store.h"
#include "store/minute_store.h"
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

// `openssl passwd -6 -salt abcdefgh secret` and a yescrypt hash of "secret" (mkpasswd -m
// yescrypt), as an operator would paste them into http.auth_password_hash.
constexpr const char* kSha512Secret =
    "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/"
    "O6IND4WQhG.";
constexpr const char* kYescryptSecret =
    "$y$j9T$PmN1BFN0aOVUkYg..07ic.$CUiH32BLayXPzjRMv8irg81hliPsA8/mY9YcyLQJaB2";
// base64("ops:secret"), base64("ops:wrong"), base64("eve:secret")
constexpr const char* kRightCredentials = "Basic b3BzOnNlY3JldA==";
constexpr const char* kWrongPassword = "Basic b3BzOndyb25n";
constexpr const char* kWrongUser = "Basic ZXZlOnNlY3JldA==";

constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Wall time stands at kNow; steady time moves a second per reading, so basic auth's budget of
// hashes per second never runs out unless a test stops it (`frozen`).
class FakeClock final : public Clock {
 public:
  Timestamp now() const override { return kNow; }
  std::chrono::steady_clock::time_point steadyNow() const override {
    if (frozen) return std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    return std::chrono::steady_clock::time_point{} + std::chrono::seconds(++readings_);
  }
  std::atomic<bool> frozen{false};

 private:
  mutable std::atomic<int64_t> readings_{0};
};

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
  row.alert_json = R"({"context":{"access":["GET /<script>alert(1)</script> 502"],"error":[]}})";
  return row;
}

// A request with extra header lines ("Name: value\r\n" each) on a fresh connection.
std::optional<RawResponse> request(uint16_t port, const std::string& target,
                                   const std::string& headers, const std::string& method = "GET") {
  RawClient client(port);
  if (!client.connected()) return std::nullopt;
  if (!client.send(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                   "Connection: close\r\n\r\n")) {
    return std::nullopt;
  }
  return client.readResponse(method == "HEAD");
}

std::vector<std::string> ids(const Json& list) {
  std::vector<std::string> out;
  for (const Json& alert : list["alerts"]) out.push_back(alert["id"]);
  return out;
}

class WebPageTest : public ::testing::Test {
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
    MinuteStore minutes(db_->db);
    const SourceMinutes counts[] = {
        {"web", MinuteCounts{.minute = kT0, .requests = 240, .failures = 231, .s5xx = 231}},
        {"web", MinuteCounts{.minute = kT0 + 1min, .requests = 100, .failures = 0, .s2xx = 100}},
    };
    ASSERT_TRUE(minutes.add(counts));
  }

  StatusServerOptions options() const {
    StatusServerOptions o;
    o.listen = "127.0.0.1:0";
    o.state_db_path = (dir_.path() / kStateDbFileName).string();
    o.request_timeout = 2s;
    auto seoul = TimeZone::load("Asia/Seoul");
    o.zone = seoul ? *seoul : TimeZone::utc();
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
  void startWithAuth(const char* hash = kYescryptSecret) {
    StatusServerOptions o = options();
    o.auth_user = "ops";
    o.auth_password_hash = hash;
    start(o);
  }

  void publish() {
    StatusSnapshot s;
    s.taken_at = kNow;
    s.started_at = kT0;
    std::lock_guard lock(mutex_);
    snapshot_ = std::make_shared<const StatusSnapshot>(std::move(s));
  }

  RawResponse get(const std::string& target, const std::string& headers = "",
                  const std::string& method = "GET") {
    auto response = request(server_->port(), target, headers, method);
    EXPECT_TRUE(response.has_value()) << method << " " << target << ": no answer";
    return response.value_or(RawResponse{});
  }
  Json getJson(const std::string& target, int status = 200, const std::string& headers = "") {
    const RawResponse response = get(target, headers);
    EXPECT_EQ(response.status, status) << target << ": " << response.body;
    EXPECT_EQ(response.header("content-type"), "application/json") << target;
    Json parsed = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << target << ": " << response.body;
    return parsed;
  }

  void expectSecurityHeaders(const RawResponse& r, const std::string& what) {
    EXPECT_EQ(r.header("content-security-policy"), kCsp) << what;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << what;
    EXPECT_EQ(r.header("x-frame-options"), "DENY") << what;
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << what;
    EXPECT_FALSE(r.header("cache-control").empty()) << what;
  }

  std::string versionedUrl(const std::string& name) {
    const WebAsset* asset = findWebAsset(name);
    EXPECT_NE(asset, nullptr) << name;
    return "/static/" + name + "?v=" + std::string(asset ? asset->version : "");
  }

  gw::testing::TempDir dir_;
  std::optional<StateDbOpened> db_;
  FakeClock clock_;
  std::mutex mutex_;
  std::shared_ptr<const StatusSnapshot> snapshot_;
  std::unique_ptr<StatusServer> server_;
};

// --- security headers

TEST_F(WebPageTest, EveryAnswerCarriesTheSecurityHeaders) {
  publish();
  start();
  for (const std::string target :
       {"/healthz", "/metrics", "/api/alerts", "/api/alerts/inc-1", "/api/alerts/none",
        "/api/sources", "/api/sources/web/minutes", "/", "/incidents/inc-1", "/sources/web",
        "/static/app.js", "/static/app.css", "/static/nothing.js", "/nowhere",
        "/api/alerts?limit=0"}) {
    const RawResponse r = get(target);
    EXPECT_NE(r.status, 0) << target;
    expectSecurityHeaders(r, target);
  }
  expectSecurityHeaders(get("/healthz", "Content-Length: 0\r\n", "POST"), "POST");
  expectSecurityHeaders(get("/api/alerts", "", "HEAD"), "HEAD");
  // Errors the connection answers before any route: an oversized header.
  RawClient client(server_->port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') +
                          "\r\n\r\n"));
  auto big = client.readResponse();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 431);
  expectSecurityHeaders(*big, "431");
}

TEST_F(WebPageTest, JsonAndErrorsAreNeverStored) {
  publish();
  start();
  for (const std::string target : {"/api/alerts", "/api/alerts/inc-1", "/healthz", "/nowhere"}) {
    EXPECT_EQ(get(target).header("cache-control"), "no-store") << target;
  }
}

// --- the page and its files

TEST_F(WebPageTest, EveryPagePathServesTheHtmlShell) {
  start();
  const WebAsset* shell = findWebAsset("index.html");
  ASSERT_NE(shell, nullptr);
  for (const std::string target :
       {"/", "/?since=24h&rule=edge-5xx&open=1", "/incidents/inc-1", "/incidents/%3Cscript%3E",
        "/sources/web", "/sources/web%2Fprod"}) {
    const RawResponse r = get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8") << target;
    EXPECT_EQ(r.header("cache-control"), "no-cache") << target;
    EXPECT_EQ(r.body, shell->body) << target;
  }
  EXPECT_EQ(get("/incidents/").status, 404);
  EXPECT_EQ(get("/incidents/a/b").status, 404);
}

TEST_F(WebPageTest, StaticFilesHaveTheirContentTypesAndCacheForGoodWhenVersioned) {
  start();
  struct Case {
    std::string name;
    std::string type;
  };
  for (const Case& c : {Case{"app.js", "text/javascript; charset=utf-8"},
                        Case{"app.css", "text/css; charset=utf-8"}}) {
    const WebAsset* asset = findWebAsset(c.name);
    ASSERT_NE(asset, nullptr) << c.name;
    const RawResponse versioned = get(versionedUrl(c.name));
    EXPECT_EQ(versioned.status, 200) << c.name;
    EXPECT_EQ(versioned.header("content-type"), c.type);
    EXPECT_EQ(versioned.header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(versioned.header("etag"), "\"" + std::string(asset->version) + "\"");
    EXPECT_EQ(versioned.body, asset->body);

    // Unversioned, or an old page's version: kept but revalidated.
    for (const std::string& target : {"/static/" + c.name, "/static/" + c.name + "?v=0ld"}) {
      const RawResponse plain = get(target);
      EXPECT_EQ(plain.status, 200) << target;
      EXPECT_EQ(plain.header("content-type"), c.type) << target;
      EXPECT_EQ(plain.header("cache-control"), "no-cache") << target;
    }
    // Revalidation with the ETag: 304 and no body.
    const RawResponse again =
        get("/static/" + c.name, "If-None-Match: " + versioned.header("etag") + "\r\n");
    EXPECT_EQ(again.status, 304) << c.name;
    EXPECT_EQ(again.body, "");
    EXPECT_EQ(get("/static/" + c.name, "If-None-Match: \"other\"\r\n").status, 200);
  }
}

TEST_F(WebPageTest, TheShellAsksForTheVersionsServed) {
  start();
  const std::string shell = get("/").body;
  for (const std::string name : {"app.js", "app.css"}) {
    const std::string url = versionedUrl(name);
    EXPECT_NE(shell.find("\"" + url + "\""), std::string::npos) << url << " not in\n" << shell;
  }
  // The shell revalidates too.
  const RawResponse first = get("/");
  EXPECT_EQ(get("/", "If-None-Match: " + first.header("etag") + "\r\n").status, 304);
}

TEST_F(WebPageTest, OnlyThePagesFilesAreServedFromStatic) {
  start();
  for (const std::string target :
       {"/static/index.html", "/static/nothing.js", "/static/..%2Fapp.js", "/static/app.js%00",
        "/static/", "/static/a/app.js"}) {
    EXPECT_EQ(get(target).status, 404) << target;
  }
  const Json bad = getJson("/static/app.js?version=1", 400);
  EXPECT_EQ(bad["parameter"], "version");
}

TEST_F(WebPageTest, HeadOfThePageHasItsLengthAndNoBody) {
  start();
  const RawResponse full = get("/static/app.js");
  const RawResponse head = get("/static/app.js", "", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(full.body.size()));
  EXPECT_EQ(head.body, "");
}

// --- basic auth

TEST_F(WebPageTest, WithAuthEveryPathButHealthzNeedsCredentials) {
  publish();
  startWithAuth();
  for (const std::string target : {"/", "/incidents/inc-1", "/static/app.js", "/api/alerts",
                                   "/api/alerts/inc-1", "/api/sources", "/metrics", "/nowhere"}) {
    const RawResponse r = get(target);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(r.header("www-authenticate"), R"(Basic realm="gatewatch", charset="UTF-8")")
        << target;
    expectSecurityHeaders(r, target);
    // The 401 does not list the server's paths the way a 404 does.
    EXPECT_EQ(r.body.find("paths"), std::string::npos) << target;
  }
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(WebPageTest, RightCredentialsPassWrongOnesDoNot) {
  publish();
  startWithAuth();
  const std::string right = std::string("Authorization: ") + kRightCredentials + "\r\n";
  EXPECT_EQ(get("/api/alerts", right).status, 200);
  EXPECT_EQ(get("/", right).status, 200);
  // Again: the cached credential.
  EXPECT_EQ(get("/api/alerts/inc-1", right).status, 200);
  EXPECT_EQ(get("/api/alerts", "Authorization: basic b3BzOnNlY3JldA==\r\n").status, 200);
  EXPECT_EQ(get("/api/alerts", std::string("Authorization: ") + kWrongPassword + "\r\n").status,
            401);
  EXPECT_EQ(get("/api/alerts", std::string("Authorization: ") + kWrongUser + "\r\n").status, 401);
  // After a wrong attempt the right one still passes (the cache holds successes only).
  EXPECT_EQ(get("/api/alerts", right).status, 200);
  const Json wrong =
      getJson("/api/alerts", 401, std::string("Authorization: ") + kWrongPassword + "\r\n");
  EXPECT_EQ(wrong["error"], "wrong user or password");
}

TEST_F(WebPageTest, MalformedOrHugeAuthorizationIs401NotACrash) {
  publish();
  startWithAuth(kSha512Secret);
  for (const std::string& value : std::vector<std::string>{
           "Basic", "Basic ", "Basic !!!!", "Basic b3Bz", "Basic b3BzOnNlY3JldA=x=", "Bearer abc",
           "Basic " + std::string(2000, 'A'), "Basic b3BzOnNlY3JldAA=" /* "ops:secret\0" */,
           "Digest username=\"ops\"", std::string("Basic \x80\xff", 8)}) {
    const RawResponse r = get("/api/alerts", "Authorization: " + value + "\r\n");
    EXPECT_EQ(r.status, 401) << value.substr(0, 40);
    EXPECT_FALSE(r.header("www-authenticate").empty()) << value.substr(0, 40);
  }
  // Beyond the request's header limit: 431, and the server goes on.
  const RawResponse huge =
      get("/api/alerts", "Authorization: Basic " + std::string(20 * 1024, 'A') + "\r\n");
  EXPECT_EQ(huge.status, 431);
  EXPECT_EQ(get("/api/alerts", std::string("Authorization: ") + kRightCredentials + "\r\n").status,
            200);
}

TEST_F(WebPageTest, PasswordGuessingIsCutOffAfterTheBudgetPerSecond) {
  publish();
  clock_.frozen = true;
  startWithAuth();
  const std::string wrong = std::string("Authorization: ") + kWrongPassword + "\r\n";
  for (int i = 0; i < kMaxVerificationsPerSecond; ++i) {
    EXPECT_EQ(get("/api/alerts", wrong).status, 401) << i;
  }
  const RawResponse cut = get("/api/alerts", wrong);
  EXPECT_EQ(cut.status, 429);
  EXPECT_EQ(cut.header("retry-after"), "1");
  EXPECT_EQ(get("/healthz").status, 200);  // open, and answered at once
}

TEST_F(WebPageTest, StartRefusesHalfAnAuthConfigOrAHashItCannotVerify) {
  struct Case {
    std::string user, hash, expected;
  };
  for (const Case& c :
       {Case{"ops", "", "go together"}, Case{"", kYescryptSecret, "go together"},
        Case{"ops", "secret", "not a modern crypt(3) hash"},
        Case{"ops", "$6$abcdefgh", "lacks the hash part"}, Case{"ops", "$y$j9T$abc", "malformed"},
        Case{"o:ps", kYescryptSecret, "':'"}}) {
    StatusServerOptions o = options();
    o.auth_user = c.user;
    o.auth_password_hash = c.hash;
    auto server = StatusServer::start(
        o, [] { return nullptr; }, clock_);
    ASSERT_FALSE(server) << c.user << " " << c.hash;
    EXPECT_NE(server.error().message.find(c.expected), std::string::npos) << server.error().message;
  }
}

// --- /api/alerts: until and zone

TEST_F(WebPageTest, UntilKeepsIncidentsThatStartedAtOrBeforeIt) {
  start();
  using V = std::vector<std::string>;
  // inc-N started at kT0 + (N-1)h = 11:26:28+09:00 + (N-1)h.
  EXPECT_EQ(ids(getJson("/api/alerts?until=2022-11-16T13:26:28%2B09:00")),
            (V{"inc-3", "inc-2", "inc-1"}));
  EXPECT_EQ(ids(getJson("/api/alerts?until=2022-11-16T13:26:27%2B09:00")), (V{"inc-2", "inc-1"}));
  EXPECT_EQ(ids(getJson("/api/alerts?until=90m")), (V{"inc-4", "inc-3", "inc-2", "inc-1"}));
  EXPECT_EQ(ids(getJson("/api/alerts?until=2022-11-16T00:00:00Z")), V{});
  EXPECT_EQ(ids(getJson("/api/alerts?until=2030-01-01T00:00:00Z")).size(), 5u);
  // With since: the incidents overlapping the span (updated after since, started before until).
  EXPECT_EQ(ids(getJson("/api/alerts?since=2022-11-16T13:00:00%2B09:00&until=2022-11-16T"
                        "14:30:00%2B09:00")),
            (V{"inc-4", "inc-3"}));
  EXPECT_EQ(ids(getJson("/api/alerts?until=3h&source=web")), (V{"inc-3", "inc-1"}));
}

TEST_F(WebPageTest, UntilPagesCountFromItsFirstIncident) {
  start();
  using V = std::vector<std::string>;
  const Json first = getJson("/api/alerts?until=4h&limit=1");
  EXPECT_EQ(ids(first), V{"inc-2"});
  EXPECT_EQ(first["next_offset"], 1);
  const Json second = getJson("/api/alerts?until=4h&limit=1&offset=1");
  EXPECT_EQ(ids(second), V{"inc-1"});
  EXPECT_EQ(ids(getJson("/api/alerts?until=4h&limit=1&offset=2")), V{});
}

TEST_F(WebPageTest, AlertAnswersNameTheServersZone) {
  start();
  for (const Json& body : {getJson("/api/alerts"), getJson("/api/alerts/inc-1")}) {
    EXPECT_EQ(body["zone"]["offset_minutes"], 540) << body["zone"];
    EXPECT_EQ(body["zone"]["name"], "KST") << body["zone"];
    EXPECT_EQ(body["zone"]["iana"], "Asia/Seoul") << body["zone"];
  }
}

TEST_F(WebPageTest, SourceEndpointsAreRouted) {
  start();
  const Json list = getJson("/api/sources");
  ASSERT_EQ(list["sources"].size(), 1u) << list;
  EXPECT_EQ(list["sources"][0]["name"], "web");
  const Json minutes = getJson(
      "/api/sources/web/minutes?from=2022-11-16T02:00:00Z&to=2022-11-"
      "16T03:00:00Z");
  ASSERT_EQ(minutes["minutes"].size(), 2u) << minutes;
  EXPECT_EQ(minutes["minutes"][0]["t"], "2022-11-16T11:26:00+09:00");
  EXPECT_EQ(minutes["minutes"][0]["failures"], 231);
}

// --- bad parameters, every endpoint

TEST_F(WebPageTest, BadParametersOnEveryEndpointAre400NamingTheParameter) {
  publish();
  start();
  struct Case {
    std::string target, parameter;
  };
  for (const Case& c : {
           Case{"/api/alerts?until=tomorrow", "until"},
           Case{"/api/alerts?until=2022-11-16T11:00:00", "until"},
           Case{"/api/alerts?until=" + std::string(100, '9') + "d", "until"},
           Case{"/api/alerts?since=1h&until=2h", "until"},
           Case{"/api/alerts?since=%ff", "since"},
           Case{"/api/alerts?limit=-1", "limit"},
           Case{"/api/alerts?offset=1e9", "offset"},
           Case{"/api/alerts?offset=99999999999", "offset"},
           Case{"/api/alerts?open=2", "open"},
           Case{"/api/alerts?source=" + std::string(300, 's'), "source"},
           Case{"/api/alerts?color=red", "color"},
           Case{"/api/alerts/inc-1?limit=1", "limit"},
           Case{"/api/sources?zone=utc", "zone"},
           Case{"/api/sources/web/minutes?from=yesterday", "from"},
           Case{"/api/sources/web/minutes?to=%zz", "to"},
           Case{"/api/sources/web/minutes?from=2022-11-16T03:00:00Z&to=2022-11-16T02:00:00Z",
                "from"},
           Case{"/api/sources/web/minutes?from=2000-01-01T00:00:00Z&to=2022-01-01T00:00:00Z",
                "from"},
           Case{"/api/sources/web/minutes?step=5m", "step"},
           Case{"/static/app.js?v=1&v=2", "v"},
       }) {
    const Json body = getJson(c.target, 400);
    EXPECT_EQ(body["parameter"], c.parameter) << c.target << ": " << body;
    EXPECT_NE(body["error"].get<std::string>().find(c.parameter), std::string::npos)
        << c.target << ": " << body;
  }
  EXPECT_EQ(get("/healthz").status, 200);
}

}  // namespace
}  // namespace gw
