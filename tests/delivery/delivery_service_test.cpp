// The delivery service against real HTTP receivers on 127.0.0.1 and a real SQLite file: what is
// delivered, retried, paced, merged, given up and recorded — and that no secret is written down.
#include "deliver/delivery_service.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../common/http_receiver.h"
#include "../common/temp_dir.h"
#include "alert_fixture.h"
#include "store/history_store.h"
#include "store/outbox_store.h"
#include "store/state_db.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using gw::testing::HttpReceiver;
using gw::testing::incidentAlert;
using gw::testing::ScriptedAnswer;
using std::chrono::steady_clock;

std::string hmacHex(const std::string& key, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

ScriptedAnswer reply(int status, std::string body, std::chrono::milliseconds delay = {},
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
  ScriptedAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  answer.delay = delay;
  answer.headers = std::move(headers);
  return answer;
}

ResolvedSink sinkTo(const std::string& name, SinkType type, const std::string& url,
                    const std::string& secret = "") {
  ResolvedSink sink;
  sink.name = name;
  sink.type = type;
  sink.url = url;
  sink.secret = secret;
  return sink;
}

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = openStateDatabase(dir_.path().string(), clock_.now());
    ASSERT_TRUE(opened) << opened.error().message;
    db_.emplace(std::move(opened->db));
  }
  void TearDown() override {
    service_.reset();
    db_.reset();
  }

  DeliveryService& start(std::vector<ResolvedSink> sinks, DeliveryOptions options = {}) {
    options.jitter_seed = 42;
    service_ = std::make_unique<DeliveryService>(io_, *db_, std::move(sinks), clock_, options);
    auto started = service_->start();
    EXPECT_TRUE(started) << started.error().message;
    return *service_;
  }

  // Runs the service's loop until `done` holds; false after `timeout`.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (!done()) {
      if (steady_clock::now() > deadline) return false;
      io_.run_for(20ms);
    }
    return true;
  }
  void runFor(std::chrono::milliseconds span) {
    runUntil([] { return false; }, span);
  }

  std::vector<DeliveryAttemptRow> attempts(const std::string& incident_id) {
    auto history = HistoryStore::open(*db_);
    EXPECT_TRUE(history);
    auto found = history->incident(incident_id);
    EXPECT_TRUE(found);
    if (!found || !*found) return {};
    return (*found)->attempts;
  }

  SystemClock clock_;
  gw::testing::TempDir dir_;
  std::optional<Database> db_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<DeliveryService> service_;
};

TEST_F(DeliveryTest, WebhookArrivesOnceSignedWithAnIdempotencyKeyAndIsRecorded) {
  HttpReceiver receiver;
  auto& service =
      start({sinkTo("pager", SinkType::kWebhook, receiver.url("/hook"), "hmac-key-for-test")});
  service.submit(incidentAlert("inc-1", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 10s));
  ASSERT_EQ(receiver.requestCount(), 1u);
  const auto request = receiver.requests().front();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hook");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_FALSE(request.header("idempotency-key").empty());
  EXPECT_EQ(request.header("x-gatewatch-signature"),
            "sha256=" + hmacHex("hmac-key-for-test", request.body));
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["version"], 1);
  EXPECT_EQ(body["id"], "inc-1");
  EXPECT_EQ(body["event"], "firing");

  const auto tries = attempts("inc-1");
  ASSERT_EQ(tries.size(), 1u);
  EXPECT_EQ(tries[0].outcome, "delivered");
  EXPECT_EQ(tries[0].http_status, 200);
  EXPECT_EQ(service.stats().at("pager").delivered, 1u);
}

TEST_F(DeliveryTest, ReceiverDownForAWhileThenUpGetsTheAlertOnceAfter) {
  HttpReceiver receiver;
  receiver.stop();
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url("/hook"))});
  service.submit(incidentAlert("inc-down", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return attempts("inc-down").size() >= 2; }, 10s));
  EXPECT_EQ(service.outboxPending(), 1u);
  EXPECT_EQ(attempts("inc-down").front().outcome, "retry");
  EXPECT_EQ(attempts("inc-down").front().http_status, 0);

  const auto up_at = steady_clock::now();
  receiver.start();
  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 30s));
  runFor(1500ms);  // nothing more may arrive
  ASSERT_EQ(receiver.requestCount(), 1u);
  EXPECT_GE(receiver.requests().front().at, up_at);
  EXPECT_EQ(attempts("inc-down").back().outcome, "delivered");
}

