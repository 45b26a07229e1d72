#include "http/router.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <nlohmann/json.hpp>

namespace gw {
namespace {

using Json = nlohmann::json;

// A path has no use for more segments than this; the bound keeps matching cheap on hostile
// targets of many slashes.
constexpr std::size_t kMaxPathSegments = 64;

// "/a/b" → {"a", "b"}; "/" → {""}. Raw (not yet decoded) segments.
bool splitPath(std::string_view path, std::vector<std::string_view>& segments) {
  segments.clear();
  std::size_t start = 1;  // past the leading '/'
  while (true) {
    if (segments.size() == kMaxPathSegments) return false;
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      return true;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

bool isPlaceholder(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

const std::string& HttpRequest::pathParam(std::string_view name) const {
  static const std::string kNone;
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  return kNone;
}

HttpResponse jsonError(unsigned status, std::string_view message, std::string_view parameter) {
  Json body = {{"error", std::string(message)}};
  if (!parameter.empty()) body["parameter"] = std::string(parameter);
  HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return response;
}

HttpResponse badParameter(const ParamProblem& problem) {
  Json body = {{"error", "parameter '" + problem.parameter + "': " + problem.message},
               {"parameter", problem.parameter}};
  HttpResponse response;
  response.status = 400;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return response;
}

void Router::add(std::string_view pattern, Handler handler, Access access) {
  Route route{std::string(pattern), {}, std::move(handler), access};
  std::vector<std::string_view> parts;
  splitPath(pattern, parts);
  for (std::string_view part : parts) route.segments.emplace_back(part);
  routes_.push_back(std::move(route));
}

std::vector<std::string> Router::patterns() const {
  std::vector<std::string> out;
  for (const Route& route : routes_) out.push_back(route.pattern);
  return out;
}

HttpResponse Router::handle(std::string_view method, std::string_view target,
                            const RequestHeaders& headers) const {
  if (target.empty() || target.front() != '/') {
    return jsonError(400, "the request-target must be a path such as /healthz");
  }
  const std::size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  const std::string_view raw_query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  std::vector<std::string_view> raw_segments;
  if (!splitPath(raw_path, raw_segments)) return jsonError(404, "no such path");
  std::vector<std::string> segments(raw_segments.size());
  for (std::size_t i = 0; i < raw_segments.size(); ++i) {
    if (!percentDecode(raw_segments[i], false, segments[i])) {
      return jsonError(400, "the path has a bad %-escape (write %XX with two hex digits)");
    }
  }

  const Route* match = nullptr;
  HttpRequest request;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    request.path_params.clear();
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& want = route.segments[i];
      if (isPlaceholder(want)) {
        ok = !segments[i].empty();
        if (ok) request.path_params.emplace_back(want.substr(1, want.size() - 2), segments[i]);
      } else {
        ok = want == segments[i];
      }
    }
    if (ok) {
      match = &route;
      break;
    }
  }
  if (guard_ && (match == nullptr || match->access == Access::kGuarded)) {
    try {
      if (auto refused = guard_(headers)) return std::move(*refused);
    } catch (const std::exception& e) {
      spdlog::error("status server: checking credentials failed: {}", e.what());
      return jsonError(500, "internal error (see the daemon's log)");
    }
  }
  if (match == nullptr) {
    Json body = {{"error", "no such path"}, {"paths", patterns()}};
    HttpResponse response;
    response.status = 404;
    response.body = body.dump() + "\n";
    return response;
  }
  if (method != "GET" && method != "HEAD") {
    HttpResponse response = jsonError(405, "only GET and HEAD are served here");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }

  auto parsed = QueryParams::parse(raw_query);
  if (auto* problem = std::get_if<ParamProblem>(&parsed)) return badParameter(*problem);
  request.method = method;
  request.path = std::string(raw_path);
  request.query = std::move(std::get<QueryParams>(parsed));
  request.headers = headers;

  // A handler bug must cost one answer, not the daemon's status server.
  try {
    return match->handler(request);
  } catch (const std::exception& e) {
    spdlog::error("status server: {} failed: {}", match->pattern, e.what());
  } catch (...) {
    spdlog::error("status server: {} failed with an unknown exception", match->pattern);
  }
  return jsonError(500, "internal error (see the daemon's log)");
}

}  // namespace gw
