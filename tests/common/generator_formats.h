// The log_formats of the shared generator (gen_nginx_log.py --format extended|json), which the
// bundled incident logs (tests/data/make_incident_logs.py) also write: one copy for every test.
#pragma once

namespace gw::testing {

// combined + upstream fields.
inline constexpr const char* kExtendedFormat =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" $request_time $upstream_response_time )"
    R"("$upstream_addr" $upstream_status)";

inline constexpr const char* kJsonFormat =
    R"(escape=json '{"time_local":"$time_local",')"
    R"('"remote_addr":"$remote_addr","remote_user":"$remote_user",')"
    R"('"request":"$request","status":$status,')"
    R"('"body_bytes_sent":$body_bytes_sent,')"
    R"('"request_time":$request_time,')"
    R"('"upstream_response_time":"$upstream_response_time",')"
    R"('"upstream_addr":"$upstream_addr",')"
    R"('"upstream_status":"$upstream_status",')"
    R"('"http_referer":"$http_referer",')"
    R"('"http_user_agent":"$http_user_agent"}')";

}  // namespace gw::testing
