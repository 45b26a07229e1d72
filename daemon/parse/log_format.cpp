// LogFormat::compile: nginx log_format text (as in nginx.conf) → FormatVariable program.
#include "parse/log_format.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "parse/format_program.h"

namespace gw {
namespace {

// nginx's built-in `combined`, and `main` from the nginx.conf that nginx.org and distribution
// packages ship (combined + the X-Forwarded-For header).
constexpr std::string_view kCombinedFormat =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent")";
constexpr std::string_view kMainFormat =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" "$http_x_forwarded_for")";

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The format text after quote removal, with each byte's offset in what the user wrote, so
// errors found while compiling point into the original text.
struct Normalised {
  std::string text;
  std::vector<std::size_t> origin;
  LogEscape escape = LogEscape::kDefault;

  void push(char c, std::size_t at) {
    text.push_back(c);
    origin.push_back(at);
  }
};

struct Failure {
  std::string message;
  std::size_t offset;
};

std::size_t skipSpaces(std::string_view s, std::size_t i) {
  while (i < s.size() && isSpace(s[i])) ++i;
  return i;
}

// One quoted nginx argument starting at s[i] (a quote). Backslash escapes as nginx's config
// reader handles them. Returns the index after the closing quote, or npos when unterminated.
std::size_t readQuoted(std::string_view s, std::size_t i, Normalised& out) {
  const char quote = s[i];
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    const char c = s[j];
    if (c == quote) return j + 1;
    if (c == '\\' && j + 1 < s.size()) {
      const char e = s[j + 1];
      switch (e) {
        case '"':
        case '\'':
        case '\\':
          out.push(e, j);
          ++j;
          continue;
        case 't':
          out.push('\t', j);
          ++j;
          continue;
        case 'r':
          out.push('\r', j);
          ++j;
          continue;
        case 'n':
          out.push('\n', j);
          ++j;
          continue;
        default:
          break;  // nginx keeps the backslash of an unknown escape
      }
    }
    out.push(c, j);
  }
  return std::string_view::npos;
}

// The arguments of a log_format directive (after its name and escape=): quoted or bare words,
// concatenated as nginx does, up to an optional ';'. `strict`: a bare word is allowed (nginx
// allows it); otherwise the caller falls back to taking the text verbatim.
enum class ArgsOutcome { kOk, kBareWord };
std::optional<Failure> readArgs(std::string_view s, std::size_t i, bool strict, Normalised& out,
                                ArgsOutcome& outcome) {
  outcome = ArgsOutcome::kOk;
  bool any = false;
  while (true) {
    i = skipSpaces(s, i);
    if (i >= s.size()) break;
    const char c = s[i];
    if (c == ';') {
      const std::size_t rest = skipSpaces(s, i + 1);
      if (rest < s.size()) {
        return Failure{"unexpected text after ';' (one log_format per entry)", rest};
      }
      break;
    }
    if (c == '\'' || c == '"') {
      const std::size_t end = readQuoted(s, i, out);
      if (end == std::string_view::npos) {
        return Failure{std::string("unterminated ") + (c == '\'' ? "single" : "double") +
                           " quote: add the closing " + c,
                       i};
      }
      i = end;
      any = true;
      continue;
    }
    if (!strict) {
      outcome = ArgsOutcome::kBareWord;
      return std::nullopt;
    }
    // A bare word: nginx takes it up to white space or ';'.
    while (i < s.size() && !isSpace(s[i]) && s[i] != ';') {
      out.push(s[i], i);
      ++i;
    }
    any = true;
  }
  if (!any) return Failure{"log_format has no format text after its name", s.size()};
  return std::nullopt;
}

struct Classified {
  FieldKind kind;
  ValueShape shape;
};

Classified classify(std::string_view name) {
  struct Entry {
    std::string_view name;
    FieldKind kind;
    ValueShape shape;
  };
  static constexpr std::array kTable = {
      Entry{"remote_addr", FieldKind::kRemoteAddr, ValueShape::kToken},
      Entry{"time_local", FieldKind::kTimeLocal, ValueShape::kTimeLocal},
      Entry{"time_iso8601", FieldKind::kTimeIso8601, ValueShape::kTimeIso8601},
      Entry{"msec", FieldKind::kMsec, ValueShape::kDecimal},
      Entry{"request", FieldKind::kRequest, ValueShape::kText},
      Entry{"request_uri", FieldKind::kRequestUri, ValueShape::kText},
      Entry{"uri", FieldKind::kUri, ValueShape::kText},
      Entry{"document_uri", FieldKind::kUri, ValueShape::kText},
      Entry{"args", FieldKind::kArgs, ValueShape::kText},
      Entry{"query_string", FieldKind::kArgs, ValueShape::kText},
      Entry{"request_method", FieldKind::kRequestMethod, ValueShape::kText},
      Entry{"server_protocol", FieldKind::kServerProtocol, ValueShape::kText},
      Entry{"status", FieldKind::kStatus, ValueShape::kStatus},
      Entry{"host", FieldKind::kHost, ValueShape::kToken},
      Entry{"http_host", FieldKind::kHost, ValueShape::kText},
      Entry{"server_name", FieldKind::kHost, ValueShape::kToken},
      Entry{"upstream_addr", FieldKind::kUpstreamAddr, ValueShape::kAddrList},
      Entry{"upstream_status", FieldKind::kUpstreamStatus, ValueShape::kStatusList},
      Entry{"request_time", FieldKind::kRequestTime, ValueShape::kDecimal},
      Entry{"upstream_response_time", FieldKind::kUpstreamResponseTime, ValueShape::kDecimalList},
      Entry{"body_bytes_sent", FieldKind::kBodyBytesSent, ValueShape::kDecimal},
      Entry{"bytes_sent", FieldKind::kBytesSent, ValueShape::kDecimal},
      Entry{"http_user_agent", FieldKind::kUserAgent, ValueShape::kText},
      Entry{"http_referer", FieldKind::kReferer, ValueShape::kText},
      // No slot in the record, but typed: a typed value finds its own end, which lets the
      // matcher reject a line early and keeps lists with ", " inside from splitting wrongly.
      Entry{"upstream_connect_time", FieldKind::kExtra, ValueShape::kDecimalList},
      Entry{"upstream_header_time", FieldKind::kExtra, ValueShape::kDecimalList},
      Entry{"upstream_response_length", FieldKind::kExtra, ValueShape::kDecimalList},
      Entry{"upstream_bytes_received", FieldKind::kExtra, ValueShape::kDecimalList},
      Entry{"upstream_bytes_sent", FieldKind::kExtra, ValueShape::kDecimalList},
      Entry{"request_length", FieldKind::kExtra, ValueShape::kDecimal},
      Entry{"connection", FieldKind::kExtra, ValueShape::kDecimal},
      Entry{"connection_requests", FieldKind::kExtra, ValueShape::kDecimal},
      Entry{"pid", FieldKind::kExtra, ValueShape::kDecimal},
      Entry{"server_port", FieldKind::kExtra, ValueShape::kDecimal},
      // nginx validates these, so a space in one means the line is not this format (a docker
      // prefix, a leading space): keeps such lines malformed instead of shifting every field.
      Entry{"realip_remote_addr", FieldKind::kExtra, ValueShape::kToken},
      Entry{"server_addr", FieldKind::kExtra, ValueShape::kToken},
      Entry{"proxy_protocol_addr", FieldKind::kExtra, ValueShape::kToken},
      Entry{"remote_port", FieldKind::kExtra, ValueShape::kToken},
      Entry{"hostname", FieldKind::kExtra, ValueShape::kToken},
      Entry{"scheme", FieldKind::kExtra, ValueShape::kToken},
  };
  for (const Entry& e : kTable) {
    if (e.name == name) return {e.kind, e.shape};
  }
  return {FieldKind::kExtra, ValueShape::kText};
}

// Names nginx defines (or that modules commonly define) which sit one typo away from a name
// the record uses; they must not be taken for typos.
bool isKnownNginxName(std::string_view name) {
  static constexpr std::array<std::string_view, 48> kKnown = {"pid",
                                                              "uri",
                                                              "args",
                                                              "arg_",
                                                              "host",
                                                              "hostname",
                                                              "msec",
                                                              "scheme",
                                                              "status",
                                                              "request",
                                                              "request_id",
                                                              "request_body",
                                                              "request_uri",
                                                              "request_time",
                                                              "request_length",
                                                              "request_method",
                                                              "request_filename",
                                                              "remote_addr",
                                                              "remote_port",
                                                              "remote_user",
                                                              "realip_remote_addr",
                                                              "realip_remote_port",
                                                              "server_addr",
                                                              "server_name",
                                                              "server_port",
                                                              "server_protocol",
                                                              "time_local",
                                                              "time_iso8601",
                                                              "bytes_sent",
                                                              "body_bytes_sent",
                                                              "http_host",
                                                              "http_referer",
                                                              "http_user_agent",
                                                              "upstream_addr",
                                                              "upstream_status",
                                                              "upstream_response_time",
                                                              "upstream_connect_time",
                                                              "upstream_header_time",
                                                              "upstream_response_length",
                                                              "connection",
                                                              "connection_requests",
                                                              "content_type",
                                                              "content_length",
                                                              "document_uri",
                                                              "document_root",
                                                              "query_string",
                                                              "nginx_version",
                                                              "cookie_"};
  return std::find(kKnown.begin(), kKnown.end(), name) != kKnown.end();
}

// True when `a` is `b` with one character deleted, replaced, or two neighbours swapped: the
// typos worth a did-you-mean. (An added character is left alone: $host2 is a plausible `set`.)
bool isOneTypoFrom(std::string_view a, std::string_view b) {
  if (a.size() + 1 == b.size()) {
    std::size_t i = 0;
    while (i < a.size() && a[i] == b[i]) ++i;
    return a.substr(i) == b.substr(i + 1);
  }
  if (a.size() != b.size()) return false;
  std::size_t diffs = 0, first = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      if (diffs == 0) first = i;
      ++diffs;
    }
  }
  if (diffs == 1) return true;
  return diffs == 2 && first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first];
}

