// The pure rules of delivery: every class of answer, Retry-After in every form, backoff bounds
// and growth, and Slack's pacing bucket.
#include "alert/delivery_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw {
namespace {

using namespace std::chrono_literals;

// 2015-10-21 07:27:00 UTC, one minute before the dates used below.
Timestamp at20151021T0727() {
  return Timestamp(Millis((daysFromCivil(2015, 10, 21) * 86400 + 7 * 3600 + 27 * 60) * 1000));
}

HttpAnswer answer(int status, std::string body = {}, std::string retry_after = {}) {
  HttpAnswer a;
  a.status = status;
  a.body = std::move(body);
  a.retry_after = std::move(retry_after);
  return a;
}

Classification slack(const HttpAnswer& a) {
  return classify(SinkType::kSlack, a, at20151021T0727());
}
Classification webhook(const HttpAnswer& a) {
  return classify(SinkType::kWebhook, a, at20151021T0727());
}

TEST(Classify, WebhookAndAlertmanager2xxAreDelivered) {
  for (const int status : {200, 201, 202, 204}) {
    EXPECT_EQ(webhook(answer(status)).verdict, Verdict::kDelivered) << status;
    EXPECT_EQ(classify(SinkType::kAlertmanager, answer(status, "{}"), at20151021T0727()).verdict,
              Verdict::kDelivered)
        << status;
  }
}

TEST(Classify, SlackOkIsDelivered) {
  const Classification c = slack(answer(200, "ok"));
  EXPECT_EQ(c.verdict, Verdict::kDelivered);
  EXPECT_TRUE(c.slack_error.empty());
  EXPECT_EQ(slack(answer(200, "ok\n")).verdict, Verdict::kDelivered);
}

TEST(Classify, Slack200WithoutOkIsRetried) {
  for (const std::string body : {"", "OK but not quite", "<html>proxy page</html>", "nope"}) {
    const Classification c = slack(answer(200, body));
    EXPECT_EQ(c.verdict, Verdict::kRetry) << body;
    EXPECT_NE(c.reason.find("instead of Slack's \"ok\""), std::string::npos) << c.reason;
  }
}

TEST(Classify, Slack200WithPermanentErrorStops) {
  const Classification c = slack(answer(200, "invalid_payload"));
  EXPECT_EQ(c.verdict, Verdict::kPermanent);
  EXPECT_EQ(c.slack_error, "invalid_payload");
}

TEST(Classify, SlackDocumentedPermanentErrorsStop) {
  const std::vector<std::pair<int, std::string>> cases = {
      {400, "invalid_payload"},
      {400, "user_not_found"},
      {400, "no_text"},
      {400, "too_many_attachments"},
      {400, "invalid_blocks"},
      {400, "invalid_blocks_format"},
      {400, "missing_text_or_fallback_or_attachments"},
      {403, "action_prohibited"},
      {403, "posting_to_general_channel_denied"},
      {403, "invalid_token"},
      {404, "channel_not_found"},
      {404, "no_service"},
      {404, "no_team"},
      {404, "team_disabled"},
      {410, "channel_is_archived"},
      // A permanent string decides even on a 5xx: Slack has sent some of them with a 500.
      {500, "missing_text_or_fallback_or_attachments"},
  };
  for (const auto& [status, error] : cases) {
    const Classification c = slack(answer(status, error));
    EXPECT_EQ(c.verdict, Verdict::kPermanent) << status << " " << error;
    EXPECT_EQ(c.slack_error, error);
    EXPECT_EQ(c.reason.rfind("HTTP " + std::to_string(status), 0), 0u) << c.reason;
    EXPECT_NE(c.reason.find(": " + error), std::string::npos) << c.reason;
  }
}

TEST(Classify, SlackChannelNotFoundReasonSaysWhatToDo) {
  const Classification c = slack(answer(404, "channel_not_found"));
  EXPECT_EQ(c.reason.rfind("HTTP 404 Not Found: channel_not_found (", 0), 0u) << c.reason;
  EXPECT_NE(c.reason.find("create a webhook"), std::string::npos) << c.reason;
}

TEST(Classify, SlackJsonErrorIsRead) {
  const Classification c = slack(answer(400, R"({"ok":false,"error":"invalid_blocks"})"));
  EXPECT_EQ(c.verdict, Verdict::kPermanent);
  EXPECT_EQ(c.slack_error, "invalid_blocks");
}

TEST(Classify, SlackTransientErrorIsRetried) {
  const Classification c = slack(answer(500, "rollup_error"));
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_EQ(c.slack_error, "rollup_error");
  EXPECT_EQ(c.reason, "HTTP 500 Internal Server Error: rollup_error");
}

TEST(Classify, SlackUnknown4xxStops) {
  const Classification c = slack(answer(400, "some_new_error"));
  EXPECT_EQ(c.verdict, Verdict::kPermanent);
  EXPECT_EQ(c.slack_error, "some_new_error");
}

TEST(Classify, ServerErrorsAndRequestTimeoutAreRetried) {
  for (const int status : {500, 502, 503, 504, 599, 408}) {
    EXPECT_EQ(webhook(answer(status)).verdict, Verdict::kRetry) << status;
    EXPECT_EQ(slack(answer(status)).verdict, Verdict::kRetry) << status;
    EXPECT_EQ(webhook(answer(status)).wait, Millis(0));
  }
}

TEST(Classify, OtherClientErrorsStop) {
  for (const int status : {400, 401, 403, 404, 405, 409, 410, 413, 422}) {
    const Classification c = webhook(answer(status));
    EXPECT_EQ(c.verdict, Verdict::kPermanent) << status;
    EXPECT_TRUE(c.slack_error.empty());
  }
  EXPECT_EQ(webhook(answer(404)).reason, "HTTP 404 Not Found (is the sink's URL right?)");
}

TEST(Classify, ShortReceiverBodyIsQuotedInTheReason) {
  const Classification c = webhook(answer(400, "{\"code\":400,\n \"message\":\"bad labels\"}"));
  EXPECT_EQ(c.reason, R"(HTTP 400 Bad Request: "{"code":400, "message":"bad labels"}")");
  // A webhook's body is not read for Slack's strings.
  EXPECT_TRUE(webhook(answer(404, "channel_not_found")).slack_error.empty());
  // An error page is noise: left out.
  EXPECT_EQ(webhook(answer(403, std::string(5000, 'x'))).reason,
            "HTTP 403 Forbidden (are the URL and its token still valid?)");
}

TEST(Classify, RedirectIsNotFollowedAndStops) {
  const Classification c = webhook(answer(302));
  EXPECT_EQ(c.verdict, Verdict::kPermanent);
  EXPECT_NE(c.reason.find("redirects are not followed"), std::string::npos) << c.reason;
}

TEST(Classify, RateLimitedWaitsForRetryAfterSeconds) {
  const Classification c = webhook(answer(429, "", "30"));
  EXPECT_EQ(c.verdict, Verdict::kRateLimited);
  EXPECT_EQ(c.wait, 30s);
  EXPECT_NE(c.reason.find("retrying in 30s"), std::string::npos) << c.reason;
}

TEST(Classify, RateLimitedWaitsForRetryAfterDate) {
  const Classification c = slack(answer(429, "rate_limited", "Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_EQ(c.verdict, Verdict::kRateLimited);
  EXPECT_EQ(c.wait, 60s);
  EXPECT_EQ(c.slack_error, "rate_limited");
}

TEST(Classify, SlackJsonRetryAfterIsHonoured) {
  const Classification c = slack(answer(429, R"({"ok":false,"retry_after": 12})"));
  EXPECT_EQ(c.verdict, Verdict::kRateLimited);
  EXPECT_EQ(c.wait, 12s);
  EXPECT_EQ(slack(answer(429, R"({"retry_after": 0.2})")).wait, kMinRetryAfter);
  EXPECT_EQ(slack(answer(429, R"({"retry_after": 1e9})")).wait, kMaxRetryAfter);
}

TEST(Classify, RetryAfterHeaderWinsOverJson) {
  EXPECT_EQ(slack(answer(429, R"({"retry_after": 12})", "5")).wait, 5s);
  // ... unless the header is unreadable.
  EXPECT_EQ(slack(answer(429, R"({"retry_after": 12})", "soon")).wait, 12s);
}

TEST(Classify, MalformedRetryAfterFallsBackToBackoff) {
  const Classification c = webhook(answer(429, "", "in a while"));
  EXPECT_EQ(c.verdict, Verdict::kRateLimited);
  EXPECT_EQ(c.wait, Millis(0));  // the caller backs off instead
  EXPECT_NE(c.reason.find("unreadable"), std::string::npos) << c.reason;
  EXPECT_EQ(c.reason.find("in a while"), std::string::npos) << c.reason;

  const Classification none = webhook(answer(429));
  EXPECT_EQ(none.verdict, Verdict::kRateLimited);
  EXPECT_EQ(none.wait, Millis(0));
}

TEST(Classify, SlackRateLimitedBodyOnAnotherStatusIsRateLimited) {
  EXPECT_EQ(slack(answer(200, "rate_limited")).verdict, Verdict::kRateLimited);
}

TEST(Classify, TimeoutIsRetried) {
  HttpAnswer a;
  a.timed_out = true;
  a.transport_error = "Operation timed out after 15000 milliseconds with 0 bytes received";
  const Classification c = webhook(a);
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_EQ(c.reason.rfind("timed out: ", 0), 0u) << c.reason;
}

TEST(Classify, ConnectionErrorIsRetried) {
  HttpAnswer a;
  a.transport_error =
      "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server";
  const Classification c = slack(a);
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_EQ(c.reason, "no HTTP answer: " + a.transport_error);
  EXPECT_EQ(webhook(HttpAnswer{}).verdict, Verdict::kRetry);
}

TEST(Classify, ReasonNeverCarriesAUrlPath) {
  HttpAnswer a;
  a.transport_error = "Could not reach https://hooks.slack.com/services/T0/B0/SECRETPATH now";
  const Classification c = slack(a);
  EXPECT_EQ(c.reason.find("SECRETPATH"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("https://hooks.slack.com/…"), std::string::npos) << c.reason;

  const Classification body =
      webhook(answer(400, "bad request to http://user:pw@example.net/hook?token=SECRETQUERY"));
  EXPECT_EQ(body.reason.find("SECRETQUERY"), std::string::npos) << body.reason;
  EXPECT_EQ(body.reason.find("pw@"), std::string::npos) << body.reason;
}

TEST(Classify, VerdictsHaveNames) {
  EXPECT_STREQ(toString(Verdict::kDelivered), "delivered");
  EXPECT_STREQ(toString(Verdict::kRetry), "retry");
  EXPECT_STREQ(toString(Verdict::kRateLimited), "rate_limited");
  EXPECT_STREQ(toString(Verdict::kPermanent), "permanent");
}

// ---- Retry-After ----

TEST(RetryAfter, DeltaSeconds) {
  const Timestamp now = at20151021T0727();
  EXPECT_EQ(parseRetryAfter("120", now), Millis(120s));
  EXPECT_EQ(parseRetryAfter(" 5 ", now), Millis(5s));
  EXPECT_EQ(parseRetryAfter("007", now), Millis(7s));
}

TEST(RetryAfter, DeltaSecondsAreClamped) {
  const Timestamp now = at20151021T0727();
  EXPECT_EQ(parseRetryAfter("0", now), kMinRetryAfter);
  EXPECT_EQ(parseRetryAfter("900", now), kMaxRetryAfter);
  EXPECT_EQ(parseRetryAfter("901", now), kMaxRetryAfter);
  EXPECT_EQ(parseRetryAfter("86400", now), kMaxRetryAfter);
  EXPECT_EQ(parseRetryAfter("99999999999999999999999999", now), kMaxRetryAfter);
}

TEST(RetryAfter, ImfFixdate) {
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", at20151021T0727()), Millis(60s));
  EXPECT_EQ(parseRetryAfter("wed, 21 oct 2015 07:37:30 gmt", at20151021T0727()), Millis(630s));
}

TEST(RetryAfter, Rfc850Date) {
  EXPECT_EQ(parseRetryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", at20151021T0727()), Millis(60s));
}

TEST(RetryAfter, AsctimeDate) {
  EXPECT_EQ(parseRetryAfter("Wed Oct 21 07:28:00 2015", at20151021T0727()), Millis(60s));
  const Timestamp nov6 =
      Timestamp(Millis((daysFromCivil(1994, 11, 6) * 86400 + 8 * 3600 + 49 * 60) * 1000));
  EXPECT_EQ(parseRetryAfter("Sun Nov  6 08:49:37 1994", nov6), Millis(37s));
}

TEST(RetryAfter, DatesAreClamped) {
  const Timestamp now = at20151021T0727();
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), kMinRetryAfter);  // past
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), kMinRetryAfter);  // now
  EXPECT_EQ(parseRetryAfter("Thu, 22 Oct 2015 07:27:00 GMT", now), kMaxRetryAfter);  // a day
  EXPECT_EQ(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now), kMaxRetryAfter);
}

