// /api/sources and /api/sources/{name}/minutes answered from a real state database through the
// real router: the JSON shape, the span parameters and their defaults, the server's zone, and
// hostile or wrong query parameters (a 400 naming the parameter, never a crash or a 500).
#include "http/api_sources.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../common/temp_dir.h"
#include "store/minute_store.h"
#include "store/state_db.h"
#include "store/statements.h"

namespace gw {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// 2022-11-16T11:26:00Z, a minute's first millisecond; "now" is 30 s into it.
constexpr Timestamp kMinute{Millis{1'668'597'960'000}};
constexpr Timestamp kNow = kMinute + 30s;

MinuteCounts counts(Timestamp minute, uint64_t requests, uint64_t s502 = 0) {
  MinuteCounts c;
  c.minute = minute;
  c.requests = requests;
  c.s2xx = requests - s502;
  c.s5xx = s502;
  c.s502 = s502;
  c.failures = s502;
  return c;
}

TimeZone seoul() {
  auto zone = TimeZone::load("Asia/Seoul");
  return zone ? zone.value() : TimeZone::utc();
}

class ApiSources : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = openStateDatabase(dir.path().string(), kNow);
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(opened->db));
    path = db->path();
    reader = std::make_unique<HistoryReader>(path);
  }

  void seed(const std::vector<SourceMinutes>& rows) {
    MinuteStore store(*db);
    ASSERT_TRUE(store.add(rows));
  }

  // The routes as the status server has them, answered at kNow in `zone`.
  HttpResponse get(std::string_view target, const TimeZone& zone = TimeZone::utc()) {
    Router router;
    router.add("/api/sources",
               [&](const HttpRequest& r) { return serveSourceList(*reader, r, kNow, zone); });
    router.add("/api/sources/{name}/minutes",
               [&](const HttpRequest& r) { return serveSourceMinutes(*reader, r, kNow, zone); });
    return router.handle("GET", target);
  }

  static Json body(const HttpResponse& response) {
    Json j = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << response.body;
    return j;
  }

  // The answer is a 400 naming `parameter`.
  void expectBadParameter(std::string_view target, std::string_view parameter) {
    SCOPED_TRACE(std::string(target));
    const HttpResponse response = get(target);
    EXPECT_EQ(response.status, 400u) << response.body;
    const Json j = body(response);
    EXPECT_EQ(j.value("parameter", ""), parameter) << response.body;
    EXPECT_FALSE(j.value("error", "").empty());
  }

  std::vector<std::string> minuteTimes(const HttpResponse& response) {
    std::vector<std::string> out;
    const Json j = body(response);  // kept: a loop over a temporary's member would dangle
    for (const Json& m : j["minutes"]) out.push_back(m["t"].get<std::string>());
    return out;
  }

  testing::TempDir dir;
  std::optional<Database> db;
  std::string path;
  std::unique_ptr<HistoryReader> reader;
};

TEST_F(ApiSources, ListNamesEachSourceWithItsSpanAndLastDayInTheServersZone) {
  seed({{"web", counts(kMinute - 48h, 100, 40)},
        {"web", counts(kMinute - 2min, 10, 3)},
        {"web", counts(kMinute, 5)},
        {"api", counts(kMinute - 1min, 0)}});
  const HttpResponse response = get("/api/sources", seoul());
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  const Json j = body(response);
  ASSERT_EQ(j["sources"].size(), 2u);
  const Json& api = j["sources"][0];
  EXPECT_EQ(api["name"], "api");
  EXPECT_EQ(api["requests_24h"], 0);
  const Json& web = j["sources"][1];
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["first_minute"], "2022-11-14T20:26:00+09:00");
  EXPECT_EQ(web["last_minute"], "2022-11-16T20:26:00+09:00");
  EXPECT_EQ(web["requests_24h"], 15);
  EXPECT_EQ(web["failures_24h"], 3);
  EXPECT_EQ(j["zone"], (Json{{"name", "KST"}, {"offset_minutes", 540}}));
}

TEST_F(ApiSources, ListTakesNoParameters) {
  expectBadParameter("/api/sources?since=24h", "since");
  EXPECT_EQ(body(get("/api/sources"))["sources"], Json::array());
}

