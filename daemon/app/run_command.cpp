// `gatewatch run`: the daemon. Three threads, each with one job: the pipeline (tail → parse →
// detect → compose) on the main io_context, delivery (outbox, HTTP, history writes) on its own,
// and the status server on its own — so a dead Slack or a slow /api/alerts client never holds
// up detection. systemd sees READY=1, STATUS=, WATCHDOG=1 and RELOADING=1 / STOPPING=1.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <future>
#include <thread>

#include "alert/sink.h"
#include "app/cli.h"
#include "app/commands.h"
#include "common/host_name.h"
#include "config/loader.h"
#include "deliver/delivery_service.h"
#include "http/status_server.h"
#include "pipeline/pipeline.h"
#include "store/state_db.h"

namespace gw {
namespace {

namespace asio = boost::asio;

// SIGTERM to exit: in-flight deliveries get this long to finish; the rest stays in the outbox.
constexpr Millis kStopGrace{std::chrono::seconds(2)};
// systemd's STATUS= line is refreshed this often.
constexpr Millis kStatusInterval{std::chrono::seconds(5)};
// The delivery thread hands its figures to the status snapshot this often.
constexpr Millis kDeliveryStatusInterval{std::chrono::seconds(1)};

// Under systemd (journald on stderr), log through the journal with priorities and without our
// own timestamps; on a terminal, timestamps and colours.
void setUpLogging() {
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    logger = std::make_shared<spdlog::logger>(
        "gatewatch", std::make_shared<spdlog::sinks::systemd_sink_mt>("gatewatch"));
    logger->set_pattern("%v");
  } else {
    logger = std::make_shared<spdlog::logger>(
        "gatewatch", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  spdlog::flush_on(spdlog::level::info);
}

// The state database, or an in-memory one when state_dir cannot be used: alerts still go out,
// only what must survive a restart (checkpoints, outbox, history) does not.
Database openState(const std::string& state_dir, Timestamp now, std::string* path_out) {
  auto opened = openStateDatabase(state_dir, now);
  if (opened) {
    if (!opened->moved_aside.empty())
      spdlog::error("state: the database was damaged and moved to {}; starting afresh",
                    opened->moved_aside);
    *path_out = state_dir + "/" + kStateDbFileName;
    return std::move(opened->db);
  }
  spdlog::error(
      "state: {} — running without checkpoints, outbox or history until this is "
      "fixed (and gatewatch restarted)",
      opened.error().message);
  path_out->clear();
  auto memory = Database::open(":memory:");
  if (memory) {
    auto migrated = migrate(*memory);
    (void)migrated;
    return std::move(memory).value();
  }
  std::abort();  // SQLite cannot open an in-memory database: nothing sensible is left
}

std::vector<SinkStatus> sinkStatuses(const DeliveryService& service,
                                     const std::vector<ResolvedSink>& sinks) {
  std::vector<SinkStatus> out;
  const auto stats = service.stats();
  for (const auto& sink : sinks) {
    SinkStatus status;
    status.name = sink.name;
    status.type = toString(sink.type);
    if (auto it = stats.find(sink.name); it != stats.end()) {
      const SinkDeliveryStats& s = it->second;
      status.delivered = s.delivered;
      status.retried = s.retried;
      status.failed = s.failed;
      status.expired = s.expired;
      status.pending = s.pending;
      status.last_error = s.last_error;
      if (s.last_error_at != Timestamp{}) status.last_error_at = s.last_error_at;
      status.failing = s.failing;
      if (s.oldest_pending_at != Timestamp{}) status.oldest_pending_at = s.oldest_pending_at;
    }
    out.push_back(std::move(status));
  }
  return out;
}

// Delivery on a thread of its own: its io_context, its database connection, its service.
class DeliveryThread {
 public:
  DeliveryThread(const std::string& db_path, Timestamp now, std::vector<ResolvedSink> sinks,
                 const Config& config, const Clock& clock, Pipeline& pipeline)
      : clock_(clock), pipeline_(pipeline), sinks_(std::move(sinks)), status_timer_(io_) {
    auto db = db_path.empty() ? Database::open(":memory:") : Database::open(db_path);
    if (db) {
      if (db_path.empty()) (void)migrate(*db);
      db_.emplace(std::move(*db));
    }
    (void)now;
    options_.history_retention = config.history_retention;
    thread_ = std::thread([this] { io_.run(); });
    asio::post(io_, [this] { startService(); });
  }

  ~DeliveryThread() { stop(); }

  void submit(const Alert& alert) {
    asio::post(io_, [this, alert] {
      if (service_) service_->submit(alert);
    });
  }

  // New sinks after a reload: the outbox keeps what the old ones had not delivered.
  void replaceSinks(std::vector<ResolvedSink> sinks) {
    asio::post(io_, [this, sinks = std::move(sinks)]() mutable {
      if (service_) service_->stop();
      service_.reset();
      sinks_ = std::move(sinks);
      startService();
    });
  }

  // In-flight deliveries get `grace`; then everything stops (the outbox keeps the rest).
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { stopWhenIdle(clock_.steadyNow() + kStopGrace); });
    thread_.join();
  }