TEST_F(DeliveryTest, ServerErrorIsRetriedWithTheSameIdempotencyKey) {
  HttpReceiver receiver;
  receiver.enqueue(reply(500, "upstream hiccup"));
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url())});
  service.submit(incidentAlert("inc-500", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 15s));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("idempotency-key"), requests[1].header("idempotency-key"));
  EXPECT_EQ(requests[0].body, requests[1].body);
  const auto tries = attempts("inc-500");
  ASSERT_EQ(tries.size(), 2u);
  EXPECT_EQ(tries[0].outcome, "retry");
  EXPECT_EQ(tries[0].http_status, 500);
  EXPECT_EQ(tries[1].outcome, "delivered");
  EXPECT_EQ(tries[1].attempt, 2u);
}

TEST_F(DeliveryTest, TooManyRequestsWaitsAsRetryAfterSays) {
  HttpReceiver receiver;
  receiver.enqueue(reply(429, "slow down", {}, {{"Retry-After", "2"}}));
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url())});
  service.submit(incidentAlert("inc-429", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 15s));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto gap = requests[1].at - requests[0].at;
  EXPECT_GE(gap, 1900ms) << "the retry came before Retry-After: 2 had passed";
  EXPECT_LT(gap, 6s);
  EXPECT_EQ(attempts("inc-429").front().outcome, "rate_limited");
}

TEST_F(DeliveryTest, MalformedRetryAfterFallsBackToBackoffAndStillDelivers) {
  HttpReceiver receiver;
  receiver.enqueue(reply(429, "", {}, {{"Retry-After", "when the moon is full"}}));
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url())});
  service.submit(incidentAlert("inc-429-bad", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 15s));
  ASSERT_EQ(receiver.requestCount(), 2u);
  const auto tries = attempts("inc-429-bad");
  ASSERT_EQ(tries.size(), 2u);
  EXPECT_EQ(tries[0].outcome, "rate_limited");
  EXPECT_EQ(tries[1].outcome, "delivered");
}

TEST_F(DeliveryTest, AcceptedThenTimedOutIsRetriedWithTheSameKey) {
  HttpReceiver receiver;
  receiver.enqueue(reply(200, "ok", 3s));
  DeliveryOptions options;
  options.http.total_timeout = 1s;
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url())}, options);
  service.submit(incidentAlert("inc-timeout", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 20s));
  const auto requests = receiver.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("idempotency-key"), requests[1].header("idempotency-key"));
  const auto tries = attempts("inc-timeout");
  EXPECT_EQ(tries.front().outcome, "retry");
  EXPECT_EQ(tries.back().outcome, "delivered");
}

TEST_F(DeliveryTest, ASlowSinkDoesNotDelayAnother) {
  HttpReceiver slow;
  slow.setFallback(reply(200, "ok", 10s));
  HttpReceiver quick;
  auto& service = start({sinkTo("slow", SinkType::kWebhook, slow.url()),
                         sinkTo("quick", SinkType::kWebhook, quick.url())});
  const auto submitted = steady_clock::now();
  service.submit(incidentAlert("inc-both", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.stats().at("quick").delivered == 1; }, 5s));
  EXPECT_LT(quick.requests().front().at - submitted, 3s);
  EXPECT_EQ(service.stats().at("slow").delivered, 0u) << "the slow sink answered already?";
  EXPECT_EQ(service.stats().at("slow").pending, 1u);
  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 20s));
  EXPECT_EQ(slow.requestCount(), 1u);
}

TEST_F(DeliveryTest, NotFoundIsRecordedAndNeverRetried) {
  HttpReceiver receiver;
  receiver.setFallback(reply(404, "no such hook"));
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url("/gone"))});
  service.submit(incidentAlert("inc-404", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.stats().at("pager").failed == 1; }, 10s));
  runFor(2500ms);  // a retry would come within this (first backoff is at most 1 s)
  EXPECT_EQ(receiver.requestCount(), 1u);
  EXPECT_EQ(service.outboxPending(), 0u);
  EXPECT_TRUE(service.stats().at("pager").failing);
  const auto tries = attempts("inc-404");
  ASSERT_EQ(tries.size(), 1u);
  EXPECT_EQ(tries[0].outcome, "failed");
  EXPECT_EQ(tries[0].http_status, 404);
}

