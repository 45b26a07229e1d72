// Endpoints: what each status-server path answers, and makeRouter(), the table from paths to
// them. A new endpoint is a member here and one row in that table.
#pragma once

#include <string>

#include "common/time.h"
#include "http/history_reader.h"
#include "http/router.h"
#include "http/status_server.h"

namespace gw {

class Endpoints {
 public:
  Endpoints(SnapshotSource snapshots, const Clock& clock, std::string state_db_path);

  HttpResponse healthz(const HttpRequest& request);
  HttpResponse metrics(const HttpRequest& request);
  HttpResponse alertList(const HttpRequest& request);
  HttpResponse alert(const HttpRequest& request);

 private:
  SnapshotSource snapshots_;
  const Clock& clock_;
  HistoryReader history_;
};

// Every path the status server answers, in matching order.
Router makeRouter(Endpoints& endpoints);

}  // namespace gw
