// UTF-8 for text from logs, which may hold any bytes: decoding one code point at a time with
// invalid sequences reported as such, replacing them, and cutting at a character boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD
inline constexpr std::string_view kEllipsis = "\xE2\x80\xA6";              // "…"

struct CodePoint {
  char32_t value = 0;
  uint8_t length = 1;  // bytes consumed: 1 for an invalid byte
  bool valid = false;  // false: an invalid, overlong or surrogate sequence; value is the byte
};

// Decodes the code point starting at text[at] (at < text.size()).
CodePoint decodeUtf8(std::string_view text, std::size_t at);

// `text` with every invalid sequence replaced by U+FFFD.
std::string validUtf8(std::string_view text);

// The largest n <= max_bytes such that text[0, n) does not end inside a multi-byte character.
std::size_t utf8Boundary(std::string_view text, std::size_t max_bytes);

void appendUtf8(std::string& out, char32_t code_point);

// `text` as valid UTF-8 (invalid sequences become U+FFFD) of at most `max_chars` code points; a
// cut text ends with "…" (counted in max_chars). Reads at most max_chars code points of the
// input, so a 1 MiB line costs no more than a short one.
std::string cutUtf8(std::string_view text, std::size_t max_chars);

}  // namespace gw
