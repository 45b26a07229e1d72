#include "http/endpoints.h"

#include <string_view>

#include "http/api_alerts.h"

namespace gw {
namespace {

// The routing table: one row per endpoint, its path pattern and the member that answers it.
struct RouteRow {
  std::string_view pattern;
  HttpResponse (Endpoints::*serve)(const HttpRequest&);
};
constexpr RouteRow kRoutes[] = {
    {"/healthz", &Endpoints::healthz},
    {"/metrics", &Endpoints::metrics},
    {"/api/alerts", &Endpoints::alertList},
    {"/api/alerts/{id}", &Endpoints::alert},
};

// Before the pipeline's first snapshot (or if the source hands out none) there is nothing to
// report: 503, so a load balancer or a scrape sees "not ready" rather than zeros.
HttpResponse starting() {
  HttpResponse response = jsonError(503, "the daemon is starting: no status yet");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace

Endpoints::Endpoints(SnapshotSource snapshots, const Clock& clock, std::string state_db_path)
    : snapshots_(std::move(snapshots)), clock_(clock), history_(std::move(state_db_path)) {}

// /healthz and /metrics take no parameters and ignore any: probes and scrapers add their own.
HttpResponse Endpoints::healthz(const HttpRequest&) {
  const auto snapshot = snapshots_ ? snapshots_() : nullptr;
  if (!snapshot) return starting();
  HealthReport report = evaluateHealth(*snapshot, clock_.now());
  HttpResponse response;
  response.status = report.healthy ? 200 : 503;
  response.body = std::move(report.json);
  return response;
}

HttpResponse Endpoints::metrics(const HttpRequest&) {
  const auto snapshot = snapshots_ ? snapshots_() : nullptr;
  if (!snapshot) return starting();
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = renderMetrics(*snapshot);
  return response;
}

HttpResponse Endpoints::alertList(const HttpRequest& request) {
  return serveAlertList(history_, request, clock_.now());
}

HttpResponse Endpoints::alert(const HttpRequest& request) {
  return serveAlert(history_, request, clock_.now());
}

Router makeRouter(Endpoints& endpoints) {
  Router router;
  for (const RouteRow& row : kRoutes) {
    router.add(row.pattern, [&endpoints, serve = row.serve](const HttpRequest& request) {
      return (endpoints.*serve)(request);
    });
  }
  return router;
}

}  // namespace gw
