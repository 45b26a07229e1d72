// Router: the status server's endpoints as a table of path patterns and handlers, kept apart
// from the sockets so that routing, method checks and parameter errors are tested as plain
// function calls. A pattern is literal segments and {name} placeholders ("/api/alerts/{id}");
// adding an endpoint is one add() (one row of the table in endpoints.cpp). An optional guard
// (basic auth) runs before routing for every path not added as Access::kOpen.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/query_params.h"

namespace gw {

// The request headers the router, its guard or a handler read; the connection copies only these
// (views into its buffer, valid while the request is handled).
struct RequestHeaders {
  std::string_view authorization;
  std::string_view if_none_match;
};

// A request as a handler sees it: the method already checked (GET or HEAD), the path
// %-decoded segment by segment, the query decoded.
struct HttpRequest {
  std::string_view method;
  std::string path;
  QueryParams query;
  std::vector<std::pair<std::string, std::string>> path_params;  // {name} → decoded segment
  RequestHeaders headers;

  const std::string& pathParam(std::string_view name) const;  // "" when the route has none
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the ones every answer has
};

// {"error": message} (and "parameter": name when one is given), with `status`.
HttpResponse jsonError(unsigned status, std::string_view message, std::string_view parameter = {});
// 400 naming the parameter and the accepted form.
HttpResponse badParameter(const ParamProblem& problem);

using Handler = std::function<HttpResponse(const HttpRequest&)>;
// Decides whether a request may go on: nullopt lets it through, an answer (a 401) stops it.
using Guard = std::function<std::optional<HttpResponse>(const RequestHeaders&)>;

// kOpen routes skip the guard (/healthz: probes carry no credentials).
enum class Access { kGuarded, kOpen };

class Router {
 public:
  // Routes are tried in the order added; the first whose pattern matches the path answers.
  void add(std::string_view pattern, Handler handler, Access access = Access::kGuarded);
  // Without a guard every request goes on (the default: loopback needs no credentials).
  void setGuard(Guard guard) { guard_ = std::move(guard); }

  // Answers one request. Never throws: a handler or guard that throws answers 500. Order of
  // checks: a target that is not a path (400), the guard unless the path's route is kOpen (an
  // unknown path is guarded too, so the 404's list of paths is not given away), no route (404),
  // a method other than GET/HEAD (405 with Allow), a malformed query (400 naming the
  // parameter), then the handler.
  HttpResponse handle(std::string_view method, std::string_view target,
                      const RequestHeaders& headers = {}) const;

  std::vector<std::string> patterns() const;

 private:
  struct Route {
    std::string pattern;
    std::vector<std::string> segments;  // "{id}" marks a placeholder
    Handler handler;
    Access access = Access::kGuarded;
  };
  std::vector<Route> routes_;
  Guard guard_;
};

}  // namespace gw
