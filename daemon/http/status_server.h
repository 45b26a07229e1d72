// StatusServer: the daemon's HTTP listener (Boost.Beast) — /healthz, /metrics, /api/*, and the
// read-only history page (/, /incidents/{id}, /sources/{name}) — on a thread of its own with its
// own read connection to the state database, so a slow client or a history query never holds up
// the pipeline. Loopback by default; optional basic auth; security headers on every answer;
// bounded everywhere a client could grow it (request size, header count, connections, time per
// request). GET and HEAD only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/time.h"
#include "common/time_zone.h"
#include "pipeline/status_snapshot.h"

namespace gw {

struct StatusServerOptions {
  std::string listen = "127.0.0.1:9177";  // host:port; [::1]:9177 for IPv6
  std::string state_db_path;              // history for /api/alerts; empty: /api/alerts is 503
  Millis request_timeout{std::chrono::seconds(10)};  // reading a request; again writing its answer
  std::size_t max_request_bytes = 16 * 1024;         // request line and headers
  std::size_t max_connections = 64;
  // The zone the page and the /api answers show times in ("the server's zone").
  TimeZone zone = TimeZone::local();
  // Basic auth for every path but /healthz: both set, or neither (no auth). The hash is
  // crypt(3)'s, as http.auth_password_hash holds it; start() fails on one it cannot verify.
  std::string auth_user;
  std::string auth_password_hash;
};

// Thread-safe: returns the latest published snapshot (never null once the daemon runs).
using SnapshotSource = std::function<std::shared_ptr<const StatusSnapshot>()>;

class StatusServer {
 public:
  // Binds and starts serving. Fails with a message naming the address and what to do: "port
  // 9177 on 127.0.0.1 is already in use (another gatewatch?); set http.listen to another port or
  // \"\" to turn the status server off".
  static Result<std::unique_ptr<StatusServer>> start(StatusServerOptions options,
                                                     SnapshotSource snapshots, const Clock& clock);
  ~StatusServer();  // stops accepting, closes connections, joins the thread
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  uint16_t port() const;  // the bound port (useful with port 0 in tests)

  struct Impl;

 private:
  explicit StatusServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Prometheus text exposition format 0.0.4: product.md's metric names with HELP and TYPE, label
// values escaped (\\, \", \n).
std::string renderMetrics(const StatusSnapshot& snapshot);

// The pipeline publishes a snapshot every second: one this old means its loop is stuck (a
// blocked handler, a runaway rule), which /healthz reports as unhealthy.
inline constexpr Millis kSnapshotStaleAfter{std::chrono::seconds(30)};

// /healthz: healthy unless a source has been unreadable for kUnreadableUnhealthyAfter (a source
// unreadable with no unreadable_since counts as long unreadable), a sink's oldest undelivered
// alert is older than kOutboxStuckAfter, checkpoints are failing, or the snapshot is older than
// kSnapshotStaleAfter. The body is JSON: status ("ok"/"unhealthy"), reasons (one sentence
// each), each source's lag and last line time, each sink's state.
struct HealthReport {
  bool healthy = true;
  std::string json;
};
HealthReport evaluateHealth(const StatusSnapshot& snapshot, Timestamp now);

}  // namespace gw