TEST_F(DeliveryTest, SlackOkIsDeliveredAndChannelNotFoundIsRecordedAsSlackSaidIt) {
  HttpReceiver good;
  HttpReceiver gone;
  gone.setFallback(reply(404, "channel_not_found"));
  auto& service = start({sinkTo("ops-slack", SinkType::kSlack, good.url("/services/T/B/x")),
                         sinkTo("old-slack", SinkType::kSlack, gone.url("/services/T/B/y"))});
  service.submit(incidentAlert("inc-slack", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 10s));
  ASSERT_EQ(good.requestCount(), 1u);
  const auto message = nlohmann::json::parse(good.requests().front().body);
  EXPECT_TRUE(message.contains("blocks"));
  EXPECT_EQ(message["unfurl_links"], false);
  EXPECT_EQ(service.stats().at("ops-slack").delivered, 1u);
  EXPECT_EQ(service.stats().at("old-slack").failed, 1u);
  bool recorded = false;
  for (const auto& a : attempts("inc-slack"))
    recorded = recorded || (a.sink == "old-slack" && a.slack_error == "channel_not_found" &&
                            a.outcome == "failed");
  EXPECT_TRUE(recorded);
}

TEST_F(DeliveryTest, SlackIsPacedToAboutOneMessageASecondAfterAShortBurst) {
  HttpReceiver receiver;
  auto& service = start({sinkTo("ops-slack", SinkType::kSlack, receiver.url())});
  for (int i = 0; i < 5; ++i)
    service.submit(
        incidentAlert("inc-pace-" + std::to_string(i), EventKind::kFiring, clock_.now()));
  ASSERT_TRUE(runUntil([&] { return receiver.requestCount() == 5; }, 15s));
  const auto requests = receiver.requests();
  EXPECT_LT(requests[2].at - requests[0].at, 800ms) << "the burst should go out together";
  EXPECT_GE(requests[4].at - requests[3].at, 800ms) << "past the burst, ~1 message per second";
}

TEST_F(DeliveryTest, AFiringAndAResolvedStillPendingBecomeOneMessage) {
  HttpReceiver receiver;
  receiver.stop();
  auto& service = start({sinkTo("pager", SinkType::kWebhook, receiver.url())});
  service.submit(incidentAlert("inc-merge", EventKind::kFiring, clock_.now()));
  ASSERT_TRUE(runUntil([&] { return attempts("inc-merge").size() >= 1; }, 10s));
  service.submit(incidentAlert("inc-merge", EventKind::kResolved, clock_.now()));
  EXPECT_EQ(service.outboxPending(), 1u);

  receiver.start();
  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 30s));
  runFor(1500ms);
  ASSERT_EQ(receiver.requestCount(), 1u);
  const auto body = nlohmann::json::parse(receiver.requests().front().body);
  EXPECT_EQ(body["event"], "resolved");
  EXPECT_FALSE(body["fired_at"].is_null());
  EXPECT_FALSE(body["resolved_at"].is_null());
}

TEST_F(DeliveryTest, UndeliveredPastMaxAgeIsGivenUpAndRecorded) {
  HttpReceiver receiver;
  receiver.stop();
  auto sink = sinkTo("pager", SinkType::kWebhook, receiver.url());
  sink.max_age = 1s;
  auto& service = start({sink});
  service.submit(incidentAlert("inc-old", EventKind::kFiring, clock_.now()));

  ASSERT_TRUE(runUntil([&] { return service.stats().at("pager").expired == 1; }, 10s));
  EXPECT_EQ(service.outboxPending(), 0u);
  EXPECT_EQ(attempts("inc-old").back().outcome, "expired");
}

// Everything the process writes down: the database (and its WAL) and every log line.
TEST_F(DeliveryTest, SecretsAppearInNoLogLineAndNoHistoryRow) {
  std::ostringstream log;
  auto capture = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", capture));
  spdlog::set_level(spdlog::level::debug);

  const std::string token = "T0SECRET/B0SECRET/hooktokenXYZ";
  const std::string key = "hmac-k3y-secret";
  HttpReceiver receiver;
  receiver.enqueue(reply(500, "try again"));
  receiver.setFallback(reply(404, "no_service"));
  auto& service = start({sinkTo("ops-slack", SinkType::kSlack, receiver.url("/services/" + token)),
                         sinkTo("pager", SinkType::kWebhook, receiver.url("/hook/" + token), key)});
  service.submit(incidentAlert("inc-secret", EventKind::kFiring, clock_.now()));
  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 15s));
  service_.reset();
  db_.reset();
  spdlog::set_default_logger(previous);

  EXPECT_NE(log.str().find("ops-slack"), std::string::npos) << "nothing was logged at all?";
  for (const std::string& secret : {std::string("hooktokenXYZ"), key}) {
    EXPECT_EQ(log.str().find(secret), std::string::npos) << "in the log: " << secret;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream file(dir_.file(std::string(kStateDbFileName) + suffix), std::ios::binary);
      const std::string bytes{std::istreambuf_iterator<char>(file), {}};
      EXPECT_EQ(bytes.find(secret), std::string::npos) << "in the database: " << secret;
    }
  }
}

}  // namespace
}  // namespace gw