TEST(RetryAfter, MalformedValuesAreRejected) {
  const Timestamp now = at20151021T0727();
  for (const std::string value : {
           "",
           "   ",
           "soon",
           "-5",
           "1.5",
           "120s",
           "0x10",
           "Wed, 21 Oct 2015 07:28:00 PST",
           "Wed, 21 Oct 2015 07:28:00",
           "Wed, 21 Oct 2015 07:28:00 GMT trailing",
           "Wed, 32 Oct 2015 07:28:00 GMT",
           "Sun, 29 Feb 2015 07:28:00 GMT",
           "Wed, 21 Oct 2015 24:00:00 GMT",
           "Wed, 21 Oct 2015 07:60:00 GMT",
           "Wed, 21 Foo 2015 07:28:00 GMT",
           "Xyz, 21 Oct 2015 07:28:00 GMT",
           "Wed, 1 Oct 2015 07:28:00 GMT",
           "Wednesday, 21-Oct-2015 07:28:00 GMT",
           "Wed Oct 21 07:28:00 15",
       }) {
    EXPECT_EQ(parseRetryAfter(value, now), std::nullopt) << '"' << value << '"';
  }
}

TEST(RetryAfter, LeapDayIsADate) {
  const Timestamp before =
      Timestamp(Millis((daysFromCivil(2016, 2, 29) * 86400 + 12 * 3600) * 1000));
  EXPECT_EQ(parseRetryAfter("Mon, 29 Feb 2016 12:01:00 GMT", before), Millis(60s));
}

