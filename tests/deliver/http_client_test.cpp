// HttpClient against a real HTTP server on 127.0.0.1: what arrives, what comes back, and every
// way a receiver can fail.
#include "deliver/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "../common/http_receiver.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using testing::HttpReceiver;
using testing::ScriptedAnswer;

// Bounds for waits that only go wrong when the code under test is broken.
constexpr auto kPatience = 10s;

HttpClientOptions shortTimeouts() {
  HttpClientOptions options;
  options.connect_timeout = 2s;
  options.total_timeout = 2s;
  return options;
}

HttpPost postTo(const std::string& url, std::string body = R"({"text":"hello"})") {
  HttpPost post;
  post.url = url;
  post.headers = {{"Content-Type", "application/json"}};
  post.body = std::move(body);
  return post;
}

ScriptedAnswer answer(int status, std::string body = "ok") {
  ScriptedAnswer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

// Collects one callback's answer and counts how often the callback ran.
struct Outcome {
  std::promise<HttpAnswer> promise;
  std::future<HttpAnswer> future = promise.get_future();
  std::atomic<int> calls{0};
  HttpClient::Done callback() {
    return [this](HttpAnswer a) {
      if (calls.fetch_add(1) == 0) promise.set_value(std::move(a));
    };
  }
  bool arrived(std::chrono::milliseconds wait) {
    return future.wait_for(wait) == std::future_status::ready;
  }
};

TEST(HttpClient, PostArrivesIntactAndOkComesBack) {
  HttpReceiver receiver;
  ScriptedAnswer ok = answer(200, "ok");
  ok.headers = {{"X-Answer", "yes"}};
  receiver.enqueue(ok);
  HttpClient client(shortTimeouts());

  HttpPost post = postTo(receiver.url("/services/T0/B0/XYZ?x=1"),
                         "{\"text\":\"caf\xC3\xA9 \\u00e9\",\"n\":1}\n");
  post.headers.emplace_back("Idempotency-Key", "inc-42-firing");
  post.headers.emplace_back("X-Gatewatch-Signature", "sha256=abcdef");
  const HttpAnswer got = client.postAndWait(post);

  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "ok");
  EXPECT_TRUE(got.transport_error.empty()) << got.transport_error;
  EXPECT_FALSE(got.timed_out);
  EXPECT_TRUE(got.retry_after.empty());
  EXPECT_GE(got.latency, Millis(0));

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/services/T0/B0/XYZ?x=1");
  EXPECT_EQ(requests[0].body, post.body);
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].header("idempotency-key"), "inc-42-firing");
  EXPECT_EQ(requests[0].header("x-gatewatch-signature"), "sha256=abcdef");
  EXPECT_EQ(requests[0].header("content-length"), std::to_string(post.body.size()));
  EXPECT_EQ(requests[0].header("user-agent"), "gatewatch");
  EXPECT_EQ(requests[0].header("expect"), "");
  EXPECT_EQ(client.inFlight(), 0u);
}

TEST(HttpClient, SequentialPostsAllArrive) {
  HttpReceiver receiver;
  HttpClient client(shortTimeouts());
  for (int i = 0; i < 5; ++i) {
    const HttpAnswer got = client.postAndWait(postTo(receiver.url("/hook"), std::to_string(i)));
    EXPECT_EQ(got.status, 200);
  }
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(requests[i].body, std::to_string(i));
}

TEST(HttpClient, ServerErrorComesBackWithItsBody) {
  HttpReceiver receiver;
  receiver.enqueue(answer(500, "rollup_error"));
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo(receiver.url("/hook")));
  EXPECT_EQ(got.status, 500);
  EXPECT_EQ(got.body, "rollup_error");
  EXPECT_TRUE(got.transport_error.empty());
  EXPECT_EQ(classify(SinkType::kSlack, got, Timestamp{}).verdict, Verdict::kRetry);
}

TEST(HttpClient, RateLimitedAnswerCarriesRetryAfter) {
  HttpReceiver receiver;
  ScriptedAnswer limited = answer(429, "rate_limited");
  limited.headers = {{"Retry-After", "30"}};
  receiver.enqueue(limited);
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo(receiver.url("/hook")));
  EXPECT_EQ(got.status, 429);
  EXPECT_EQ(got.retry_after, "30");
  const Classification c = classify(SinkType::kSlack, got, Timestamp{});
  EXPECT_EQ(c.verdict, Verdict::kRateLimited);
  EXPECT_EQ(c.wait, 30s);
}