 private:
  void startService() {
    if (!db_) {
      spdlog::error("delivery: no database connection; alerts are not delivered");
      return;
    }
    service_ = std::make_unique<DeliveryService>(io_, *db_, sinks_, clock_, options_);
    if (auto started = service_->start(); !started) {
      spdlog::error("delivery: {}", started.error().message);
    }
    publishStatus();
  }

  void publishStatus() {
    if (service_)
      pipeline_.setDeliveryStatus(sinkStatuses(*service_, sinks_), service_->outboxPending());
    status_timer_.expires_after(kDeliveryStatusInterval);
    status_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) publishStatus();
    });
  }

  void stopWhenIdle(std::chrono::steady_clock::time_point deadline) {
    bool busy = false;
    if (service_) {
      for (const auto& [name, s] : service_->stats()) busy = busy || s.in_flight;
    }
    if (busy && clock_.steadyNow() < deadline) {
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
      timer->async_wait(
          [this, timer, deadline](const boost::system::error_code&) { stopWhenIdle(deadline); });
      return;
    }
    if (service_) service_->stop();
    service_.reset();
    status_timer_.cancel();
    io_.stop();
  }

  const Clock& clock_;
  Pipeline& pipeline_;
  std::vector<ResolvedSink> sinks_;
  DeliveryOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::optional<Database> db_;
  std::unique_ptr<DeliveryService> service_;
  asio::steady_timer status_timer_;
  std::thread thread_;
};

std::string statusLine(const StatusSnapshot& s) {
  return fmt::format("{} sources, {:.0f} lines/s, {} open incidents, outbox {}", s.sources.size(),
                     s.lines_per_second, s.open_incidents.size(), s.outbox_pending);
}

std::unique_ptr<StatusServer> startStatusServer(const Config& config, const std::string& db_path,
                                                Pipeline& pipeline, const Clock& clock) {
  if (config.http.listen.empty()) return nullptr;
  StatusServerOptions options;
  options.listen = config.http.listen;
  options.state_db_path = db_path;
  auto server = StatusServer::start(
      options, [&pipeline] { return pipeline.snapshot(); }, clock);
  if (!server) {
    spdlog::error("status server: {}; gatewatch keeps running without it", server.error().message);
    return nullptr;
  }
  spdlog::info("status server on {} (/healthz /metrics /api/alerts)", config.http.listen);
  return std::move(server).value();
}

}  // namespace

