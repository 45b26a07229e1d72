// Fuzzes AccessParser over several formats (plain, two formats at once, upstream lists, a
// '|'-separated one that exercises retries, escape=json). A parsed record's views must lie
// inside the line; a failure must describe itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "parse/log_format.h"

namespace {

using gw::AccessParser;
using gw::AccessRecord;
using gw::LogFormat;

AccessParser makeParser(std::initializer_list<const char*> texts) {
  std::vector<LogFormat> formats;
  for (const char* t : texts) {
    auto f = LogFormat::compile(t);
    if (!f) std::abort();
    formats.push_back(std::move(f).value());
  }
  return AccessParser(std::move(formats));
}

void checkInside(std::string_view line, std::string_view v) {
  if (v.empty()) return;
  if (v.data() < line.data() || v.data() + v.size() > line.data() + line.size()) std::abort();
}

void checkRecord(std::string_view line, const AccessRecord& r) {
  for (std::string_view v :
       {r.method, r.path, r.query, r.protocol, r.host, r.remote_addr, r.user_agent, r.referer,
        r.upstream_addr_raw, r.upstream_status_raw, r.first_upstream_addr}) {
    checkInside(line, v);
  }
  if (r.extra_count > AccessRecord::kMaxExtraFields) std::abort();
  if (r.upstream_status_count > AccessRecord::kMaxUpstreamAttempts) std::abort();
  for (uint8_t i = 0; i < r.extra_count; ++i) checkInside(line, r.extra[i].value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<AccessParser> parsers = [] {
    std::vector<AccessParser> v;
    v.push_back(makeParser({"combined"}));
    v.push_back(makeParser({"main", "combined"}));
    v.push_back(makeParser(
        {R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
         R"("$http_referer" "$http_user_agent" $request_time $upstream_response_time )"
         R"("$upstream_addr" $upstream_status)"}));
    v.push_back(
        makeParser({"$remote_addr|$time_iso8601|$request|$status|$upstream_status|"
                    "$upstream_addr|$msec|$http_host$request_uri"}));
    v.push_back(makeParser(
        {R"(escape=json '{"t":"$time_local","a":"$remote_addr","r":"$request","s":$status,')"
         R"('"b":$body_bytes_sent,"rt":$request_time,"u":"$upstream_addr",')"
         R"('"us":"$upstream_status","ua":"$http_user_agent"}')"}));
    return v;
  }();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  AccessRecord record;
  gw::ParseFailure failure;
  for (AccessParser& p : parsers) {
    if (p.parse(line, record, failure)) {
      checkRecord(line, record);
    } else {
      if (failure.offset > size) std::abort();
      (void)gw::describe(failure);
    }
  }
  return 0;
}