TEST(HttpClient, SlowReceiverHitsTheTotalTimeout) {
  HttpReceiver receiver;
  ScriptedAnswer slow = answer(200);
  slow.delay = 30s;
  receiver.enqueue(slow);
  HttpClientOptions options = shortTimeouts();
  options.total_timeout = 300ms;
  HttpClient client(options);

  const HttpAnswer got = client.postAndWait(postTo(receiver.url("/services/T0/B0/SECRETPATH")));
  EXPECT_EQ(got.status, 0);
  EXPECT_TRUE(got.timed_out);
  EXPECT_FALSE(got.transport_error.empty());
  EXPECT_EQ(got.transport_error.find("SECRETPATH"), std::string::npos) << got.transport_error;
  // Measured (curl's clock and ours differ by a millisecond), and ended by the timeout, not by
  // the receiver.
  EXPECT_GT(got.latency, 100ms);
  EXPECT_LT(got.latency, 20s);
  EXPECT_EQ(receiver.requestCount(), 1u);
}

TEST(HttpClient, ConnectionRefusedIsATransportError) {
  HttpReceiver receiver;
  const std::string url = receiver.url("/services/T0/B0/SECRETPATH");
  receiver.stop();
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo(url));
  EXPECT_EQ(got.status, 0);
  EXPECT_FALSE(got.timed_out);
  EXPECT_FALSE(got.transport_error.empty());
  EXPECT_EQ(got.transport_error.find("SECRETPATH"), std::string::npos) << got.transport_error;
  EXPECT_EQ(classify(SinkType::kWebhook, got, Timestamp{}).verdict, Verdict::kRetry);
}

TEST(HttpClient, CloseWithoutAnswerIsATransportError) {
  HttpReceiver receiver;
  ScriptedAnswer hang_up;
  hang_up.close_without_answer = true;
  receiver.enqueue(hang_up);
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo(receiver.url("/hook")));
  EXPECT_EQ(got.status, 0);
  EXPECT_FALSE(got.timed_out);
  EXPECT_FALSE(got.transport_error.empty());
  EXPECT_EQ(receiver.requestCount(), 1u);
}

TEST(HttpClient, LargeAnswerBodyIsCutToTheLimit) {
  HttpReceiver receiver;
  std::string page(1024 * 1024, 'p');
  for (std::size_t i = 0; i < page.size(); i += 1000) page[i] = static_cast<char>('a' + i % 26);
  receiver.enqueue(answer(502, page));
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo(receiver.url("/hook")));
  EXPECT_EQ(got.status, 502);
  ASSERT_EQ(got.body.size(), kMaxAnswerBodyBytes);
  EXPECT_EQ(got.body, page.substr(0, kMaxAnswerBodyBytes));
}

TEST(HttpClient, BodyLimitIsAnOption) {
  HttpReceiver receiver;
  receiver.enqueue(answer(200, "0123456789"));
  HttpClientOptions options = shortTimeouts();
  options.max_body_bytes = 4;
  HttpClient client(options);
  EXPECT_EQ(client.postAndWait(postTo(receiver.url("/hook"))).body, "0123");
}

TEST(HttpClient, RedirectIsNotFollowed) {
  HttpReceiver receiver;
  ScriptedAnswer moved = answer(302, "");
  moved.headers = {{"Location", receiver.url("/elsewhere")}};
  receiver.enqueue(moved);
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo(receiver.url("/hook")));
  EXPECT_EQ(got.status, 302);
  EXPECT_EQ(receiver.requestCount(), 1u);
  EXPECT_EQ(classify(SinkType::kWebhook, got, Timestamp{}).verdict, Verdict::kPermanent);
}