int runDaemon(const RunCommand& command) {
  setUpLogging();
  ConfigLoad load = loadConfigFile(command.config_path);
  for (const auto& warning : load.warnings) spdlog::warn("{}", warning.toString());
  if (!load.ok()) {
    for (const auto& problem : load.problems) spdlog::error("{}", problem.toString());
    spdlog::error("gatewatch not started: fix the config (`gatewatch check --config {}`)",
                  command.config_path);
    return kExitUsage;
  }
  Config config = std::move(load.config);
  auto sinks = resolveSinks(config.sinks, processEnvironment());
  if (!sinks) {
    spdlog::error("{}", sinks.error().message);
    return kExitUsage;
  }
  if (config.sources.empty()) {
    spdlog::error("{}: no sources configured; nothing to watch", command.config_path);
    return kExitUsage;
  }

  const SystemClock clock;
  std::string db_path;
  Database db = openState(config.state_dir, clock.now(), &db_path);

  asio::io_context io;
  std::unique_ptr<DeliveryThread> delivery;
  Pipeline pipeline(io, config, db, clock,
                    PipelineOptions{.hostname = hostName(), .version = kVersion},
                    [&delivery](const Alert& alert) {
                      if (delivery) delivery->submit(alert);
                    });
  delivery =
      std::make_unique<DeliveryThread>(db_path, clock.now(), *sinks, config, clock, pipeline);

  auto started = pipeline.start([&] {
    sd_notify(0, "READY=1");
    spdlog::info("gatewatch {} watching {} sources with {} rules and {} sinks", kVersion,
                 config.sources.size(), config.rules.empty() ? 2 : config.rules.size(),
                 config.sinks.size());
  });
  if (!started) {
    spdlog::error("gatewatch not started: {}", started.error().message);
    return kExitFailure;
  }
  std::unique_ptr<StatusServer> server = startStatusServer(config, db_path, pipeline, clock);

  // systemd's watchdog: pinged from this loop, so a stuck pipeline gets restarted.
  asio::steady_timer watchdog(io);
  uint64_t watchdog_usec = 0;
  std::function<void()> pet = [&] {
    sd_notify(0, "WATCHDOG=1");
    watchdog.expires_after(std::chrono::microseconds(watchdog_usec / 2));
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) pet();
    });
  };
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) pet();

  asio::steady_timer status_timer(io);
  std::function<void()> status = [&] {
    if (auto snap = pipeline.snapshot()) sd_notifyf(0, "STATUS=%s", statusLine(*snap).c_str());
    status_timer.expires_after(kStatusInterval);
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) status();
    });
  };
  status();

  asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        sd_notify(0, "RELOADING=1");
        ConfigLoad next = loadConfigFile(command.config_path);
        auto next_sinks = next.ok() ? resolveSinks(next.config.sinks, processEnvironment())
                                    : Result<std::vector<ResolvedSink>>(Error{""});
        if (!next.ok() || !next_sinks) {
          for (const auto& problem : next.problems) spdlog::error("{}", problem.toString());
          if (next.ok()) spdlog::error("{}", next_sinks.error().message);
          spdlog::error("reload refused: {} has problems; the running config stays in force",
                        command.config_path);
          pipeline.noteReloadFailed();
        } else {
          for (const auto& warning : next.warnings) spdlog::warn("{}", warning.toString());
          if (next.config.state_dir != config.state_dir)
            spdlog::warn("reload: state_dir changed; it takes effect at the next restart");
          const ReloadReport report = pipeline.reload(next.config);
          if (next.config.sinks != config.sinks) delivery->replaceSinks(*next_sinks);
          if (next.config.http.listen != config.http.listen) {
            server.reset();
            server = startStatusServer(next.config, db_path, pipeline, clock);
          }
          config = std::move(next.config);
          spdlog::info("reloaded {}: {}", command.config_path, report.summary());
        }
        sd_notify(0, "READY=1");
        wait_signal();
        return;
      }
      spdlog::info("stopping (signal {})", signal);
      sd_notify(0, "STOPPING=1");
      pipeline.stop();
      watchdog.cancel();
      status_timer.cancel();
      io.stop();
    });
  };
  wait_signal();

  io.run();
  delivery->stop();
  server.reset();
  spdlog::info("stopped; checkpoints committed");
  return kExitOk;
}

}  // namespace gw