std::string_view didYouMean(std::string_view name) {
  // Short names produce too many false alarms ($url, $uid ...).
  constexpr std::size_t kMinTypoLength = 5;
  if (name.size() < kMinTypoLength || isKnownNginxName(name)) return {};
  static constexpr std::array<std::string_view, 17> kCore = {
      "remote_addr",     "time_local",      "time_iso8601",    "request",
      "request_uri",     "status",          "http_host",       "server_name",
      "upstream_addr",   "upstream_status", "request_time",    "upstream_response_time",
      "body_bytes_sent", "bytes_sent",      "http_user_agent", "http_referer",
      "request_method"};
  for (std::string_view core : kCore) {
    if (isOneTypoFrom(name, core)) return core;
  }
  return {};
}

std::string describeLiteral(std::string_view lit) {
  std::string out = "'";
  for (char c : lit) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

// Splits the normalised text into the lead literal and variables with their following literal.
std::optional<Failure> buildProgram(const Normalised& norm, LogFormat::Impl& impl) {
  const std::string& t = norm.text;
  auto originOf = [&](std::size_t i) {
    return i < norm.origin.size() ? norm.origin[i]
                                  : (norm.origin.empty() ? 0 : norm.origin.back() + 1);
  };
  std::string literal;
  bool have_var = false;
  bool has_status = false;
  std::vector<std::size_t> var_offsets;
  std::size_t i = 0;
  while (i < t.size()) {
    if (t[i] != '$') {
      literal.push_back(t[i]);
      ++i;
      continue;
    }
    const std::size_t dollar = i;
    std::string name;
    if (i + 1 < t.size() && t[i + 1] == '{') {
      std::size_t j = i + 2;
      while (j < t.size() && isNameChar(t[j])) ++j;
      if (j >= t.size() || t[j] != '}') {
        return Failure{"'${' without a closing '}' after the variable name", originOf(dollar)};
      }
      name.assign(t, i + 2, j - (i + 2));
      i = j + 1;
    } else {
      std::size_t j = i + 1;
      while (j < t.size() && isNameChar(t[j])) ++j;
      name.assign(t, i + 1, j - (i + 1));
      i = j;
    }
    if (name.empty()) {
      return Failure{"'$' without a variable name (nginx has no escape for a literal '$')",
                     originOf(dollar)};
    }
    if (impl.vars.size() >= kMaxFormatVariables) {
      return Failure{"too many variables (at most " + std::to_string(kMaxFormatVariables) + ")",
                     originOf(dollar)};
    }
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (std::string_view hint = didYouMean(lower); !hint.empty()) {
      return Failure{"unknown variable '$" + name + "' (did you mean $" + std::string(hint) + "?)",
                     originOf(dollar)};
    }
    if (have_var) {
      impl.vars.back().next = literal;
    } else {
      impl.lead = literal;
    }
    literal.clear();
    const Classified c = classify(lower);
    FormatVariable v;
    v.name = name;
    v.kind = c.kind;
    v.shape = c.shape;
    impl.vars.push_back(std::move(v));
    var_offsets.push_back(originOf(dollar));
    have_var = true;
    if (c.kind == FieldKind::kStatus) has_status = true;
    if (c.kind == FieldKind::kUpstreamAddr || c.kind == FieldKind::kUpstreamStatus) {
      impl.has_upstream = true;
    }
    if (c.kind == FieldKind::kTimeLocal || c.kind == FieldKind::kTimeIso8601 ||
        c.kind == FieldKind::kMsec) {
      impl.has_time = true;
      if (impl.time_var == SIZE_MAX && c.kind != FieldKind::kMsec) {
        impl.time_var = impl.vars.size() - 1;
      }
    }
  }
  if (!have_var) {
    return Failure{"format has no variables (and so no $status)", 0};
  }
  impl.vars.back().next = literal;
  impl.vars.back().last = true;

  // Two variables with nothing between them: only where the first one's end can be told.
  for (std::size_t v = 0; v + 1 < impl.vars.size(); ++v) {
    FormatVariable& a = impl.vars[v];
    const FormatVariable& b = impl.vars[v + 1];
    if (!a.next.empty()) continue;
    const bool fixed_width = a.shape == ValueShape::kStatus || a.shape == ValueShape::kTimeLocal ||
                             a.shape == ValueShape::kTimeIso8601;
    if (fixed_width) continue;
    if (a.kind == FieldKind::kHost &&
        (b.kind == FieldKind::kRequestUri || b.kind == FieldKind::kUri)) {
      a.shape = ValueShape::kHostName;  // a host name never holds '/', the URI starts with one
      continue;
    }
    return Failure{"$" + a.name + " and $" + b.name +
                       " have no literal text between them, so where $" + a.name +
                       " ends can't be told: put a separator between them",
                   var_offsets[v + 1]};
  }
  for (FormatVariable& v : impl.vars) {
    v.next_desc = describeLiteral(v.next);
  }
  if (!has_status) {
    return Failure{
        "format has no $status: gatewatch needs it to tell failed requests from good ones",
        norm.origin.empty() ? 0 : norm.origin.back() + 1};
  }
  impl.text = t;
  impl.escape = norm.escape;
  return std::nullopt;
}

std::optional<Failure> compileText(std::string_view text, LogFormat::Impl& impl) {
  // Trimmed, without a trailing ';': is it a predefined name?
  std::size_t b = skipSpaces(text, 0);
  std::size_t e = text.size();
  while (e > b && isSpace(text[e - 1])) --e;
  std::string_view trimmed = text.substr(b, e - b);
  if (!trimmed.empty() && trimmed.back() == ';') trimmed.remove_suffix(1);
  if (trimmed == "combined" || trimmed == "main") {
    Normalised norm;
    const std::string_view body = trimmed == "combined" ? kCombinedFormat : kMainFormat;
    for (char c : body) norm.push(c, 0);
    return buildProgram(norm, impl);
  }

  Normalised norm;
  std::size_t i = b;
  bool directive = false;
  constexpr std::string_view kDirective = "log_format";
  if (text.substr(i, kDirective.size()) == kDirective && i + kDirective.size() < text.size() &&
      isSpace(text[i + kDirective.size()])) {
    directive = true;
    i = skipSpaces(text, i + kDirective.size());
    const std::size_t name_start = i;
    while (i < text.size() && !isSpace(text[i]) && text[i] != ';') ++i;
    if (i == name_start || i >= text.size()) {
      return Failure{"log_format needs a name and a format: log_format NAME '...';", name_start};
    }
    if (std::string_view(text.substr(name_start, i - name_start)).starts_with("escape=")) {
      return Failure{"log_format needs a name before escape=", name_start};
    }
    i = skipSpaces(text, i);
  }
  constexpr std::string_view kEscape = "escape=";
  if (text.substr(i, kEscape.size()) == kEscape) {
    const std::size_t at = i;
    std::size_t j = i + kEscape.size();
    while (j < text.size() && !isSpace(text[j])) ++j;
    const std::string_view mode = text.substr(at + kEscape.size(), j - at - kEscape.size());
    if (mode == "default") {
      norm.escape = LogEscape::kDefault;
    } else if (mode == "json") {
      norm.escape = LogEscape::kJson;
    } else if (mode == "none") {
      norm.escape = LogEscape::kNone;
    } else {
      return Failure{"unknown escape mode '" + std::string(mode) +
                         "' (nginx knows escape=default, escape=json and escape=none)",
                     at};
    }
    i = skipSpaces(text, j);
  }
  if (i >= text.size()) return Failure{"format is empty", i};

  const char first = text[i];
  if (directive || first == '\'' || first == '"') {
    ArgsOutcome outcome;
    Normalised quoted;
    quoted.escape = norm.escape;
    if (auto failure = readArgs(text, i, directive, quoted, outcome)) return failure;
    if (outcome == ArgsOutcome::kOk) return buildProgram(quoted, impl);
    // A quoted piece followed by a bare word: the text is a format that starts with a literal
    // quote ("$request" $status ...), given without nginx's quoting.
  }
  // Verbatim: the text is the format itself; only a final newline is not part of it, and
  // leading spaces count (a format may begin with one) unless a directive or escape= was read.
  if (!directive && i == b) {
    while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) --i;
  }
  std::size_t end = text.size();
  while (end > i && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  for (std::size_t k = i; k < end; ++k) norm.push(text[k], k);
  return buildProgram(norm, impl);
}

}  // namespace

