#include "http/endpoints.h"

#include <string_view>

#include "http/api_alerts.h"
#include "http/api_sources.h"
#include "http/web_assets.h"

namespace gw {
namespace {

// The routing table: one row per endpoint, its path pattern, the member that answers it and
// whether it needs credentials when basic auth is on.
struct RouteRow {
  std::string_view pattern;
  HttpResponse (Endpoints::*serve)(const HttpRequest&);
  Access access = Access::kGuarded;
};
constexpr RouteRow kRoutes[] = {
    {"/healthz", &Endpoints::healthz, Access::kOpen},
    {"/metrics", &Endpoints::metrics},
    {"/api/alerts", &Endpoints::alertList},
    {"/api/alerts/{id}", &Endpoints::alert},
    {"/api/sources", &Endpoints::sourceList},
    {"/api/sources/{name}/minutes", &Endpoints::sourceMinutes},
    {"/", &Endpoints::page},
    {"/incidents/{id}", &Endpoints::page},
    {"/sources/{name}", &Endpoints::page},
    {"/static/{file}", &Endpoints::asset},
};

// A year: the longest lifetime RFC 9111 suggests; a versioned URL never changes content.
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
// Kept, but asked again each time: answered with a 304 when the ETag still matches.
constexpr std::string_view kRevalidate = "no-cache";

// Before the pipeline's first snapshot (or if the source hands out none) there is nothing to
// report: 503, so a load balancer or a scrape sees "not ready" rather than zeros.
HttpResponse starting() {
  HttpResponse response = jsonError(503, "the daemon is starting: no status yet");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

// True when If-None-Match names `etag` (in a list, weak or not) or is "*".
bool etagMatches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  if (if_none_match.find('*') != std::string_view::npos) return true;
  return if_none_match.find(etag) != std::string_view::npos;
}

HttpResponse serveAsset(const WebAsset& asset, const HttpRequest& request,
                        std::string_view cache_control) {
  HttpResponse response;
  const std::string etag = "\"" + std::string(asset.version) + "\"";
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", std::string(cache_control));
  if (etagMatches(request.headers.if_none_match, etag)) {
    response.status = 304;
    response.content_type = std::string(asset.content_type);
    return response;
  }
  response.content_type = std::string(asset.content_type);
  response.body = std::string(asset.body);
  return response;
}

}  // namespace

Endpoints::Endpoints(SnapshotSource snapshots, const Clock& clock, std::string state_db_path,
                     TimeZone zone)
    : snapshots_(std::move(snapshots)),
      clock_(clock),
      history_(std::move(state_db_path)),
      zone_(std::move(zone)) {}

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
  return serveAlertList(history_, request, clock_.now(), zone_);
}

HttpResponse Endpoints::alert(const HttpRequest& request) {
  return serveAlert(history_, request, clock_.now(), zone_);
}

HttpResponse Endpoints::sourceList(const HttpRequest& request) {
  return serveSourceList(history_, request, clock_.now(), zone_);
}

HttpResponse Endpoints::sourceMinutes(const HttpRequest& request) {
  return serveSourceMinutes(history_, request, clock_.now(), zone_);
}

// The page's own query (its filters) is read by its script, which hands it to /api/alerts:
// a bad value is answered there, by a 400 naming the parameter that the page shows.
HttpResponse Endpoints::page(const HttpRequest& request) {
  const WebAsset* shell = findWebAsset("index.html");
  if (shell == nullptr) return jsonError(500, "this gatewatch was built without its page");
  return serveAsset(*shell, request, kRevalidate);
}

HttpResponse Endpoints::asset(const HttpRequest& request) {
  if (auto problem = request.query.rejectUnknown({"v"})) return badParameter(*problem);
  const std::string& name = request.pathParam("file");
  const WebAsset* asset = findWebAsset(name);
  if (asset == nullptr || name.ends_with(".html")) return jsonError(404, "no such file");
  // The shell asks for ?v=<version>: that URL's bytes never change. Without it, or with an
  // old version (a page loaded before an upgrade), the answer is revalidated each time.
  const std::string* version = request.query.find("v");
  const bool current = version != nullptr && *version == asset->version;
  return serveAsset(*asset, request, current ? kImmutable : kRevalidate);
}

Router makeRouter(Endpoints& endpoints) {
  Router router;
  for (const RouteRow& row : kRoutes) {
    router.add(
        row.pattern,
        [&endpoints, serve = row.serve](const HttpRequest& request) {
          return (endpoints.*serve)(request);
        },
        row.access);
  }
  return router;
}

}  // namespace gw
