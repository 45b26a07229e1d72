// Endpoints: what each status-server path answers, and makeRouter(), the table from paths to
// them. A new endpoint is a member here and one row in that table.
#pragma once

#include <string>

#include "common/time.h"
#include "common/time_zone.h"
#include "http/history_reader.h"
#include "http/router.h"
#include "http/status_server.h"

namespace gw {

class Endpoints {
 public:
  Endpoints(SnapshotSource snapshots, const Clock& clock, std::string state_db_path,
            TimeZone zone = TimeZone::utc());

  HttpResponse healthz(const HttpRequest& request);
  HttpResponse metrics(const HttpRequest& request);
  HttpResponse alertList(const HttpRequest& request);
  HttpResponse alert(const HttpRequest& request);
  HttpResponse sourceList(const HttpRequest& request);
  HttpResponse sourceMinutes(const HttpRequest& request);
  // The history page: the same HTML shell for /, /incidents/{id} and /sources/{name}; its
  // script reads the path and asks the /api endpoints.
  HttpResponse page(const HttpRequest& request);
  // /static/{file}: the page's script and style (web_assets.h).
  HttpResponse asset(const HttpRequest& request);

 private:
  SnapshotSource snapshots_;
  const Clock& clock_;
  HistoryReader history_;
  TimeZone zone_;
};

// Every path the status server answers, in matching order; /healthz is the one open to
// requests without credentials when the server has a guard.
Router makeRouter(Endpoints& endpoints);

}  // namespace gw