// ---- Backoff ----

TEST(Backoff, StaysWithinFullJitterBounds) {
  std::mt19937_64 rng(42);
  for (uint32_t attempt = 1; attempt <= 12; ++attempt) {
    const Millis ceiling = std::min(kBackoffCap, kBackoffBase * (int64_t{1} << (attempt - 1)));
    for (int draw = 0; draw < 500; ++draw) {
      const Millis delay = backoffDelay(attempt, rng);
      EXPECT_GE(delay, Millis(100)) << "attempt " << attempt;
      EXPECT_LE(delay, ceiling) << "attempt " << attempt;
    }
  }
}

TEST(Backoff, GrowsByDoublingUntilTheCap) {
  std::mt19937_64 rng(7);
  const auto largest = [&rng](uint32_t attempt) {
    Millis most{0};
    for (int draw = 0; draw < 1000; ++draw) most = std::max(most, backoffDelay(attempt, rng));
    return most;
  };
  // With 1,000 uniform draws the largest is within 1% of the ceiling (odds against: 0.99^1000).
  EXPECT_GT(largest(1), Millis(990));
  EXPECT_GT(largest(2), Millis(1980));
  EXPECT_GT(largest(4), Millis(7920));
  EXPECT_GT(largest(9), Millis(253'440));
  EXPECT_LE(largest(9), kBackoffCap);
  EXPECT_GT(largest(10), Millis(297'000));
  EXPECT_LE(largest(10), kBackoffCap);
}

TEST(Backoff, JittersInsteadOfRepeating) {
  std::mt19937_64 rng(1);
  std::vector<Millis> draws;
  for (int i = 0; i < 20; ++i) draws.push_back(backoffDelay(6, rng));
  std::sort(draws.begin(), draws.end());
  EXPECT_GT(std::unique(draws.begin(), draws.end()) - draws.begin(), 15);
}

TEST(Backoff, SameSeedGivesSameDelays) {
  std::mt19937_64 a(99);
  std::mt19937_64 b(99);
  for (uint32_t attempt = 1; attempt < 10; ++attempt) {
    EXPECT_EQ(backoffDelay(attempt, a), backoffDelay(attempt, b));
  }
}

TEST(Backoff, AttemptZeroAndHugeAttemptsAreSafe) {
  std::mt19937_64 rng(3);
  for (int draw = 0; draw < 200; ++draw) {
    EXPECT_LE(backoffDelay(0, rng), kBackoffBase);
    const Millis huge = backoffDelay(UINT32_MAX, rng);
    EXPECT_GE(huge, Millis(100));
    EXPECT_LE(huge, kBackoffCap);
    EXPECT_LE(backoffDelay(64, rng), kBackoffCap);
  }
}

// ---- Token bucket ----

using SteadyTime = std::chrono::steady_clock::time_point;

TEST(TokenBucket, BurstThenOnePerSecond) {
  TokenBucket bucket(kSlackMessagesPerSecond, kSlackBurst);
  const SteadyTime t0{std::chrono::hours(1)};
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_FALSE(bucket.tryTake(t0));
  EXPECT_EQ(bucket.nextToken(t0), t0 + 1s);
  EXPECT_FALSE(bucket.tryTake(t0 + 999ms));
  EXPECT_TRUE(bucket.tryTake(t0 + 1s));
  EXPECT_FALSE(bucket.tryTake(t0 + 1s));
  EXPECT_EQ(bucket.nextToken(t0 + 1500ms), t0 + 2s);
  EXPECT_TRUE(bucket.tryTake(bucket.nextToken(t0 + 1500ms)));
}

TEST(TokenBucket, NextTokenIsNowWhenOneIsThere) {
  TokenBucket bucket(1.0, 3.0);
  const SteadyTime t0{std::chrono::hours(1)};
  EXPECT_EQ(bucket.nextToken(t0), t0);
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_EQ(bucket.nextToken(t0), t0);
}

TEST(TokenBucket, IdleTimeRefillsOnlyUpToTheBurst) {
  TokenBucket bucket(1.0, 3.0);
  const SteadyTime t0{std::chrono::hours(1)};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.tryTake(t0));
  const SteadyTime later = t0 + std::chrono::hours(1);
  int taken = 0;
  while (bucket.tryTake(later)) ++taken;
  EXPECT_EQ(taken, 3);
}

TEST(TokenBucket, FractionalRateWaitsLonger) {
  TokenBucket bucket(0.5, 1.0);
  const SteadyTime t0{std::chrono::hours(1)};
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_EQ(bucket.nextToken(t0), t0 + 2s);
  EXPECT_FALSE(bucket.tryTake(t0 + 1999ms));
  EXPECT_TRUE(bucket.tryTake(t0 + 2s));
}

TEST(TokenBucket, ClockGoingBackwardsAddsNothing) {
  TokenBucket bucket(1.0, 1.0);
  const SteadyTime t0{std::chrono::hours(1)};
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_FALSE(bucket.tryTake(t0 - 10s));
  EXPECT_GE(bucket.nextToken(t0 - 10s), t0 - 10s);
  EXPECT_TRUE(bucket.tryTake(t0 + 1s));
}

TEST(TokenBucket, NonsenseSettingsStillLetMessagesOut) {
  TokenBucket bucket(0.0, 0.0);
  const SteadyTime t0{std::chrono::hours(1)};
  EXPECT_TRUE(bucket.tryTake(t0));
  EXPECT_GT(bucket.nextToken(t0), t0);
}

}  // namespace
}  // namespace gw
