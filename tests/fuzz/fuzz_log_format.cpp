// Fuzzes LogFormat::compile with arbitrary text, then parses a line with what compiled.
// Input: the format text, a NUL byte, the log line (without a NUL: the whole input is both).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "parse/log_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string_view text = split == std::string_view::npos ? input : input.substr(0, split);
  const std::string_view line = split == std::string_view::npos ? input : input.substr(split + 1);
  gw::FormatError error{};
  auto format = gw::LogFormat::compile(text, &error);
  if (!format) {
    if (error.offset > text.size() || error.message.empty()) std::abort();
    return 0;
  }
  gw::AccessParser parser(std::move(format).value());
  gw::AccessRecord record;
  gw::ParseFailure failure;
  if (parser.parse(line, record, failure)) {
    if (!record.path.empty() &&
        (record.path.data() < line.data() ||
         record.path.data() + record.path.size() > line.data() + line.size())) {
      std::abort();
    }
  } else {
    (void)gw::describe(failure);
  }
  return 0;
}
