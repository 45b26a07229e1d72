// The four payload bodies of one incident against golden files, the webhook and Alertmanager
// shapes field by field, the request each sink gets, the signature, and slackEscape's rules.
//
// Goldens: tests/render/golden/*.json hold the exact bodies (plus a final newline). After a
// deliberate change, regenerate with GW_UPDATE_GOLDEN=1 and review the diff.
#include "alert/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "render_fixture.h"

namespace gw {
namespace {

using nlohmann::json;
using testing::kst;
using testing::quietSiteIncident;
using testing::quietSiteResolved;

// Alertmanager's API body depends on "now": three seconds after the alert fired.
Timestamp renderNow() { return kst(11, 27, 12); }

void expectGolden(const std::string& name, const std::string& body) {
  const std::string path = std::string(GW_SOURCE_DIR) + "/tests/render/golden/" + name;
  const char* update = std::getenv("GW_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream out(path, std::ios::binary);
    out << body << '\n';
    ASSERT_TRUE(out.good()) << "could not write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << "; create it with GW_UPDATE_GOLDEN=1 and review it";
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(body + "\n", content.str())
      << name << " differs from its golden file; if the change is intended, rerun with "
      << "GW_UPDATE_GOLDEN=1 and review the diff";
}

TEST(RenderGolden, SlackMessageOfTheQuietSiteIncident) {
  expectGolden("slack.json", slackMessage(quietSiteIncident()));
}

TEST(RenderGolden, WebhookPayloadOfTheQuietSiteIncident) {
  expectGolden("webhook.json", webhookPayload(quietSiteIncident()));
}

TEST(RenderGolden, AlertmanagerWebhookOfTheQuietSiteIncident) {
  expectGolden("alertmanager_webhook.json",
               alertmanagerWebhookPayload(quietSiteIncident(), "pager"));
}

TEST(RenderGolden, AlertmanagerApiOfTheQuietSiteIncident) {
  expectGolden("alertmanager_api.json", alertmanagerApiAlerts(quietSiteIncident(), renderNow()));
}

TEST(RenderGolden, SlackMessageOfTheResolution) {
  expectGolden("slack_resolved.json", slackMessage(quietSiteResolved()));
}

TEST(RenderGolden, WebhookPayloadOfTheResolution) {
  expectGolden("webhook_resolved.json", webhookPayload(quietSiteResolved()));
}

TEST(RenderGolden, BodiesAreTheSameBytesEveryTime) {
  const Alert a = quietSiteIncident();
  EXPECT_EQ(slackMessage(a), slackMessage(quietSiteIncident()));
  EXPECT_EQ(webhookPayload(a), webhookPayload(quietSiteIncident()));
  EXPECT_EQ(alertmanagerApiAlerts(a, renderNow()),
            alertmanagerApiAlerts(quietSiteIncident(), renderNow()));
}

// --- webhook version 1 ---

TEST(WebhookPayload, FiringHasProductShapeWithNullResolution) {
  const json p = json::parse(webhookPayload(quietSiteIncident()));
  EXPECT_EQ(p["version"], 1);
  EXPECT_EQ(p["id"], "9c1f4e2a7b3d5e60");
  EXPECT_EQ(p["event"], "firing");
  EXPECT_EQ(p["rule"], "upstream-down");
  EXPECT_EQ(p["kind"], "consecutive");
  EXPECT_EQ(p["severity"], "critical");
  EXPECT_EQ(p["source"], "driver-insu-prod");
  EXPECT_EQ(p["group"], (json{{"source", "driver-insu-prod"}, {"upstream", "127.0.0.1:8080"}}));
  EXPECT_EQ(p["host"], "ip-172-31-20-17");
  EXPECT_EQ(p["started_at"], "2022-11-16T11:26:28+09:00");
  EXPECT_EQ(p["fired_at"], "2022-11-16T11:27:09+09:00");
  EXPECT_TRUE(p["resolved_at"].is_null());
  EXPECT_TRUE(p["duration_seconds"].is_null());
  EXPECT_EQ(p["window_seconds"], 60);
  EXPECT_EQ(p["stats"]["requests"], 3);
  EXPECT_EQ(p["stats"]["errors"], 3);
  EXPECT_EQ(p["stats"]["ratio"], 1.0);
  EXPECT_EQ(p["stats"]["by_status"], (json{{"502", 3}}));
  EXPECT_EQ(p["peak"]["at"], "2022-11-16T11:27:09+09:00");
  EXPECT_EQ(p["top_paths"][0], (json{{"path", "/join/user-form"}, {"count", 2}}));
  EXPECT_EQ(p["upstreams"][0], (json{{"addr", "127.0.0.1:8080"}, {"count", 3}}));
  EXPECT_EQ(p["context"]["access"].size(), 5u);
  ASSERT_EQ(p["context"]["error"].size(), 3u);
  EXPECT_NE(p["context"]["error"][0].get<std::string>().find(
                "connect() failed (111: Connection refused) while connecting to upstream"),
            std::string::npos);
  EXPECT_EQ(p["summary"], "3 requests in a row failed with 502 Bad Gateway within 41s");
  EXPECT_EQ(p["test"], false);
}

TEST(WebhookPayload, ResolvedCarriesResolutionTimeAndDuration) {
  const json p = json::parse(webhookPayload(quietSiteResolved()));
  EXPECT_EQ(p["event"], "resolved");
  EXPECT_EQ(p["resolved_at"], "2022-11-16T11:41:30+09:00");
  EXPECT_EQ(p["duration_seconds"], 15 * 60 + 2);
  EXPECT_EQ(p["stats"]["by_status"], (json{{"200", 2}}));
}

TEST(WebhookPayload, RatioIsRoundedAndOtherStatusesNamed) {
  Alert a = quietSiteIncident();
  a.event.stats = {240, 231, {{0, 2}, {200, 7}, {502, 231}}};
  const json p = json::parse(webhookPayload(a));
  EXPECT_EQ(p["stats"]["ratio"], 0.9625);
  EXPECT_EQ(p["stats"]["by_status"], (json{{"other", 2}, {"200", 7}, {"502", 231}}));
}

TEST(WebhookPayload, InvalidUtf8FromLogsBecomesReplacementCharacter) {
  Alert a = quietSiteIncident();
  a.context.access = {"GET /caf\xC3 HTTP/1.1", "\xFF\xFE"};
  a.event.top_paths = {{"/\xE2\x82", 1}};
  const std::string body = webhookPayload(a);
  const json p = json::parse(body);  // throws on invalid UTF-8
  EXPECT_EQ(p["context"]["access"][0], "GET /caf\xEF\xBF\xBD HTTP/1.1");
  EXPECT_EQ(p["context"]["access"][1], "\xEF\xBF\xBD\xEF\xBF\xBD");
  // A truncated sequence is replaced byte by byte, as common/utf8 does everywhere.
  EXPECT_EQ(p["top_paths"][0]["path"], "/\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(WebhookPayload, TimesFollowTheEventsOwnOffset) {
  Alert a = quietSiteIncident();
  a.event.utc_offset_minutes = 0;
  EXPECT_EQ(json::parse(webhookPayload(a))["started_at"], "2022-11-16T02:26:28Z");
  a.event.utc_offset_minutes = -(3 * 60 + 30);
  EXPECT_EQ(json::parse(webhookPayload(a))["started_at"], "2022-11-15T22:56:28-03:30");
}

TEST(WebhookPayload, TestAlertIsMarked) {
  Alert a = quietSiteIncident();
  a.test = true;
  EXPECT_EQ(json::parse(webhookPayload(a))["test"], true);
}

// --- Alertmanager ---

TEST(AlertmanagerApi, FiringAlertIsHeldPastNowAndCarriesLabels) {
  const json p = json::parse(alertmanagerApiAlerts(quietSiteIncident(), renderNow()));
  ASSERT_TRUE(p.is_array());
  ASSERT_EQ(p.size(), 1u);
  const json& alert = p[0];
  EXPECT_EQ(alert["labels"], (json{{"alertname", "upstream-down"},
                                   {"instance", "ip-172-31-20-17"},
                                   {"severity", "critical"},
                                   {"source", "driver-insu-prod"},
                                   {"upstream", "127.0.0.1:8080"}}));
  EXPECT_EQ(alert["startsAt"], "2022-11-16T11:27:09+09:00");
  // now (11:27:12) + kAlertmanagerHold (4 minutes).
  EXPECT_EQ(alert["endsAt"], "2022-11-16T11:31:12+09:00");
  EXPECT_EQ(alert["annotations"]["summary"],
            "3 requests in a row failed with 502 Bad Gateway within 41s");
  EXPECT_EQ(alert["annotations"]["description"], quietSiteIncident().headline);
  EXPECT_EQ(alert["annotations"]["incident_id"], "9c1f4e2a7b3d5e60");
  EXPECT_EQ(alert["annotations"]["started_at"], "2022-11-16T11:26:28+09:00");
}

TEST(AlertmanagerApi, ResolvedAlertEndsWhenTheIncidentResolved) {
  const json p = json::parse(alertmanagerApiAlerts(quietSiteResolved(), kst(11, 41, 33)));
  EXPECT_EQ(p[0]["endsAt"], "2022-11-16T11:41:30+09:00");
  EXPECT_EQ(p[0]["startsAt"], "2022-11-16T11:27:09+09:00");
}

TEST(AlertmanagerApi, EndsAtNeverPrecedesStartsAtWhenLogTimeIsAhead) {
  const json p = json::parse(alertmanagerApiAlerts(quietSiteIncident(), kst(11, 0, 0)));
  EXPECT_EQ(p[0]["endsAt"], "2022-11-16T11:31:09+09:00");
}

TEST(AlertmanagerApi, ContextExcerptShowsNewestAccessAndFirstErrorLinesWithinLimit) {
  const json p = json::parse(alertmanagerApiAlerts(quietSiteIncident(), renderNow()));
  const std::string context = p[0]["annotations"]["context"];
  EXPECT_NE(context.find("11:27:09 +0900"), std::string::npos);  // newest access line
  EXPECT_EQ(context.find("11:06:12 +0900"), std::string::npos);  // oldest left out
  EXPECT_NE(context.find("connect() failed (111: Connection refused)"), std::string::npos);

  Alert big = quietSiteIncident();
  big.context.access.assign(50, std::string(4000, 'a'));
  big.context.error.assign(50, std::string(4000, 'e'));
  const std::string cut =
      json::parse(alertmanagerApiAlerts(big, renderNow()))[0]["annotations"]["context"];
  std::size_t chars = 0;
  for (const unsigned char c : cut) chars += (c & 0xC0) != 0x80;
  EXPECT_LE(chars, 1000u);
  EXPECT_NE(cut.find("aaa…\n"), std::string::npos);  // each line cut, both kinds shown
  EXPECT_NE(cut.find("error.log:\neee"), std::string::npos);
}

TEST(AlertmanagerApi, LabelValuesAreValidUtf8) {
  Alert a = quietSiteIncident();
  a.event.group = {{"source", "driver-insu-prod"}, {"path", "/a\xC0\xAF"}};
  const json p = json::parse(alertmanagerApiAlerts(a, renderNow()));  // throws on invalid UTF-8
  EXPECT_EQ(p[0]["labels"]["path"], "/a\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(AlertmanagerWebhook, FiringHasAlertmanagersShapeAndTheContext) {
  const json p = json::parse(alertmanagerWebhookPayload(quietSiteIncident(), "pager"));
  EXPECT_EQ(p["version"], "4");
  EXPECT_EQ(p["status"], "firing");
  EXPECT_EQ(p["receiver"], "pager");
  EXPECT_EQ(p["truncatedAlerts"], 0);
  EXPECT_EQ(
      p["groupKey"],
      R"({}:{alertname="upstream-down", source="driver-insu-prod", upstream="127.0.0.1:8080"})");
  EXPECT_EQ(p["groupLabels"], (json{{"alertname", "upstream-down"},
                                    {"source", "driver-insu-prod"},
                                    {"upstream", "127.0.0.1:8080"}}));
  ASSERT_EQ(p["alerts"].size(), 1u);
  EXPECT_EQ(p["commonLabels"], p["alerts"][0]["labels"]);
  EXPECT_EQ(p["commonAnnotations"], p["alerts"][0]["annotations"]);
  EXPECT_EQ(p["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(p["alerts"][0]["startsAt"], "2022-11-16T11:27:09+09:00");
  EXPECT_EQ(p["context"]["access"].size(), 5u);
  EXPECT_EQ(p["context"]["error"].size(), 3u);
}

TEST(AlertmanagerWebhook, FingerprintIsPrometheusLabelSetFingerprint) {
  // The value Alertmanager 0.25 itself reports (GET /api/v2/alerts) for an alert with the
  // quiet-site incident's labels: FNV-1a 64 over the sorted names and values, each followed by
  // 0xff, as prometheus/common's LabelSet.Fingerprint.
  const json p = json::parse(alertmanagerWebhookPayload(quietSiteIncident(), "pager"));
  EXPECT_EQ(p["alerts"][0]["fingerprint"], "feb0f757550291a1");
}

TEST(AlertmanagerWebhook, ResolvedStatusAndEndsAt) {
  const json p = json::parse(alertmanagerWebhookPayload(quietSiteResolved(), "pager"));
  EXPECT_EQ(p["status"], "resolved");
  EXPECT_EQ(p["alerts"][0]["status"], "resolved");
  EXPECT_EQ(p["alerts"][0]["endsAt"], "2022-11-16T11:41:30+09:00");
}

TEST(AlertmanagerWebhook, TestAlertIsLabelledAndSummaryMarked) {
  Alert a = quietSiteIncident();
  a.test = true;
  const json p = json::parse(alertmanagerWebhookPayload(a, "pager"));
  EXPECT_EQ(p["alerts"][0]["labels"]["test"], "true");
  EXPECT_EQ(p["alerts"][0]["annotations"]["summary"].get<std::string>().rfind("🧪 TEST", 0), 0u);
}

// --- the request per sink ---

ResolvedSink sink(SinkType type, std::string url, std::string secret = "") {
  ResolvedSink s;
  s.name = type == SinkType::kSlack ? "ops-slack" : "pager";
  s.type = type;
  s.url = std::move(url);
  s.secret = std::move(secret);
  return s;
}

std::string header(const HttpPost& post, std::string_view name) {
  for (const auto& [n, v] : post.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST(RenderForSink, AlertmanagerUrlGetsApiPathWithoutDoubleSlash) {
  for (const char* base :
       {"http://127.0.0.1:9093", "http://127.0.0.1:9093/", "http://127.0.0.1:9093/api/v2/alerts"}) {
    const HttpPost post = renderForSink(sink(SinkType::kAlertmanager, base), quietSiteIncident(),
                                        "key-1", renderNow());
    EXPECT_EQ(post.url, "http://127.0.0.1:9093/api/v2/alerts") << base;
    EXPECT_EQ(post.body, alertmanagerApiAlerts(quietSiteIncident(), renderNow()));
  }
  const HttpPost prefixed = renderForSink(sink(SinkType::kAlertmanager, "https://am.example/am/"),
                                          quietSiteIncident(), "key-1", renderNow());
  EXPECT_EQ(prefixed.url, "https://am.example/am/api/v2/alerts");
}

TEST(RenderForSink, EverySinkGetsJsonIdempotencyKeyAndUserAgent) {
  for (SinkType type : {SinkType::kSlack, SinkType::kWebhook, SinkType::kAlertmanager}) {
    const HttpPost post = renderForSink(sink(type, "https://hooks.example/x"), quietSiteIncident(),
                                        "9c1f4e2a7b3d5e60-firing-1", renderNow());
    EXPECT_EQ(header(post, "Content-Type"), "application/json") << toString(type);
    EXPECT_EQ(header(post, "Idempotency-Key"), "9c1f4e2a7b3d5e60-firing-1") << toString(type);
    EXPECT_EQ(header(post, "User-Agent"), "gatewatch/0.1") << toString(type);
    EXPECT_EQ(header(post, "X-Gatewatch-Signature"), "<absent>") << toString(type);
    EXPECT_TRUE(json::accept(post.body)) << toString(type);
  }
}

TEST(RenderForSink, SlackGetsBlockKitAtTheSinkUrl) {
  const HttpPost post =
      renderForSink(sink(SinkType::kSlack, "https://hooks.slack.com/services/T/B/x"),
                    quietSiteIncident(), "k", renderNow());
  EXPECT_EQ(post.url, "https://hooks.slack.com/services/T/B/x");
  EXPECT_EQ(post.body, slackMessage(quietSiteIncident()));
}

TEST(RenderForSink, WebhookWithSecretIsSignedOverTheExactBody) {
  const HttpPost post =
      renderForSink(sink(SinkType::kWebhook, "https://hooks.example/gw", "s3cret"),
                    quietSiteIncident(), "k", renderNow());
  EXPECT_EQ(post.body, webhookPayload(quietSiteIncident()));
  EXPECT_EQ(header(post, "X-Gatewatch-Signature"), signatureHeader("s3cret", post.body));
  EXPECT_NE(header(post, "X-Gatewatch-Signature"), signatureHeader("other", post.body));
}

TEST(RenderForSink, SecretNeverSignsSlackOrAlertmanager) {
  for (SinkType type : {SinkType::kSlack, SinkType::kAlertmanager}) {
    const HttpPost post = renderForSink(sink(type, "http://127.0.0.1:9093", "s3cret"),
                                        quietSiteIncident(), "k", renderNow());
    EXPECT_EQ(header(post, "X-Gatewatch-Signature"), "<absent>") << toString(type);
  }
}

TEST(RenderForSink, WebhookAskingForAlertmanagerShapeGetsItWithSinkAsReceiver) {
  ResolvedSink s = sink(SinkType::kWebhook, "https://hooks.example/am", "s3cret");
  s.payload = WebhookPayload::kAlertmanager;
  const HttpPost post = renderForSink(s, quietSiteIncident(), "k", renderNow());
  EXPECT_EQ(post.url, "https://hooks.example/am");
  EXPECT_EQ(post.body, alertmanagerWebhookPayload(quietSiteIncident(), "pager"));
  EXPECT_EQ(header(post, "X-Gatewatch-Signature"), signatureHeader("s3cret", post.body));
}

// --- signature ---

TEST(Signature, MatchesRfc4231TestCase2) {
  EXPECT_EQ(signatureHeader("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signature, MatchesRfc4231TestCase1) {
  EXPECT_EQ(signatureHeader(std::string(20, '\x0b'), "Hi There"),
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Signature, EmptyBodyAndKeyStillSign) {
  // HMAC-SHA256 with an empty key over an empty message.
  EXPECT_EQ(signatureHeader("", ""),
            "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// --- slackEscape ---

TEST(SlackEscape, EscapesTheThreeMrkdwnControlCharacters) {
  EXPECT_EQ(slackEscape("a & b < c > d"), "a &amp; b &lt; c &gt; d");
}

TEST(SlackEscape, ChannelMentionAndLinkCannotForm) {
  EXPECT_EQ(slackEscape("/<!channel>"), "/&lt;!channel&gt;");
  EXPECT_EQ(slackEscape("<https://evil.example|runbook>"), "&lt;https://evil.example|runbook&gt;");
  EXPECT_EQ(slackEscape("<@U024BE7LH>"), "&lt;@U024BE7LH&gt;");
}

TEST(SlackEscape, EntityEncodedTextStaysLiteral) {
  EXPECT_EQ(slackEscape("&lt;!here&gt;"), "&amp;lt;!here&amp;gt;");
}

TEST(SlackEscape, RunsOfBackticksAreBroken) {
  const std::string zwsp = "\xE2\x80\x8B";
  EXPECT_EQ(slackEscape("```"), "`" + zwsp + "`" + zwsp + "`");
  EXPECT_EQ(slackEscape("a`b"), "a`b");
  EXPECT_EQ(slackEscape("``````").find("```"), std::string::npos);
}

TEST(SlackEscape, ControlCharactersAreShownAsHex) {
  EXPECT_EQ(slackEscape("a\x01"
                        "b\tc\nd\x7f"),
            "a\\x01b\\x09c\\x0Ad\\x7F");
  EXPECT_EQ(slackEscape("\xC2\x85"), "\\x85");  // C1 NEL
  EXPECT_EQ(slackEscape(std::string_view("\0", 1)), "\\x00");
}

TEST(SlackEscape, BidiControlsAreShownByName) {
  EXPECT_EQ(slackEscape("invoice\xE2\x80\xAEgpj.exe"), "invoice&lt;U+202E&gt;gpj.exe");
  EXPECT_EQ(slackEscape("\xE2\x81\xA6x\xE2\x81\xA9"), "&lt;U+2066&gt;x&lt;U+2069&gt;");
  EXPECT_EQ(slackEscape("\xE2\x80\x8F\xD8\x9C"), "&lt;U+200F&gt;&lt;U+061C&gt;");
  EXPECT_EQ(slackEscape("a\xE2\x80\xA8"
                        "b"),
            "a&lt;U+2028&gt;b");  // line separator
}

TEST(SlackEscape, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(slackEscape("caf\xC3"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(slackEscape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(slackEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(SlackEscape, ValidTextPassesUnchanged) {
  EXPECT_EQ(slackEscape("GET /보험/가입 HTTP/1.1 → 502 🔴"), "GET /보험/가입 HTTP/1.1 → 502 🔴");
}

}  // namespace
}  // namespace gw
