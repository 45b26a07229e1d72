// Pipeline: the live daemon's core on one io_context — lines from the tail stage parsed, fed to
// one detector per rule and to the alert context rings; incident events composed into alerts and
// handed to delivery; a 1 s tick; the status snapshot published. It never blocks on delivery:
// alerts leave through a handler that posts them to the delivery thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "common/result.h"
#include "common/time.h"
#include "common/time_zone.h"
#include "config/config.h"
#include "pipeline/status_snapshot.h"
#include "store/sqlite.h"

namespace gw {

// The longest span of log read back at start to fill the windows (and the context rings) before
// following resumes: longer windows (a 6 h burn rate) start partly empty rather than making a
// restart read hours of log.
inline constexpr Millis kMaxWarmupSpan{std::chrono::hours(1)};
// ... and at most this many bytes of each access log.
inline constexpr uint64_t kMaxWarmupBytes = 256ull * 1024 * 1024;

struct PipelineOptions {
  std::string hostname;
  std::string version;
  TimeZone display_zone = TimeZone::local();
  Millis tick{std::chrono::seconds(1)};
};

// Receives each composed alert on the pipeline's thread; must not block.
using AlertHandler = std::function<void(const Alert&)>;

// What a reload kept and what it replaced, for the log.
struct ReloadReport {
  std::vector<std::string> sources_kept, sources_added, sources_removed;
  std::vector<std::string> rules_kept, rules_added, rules_removed;
  bool context_changed = false;
  std::string summary() const;
};

class Pipeline {
 public:
  // `db` is the pipeline thread's connection (checkpoints; history read at start). Both outlive
  // the pipeline.
  Pipeline(boost::asio::io_context& io, Config config, Database& db, const Clock& clock,
           PipelineOptions options, AlertHandler on_alert);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Fills the windows from each log's recent past (events already in history are not sent
  // again), restores the incidents history still has open, then starts following. `on_ready`
  // runs once every watch and checkpoint is in place.
  Result<void> start(std::function<void()> on_ready);
  // Stops reading and commits the checkpoints of everything read.
  void stop();
  // Applies a validated config: unchanged sources keep their offsets (followers restart from the
  // checkpoint just committed), unchanged rules keep their windows and open incidents.
  ReloadReport reload(const Config& next);
  // A reload refused (the new file has problems): counted for /metrics.
  void noteReloadFailed();

  // Thread-safe: the latest snapshot (published every tick and after alerts).
  std::shared_ptr<const StatusSnapshot> snapshot() const;
  // Thread-safe: the delivery thread's view, merged into the next snapshot.
  void setDeliveryStatus(std::vector<SinkStatus> sinks, uint64_t outbox_pending);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw
