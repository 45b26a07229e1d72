// `gatewatch run`: the daemon. Four threads, each with one job: the pipeline (tail → parse →
// detect → compose) on the main io_context, delivery (outbox, HTTP, history writes) on its own,
// the status server on its own, and — when the config has no sinks — the console printer, which
// writes alerts to stdout. A dead Slack, a slow /api/alerts client or a stdout nobody reads never
// holds up detection. systemd sees READY=1, STATUS=, WATCHDOG=1 and RELOADING=1 / STOPPING=1.
#include <poll.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "alert/render.h"
#include "alert/sink.h"
#include "app/cli.h"
#include "app/commands.h"
#include "common/host_name.h"
#include "config/default_config.h"
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
// SIGTERM to exit: alerts still queued for stdout get this long to be written (in parallel with
// the delivery grace, both inside the 5 s a stop may take).
constexpr Millis kConsoleStopGrace{std::chrono::seconds(1)};
// Alerts waiting for stdout. A reader that stopped reading (a pipe into a stuck `less`) costs at
// most this many alerts of memory; later ones are counted, not printed (history has them).
constexpr std::size_t kConsoleQueueAlerts = 100;
// How long one wait for stdout to take more lasts before the printer looks at the stop flag.
constexpr int kConsolePollMillis = 100;

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
      "state: {} — falling back to an in-memory database: alerts still go out, but checkpoints, "
      "the outbox and history are lost when gatewatch stops; restart gatewatch once state_dir is "
      "fixed",
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

// Alerts on stdout, for a config without sinks (a first run, the demo): each one as a block of
// text (consoleAlertText), flushed as a whole. Written by a thread of its own from a bounded
// queue, with poll() before every write of at most PIPE_BUF bytes, so a stdout that nobody reads
// (a full pipe) stalls only this thread — never the pipeline, never the delivery thread — and a
// stop waits at most kConsoleStopGrace for it.
class ConsolePrinter {
 public:
  ConsolePrinter() : thread_([this] { run(); }) {}
  ~ConsolePrinter() { stop(); }
  ConsolePrinter(const ConsolePrinter&) = delete;
  ConsolePrinter& operator=(const ConsolePrinter&) = delete;

  // Never blocks: with kConsoleQueueAlerts waiting, the alert is counted and left out.
  void print(const Alert& alert) {
    std::lock_guard lock(mutex_);
    if (stopping_ || broken_) return;
    if (queue_.size() >= kConsoleQueueAlerts) {
      if (dropped_++ == 0)
        spdlog::warn(
            "stdout: alerts are not being read (a full pipe?); further alerts are not printed "
            "until it drains — they are still recorded (`gatewatch history`)");
      return;
    }
    queue_.push_back(alert);
    wake_.notify_one();
  }

  // What is queued gets kConsoleStopGrace; then the thread ends whatever stdout does.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      deadline_ = std::chrono::steady_clock::now() + kConsoleStopGrace;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    for (;;) {
      Alert alert;
      uint64_t dropped = 0;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() || pastDeadline()) {
          if (!queue_.empty())
            spdlog::warn("stdout: {} alerts not printed at exit (stdout was not read)",
                         queue_.size());
          return;
        }
        alert = std::move(queue_.front());
        queue_.pop_front();
        dropped = std::exchange(dropped_, 0);
      }
      std::string text;
      if (dropped > 0) {
        text = fmt::format(
            "=== gatewatch: {} alerts were not printed while stdout was not read; `gatewatch "
            "history` has them ===\n\n",
            dropped);
      }
      text += consoleAlertText(alert);
      if (!writeOut(text)) return;
    }
  }

  bool pastDeadline() const { return stopping_ && std::chrono::steady_clock::now() >= deadline_; }

  // Writes `text` to fd 1; false when stdout is gone (closed pipe, bad fd) or the stop grace ran
  // out. A pipe that reports POLLOUT has room for PIPE_BUF bytes, so no write below blocks.
  bool writeOut(std::string_view text) {
    std::size_t done = 0;
    while (done < text.size()) {
      {
        std::lock_guard lock(mutex_);
        if (pastDeadline()) return false;
      }
      pollfd pfd{STDOUT_FILENO, POLLOUT, 0};
      const int ready = ::poll(&pfd, 1, kConsolePollMillis);
      if (ready < 0 && errno != EINTR) return giveUp(std::strerror(errno));
      if (ready <= 0) continue;
      if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (pfd.revents & POLLOUT) == 0)
        return giveUp("the reader went away");
      const std::size_t chunk = std::min<std::size_t>(text.size() - done, PIPE_BUF);
      const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, chunk);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return giveUp(std::strerror(errno));
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  bool giveUp(const std::string& why) {
    spdlog::warn("stdout: alerts can no longer be printed ({}); they are still recorded", why);
    std::lock_guard lock(mutex_);
    broken_ = true;
    queue_.clear();
    return false;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Alert> queue_;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  bool broken_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::thread thread_;  // last: started once the members above exist
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
  options.auth_user = config.http.auth_user;
  options.auth_password_hash = config.http.auth_password_hash;
  auto server = StatusServer::start(
      options, [&pipeline] { return pipeline.snapshot(); }, clock);
  if (!server) {
    spdlog::error(
        "status server: {}. gatewatch keeps running without /healthz, /metrics and /api/alerts; "
        "once the address is free (or http.listen changed), send SIGHUP (systemctl reload "
        "gatewatch) to try again",
        server.error().message);
    return nullptr;
  }
  spdlog::info("status server on {} (/healthz /metrics /api/alerts)", config.http.listen);
  return std::move(server).value();
}

// Where the running config comes from: a file, or the embedded default when `run` was given no
// --config and the default file does not exist.
struct ConfigOrigin {
  std::string path;  // the file; kDefaultConfigPath when embedded (it is looked for on SIGHUP)
  bool embedded = false;
  std::string name() const { return embedded ? std::string(kEmbeddedConfigName) : path; }
};

bool missingFile(const std::string& path) {
  return ::access(path.c_str(), F_OK) != 0 && errno == ENOENT;
}

ConfigOrigin configOrigin(const RunCommand& command) {
  return {command.config_path, !command.config_given && missingFile(command.config_path)};
}

// The embedded default's loader warns that it has no sinks; that is its point, and the start-up
// message says what it means.
ConfigLoad loadFrom(const ConfigOrigin& origin) {
  if (!origin.embedded) return loadConfigFile(origin.path);
  ConfigLoad load = loadEmbeddedDefaultConfig();
  load.warnings.clear();
  return load;
}

void explainEmbedded(const Config& config) {
  const SourceConfig& source = config.sources.front();
  spdlog::info(
      "no config file at {}: running on the embedded default — source {}: {} (format {}) with "
      "{}, the default rules, no sinks; state in {}, status on {}",
      kDefaultConfigPath, source.name, source.access_log,
      source.formats.empty() ? std::string("combined") : source.formats.front(), source.error_log,
      config.state_dir, config.http.listen);
  spdlog::info(
      "to configure gatewatch: write {} (`gatewatch check --describe` lists every key), check it "
      "with `gatewatch check --config {}`, then send SIGHUP (systemctl reload gatewatch)",
      kDefaultConfigPath, kDefaultConfigPath);
}

void explainNoSinks() {
  spdlog::info(
      "no sinks configured: every alert is printed on stdout (and recorded in history); add "
      "sinks: (slack, webhook, alertmanager) to send them");
}

// The last figures, for the log and for whoever compares two runs' counts.
std::string linesRead(const StatusSnapshot& s) {
  std::string out;
  for (const SourceStatus& source : s.sources) {
    if (!out.empty()) out += "; ";
    out += fmt::format("source {} {} parsed, {} malformed", source.name, source.lines_parsed,
                       source.lines_malformed);
  }
  return out;
}

}  // namespace

