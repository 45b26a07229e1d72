// Renders an Alert into the HTTP request a sink expects: Slack Block Kit, gatewatch's webhook
// JSON (version 1, optionally signed), Alertmanager's webhook shape, Alertmanager's API v2.
// Pure: the same alert, key and time always give the same bytes (golden tests rely on it).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/alert.h"
#include "alert/sink.h"
#include "common/time.h"

namespace gw {

struct HttpPost {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included
  std::string body;
};

// Slack's limits (api.slack.com/reference/block-kit/blocks) and ours below them: a message is
// cut with "… N more lines", never rejected.
inline constexpr std::size_t kSlackSectionTextMax = 3000;
inline constexpr std::size_t kSlackMaxBlocks = 50;
inline constexpr std::size_t kSlackFieldTextMax = 2000;
inline constexpr std::size_t kSlackMaxFields = 10;
inline constexpr std::size_t kSlackMessageBudget = 10'000;  // all text together, under 12,000

// Alertmanager drops an alert whose endsAt has passed: a firing alert is sent with endsAt this far
// ahead and re-sent every kAlertmanagerResend while it fires (Prometheus does the same: 4x its
// resend delay).
inline constexpr Millis kAlertmanagerResend{std::chrono::seconds(60)};
inline constexpr Millis kAlertmanagerHold{4 * kAlertmanagerResend};

// The request for `sink`. `idempotency_key` goes in the Idempotency-Key header (every sink);
// `now` is used only by Alertmanager's endsAt.
HttpPost renderForSink(const ResolvedSink& sink, const Alert& alert,
                       std::string_view idempotency_key, Timestamp now);

// The bodies, exposed for tests and docs.
std::string slackMessage(const Alert& alert);    // Block Kit JSON
std::string webhookPayload(const Alert& alert);  // gatewatch version 1 JSON
std::string alertmanagerWebhookPayload(const Alert& alert, std::string_view receiver);  // v"4"
std::string alertmanagerApiAlerts(const Alert& alert, Timestamp now);  // [ {labels, ...} ]

// Text from logs made safe for Slack mrkdwn: & < > as entities, runs of backticks broken with
// U+200B so a code block cannot be closed, control characters shown as \xNN, bidi controls
// (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) shown as <U+202E>, invalid UTF-8 as
// U+FFFD. A mention (<!channel>) or link (<https://x|y>) can never form from it.
std::string slackEscape(std::string_view text);

// The alert as a block of plain text for a terminal or a log file (`gatewatch run` with no sinks
// prints it to stdout): headline, summary, times, group, figures, then the log lines; ends with
// a blank line. Control characters, ANSI escapes and bidi controls from logs are shown escaped.
std::string consoleAlertText(const Alert& alert);

// "sha256=" + hex HMAC-SHA256 of body with key, for X-Gatewatch-Signature.
std::string signatureHeader(std::string_view key, std::string_view body);

}  // namespace gw
