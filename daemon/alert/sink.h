// ResolvedSink: a configured sink with its secrets read — the URL from url / url_env / url_file,
// the HMAC key from secret_env / secret_file. Secrets live only here and in the request being
// sent: they are never logged, stored in history or shown in an error; a URL is shown with its
// path hidden (displayUrl).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "config/config.h"

namespace gw {

struct ResolvedSink {
  std::string name;
  SinkType type = SinkType::kWebhook;
  WebhookPayload payload = WebhookPayload::kGatewatch;
  std::string url;     // secret for slack and webhook: use displayUrl() in anything shown
  std::string secret;  // HMAC-SHA256 key; empty: no signature
  Millis max_age{std::chrono::hours(24)};
};

// Reads one environment variable; injected so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup processEnvironment();

// Fails with a message naming the sink and the variable or file (never its content), e.g.
// "sink ops-slack: environment variable GATEWATCH_SLACK_URL is not set; set it in the unit's
// EnvironmentFile". A URL must be http:// or https://; a file's content is trimmed of whitespace.
Result<ResolvedSink> resolveSink(const SinkConfig& sink, const EnvLookup& env);
// Every sink, or every problem (one Error listing them all, one per line).
Result<std::vector<ResolvedSink>> resolveSinks(const std::vector<SinkConfig>& sinks,
                                               const EnvLookup& env);

// "https://hooks.slack.com/…": scheme, host and port only; userinfo, path and query hidden.
std::string displayUrl(std::string_view url);

}  // namespace gw
