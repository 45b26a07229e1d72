// slackEscape: text from logs made inert for Slack mrkdwn (see render.h for the contract).
#include <cstdio>
#include <limits>

#include "alert/render.h"
#include "alert/render_text.h"
#include "common/utf8.h"

namespace gw {
namespace {

// Longest escaped form of one code point: "&lt;U+202E&gt;" is 14 bytes.
constexpr std::size_t kMaxPieceBytes = 16;

// Controls that reorder or hide text: a path could show "gpj.exe" as "exe.jpg" or flip the
// columns of a log line on the reader's screen.
bool isBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
         c == 0x200F || c == 0x061C;
}

// U+2028 and U+2029 break a line inside a code block: one log line could pass as two.
bool isLineSeparator(char32_t c) { return c == 0x2028 || c == 0x2029; }

// C0 (tab and newline included: a context line is one line), DEL and C1.
bool isControl(char32_t c) { return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F); }

// The escaped form of one code point into `piece`; `after_backtick` says the output so far ends
// with a backtick.
std::size_t escapePiece(std::string_view text, std::size_t at, bool after_backtick,
                        char (&piece)[kMaxPieceBytes], std::size_t& consumed) {
  const CodePoint cp = decodeUtf8(text, at);
  consumed = cp.length;
  if (!cp.valid) {
    kReplacementCharacter.copy(piece, kReplacementCharacter.size());
    return kReplacementCharacter.size();
  }
  const char32_t c = cp.value;
  const auto literal = [&](std::string_view s) {
    s.copy(piece, s.size());
    return s.size();
  };
  switch (c) {
    case '&':
      return literal("&amp;");
    case '<':
      return literal("&lt;");
    case '>':
      return literal("&gt;");
    case '`':
      // A zero-width space between two backticks: no run of three can close a code block.
      return after_backtick ? literal("\xE2\x80\x8B`") : literal("`");
    default:
      break;
  }
  if (isControl(c)) {
    return static_cast<std::size_t>(
        std::snprintf(piece, sizeof piece, "\\x%02X", static_cast<unsigned>(c)));
  }
  if (isBidiControl(c) || isLineSeparator(c)) {
    return static_cast<std::size_t>(
        std::snprintf(piece, sizeof piece, "&lt;U+%04X&gt;", static_cast<unsigned>(c)));
  }
  return literal(text.substr(at, cp.length));
}

}  // namespace

std::size_t appendSlackEscaped(std::string& out, std::string_view text, std::size_t max_bytes) {
  std::size_t written = 0;
  bool after_backtick = !out.empty() && out.back() == '`';
  std::size_t at = 0;
  char piece[kMaxPieceBytes];
  while (at < text.size()) {
    std::size_t consumed = 0;
    const std::size_t n = escapePiece(text, at, after_backtick, piece, consumed);
    if (written + n > max_bytes) break;
    out.append(piece, n);
    written += n;
    after_backtick = piece[n - 1] == '`';
    at += consumed;
  }
  return at;
}

std::string slackEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  appendSlackEscaped(out, text, std::numeric_limits<std::size_t>::max());
  return out;
}

}  // namespace gw
