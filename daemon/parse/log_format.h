// LogFormat: an nginx `log_format` string compiled once into a matcher; AccessParser applies it
// to lines. Accepts the directive's text verbatim (quoted pieces, `escape=`), or a predefined name.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "parse/access_record.h"

namespace gw {

enum class LogEscape : uint8_t { kDefault, kJson, kNone };

// Where in the format text a compile error is, so config errors can point at the variable.
struct FormatError {
  std::string message;  // "unknown variable '$time_locl' (did you mean $time_local?)" ...
  std::size_t offset;   // byte offset into the format text given to compile()
};

class LogFormat {
 public:
  // `text` is either a predefined name ("combined", "main") or the format as in nginx.conf:
  //   '$remote_addr - $remote_user [$time_local] "$request" ...'
  // optionally preceded by `escape=json|default|none`, as one or several quoted strings
  // (nginx concatenates them) or unquoted. Compiling never throws.
  static Result<LogFormat> compile(std::string_view text);
  static Result<LogFormat> compile(std::string_view text, FormatError* error_detail);

  LogEscape escape() const;
  bool hasVariable(std::string_view name) const;  // name without '$'
  bool hasUpstream() const;                       // carries $upstream_addr or $upstream_status
  bool hasTime() const;
  const std::string& text() const;  // the normalised format (quotes and escape= removed)

  LogFormat(LogFormat&&) noexcept;
  LogFormat& operator=(LogFormat&&) noexcept;
  LogFormat(const LogFormat&);
  LogFormat& operator=(const LogFormat&);
  ~LogFormat();

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit LogFormat(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Applies a compiled format to lines. Holds scratch space, so one per thread; parse() itself
// does not allocate. Not thread-safe.
class AccessParser {
 public:
  // A format with more variables than this is not a log_format anyone writes; the bound keeps
  // the per-line scratch (one view per variable) a fixed array.
  static constexpr std::size_t kMaxVariables = 64;

  explicit AccessParser(LogFormat format);
  // Several formats tried in order (a file written by two access_log directives).
  explicit AccessParser(std::vector<LogFormat> formats);

  // Fills `out` (views into `line`). On failure returns false and describes why in `failure`.
  bool parse(std::string_view line, AccessRecord& out, ParseFailure& failure);

  const LogFormat& format(std::size_t i = 0) const { return formats_[i]; }
  std::size_t formatCount() const { return formats_.size(); }
  // Which format the last successful parse() matched (several formats: for per-format counts).
  std::size_t matchedFormat() const { return matched_format_; }

  // $time_local's date part of the line before and its day number: consecutive lines share
  // their date, so most lines skip the calendar arithmetic. Internal to parse().
  struct DateCache {
    std::array<char, 11> key{};  // "16/Nov/2022"
    int64_t days = 0;            // days since 1970-01-01
    bool valid = false;
  };

 private:
  enum class Outcome : uint8_t { kFailed, kMatched, kMatchedUnescapedQuote };
  Outcome parseWith(const LogFormat& format, std::string_view line, AccessRecord& out,
                    ParseFailure& failure, bool check_quotes);

  std::vector<LogFormat> formats_;
  // Where each variable's value lies in the current line: filled by matching, read by the
  // record pass. A member, not a local, so no line pays for initialising it.
  std::array<std::string_view, kMaxVariables> values_{};
  DateCache date_cache_;
  std::size_t matched_format_ = 0;
};

// The formats of one source (predefined names or log_format text, tried in order; none means
// "combined") compiled; an error names the format that does not compile.
Result<std::vector<LogFormat>> compileFormats(const std::vector<std::string>& texts);

// "status at byte 57: expected 3 digits, found 'x'" — for logs, counters and scan's report.
std::string describe(const ParseFailure& failure);

}  // namespace gw