TEST(HttpClient, SlowRequestDoesNotHoldUpAnother) {
  HttpReceiver receiver;
  ScriptedAnswer slow = answer(200, "slow");
  slow.delay = 60s;  // cut short by receiver.stop() below
  receiver.enqueue(slow);
  receiver.enqueue(answer(200, "fast"));
  HttpClient client;  // the daemon's timeouts: the slow request is still waiting

  Outcome slow_outcome;
  client.post(postTo(receiver.url("/slow")), slow_outcome.callback());
  ASSERT_TRUE(receiver.waitForRequests(1, kPatience));

  const HttpAnswer fast = client.postAndWait(postTo(receiver.url("/fast")));
  EXPECT_EQ(fast.status, 200);
  EXPECT_EQ(fast.body, "fast");
  EXPECT_EQ(slow_outcome.calls.load(), 0);
  EXPECT_EQ(client.inFlight(), 1u);

  receiver.stop();  // the slow receiver goes away: its request fails, once
  ASSERT_TRUE(slow_outcome.arrived(kPatience));
  const HttpAnswer slow_answer = slow_outcome.future.get();
  EXPECT_EQ(slow_answer.status, 0);
  EXPECT_FALSE(slow_answer.transport_error.empty());
  EXPECT_EQ(slow_outcome.calls.load(), 1);
  EXPECT_EQ(client.inFlight(), 0u);
}

TEST(HttpClient, DestructorCancelsRequestsInFlight) {
  HttpReceiver receiver;
  ScriptedAnswer slow = answer(200);
  slow.delay = 60s;
  receiver.setFallback(slow);
  auto client = std::make_unique<HttpClient>();

  Outcome first;
  Outcome second;
  client->post(postTo(receiver.url("/a")), first.callback());
  client->post(postTo(receiver.url("/b")), second.callback());
  ASSERT_TRUE(receiver.waitForRequests(2, kPatience));
  EXPECT_EQ(client->inFlight(), 2u);
  client.reset();

  for (Outcome* outcome : {&first, &second}) {
    ASSERT_TRUE(outcome->arrived(0ms));  // ran before the destructor returned
    const HttpAnswer got = outcome->future.get();
    EXPECT_EQ(got.status, 0);
    EXPECT_EQ(got.transport_error, "cancelled: gatewatch is stopping");
    EXPECT_EQ(outcome->calls.load(), 1);
  }
}

TEST(HttpClient, OnlyHttpAndHttpsAreSpoken) {
  HttpClient client(shortTimeouts());
  const HttpAnswer got = client.postAndWait(postTo("file:///etc/passwd"));
  EXPECT_EQ(got.status, 0);
  EXPECT_FALSE(got.transport_error.empty());
  EXPECT_EQ(got.transport_error.find("passwd"), std::string::npos) << got.transport_error;
}

TEST(HttpClient, HeaderWithLineBreakIsNotSent) {
  HttpReceiver receiver;
  HttpClient client(shortTimeouts());
  HttpPost post = postTo(receiver.url("/hook"));
  post.headers.emplace_back("X-Evil", "a\r\nX-Injected: yes");
  const HttpAnswer got = client.postAndWait(post);
  EXPECT_EQ(got.status, 0);
  EXPECT_NE(got.transport_error.find("X-Evil"), std::string::npos) << got.transport_error;
  EXPECT_EQ(receiver.requestCount(), 0u);
}

TEST(HttpClient, CallbackMayPostAgain) {
  HttpReceiver receiver;
  HttpClient client(shortTimeouts());
  Outcome second;
  client.post(postTo(receiver.url("/first")),
              [&](HttpAnswer) { client.post(postTo(receiver.url("/second")), second.callback()); });
  ASSERT_TRUE(second.arrived(kPatience));
  EXPECT_EQ(second.future.get().status, 200);
  EXPECT_EQ(receiver.requestCount(), 2u);
}

TEST(HttpReceiver, DownThenUpOnTheSamePort) {
  HttpReceiver receiver;
  const uint16_t port = receiver.port();
  HttpClient client(shortTimeouts());
  EXPECT_EQ(client.postAndWait(postTo(receiver.url("/hook"))).status, 200);

  receiver.stop();
  EXPECT_EQ(client.postAndWait(postTo(receiver.url("/hook"))).status, 0);

  receiver.start();
  EXPECT_EQ(receiver.port(), port);
  EXPECT_EQ(client.postAndWait(postTo(receiver.url("/hook"))).status, 200);
  EXPECT_EQ(receiver.requestCount(), 2u);
}

TEST(HttpReceiver, WaitForRequestsTimesOutWhenNoneCome) {
  HttpReceiver receiver;
  EXPECT_FALSE(receiver.waitForRequests(1, 50ms));
  EXPECT_EQ(receiver.url("x"), "http://127.0.0.1:" + std::to_string(receiver.port()) + "/x");
}

}  // namespace
}  // namespace gw