TEST_F(ApiSources, MinutesDefaultToTheLastDay) {
  seed({{"web", counts(kMinute - 24h - 1min, 9)},  // before the day
        {"web", counts(kMinute - 24h, 1)},         // overlaps it (from = now - 24h, mid-minute)
        {"web", counts(kMinute - 1h, 2, 1)},
        {"web", counts(kMinute, 3)},
        {"web", counts(kMinute + 1min, 4)},  // after `to` (now)
        {"api", counts(kMinute, 7)}});
  const HttpResponse response = get("/api/sources/web/minutes");
  ASSERT_EQ(response.status, 200u) << response.body;
  const Json j = body(response);
  EXPECT_EQ(j["source"], "web");
  EXPECT_EQ(j["from"], "2022-11-15T11:26:30Z");
  EXPECT_EQ(j["to"], "2022-11-16T11:26:30Z");
  EXPECT_EQ(j["step_seconds"], 60);
  EXPECT_EQ(j["zone"], (Json{{"name", "UTC"}, {"offset_minutes", 0}}));
  EXPECT_EQ(minuteTimes(response),
            (std::vector<std::string>{"2022-11-15T11:26:00Z", "2022-11-16T10:26:00Z",
                                      "2022-11-16T11:26:00Z"}));
  const Json& failing = j["minutes"][1];
  EXPECT_EQ(failing, (Json{{"t", "2022-11-16T10:26:00Z"},
                           {"requests", 2},
                           {"failures", 1},
                           {"s2xx", 1},
                           {"s3xx", 0},
                           {"s4xx", 0},
                           {"s5xx", 1},
                           {"s502", 1},
                           {"s503", 0},
                           {"s504", 0}}));
}

TEST_F(ApiSources, MinutesOfAnExplicitSpanInRfc3339OrDurations) {
  for (int m = -10; m <= 0; ++m) seed({{"web", counts(kMinute + m * 1min, 1)}});
  // [11:20:00, 11:23:00) written in +09:00: three minutes.
  auto response =
      get("/api/sources/web/minutes?from=2022-11-16T20:20:00%2B09:00&to=2022-11-16T11:23:00Z");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(minuteTimes(response),
            (std::vector<std::string>{"2022-11-16T11:20:00Z", "2022-11-16T11:21:00Z",
                                      "2022-11-16T11:22:00Z"}));
  // Durations back from now (11:26:30): [11:21:30, 11:24:30) overlaps 11:21 .. 11:24.
  response = get("/api/sources/web/minutes?from=5m&to=2m");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(minuteTimes(response).size(), 4u);
  EXPECT_EQ(minuteTimes(response).front(), "2022-11-16T11:21:00Z");
  // Only `to`: the day before it.
  response = get("/api/sources/web/minutes?to=2022-11-16T11:18:00Z");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(minuteTimes(response).size(), 2u);
  EXPECT_EQ(body(response)["from"], "2022-11-15T11:18:00Z");
}

TEST_F(ApiSources, MinutesAreShownInTheServersOffsetOfEachMinute) {
  auto berlin = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(berlin) << berlin.error().message;
  // 2022-10-30T01:00:00Z: Berlin leaves summer time (+02:00 → +01:00).
  const Timestamp change{Millis{1'667'091'600'000}};
  seed({{"web", counts(change - 1min, 1)}, {"web", counts(change, 1)}});
  const HttpResponse response =
      get("/api/sources/web/minutes?from=2022-10-30T00:00:00Z&to=2022-10-30T02:00:00Z", *berlin);
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(minuteTimes(response),
            (std::vector<std::string>{"2022-10-30T02:59:00+02:00", "2022-10-30T02:00:00+01:00"}));
  EXPECT_EQ(body(response)["zone"], (Json{{"name", "CET"}, {"offset_minutes", 60}}));
}

TEST_F(ApiSources, AnUnknownSourceHasNoMinutesYet) {
  seed({{"web", counts(kMinute, 1)}});
  const HttpResponse response = get("/api/sources/just-added/minutes");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(body(response)["minutes"], Json::array());
  EXPECT_EQ(body(response)["source"], "just-added");
}

TEST_F(ApiSources, SourceNamesAreDecodedAndEchoedAsJsonText) {
  seed({{"web/prod <b>", counts(kMinute, 2)}});
  HttpResponse response = get("/api/sources/web%2Fprod%20%3Cb%3E/minutes");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(body(response)["source"], "web/prod <b>");
  EXPECT_EQ(body(response)["minutes"].size(), 1u);
  // Bytes that are not UTF-8 (or a NUL) still make valid JSON.
  response = get("/api/sources/%FF%00%C3/minutes");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_TRUE(body(response)["minutes"].empty());
}

TEST_F(ApiSources, ANameLongerThanAnySourceNameIsNotFound) {
  const std::string longest(kMaxSourceNameBytes, 'a');
  EXPECT_EQ(get("/api/sources/" + longest + "/minutes").status, 200u);
  const HttpResponse response = get("/api/sources/" + longest + "a/minutes");
  EXPECT_EQ(response.status, 404u) << response.body;
  EXPECT_FALSE(body(response).value("error", "").empty());
}

