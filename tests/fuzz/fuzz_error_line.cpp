// Fuzzes ErrorLineParser (UTC and a zone with DST history). Views must lie inside the line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parse/error_line_parser.h"

namespace {

void checkInside(std::string_view line, std::string_view v) {
  if (v.empty()) return;
  if (v.data() < line.data() || v.data() + v.size() > line.data() + line.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gw::ErrorLineParser utc(gw::TimeZone::utc());
  static const gw::ErrorLineParser berlin = [] {
    auto z = gw::TimeZone::load("Europe/Berlin");
    return gw::ErrorLineParser(z ? std::move(z).value() : gw::TimeZone::utc());
  }();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  gw::ErrorRecord r;
  gw::ParseFailure failure;
  for (const gw::ErrorLineParser* p : {&utc, &berlin}) {
    if (p->parse(line, r, failure)) {
      for (std::string_view v :
           {r.message, r.client, r.server, r.request, r.upstream, r.host, r.referrer}) {
        checkInside(line, v);
      }
    } else {
      if (failure.offset > size) std::abort();
      (void)gw::describe(failure);
    }
  }
  return 0;
}
