#include "alert/delivery_policy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "alert/compose.h"
#include "alert/sink.h"

namespace gw {
namespace {

// Slack answers an incoming webhook with a short lower-case token ("channel_not_found"); longer
// or other text is not one of its error strings.
constexpr std::size_t kMaxSlackErrorChars = 64;
// A short answer body is quoted in the reason (Alertmanager says what it disliked); longer ones are
// error pages, noise in a log line.
constexpr std::size_t kMaxQuotedBodyChars = 160;
// Delta-seconds longer than this are far beyond kMaxRetryAfter: clamped without parsing further,
// so no digit string can overflow.
constexpr std::size_t kMaxDeltaDigits = 9;

// The errors Slack documents for incoming webhooks that no retry can fix (api.slack.com
// "Handling errors" of incoming webhooks and its 2016-05-17 changelog), plus the Web API's
// authentication errors a webhook URL can also meet. Each needs an operator or a code change.
struct SlackPermanentError {
  std::string_view error;
  std::string_view hint;
};
constexpr std::string_view kHintNewWebhook =
    "the webhook was disabled or removed; create a new one and update the sink's URL";
constexpr std::string_view kHintPayload =
    "Slack rejected the message itself; please report it with the history entry";
constexpr std::string_view kHintAdmin = "the workspace restricts this webhook; ask a Slack admin";
constexpr std::array<SlackPermanentError, 20> kSlackPermanentErrors{{
    {"invalid_payload", kHintPayload},
    {"user_not_found", kHintPayload},
    {"no_text", kHintPayload},
    {"missing_text_or_fallback_or_attachments", kHintPayload},
    {"invalid_blocks", kHintPayload},
    {"invalid_blocks_format", kHintPayload},
    {"invalid_attachments", kHintPayload},
    {"too_many_attachments", kHintPayload},
    {"channel_not_found",
     "the webhook's channel no longer exists; create a webhook for an existing channel"},
    {"channel_is_archived", "the channel is archived; unarchive it or create a new webhook"},
    {"action_prohibited", kHintAdmin},
    {"posting_to_general_channel_denied", kHintAdmin},
    {"no_service", kHintNewWebhook},
    {"no_service_id", kHintNewWebhook},
    {"no_team", kHintNewWebhook},
    {"team_disabled", kHintNewWebhook},
    {"invalid_token", kHintNewWebhook},
    {"no_active_hooks", kHintNewWebhook},
    {"invalid_auth", kHintNewWebhook},
    {"token_revoked", kHintNewWebhook},
}};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool isSlackToken(std::string_view text) {
  if (text.empty() || text.size() > kMaxSlackErrorChars) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::optional<nlohmann::json> jsonObjectOf(std::string_view body) {
  body = trim(body);
  if (body.empty() || body.front() != '{') return std::nullopt;
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

// Slack's error string: the whole body ("channel_not_found"), or the "error" of a JSON answer.
std::string slackErrorOf(std::string_view body) {
  const std::string_view text = trim(body);
  if (text == "ok") return {};
  if (isSlackToken(text)) return std::string(text);
  if (auto json = jsonObjectOf(text)) {
    const auto error = json->find("error");
    if (error != json->end() && error->is_string()) {
      const auto& value = error->get_ref<const std::string&>();
      if (isSlackToken(value)) return value;
    }
  }
  return {};
}

const SlackPermanentError* permanentSlackError(std::string_view error) {
  for (const auto& known : kSlackPermanentErrors) {
    if (known.error == error) return &known;
  }
  return nullptr;
}

bool isRateLimitError(std::string_view error) {
  return error == "rate_limited" || error == "ratelimited";
}

// Slack's JSON {"retry_after": N} (seconds, possibly fractional), clamped like Retry-After.
std::optional<Millis> jsonRetryAfter(std::string_view body) {
  auto json = jsonObjectOf(body);
  if (!json) return std::nullopt;
  const auto value = json->find("retry_after");
  if (value == json->end() || !value->is_number()) return std::nullopt;
  const auto seconds = value->get<double>();
  if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
  const double max_seconds = std::chrono::duration<double>(kMaxRetryAfter).count();
  const auto wait = Millis(static_cast<int64_t>(std::ceil(std::min(seconds, max_seconds) * 1000)));
  return std::clamp(wait, kMinRetryAfter, kMaxRetryAfter);
}

// Every "scheme://..." in text replaced by its displayUrl(): a receiver's or curl's message never
// carries a webhook's secret path into a log or history row.
std::string scrubUrls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t mark = text.find("://", at);
    if (mark == std::string_view::npos) break;
    std::size_t begin = mark;
    while (begin > at) {
      const char c = text[begin - 1];
      const bool scheme_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
      if (!scheme_char) break;
      --begin;
    }
    std::size_t end = mark + 3;
    while (end < text.size() && !isSpace(text[end]) && text[end] != '"' && text[end] != '\'' &&
           text[end] != '<' && text[end] != '>') {
      ++end;
    }
    out.append(text.substr(at, begin - at));
    out += displayUrl(text.substr(begin, end - begin));
    at = end;
  }
  out.append(text.substr(at));
  return out;
}

// A short answer body as one printable line, or empty when it is long (an error page) or empty.
std::string quotedBody(std::string_view body) {
  const std::string_view text = trim(body);
  if (text.empty() || text.size() > kMaxQuotedBodyChars) return {};
  std::string line;
  bool space = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (isSpace(c)) {
      space = true;
      continue;
    }
    if (space && !line.empty()) line += ' ';
    space = false;
    line += (byte < 0x20 || byte >= 0x7F) ? '?' : c;
  }
  return "\"" + scrubUrls(line) + "\"";
}

std::string statusLine(int status) {
  std::string line = "HTTP " + std::to_string(status);
  // The reason phrases nginx sends (a receiver is often behind one); "" for codes it has none for.
  const std::string_view text = status > 0 && status < 1000
                                    ? statusReason(static_cast<uint16_t>(status))
                                    : std::string_view{};
  if (!text.empty()) {
    line += ' ';
    line += text;
  }
  return line;
}

// What an operator should check for a permanent HTTP failure.
std::string_view statusHint(int status) {
  if (status >= 300 && status < 400) {
    return "redirects are not followed; set the sink's URL to the final address";
  }
  switch (status) {
    case 401:
    case 403:
      return "are the URL and its token still valid?";
    case 404:
      return "is the sink's URL right?";
    case 405:
      return "is the sink's URL the endpoint that takes POSTs?";
    case 410:
      return "the endpoint is gone; update the sink's URL";
    case 413:
      return "the receiver refused the alert's size";
    default:
      return {};
  }
}

std::string httpReason(int status, const std::string& slack_error, std::string_view body) {
  std::string reason = statusLine(status);
  if (!slack_error.empty()) {
    reason += ": " + slack_error;
  } else if (std::string quoted = quotedBody(body); !quoted.empty()) {
    reason += ": " + quoted;
  }
  return reason;
}

void appendHint(std::string& reason, std::string_view hint) {
  if (hint.empty()) return;
  reason += " (";
  reason += hint;
  reason += ')';
}

Classification rateLimited(const HttpAnswer& answer, std::string slack_error, Timestamp now) {
  Classification c;
  c.verdict = Verdict::kRateLimited;
  c.slack_error = std::move(slack_error);
  std::optional<Millis> wait;
  if (!answer.retry_after.empty()) wait = parseRetryAfter(answer.retry_after, now);
  if (!wait) wait = jsonRetryAfter(answer.body);
  c.reason = statusLine(answer.status) + ": rate limited";
  if (!c.slack_error.empty() && !isRateLimitError(c.slack_error))
    c.reason += " (" + c.slack_error + ")";
  if (wait) {
    c.wait = *wait;
    c.reason += "; retrying in " + formatDuration(*wait);
  } else if (!answer.retry_after.empty()) {
    c.reason += "; the Retry-After header is unreadable, backing off";
  } else {
    c.reason += " without a Retry-After, backing off";
  }
  return c;
}

// ---- HTTP dates (RFC 9110 section 5.6.7) ----

// A cursor over the text of a date; every take* fails softly.
class DateCursor {
 public:
  explicit DateCursor(std::string_view text) : text_(text) {}
  bool done() const { return at_ == text_.size(); }
  bool literal(std::string_view expected) {
    if (text_.substr(at_, expected.size()).size() != expected.size() ||
        !equalsNoCase(text_.substr(at_, expected.size()), expected)) {
      return false;
    }
    at_ += expected.size();
    return true;
  }
  // Exactly `count` digits.
  bool digits(std::size_t count, int& out) {
    if (at_ + count > text_.size()) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[at_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    at_ += count;
    out = value;
    return true;
  }
  // One of `names` (case-insensitive); its index.
  template <std::size_t N>
  bool oneOf(const std::array<std::string_view, N>& names, int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  bool time(int& hour, int& minute, int& second) {
    return digits(2, hour) && literal(":") && digits(2, minute) && literal(":") &&
           digits(2, second);
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

constexpr std::array<std::string_view, 7> kShortDays{"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool isLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

std::optional<Timestamp> toTimestamp(const CivilTime& t) {
  static constexpr std::array<int, 12> kDaysInMonth{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (t.month < 1 || t.month > 12 || t.day < 1) return std::nullopt;
  const int month_days = kDaysInMonth[static_cast<std::size_t>(t.month - 1)] +
                         ((t.month == 2 && isLeap(t.year)) ? 1 : 0);
  // 60: a leap second, which HTTP dates may carry.
  if (t.day > month_days || t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
  const int64_t days =
      daysFromCivil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
  const int64_t seconds = days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
  return Timestamp(Millis(seconds * 1000));
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<Timestamp> parseImfFixdate(std::string_view text) {
  DateCursor in(text);
  CivilTime t;
  int day_name = 0;
  if (!in.oneOf(kShortDays, day_name) || !in.literal(", ") || !in.digits(2, t.day) ||
      !in.literal(" ") || !in.oneOf(kMonths, t.month) || !in.literal(" ") ||
      !in.digits(4, t.year) || !in.literal(" ") || !in.time(t.hour, t.minute, t.second) ||
      !in.literal(" GMT") || !in.done()) {
    return std::nullopt;
  }
  t.month += 1;
  return toTimestamp(t);
}

// "Sunday, 06-Nov-94 08:49:37 GMT": a two-digit year is taken in the century that puts it at
// most 50 years ahead (RFC 9110 asks for "not more than 50 years in the future").
std::optional<Timestamp> parseRfc850(std::string_view text, Timestamp now) {
  DateCursor in(text);
  CivilTime t;
  int day_name = 0;
  int yy = 0;
  if (!in.oneOf(kLongDays, day_name) || !in.literal(", ") || !in.digits(2, t.day) ||
      !in.literal("-") || !in.oneOf(kMonths, t.month) || !in.literal("-") || !in.digits(2, yy) ||
      !in.literal(" ") || !in.time(t.hour, t.minute, t.second) || !in.literal(" GMT") ||
      !in.done()) {
    return std::nullopt;
  }
  t.month += 1;
  const auto today = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now));
  const int this_year = static_cast<int>(today.year());
  t.year = this_year - this_year % 100 + yy;
  if (t.year > this_year + 50) t.year -= 100;
  return toTimestamp(t);
}

// "Sun Nov  6 08:49:37 1994" (C's asctime: the day of the month padded with a space)
std::optional<Timestamp> parseAsctime(std::string_view text) {
  DateCursor in(text);
  CivilTime t;
  int day_name = 0;
  if (!in.oneOf(kShortDays, day_name) || !in.literal(" ") || !in.oneOf(kMonths, t.month) ||
      !in.literal(" ")) {
    return std::nullopt;
  }
  if (in.literal(" ")) {
    if (!in.digits(1, t.day)) return std::nullopt;
  } else if (!in.digits(2, t.day)) {
    return std::nullopt;
  }
  if (!in.literal(" ") || !in.time(t.hour, t.minute, t.second) || !in.literal(" ") ||
      !in.digits(4, t.year) || !in.done()) {
    return std::nullopt;
  }
  t.month += 1;
  return toTimestamp(t);
}

}  // namespace

const char* toString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kDelivered:
      return "delivered";
    case Verdict::kRetry:
      return "retry";
    case Verdict::kRateLimited:
      return "rate_limited";
    case Verdict::kPermanent:
      return "permanent";
  }
  return "unknown";
}

std::optional<Millis> parseRetryAfter(std::string_view value, Timestamp now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    while (value.size() > 1 && value.front() == '0') value.remove_prefix(1);
    if (value.size() > kMaxDeltaDigits) return kMaxRetryAfter;
    int64_t seconds = 0;
    for (const char c : value) seconds = seconds * 10 + (c - '0');
    return std::clamp(Millis(seconds * 1000), kMinRetryAfter, kMaxRetryAfter);
  }
  std::optional<Timestamp> at = parseImfFixdate(value);
  if (!at) at = parseRfc850(value, now);
  if (!at) at = parseAsctime(value);
  if (!at) return std::nullopt;
  return std::clamp(*at - now, kMinRetryAfter, kMaxRetryAfter);
}

Millis backoffDelay(uint32_t attempt, std::mt19937_64& rng) {
  // The floor keeps a retry from following its failure at once, even when the jitter draws 0.
  constexpr Millis kFloor{100};
  const uint32_t doublings = attempt <= 1 ? 0 : attempt - 1;
  Millis ceiling = kBackoffCap;
  // 2^30 s is far beyond the cap: no shift can overflow.
  if (doublings < 30) ceiling = std::min(kBackoffCap, kBackoffBase * (int64_t{1} << doublings));
  std::uniform_int_distribution<int64_t> jitter(0, ceiling.count());
  return std::max(kFloor, Millis(jitter(rng)));
}

Classification classify(SinkType type, const HttpAnswer& answer, Timestamp now) {
  Classification c;
  const int status = answer.status;
  if (status == 0) {
    c.verdict = Verdict::kRetry;
    const std::string detail =
        answer.transport_error.empty() ? "no answer" : scrubUrls(answer.transport_error);
    c.reason = answer.timed_out ? "timed out: " + detail : "no HTTP answer: " + detail;
    return c;
  }

  const bool slack = type == SinkType::kSlack;
  std::string slack_error = slack ? slackErrorOf(answer.body) : std::string();
  const bool success = status >= 200 && status < 300;

  if (status == 429 || isRateLimitError(slack_error)) {
    return rateLimited(answer, std::move(slack_error), now);
  }

  if (slack) {
    // Slack's only success is 200 "ok"; anything else on a 2xx did not post the message.
    if (success && trim(answer.body) == "ok") {
      c.verdict = Verdict::kDelivered;
      c.reason = statusLine(status) + ": ok";
      return c;
    }
    if (const SlackPermanentError* known = permanentSlackError(slack_error)) {
      c.verdict = Verdict::kPermanent;
      c.reason = statusLine(status) + ": " + slack_error;
      appendHint(c.reason, known->hint);
      c.slack_error = std::move(slack_error);
      return c;
    }
    if (success) {
      c.verdict = Verdict::kRetry;
      c.reason = httpReason(status, slack_error, answer.body) + " instead of Slack's \"ok\"";
      c.slack_error = std::move(slack_error);
      return c;
    }
  } else if (success) {
    c.verdict = Verdict::kDelivered;
    c.reason = statusLine(status);
    return c;
  }

  c.reason = httpReason(status, slack_error, answer.body);
  c.slack_error = std::move(slack_error);
  if (status >= 500 || status == 408) {
    c.verdict = Verdict::kRetry;
    return c;
  }
  // 3xx (not followed), other 4xx and anything unheard of: the same request cannot succeed.
  c.verdict = Verdict::kPermanent;
  appendHint(c.reason, statusHint(status));
  return c;
}

TokenBucket::TokenBucket(double per_second, double burst)
    // A rate or burst that cannot produce a whole token would never let a message out.
    : per_second_(per_second > 0 ? per_second : 1.0),
      burst_(burst >= 1 ? burst : 1.0),
      tokens_(burst_) {}

void TokenBucket::refill(std::chrono::steady_clock::time_point now) const {
  if (!started_) {
    started_ = true;
    last_ = now;
    return;
  }
  if (now <= last_) return;  // an earlier time than already seen adds nothing
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
  last_ = now;
}

// Tokens are doubles: after waiting exactly until nextToken() the sum may fall short of 1 by a
// rounding error.
constexpr double kTokenEpsilon = 1e-9;

bool TokenBucket::tryTake(std::chrono::steady_clock::time_point now) {
  refill(now);
  if (tokens_ + kTokenEpsilon < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

std::chrono::steady_clock::time_point TokenBucket::nextToken(
    std::chrono::steady_clock::time_point now) const {
  refill(now);
  if (tokens_ + kTokenEpsilon >= 1.0) return now;
  const std::chrono::duration<double> wait((1.0 - tokens_) / per_second_);
  return std::max(now, last_) + std::chrono::ceil<std::chrono::steady_clock::duration>(wait);
}

}  // namespace gw
