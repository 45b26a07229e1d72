// SourceMap turns byte offsets in a config file into the 1-based line and column an editor shows
// (columns count UTF-8 characters, not bytes), and finds where a byte of a scalar's value was
// written in the file, so an error inside a log_format can point at the variable itself.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace gw {

struct SourcePosition {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in characters
};

class SourceMap {
 public:
  // `text` must outlive the map.
  explicit SourceMap(std::string_view text);

  // The position of a byte offset; offsets past the end map to the end.
  SourcePosition at(std::size_t offset) const;
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  std::vector<std::size_t> line_starts_;  // byte offset of each line's first byte
};

// Maps `value_offset`, a byte offset into the value of the scalar that starts at `scalar_offset`
// in `text` (where YAML's mark points: the first character of a plain scalar, the opening quote
// of a quoted one, the `|` or `>` of a block scalar), to the byte offset in `text` where that
// value byte was written. Exact for single-line plain and quoted scalars (escapes and '' are
// followed) and for literal blocks (`|`); for folded blocks (`>`) and flow scalars spanning
// lines, each line break counts as one value byte, which is right unless a line ends in spaces
// or a folded block has more-indented lines.
std::size_t sourceOffsetInScalar(std::string_view text, std::size_t scalar_offset,
                                 std::string_view value, std::size_t value_offset);

}  // namespace gw
