// Redactor: three passes over a text, each linear in its length — query values, IP addresses,
// then the configured patterns — each building a new string (alerts are rare; lines are not
// redacted until an alert is composed).
#include "alert/redactor.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/utf8.h"

namespace gw {
namespace {

// The longest textual IPv6 address: eight groups of four hex digits and seven colons, or six
// groups and a dotted IPv4 tail ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").
constexpr std::size_t kMaxIpv6Text = 45;

constexpr std::string_view kCutMark = "…";

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool isAlnum(char c) { return isHex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z'); }
// Characters an address is written with; a maximal run of them is one candidate.
bool isAddressChar(char c) { return isHex(c) || c == ':' || c == '.'; }

// ---- query values ----------------------------------------------------------------------------

// Where a query value ends in a log line: the end of the URL (space, quote, fragment, control
// characters) or the next parameter. nginx writes a '"' inside a quoted field as \x22 (escape
// default) or \" (escape=json): those end it too.
std::size_t queryTokenEnd(std::string_view text, std::size_t at, bool stop_at_equals) {
  for (std::size_t i = at; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '&' || c == ' ' || c == '"' || c == '\'' || c == '#' || c == '<' || c == '>' ||
        c < 0x20 || c == 0x7f) {
      return i;
    }
    if (stop_at_equals && c == '=') return i;
    if (c == '\\') {
      const std::string_view rest = text.substr(i);
      if (rest.starts_with("\\\"") || rest.starts_with("\\x22")) return i;
    }
  }
  return text.size();
}

std::string maskQueryValues(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t q = text.find('?', i);
    if (q == std::string_view::npos) break;
    out.append(text.substr(i, q + 1 - i));
    i = q + 1;
    // One parameter per round: "name=value", or a bare "token" (masked whole: it is often the
    // secret itself); '&' separates them, anything that ends a URL ends the query.
    while (i < text.size()) {
      const std::size_t name_end = queryTokenEnd(text, i, /*stop_at_equals=*/true);
      if (name_end < text.size() && text[name_end] == '=') {
        out.append(text.substr(i, name_end + 1 - i));
        const std::size_t value_end = queryTokenEnd(text, name_end + 1, false);
        if (value_end > name_end + 1) out.append(kRedactedMark);
        i = value_end;
      } else {
        if (name_end > i) out.append(kRedactedMark);
        i = name_end;
      }
      if (i < text.size() && text[i] == '&') {
        out += '&';
        ++i;
        continue;
      }
      break;
    }
  }
  if (i < text.size()) out.append(text.substr(i));
  return out;
}

// ---- IP addresses ----------------------------------------------------------------------------

// A dotted quad at text[at]: its length, or 0. Each part 1..3 digits, at most 255.
std::size_t ipv4Length(std::string_view text, std::size_t at) {
  std::size_t i = at;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
    const std::size_t start = i;
    unsigned value = 0;
    while (i < text.size() && isDigit(text[i]) && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    if (i == start || value > 255) return 0;
    if (i < text.size() && isDigit(text[i])) return 0;  // a fourth digit: not an address part
  }
  return i - at;
}

bool isIpv6(std::string_view candidate) {
  if (candidate.size() < 2 || candidate.size() > kMaxIpv6Text) return false;
  if (std::count(candidate.begin(), candidate.end(), ':') < 2) return false;
  std::array<char, kMaxIpv6Text + 1> text{};
  std::copy(candidate.begin(), candidate.end(), text.begin());
  std::array<unsigned char, 16> address{};
  return ::inet_pton(AF_INET6, text.data(), address.data()) == 1;
}

bool portFollows(std::string_view text, std::size_t at) {
  return at + 1 < text.size() && text[at] == ':' && isDigit(text[at + 1]);
}

std::string maskIps(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!isAddressChar(text[i])) {
      ++i;
      continue;
    }
    std::size_t run_end = i;
    while (run_end < text.size() && isAddressChar(text[run_end])) ++run_end;
    // Part of a word ("v1.2.3.4", "id_10.0.0.1"): not an address.
    const bool in_word = i > 0 && (isAlnum(text[i - 1]) || text[i - 1] == '_');
    std::size_t mask_begin = i, mask_end = i;
    if (!in_word) {
      std::string_view run = text.substr(i, run_end - i);
      // "fe80::1." at the end of a sentence: try without the trailing punctuation too.
      while (!run.empty() && (run.back() == '.' || run.back() == ':') && !isIpv6(run)) {
        run.remove_suffix(1);
      }
      if (isIpv6(run)) {
        const std::size_t end = i + run.size();
        const bool bracketed_with_port = i > 0 && text[i - 1] == '[' && end < text.size() &&
                                         text[end] == ']' && portFollows(text, end + 1);
        if (!bracketed_with_port) mask_begin = i, mask_end = end;
      } else if (const std::size_t n = ipv4Length(text, i); n > 0) {
        const std::size_t end = i + n;
        // "1.2.3.4.5" is a version, not an address; "127.0.0.1:8080" is an upstream.
        const bool longer = end + 1 < text.size() && text[end] == '.' && isDigit(text[end + 1]);
        if (!longer && !portFollows(text, end)) mask_begin = i, mask_end = end;
      }
    }
    if (mask_end > mask_begin) {
      out.append(text.substr(copied, mask_begin - copied));
      out.append(kRedactedMark);
      copied = mask_end;
    }
    i = run_end;
  }
  out.append(text.substr(copied));
  return out;
}

