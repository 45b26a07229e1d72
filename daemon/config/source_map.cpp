#include "config/source_map.h"

#include <algorithm>

namespace gw {
namespace {

bool isContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The UTF-8 length of the code point written as `digits` hex digits at `text[pos]`.
std::size_t utf8LengthOfEscape(std::string_view text, std::size_t pos, std::size_t digits) {
  unsigned long code = 0;
  for (std::size_t i = 0; i < digits && pos + i < text.size() && isHex(text[pos + i]); ++i) {
    const char c = text[pos + i];
    code = code * 16 + static_cast<unsigned long>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code < 0x10000) return 3;
  return 4;
}

enum class Style { kPlain, kSingleQuoted, kDoubleQuoted, kBlock };

}  // namespace

SourceMap::SourceMap(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourcePosition SourceMap::at(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line_index = static_cast<std::size_t>(it - line_starts_.begin()) - 1;
  const std::size_t start = line_starts_[line_index];
  int column = 1;
  for (std::size_t i = start; i < offset; ++i) {
    if (!isContinuationByte(text_[i])) ++column;
  }
  return {static_cast<int>(line_index) + 1, column};
}

std::size_t sourceOffsetInScalar(std::string_view text, std::size_t scalar_offset,
                                 std::string_view value, std::size_t value_offset) {
  if (scalar_offset >= text.size()) return std::min(scalar_offset, text.size());
  value_offset = std::min(value_offset, value.size());

  Style style = Style::kPlain;
  std::size_t raw = scalar_offset;
  std::size_t block_indent = 0;
  switch (text[scalar_offset]) {
    case '\'':
      style = Style::kSingleQuoted;
      ++raw;
      break;
    case '"':
      style = Style::kDoubleQuoted;
      ++raw;
      break;
    case '|':
    case '>': {
      style = Style::kBlock;
      // Content starts on the line after the header (`|-`, `>2 # comment`, ...); its indentation
      // is the first non-empty line's.
      const std::size_t eol = text.find('\n', raw);
      if (eol == std::string_view::npos) return text.size();
      raw = eol + 1;
      std::size_t probe = raw;
      while (probe < text.size()) {
        std::size_t spaces = 0;
        while (probe + spaces < text.size() && text[probe + spaces] == ' ') ++spaces;
        const std::size_t next = probe + spaces;
        if (next < text.size() && text[next] != '\n' && text[next] != '\r') {
          block_indent = spaces;
          break;
        }
        const std::size_t nl = text.find('\n', next);
        if (nl == std::string_view::npos) break;
        probe = nl + 1;
      }
      std::size_t skipped = 0;
      while (skipped < block_indent && raw < text.size() && text[raw] == ' ') ++raw, ++skipped;
      break;
    }
    default:
      break;
  }

  std::size_t v = 0;
  while (v < value_offset && raw < text.size()) {
    const char ch = text[raw];
    if (style == Style::kSingleQuoted && ch == '\'') {
      if (raw + 1 < text.size() && text[raw + 1] == '\'') {
        raw += 2;
        ++v;
        continue;
      }
      break;  // the closing quote
    }
    if (style == Style::kDoubleQuoted && ch == '"') break;
    if (style == Style::kDoubleQuoted && ch == '\\' && raw + 1 < text.size()) {
      const char e = text[raw + 1];
      if (e == '\n' || e == '\r') {  // an escaped line break joins lines without a space
        raw += (e == '\r' && raw + 2 < text.size() && text[raw + 2] == '\n') ? 3 : 2;
        while (raw < text.size() && (text[raw] == ' ' || text[raw] == '\t')) ++raw;
        continue;
      }
      if (e == 'x') {
        raw += 4;
        ++v;
      } else if (e == 'u') {
        v += utf8LengthOfEscape(text, raw + 2, 4);
        raw += 6;
      } else if (e == 'U') {
        v += utf8LengthOfEscape(text, raw + 2, 8);
        raw += 10;
      } else if (e == 'N' || e == '_') {  // U+0085, U+00A0
        raw += 2;
        v += 2;
      } else if (e == 'L' || e == 'P') {  // U+2028, U+2029
        raw += 2;
        v += 3;
      } else {
        raw += 2;
        ++v;
      }
      continue;
    }
    if (ch == '\n' || ch == '\r') {
      raw += (ch == '\r' && raw + 1 < text.size() && text[raw + 1] == '\n') ? 2 : 1;
      if (style == Style::kBlock) {
        std::size_t skipped = 0;
        while (skipped < block_indent && raw < text.size() && text[raw] == ' ') ++raw, ++skipped;
      } else {
        while (raw < text.size() && (text[raw] == ' ' || text[raw] == '\t')) ++raw;
      }
      if (value[v] == ' ' || value[v] == '\n') ++v;
      continue;
    }
    ++raw;
    ++v;
  }
  return std::min(raw, text.size());
}

}  // namespace gw