int runDaemon(const RunCommand& command) {
  setUpLogging();
  // A closed stdout or stderr (the reader of a pipe went away) is reported where it is written,
  // never a reason to die.
  std::signal(SIGPIPE, SIG_IGN);

  ConfigOrigin origin = configOrigin(command);
  ConfigLoad load = loadFrom(origin);
  for (const auto& warning : load.warnings) spdlog::warn("{}", warning.toString());
  if (!load.ok()) {
    for (const auto& problem : load.problems) spdlog::error("{}", problem.toString());
    spdlog::error("gatewatch not started: fix the config (`gatewatch check --config {}`)",
                  origin.path);
    return kExitUsage;
  }
  Config config = std::move(load.config);
  auto sinks = resolveSinks(config.sinks, processEnvironment());
  if (!sinks) {
    spdlog::error("{}", sinks.error().message);
    return kExitUsage;
  }
  if (config.sources.empty()) {
    spdlog::error("{}: no sources configured; nothing to watch", origin.name());
    return kExitUsage;
  }
  if (origin.embedded) explainEmbedded(config);
  if (config.sinks.empty()) explainNoSinks();

  const SystemClock clock;
  std::string db_path;
  Database db = openState(config.state_dir, clock.now(), &db_path);

  asio::io_context io;
  // SIGHUP's default action is to terminate: caught from here on, handled once the loop runs.
  asio::signal_set signals(io, SIGHUP);
  ConsolePrinter console;
  std::unique_ptr<DeliveryThread> delivery;
  Pipeline pipeline(io, config, db, clock,
                    PipelineOptions{.hostname = hostName(), .version = kVersion},
                    [&delivery, &console, &config](const Alert& alert) {
                      if (delivery) delivery->submit(alert);
                      if (config.sinks.empty()) console.print(alert);
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

  // SIGHUP: the new config is validated first; any problem keeps the running one in force.
  auto reload = [&] {
    ConfigOrigin next_origin = origin;
    // Running on the embedded default: a config file written since then is taken up now.
    if (origin.embedded && !missingFile(origin.path)) next_origin.embedded = false;
    ConfigLoad next = loadFrom(next_origin);
    std::vector<std::string> refusals;
    for (const auto& problem : next.problems) refusals.push_back(problem.toString());
    Result<std::vector<ResolvedSink>> next_sinks = std::vector<ResolvedSink>{};
    if (next.ok()) {
      next_sinks = resolveSinks(next.config.sinks, processEnvironment());
      if (!next_sinks) refusals.push_back(next_sinks.error().message);
      if (next.config.sources.empty())
        refusals.push_back(next_origin.name() + ": no sources configured; nothing to watch");
    }
    if (!refusals.empty()) {
      for (const auto& refusal : refusals) spdlog::error("{}", refusal);
      spdlog::error(
          "reload refused: {} has {} problem(s); the running config stays in force (`gatewatch "
          "check --config {}` lists them)",
          next_origin.name(), refusals.size(), next_origin.path);
      pipeline.noteReloadFailed();
      return;
    }
    for (const auto& warning : next.warnings) spdlog::warn("{}", warning.toString());
    if (next_origin.embedded != origin.embedded)
      spdlog::info("reload: {} exists now; it replaces the embedded default", next_origin.path);
    if (next.config.state_dir != config.state_dir)
      spdlog::warn("reload: state_dir changed; it takes effect at the next restart");
    const ReloadReport report = pipeline.reload(next.config);
    if (next.config.sinks != config.sinks) delivery->replaceSinks(*next_sinks);
    if (next.config.sinks.empty() != config.sinks.empty()) {
      if (next.config.sinks.empty())
        explainNoSinks();
      else
        spdlog::info("sinks configured: alerts are no longer printed on stdout");
    }
    // A status server that could not start (the port was taken) is tried again, too; a changed
    // address or auth starts a new one.
    if (!(next.config.http == config.http) || !server) {
      server.reset();
      server = startStatusServer(next.config, db_path, pipeline, clock);
    }
    config = std::move(next.config);
    origin = next_origin;
    spdlog::info("reloaded {}: {}", origin.name(), report.summary());
  };

  signals.add(SIGTERM);
  signals.add(SIGINT);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        sd_notify(0, "RELOADING=1");
        reload();
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
  console.stop();
  server.reset();
  const auto last = pipeline.snapshot();
  spdlog::info("stopped; checkpoints committed ({})", last ? linesRead(*last) : "no figures");
  return kExitOk;
}

}  // namespace gw