TEST_F(ApiSources, BadSpansAreA400NamingTheParameter) {
  expectBadParameter("/api/sources/web/minutes?from=yesterday", "from");
  expectBadParameter("/api/sources/web/minutes?to=soon", "to");
  expectBadParameter("/api/sources/web/minutes?from=", "from");
  expectBadParameter("/api/sources/web/minutes?to=-5m", "to");
  expectBadParameter("/api/sources/web/minutes?from=2022-11-16T11:26:00", "from");  // no offset
  expectBadParameter("/api/sources/web/minutes?from=2022-02-30T00:00:00Z", "from");
  // from >= to, and wider than kMaxMinuteSpan.
  expectBadParameter("/api/sources/web/minutes?from=1h&to=2h", "from");
  expectBadParameter("/api/sources/web/minutes?from=1h&to=1h", "from");
  expectBadParameter("/api/sources/web/minutes?from=15d", "from");
  expectBadParameter("/api/sources/web/minutes?from=2022-01-01T00:00:00Z&to=2022-02-01T00:00:00Z",
                     "from");
  // Outside the years a time is written in.
  expectBadParameter("/api/sources/web/minutes?from=1969-12-31T23:59:00Z&to=1970-01-01T01:00:00Z",
                     "from");
  expectBadParameter("/api/sources/web/minutes?from=999999999d&to=999999998d", "to");
  expectBadParameter("/api/sources/web/minutes?from=" + std::string(65, '1') + "s", "from");
  // Unknown parameters, a typo included.
  expectBadParameter("/api/sources/web/minutes?form=1h", "form");
  expectBadParameter("/api/sources/web/minutes?from=1h&limit=5", "limit");
  // Exactly the widest span is fine.
  EXPECT_EQ(get("/api/sources/web/minutes?from=14d").status, 200u);
}

TEST_F(ApiSources, HostileQueriesNeverCrashAndEveryErrorIsJson) {
  const std::vector<std::string> queries = {
      "from=%",
      "from=%ZZ",
      "from=%00",
      "from=1h&from=2h",
      "to=" + std::string(10'000, '9'),
      "from=9999-12-31T23:59:59.999999999Z&to=9999-12-31T23:59:59Z",
      "from=0000-01-01T00:00:00Z",
      "from=1h%00",
      "from=1h\xff",
      "from=2022-11-16T11:26:28+23:59&to=2022-11-16T11:26:28-23:59",
      "from=1ms",
      "to=0",
      "from=0",
      "=1",
      "&&&",
      "from=+1h",
      "from=1h%20",
      std::string(40, '&') + "a=1",
  };
  for (const std::string& q : queries) {
    SCOPED_TRACE(q);
    const HttpResponse response = get("/api/sources/web/minutes?" + q);
    EXPECT_TRUE(response.status == 200 || response.status == 400) << response.status;
    const Json j = body(response);
    if (response.status == 400) {
      EXPECT_TRUE(j.contains("error")) << response.body;
    }
  }
  // Spot checks of the answers above.
  EXPECT_EQ(get("/api/sources/web/minutes?from=1ms").status, 200u);
  EXPECT_EQ(get("/api/sources/web/minutes?to=0").status, 200u);   // to = now, the day before it
  expectBadParameter("/api/sources/web/minutes?from=0", "from");  // from = now = to
  expectBadParameter("/api/sources/web/minutes?from=1h&from=2h", "from");
}

TEST_F(ApiSources, WithoutADatabaseTheAnswerIs503WithRetryAfter) {
  reader = std::make_unique<HistoryReader>(dir.file("nowhere/gatewatch.db"));
  for (const char* target : {"/api/sources", "/api/sources/web/minutes"}) {
    const HttpResponse response = get(target);
    EXPECT_EQ(response.status, 503u) << target;
    bool retry_after = false;
    for (const auto& [name, value] : response.headers) retry_after |= name == "Retry-After";
    EXPECT_TRUE(retry_after) << target;
  }
  // Parameters are judged before the database is looked for.
  EXPECT_EQ(get("/api/sources/web/minutes?from=x").status, 400u);
}

TEST_F(ApiSources, ADatabaseFromBeforeTheCountersAnswers503UntilMigrated) {
  // A version-2 database (an older daemon still running, or not yet restarted).
  testing::TempDir old_dir;
  const std::string old_path = old_dir.file("gatewatch.db");
  {
    auto old = Database::open(old_path);
    ASSERT_TRUE(old);
    ASSERT_TRUE(old->exec(sql::kMigrations[0].sql));
    ASSERT_TRUE(old->exec(sql::kMigrations[1].sql));
    ASSERT_TRUE(old->exec("PRAGMA user_version = 2"));
  }
  reader = std::make_unique<HistoryReader>(old_path);
  HttpResponse response = get("/api/sources/web/minutes");
  EXPECT_EQ(response.status, 503u) << response.body;
  EXPECT_NE(body(response).value("error", "").find("minutes"), std::string::npos) << response.body;
  EXPECT_EQ(get("/api/sources").status, 503u);

  // The daemon restarts and migrates: the next request answers.
  {
    auto opened = openStateDatabase(old_dir.path().string(), kNow);
    ASSERT_TRUE(opened) << opened.error().message;
    MinuteStore store(opened->db);
    const std::vector<SourceMinutes> rows = {{"web", counts(kMinute, 1)}};
    ASSERT_TRUE(store.add(rows));
  }
  response = get("/api/sources/web/minutes");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(body(response)["minutes"].size(), 1u);
}

}  // namespace
}  // namespace gw
