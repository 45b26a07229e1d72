// Parses nginx error.log lines into ErrorRecord. Times carry no offset in error.log; the
// TimeZone given decides the instant. No allocation per line.
#pragma once

#include <string_view>

#include "common/time_zone.h"
#include "parse/access_record.h"
#include "parse/error_record.h"

namespace gw {

class ErrorLineParser {
 public:
  explicit ErrorLineParser(TimeZone zone);
  bool parse(std::string_view line, ErrorRecord& out, ParseFailure& failure) const;

 private:
  TimeZone zone_;
};

}  // namespace gw