Result<LogFormat> LogFormat::compile(std::string_view text) { return compile(text, nullptr); }

Result<std::vector<LogFormat>> compileFormats(const std::vector<std::string>& texts) {
  std::vector<LogFormat> formats;
  for (const std::string& text : texts.empty() ? std::vector<std::string>{"combined"} : texts) {
    auto format = LogFormat::compile(text);
    if (!format) return Error{"log format '" + text + "': " + format.error().message};
    formats.push_back(std::move(format).value());
  }
  return formats;
}

Result<LogFormat> LogFormat::compile(std::string_view text, FormatError* error_detail) {
  auto impl = std::make_unique<Impl>();
  if (auto failure = compileText(text, *impl)) {
    if (error_detail != nullptr) *error_detail = FormatError{failure->message, failure->offset};
    return Error{"log_format at byte " + std::to_string(failure->offset) + ": " + failure->message};
  }
  return LogFormat(std::move(impl));
}

LogFormat::LogFormat(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogFormat::LogFormat(LogFormat&&) noexcept = default;
LogFormat& LogFormat::operator=(LogFormat&&) noexcept = default;
LogFormat::LogFormat(const LogFormat& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
LogFormat& LogFormat::operator=(const LogFormat& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
LogFormat::~LogFormat() = default;

LogEscape LogFormat::escape() const { return impl_->escape; }
bool LogFormat::hasVariable(std::string_view name) const {
  return std::any_of(impl_->vars.begin(), impl_->vars.end(),
                     [&](const FormatVariable& v) { return v.name == name; });
}
bool LogFormat::hasUpstream() const { return impl_->has_upstream; }
bool LogFormat::hasTime() const { return impl_->has_time; }
const std::string& LogFormat::text() const { return impl_->text; }

}  // namespace gw
