#include "common/utf8.h"

namespace gw {

CodePoint decodeUtf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  const CodePoint invalid{lead, 1, false};
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;  // smaller values in this length are overlong encodings
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return invalid;
  }
  if (at + length > text.size()) return invalid;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(at + k) & 0xC0) != 0x80) return invalid;
    value = (value << 6) | (byte(at + k) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return invalid;
  return {value, static_cast<uint8_t>(length), true};
}

std::string validUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const CodePoint cp = decodeUtf8(text, i);
    if (cp.valid) {
      out.append(text.substr(i, cp.length));
    } else {
      out += kReplacementCharacter;
    }
    i += cp.length;
  }
  return out;
}

std::size_t utf8Boundary(std::string_view text, std::size_t max_bytes) {
  if (max_bytes >= text.size()) return text.size();
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string cutUtf8(std::string_view text, std::size_t max_chars) {
  std::string out;
  if (max_chars == 0) return out;
  out.reserve(std::min(text.size(), max_chars * 4));
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (chars == max_chars - 1) {
      // Room for one more character: the last one if it ends the text, else the ellipsis.
      const CodePoint cp = decodeUtf8(text, i);
      if (i + cp.length == text.size()) {
        cp.valid ? out.append(text.substr(i, cp.length)) : out.append(kReplacementCharacter);
      } else {
        out.append(kEllipsis);
      }
      return out;
    }
    const CodePoint cp = decodeUtf8(text, i);
    if (cp.valid) {
      out.append(text.substr(i, cp.length));
    } else {
      out.append(kReplacementCharacter);
    }
    i += cp.length;
    ++chars;
  }
  return out;
}

}  // namespace gw