// ---- patterns --------------------------------------------------------------------------------

// Masks every non-empty match of `re` (or of its capture groups), leftmost first.
std::string maskPattern(const re2::RE2& re, std::string_view text) {
  const int groups = re.NumberOfCapturingGroups();
  // Match 0 and at most this many groups; patterns with more are rare and their first groups
  // are masked.
  constexpr int kMaxGroups = 9;
  const int wanted = 1 + std::min(std::max(groups, 0), kMaxGroups);
  std::array<re2::StringPiece, 1 + kMaxGroups> match;
  std::string out;
  std::size_t copied = 0;
  std::size_t pos = 0;
  const re2::StringPiece piece(text.data(), text.size());
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  while (pos <= text.size() &&
         re.Match(piece, pos, text.size(), re2::RE2::UNANCHORED, match.data(), wanted)) {
    const auto offset = [&](const re2::StringPiece& p) {
      return static_cast<std::size_t>(p.data() - text.data());
    };
    const std::size_t match_begin = offset(match[0]);
    const std::size_t match_end = match_begin + match[0].size();
    spans.clear();
    if (wanted == 1) {
      if (!match[0].empty()) spans.emplace_back(match_begin, match_end);
    } else {
      for (int g = 1; g < wanted; ++g) {
        if (match[g].data() != nullptr && !match[g].empty()) {
          spans.emplace_back(offset(match[g]), offset(match[g]) + match[g].size());
        }
      }
      std::sort(spans.begin(), spans.end());
    }
    for (const auto& [begin, end] : spans) {
      if (end <= copied) continue;  // nested in a group already masked
      const std::size_t from = std::max(begin, copied);
      out.append(text.substr(copied, from - copied));
      out.append(kRedactedMark);
      copied = end;
    }
    if (match_end > match_begin) {
      pos = match_end;
    } else {
      // An empty match: step over one character, whole, so a match never starts inside one.
      if (match_end >= text.size()) break;
      pos = match_end + decodeUtf8(text, match_end).length;
    }
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

}  // namespace

Result<Redactor> Redactor::create(const ContextConfig& context) {
  Redactor redactor;
  redactor.query_values_ = context.redact_query_values;
  redactor.ips_ = context.redact_ips;
  auto patterns = std::make_shared<std::vector<std::unique_ptr<re2::RE2>>>();
  re2::RE2::Options options;
  options.set_log_errors(false);  // the error is returned to the caller, not printed
  for (const std::string& pattern : context.redact_patterns) {
    auto re = std::make_unique<re2::RE2>(pattern, options);
    if (!re->ok()) {
      return Error{"context.redact_patterns: pattern '" + validUtf8(pattern) +
                   "' does not compile: " + re->error() +
                   " (RE2 syntax: github.com/google/re2/wiki/Syntax)"};
    }
    patterns->push_back(std::move(re));
  }
  redactor.patterns_ = std::move(patterns);
  return redactor;
}

std::string Redactor::apply(std::string_view text) const {
  const bool cut = text.size() > kMaxRedactBytes;
  if (cut) text = text.substr(0, utf8Boundary(text, kMaxRedactBytes));
  std::string out(text);
  if (query_values_) out = maskQueryValues(out);
  if (ips_) out = maskIps(out);
  if (patterns_) {
    for (const auto& re : *patterns_) out = maskPattern(*re, out);
  }
  if (cut) out.append(kCutMark);
  return out;
}

}  // namespace gw
