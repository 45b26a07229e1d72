#include "pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <queue>
#include <set>

#include "alert/compose.h"
#include "alert/redactor.h"
#include "detect/detector.h"
#include "parse/error_line_parser.h"
#include "parse/log_format.h"
#include "pipeline/minute_counters.h"
#include "pipeline/warmup.h"
#include "store/checkpoint_store.h"
#include "store/history_store.h"
#include "store/minute_store.h"
#include "tail/tail_service.h"

namespace gw {
namespace {

namespace asio = boost::asio;

// A malformed line is logged at most this often per source (with how many were skipped): a
// wrong log_format makes every line malformed, and one message says so.
constexpr Millis kMalformedLogInterval{std::chrono::minutes(1)};
// lines_per_second is measured over this span.
constexpr Millis kRateSpan{std::chrono::seconds(5)};
// Per-minute counters are written every this many ticks (5 s at the 1 s tick): the history
// page is minutes behind at worst by that, and a crash loses at most that much of the counts.
constexpr uint64_t kMinuteFlushTicks = 5;
// Minutes older than minutes_retention are deleted this often (one indexed delete per source).
constexpr Millis kMinutePruneInterval{std::chrono::hours(1)};
// Deltas whose write failed (disk full, database busy) are kept for the next flush, up to this
// many rows (a few minutes of a hundred sources); beyond it the oldest are dropped and counted.
constexpr std::size_t kMaxUnflushedMinutes = 16 * 1024;
// Warm-up reads at most kMaxWarmupSpan back, in time order: one slot per minute of it (and a
// few for lines stamped ahead of the clock) holds it without evicting.
constexpr std::size_t kWarmupMinuteSlots =
    std::chrono::duration_cast<std::chrono::minutes>(kMaxWarmupSpan).count() + 4;
// "Lines not counted per minute" is logged at most this often.
constexpr Millis kMinuteDropLogInterval{std::chrono::hours(1)};

int eventRank(std::string_view event) { return event == "resolved" ? 2 : 1; }

std::size_t statusClass(uint16_t status) {
  return status >= 100 && status < 600 ? status / 100 : 0;
}

// The longest span any rule looks back over, capped: what warm-up reads.
Millis warmupSpan(const std::vector<RuleConfig>& rules) {
  Millis span{0};
  for (const auto& r : rules) {
    switch (r.kind) {
      case RuleKind::kRatio:
      case RuleKind::kErrorLog:
        span = std::max(span, r.window);
        break;
      case RuleKind::kConsecutive:
        span = std::max({span, r.window, r.within});
        break;
      case RuleKind::kBurnRate:
        for (const auto& w : r.burn_windows) span = std::max(span, w.long_window);
        if (r.burn_windows.empty()) span = std::max<Millis>(span, std::chrono::hours(6));
        break;
      case RuleKind::kSilence:
        span = std::max(span, 2 * r.after);
        break;
    }
  }
  return std::min(span, kMaxWarmupSpan);
}

TimeZone zoneOf(const SourceConfig& source) {
  if (source.timezone.empty()) return TimeZone::local();
  auto zone = TimeZone::load(source.timezone);
  return zone ? zone.value() : TimeZone::local();  // the loader validated it
}

}  // namespace

std::string ReloadReport::summary() const {
  auto list = [](const char* what, const std::vector<std::string>& names) {
    std::string out;
    if (names.empty()) return out;
    out = std::string(what) + " ";
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
    return out + "; ";
  };
  std::string out = list("sources kept:", sources_kept) + list("added:", sources_added) +
                    list("removed:", sources_removed) + list("rules kept:", rules_kept) +
                    list("new or changed:", rules_added) + list("removed:", rules_removed);
  if (context_changed) out += "context settings changed; ";
  if (out.size() >= 2) out.resize(out.size() - 2);
  return out;
}

struct Pipeline::Impl final : LineConsumer {
  struct Source {
    SourceConfig config;
    std::unique_ptr<AccessParser> access;
    std::unique_ptr<ErrorLineParser> error;
    SourceStatus status;
    Timestamp last_malformed_log{};
    uint64_t malformed_unlogged = 0;
  };
  struct RuleRun {
    RuleConfig config;
    std::unique_ptr<Detector> detector;
  };

  asio::io_context& io;
  Config config;
  Database& db;
  const Clock& clock;
  PipelineOptions options;
  AlertHandler on_alert;

  std::vector<std::string> source_names;
  std::vector<Source> sources;
  std::vector<RuleRun> rules;
  std::unique_ptr<AlertComposer> composer;
  std::optional<CheckpointStore> checkpoints;
  std::unique_ptr<TailService> tail;
  std::vector<TailSourceOf> origin;
  asio::steady_timer ticker;
  Timestamp started_at{};
  bool warming = false;
  bool publish_due = false;  // an alert went out: /metrics shows it without waiting for the tick
  bool stopped = false;
  std::map<std::pair<std::string, std::string>, uint64_t> alerts_total;
  uint64_t reloads = 0, reload_failures = 0;
  uint64_t skew_clamped = 0;
  Timestamp last_skew_warning{};

  // Per-minute traffic (store/minute_store.h): counted live here, warm-up lines apart.
  MinuteCounters minutes{0};
  std::unique_ptr<MinuteCounters> warmup_minutes;  // only while warming
  MinuteStore minute_store;
  std::vector<MinuteDelta> minute_deltas;       // drain scratch, capacity reused
  std::vector<SourceMinutes> minute_unflushed;  // named deltas not yet written
  uint64_t ticks = 0;
  std::optional<std::chrono::steady_clock::time_point> last_minute_prune;
  // Lines not counted per minute by counters no longer in use (warm-up's, those a reload
  // replaced) and in rows dropped from minute_unflushed; `minutes` counts its own.
  uint64_t minute_lines_dropped = 0;
  uint64_t minute_drops_logged = 0;
  Timestamp last_minute_drop_log{};
  bool minute_flush_failing = false;

  // Scratch reused for every line: parsing allocates nothing.
  AccessRecord record;
  ErrorRecord error_record;
  ParseFailure failure;

  // Rate over kRateSpan: (steady time, lines parsed so far) samples.
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> rate_samples;

  mutable std::mutex published_mutex;
  std::shared_ptr<const StatusSnapshot> published;
  std::vector<SinkStatus> delivery_sinks;
  uint64_t outbox_pending = 0;

  Impl(asio::io_context& io_context, Config c, Database& database, const Clock& cl,
       PipelineOptions opts, AlertHandler handler)
      : io(io_context),
        config(std::move(c)),
        db(database),
        clock(cl),
        options(std::move(opts)),
        on_alert(std::move(handler)),
        ticker(io_context),
        minute_store(database) {
    if (config.rules.empty()) config.rules = defaultRules();
  }

  // --- building

  Result<void> buildSources() {
    sources.clear();
    source_names.clear();
    for (const auto& sc : config.sources) {
      Source source;
      source.config = sc;
      auto formats = compileFormats(sc.formats);
      if (!formats) return Error{"source " + sc.name + ": " + formats.error().message};
      source.access = std::make_unique<AccessParser>(std::move(formats).value());
      source.error = std::make_unique<ErrorLineParser>(zoneOf(sc));
      source.status.name = sc.name;
      source_names.push_back(sc.name);
      sources.push_back(std::move(source));
    }
    minute_lines_dropped += minutes.linesDropped();  // the replaced counters' share
    minutes = MinuteCounters(sources.size());
    return {};
  }

  std::unique_ptr<Detector> detectorFor(const RuleConfig& rule) const {
    return std::make_unique<Detector>(std::vector<RuleConfig>{rule}, source_names,
                                      DetectorOptions{.max_skew = kLiveMaxSkew});
  }

  Result<void> buildComposer() {
    auto redactor = Redactor::create(config.context);
    if (!redactor) return redactor.error();
    composer =
        std::make_unique<AlertComposer>(ComposerOptions{.source_names = source_names,
                                                        .context = config.context,
                                                        .hostname = options.hostname,
                                                        .display_zone = options.display_zone},
                                        std::move(redactor).value());
    return {};
  }

  void buildTail() {
    origin.clear();
    tail = std::make_unique<TailService>(io, config.tail, tailSourcesFrom(config.sources, &origin),
                                         checkpoints ? &*checkpoints : nullptr, *this, clock);
  }

  // --- lines

  void onLine(const Line& line) override {
    const TailSourceOf& from = origin[line.source];
    consume(from.config_index, from.error_log, line.text, clock.now());
  }

  void onBatchEnd() override {
    if (minutes.flushDue()) flushMinutes();
    drainEvents();
    if (std::exchange(publish_due, false)) publish();
  }

  // One line of a source's access or error log; `now` is the detector's clock (log time in
  // warm-up).
  void consume(std::size_t index, bool error_log, std::string_view text, Timestamp now) {
    Source& source = sources[index];
    if (error_log) {
      if (!source.error->parse(text, error_record, failure)) return;
      ++source.status.error_lines;
      for (auto& rule : rules) rule.detector->observeError(index, error_record, now);
      composer->rememberError(index, text, error_record);
      return;
    }
    if (!source.access->parse(text, record, failure)) {
      ++source.status.lines_malformed;
      noteMalformed(source);
      return;
    }
    ++source.status.lines_parsed;
    ++source.status.requests_by_class[statusClass(record.status)];
    // By the line's own time: the chart shows when requests happened, not when they were read.
    const Timestamp at = record.has_time ? record.time : now;
    (warming && warmup_minutes ? *warmup_minutes : minutes).count(index, at, record.status);
    if (!warming) {
      source.status.last_line_at = now;
      if (record.has_time) {
        source.status.last_record_at = record.time;
        if (record.time - now > kLiveMaxSkew || now - record.time > kLiveMaxSkew)
          noteSkew(source, record.time, now);
      }
    }
    for (auto& rule : rules) rule.detector->observe(index, record, now);
    composer->rememberAccess(index, text, record);
  }

  // product.md, Time: a line stamped more than 60 s off the clock counts at the clock's time
  // (the detector does that); one warning a day says what is likely wrong.
  void noteSkew(const Source& source, Timestamp line_time, Timestamp now) {
    ++skew_clamped;
    if (now - last_skew_warning < std::chrono::hours(24)) return;
    last_skew_warning = now;
    const auto off = std::chrono::duration_cast<std::chrono::seconds>(line_time - now);
    spdlog::warn(
        "source {}: a line is stamped {}s {} the clock; it is counted at the clock's "
        "time. Likely causes: access_log buffering (buffer=/flush=), a wrong timezone, "
        "or a skewed clock (this warning repeats at most once a day)",
        source.config.name, std::abs(off.count()), off.count() > 0 ? "ahead of" : "behind");
  }

  void noteMalformed(Source& source) {
    const Timestamp now = clock.now();
    if (now - source.last_malformed_log < kMalformedLogInterval) {
      ++source.malformed_unlogged;
      return;
    }
    source.last_malformed_log = now;
    spdlog::warn(
        "source {}: a line does not match its format ({}){}; check `format:` against "
        "the log_format in nginx.conf (`gatewatch scan --format ...` shows every reason)",
        source.config.name, describe(failure),
        source.malformed_unlogged
            ? fmt::format(" — and {} more since the last message", source.malformed_unlogged)
            : "");
    source.malformed_unlogged = 0;
  }

  // --- events

  void drainEvents() {
    for (auto& rule : rules) {
      for (IncidentEvent& event : rule.detector->takeEvents()) handle(event);
    }
  }

  // In warm-up, events history already holds (the same incident at the same or a later state)
  // were sent before the restart: they are not sent again.
  bool alreadySent(const IncidentEvent& event) {
    if (event.kind == EventKind::kReminder) return true;
    auto history = HistoryStore::open(db);
    if (!history) return false;
    auto found = history->incident(event.incident_id);
    if (!found || !*found) return false;
    return eventRank((*found)->incident.last_event) >= eventRank(toString(event.kind));
  }

  void handle(const IncidentEvent& event) {
    if (warming && alreadySent(event)) return;
    const Alert alert = composer->compose(event);
    ++alerts_total[{event.rule, toString(event.kind)}];
    spdlog::log(event.kind == EventKind::kResolved ? spdlog::level::info : spdlog::level::warn,
                "{} {} ({}): {}", event.rule, toString(event.kind), event.incident_id,
                alert.summary);
    on_alert(alert);
    publish_due = true;
  }

  // --- start: warm-up, restore, follow

  void warmUp() {
    const Millis span = warmupSpan(config.rules);
    struct Stream {
      std::size_t source;
      bool error_log;
      std::unique_ptr<WarmupReader> reader;
    };
    std::vector<Stream> streams;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      const SourceConfig& sc = sources[i].config;
      for (bool error_log : {false, true}) {
        const std::string& path = error_log ? sc.error_log : sc.access_log;
        if (path.empty() || path.find_first_of("*?[") != std::string::npos) continue;
        std::vector<Checkpoint> cps;
        if (checkpoints) {
          auto loaded = checkpoints->load(sc.name + (error_log ? "/error_log" : "/access_log"));
          if (loaded) cps = std::move(loaded).value();
        }
        for (const WarmupRange& range : warmupRanges(path, sc.start_at, cps, kMaxWarmupBytes)) {
          auto reader = std::make_unique<WarmupReader>(range);
          if (reader->ok()) streams.push_back({i, error_log, std::move(reader)});
        }
      }
    }
    if (streams.empty()) return;

    // Lines are fed in time order across the logs (the detector's time never goes back), only
    // those within `span` of the newest: a first pass finds the newest time of each stream's
    // range cheaply enough — ranges are bounded by kMaxWarmupBytes.
    struct Head {
      Timestamp time;
      std::size_t stream;
      std::string line;
      bool operator>(const Head& other) const { return time > other.time; }
    };
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
    auto advance = [&](std::size_t s) {
      std::string_view line;
      while (streams[s].reader->next(line)) {
        Source& source = sources[streams[s].source];
        Timestamp time{};
        if (streams[s].error_log) {
          if (!source.error->parse(line, error_record, failure)) continue;
          time = error_record.time;
        } else {
          if (!source.access->parse(line, record, failure) || !record.has_time) continue;
          time = record.time;
        }
        heads.push({time, s, std::string(line)});
        return;
      }
    };
    for (std::size_t s = 0; s < streams.size(); ++s) advance(s);

    const Timestamp now = clock.now();
    const Timestamp from = now - span;
    warmup_minutes = std::make_unique<MinuteCounters>(sources.size(), kWarmupMinuteSlots);
    warming = true;
    uint64_t fed = 0;
    Timestamp detector_time{};
    while (!heads.empty()) {
      Head head = heads.top();
      heads.pop();
      if (head.time >= from) {
        // Lines stamped in the future (a skewed writer) count at the clock's time.
        detector_time = std::max(detector_time, std::min(head.time, now));
        consume(streams[head.stream].source, streams[head.stream].error_log, head.line,
                detector_time);
        ++fed;
        if (fed % 4096 == 0) drainEvents();
      }
      advance(head.stream);
    }
    drainEvents();
    warming = false;
    fillMinutesFromWarmup();
    for (auto& source : sources) {
      // Warm-up lines are not news: the live counters start from zero.
      source.status.lines_parsed = source.status.lines_malformed = source.status.error_lines = 0;
      source.status.requests_by_class = {};
    }
    spdlog::info("warm-up: {} lines of the last {} read again to fill the windows", fed,
                 formatDuration(span));
  }

  // Warm-up lines were counted before the restart when their minute has a row: only minutes
  // without one are filled (a restart never counts a line twice). Written before the tail
  // starts, so the live deltas of the same minutes add to these rows.
  void fillMinutesFromWarmup() {
    if (!warmup_minutes) return;
    warmup_minutes->drain(minute_deltas);
    minute_lines_dropped += warmup_minutes->linesDropped();
    warmup_minutes.reset();
    noteMinuteDrops();
    std::vector<SourceMinutes> rows;
    rows.reserve(minute_deltas.size());
    for (const MinuteDelta& d : minute_deltas) rows.push_back({source_names[d.source], d.counts});
    if (auto r = minute_store.fillMissing(rows); !r) {
      spdlog::warn("minutes: the per-minute counts read back at start could not be written: {}",
                   r.error().message);
    }
  }

  // Writes the deltas counted since the last flush (one transaction). A failed write keeps
  // them for the next flush, bounded by kMaxUnflushedMinutes.
  void flushMinutes() {
    minutes.drain(minute_deltas);
    for (const MinuteDelta& d : minute_deltas)
      minute_unflushed.push_back({source_names[d.source], d.counts});
    noteMinuteDrops();
    if (minute_unflushed.empty()) return;
    auto written = minute_store.add(minute_unflushed);
    if (written) {
      minute_unflushed.clear();
      if (std::exchange(minute_flush_failing, false))
        spdlog::info("minutes: per-minute counters are written again");
      return;
    }
    if (minute_unflushed.size() > kMaxUnflushedMinutes) {
      const std::size_t excess = minute_unflushed.size() - kMaxUnflushedMinutes;
      for (std::size_t i = 0; i < excess; ++i)
        minute_lines_dropped += minute_unflushed[i].counts.requests;
      minute_unflushed.erase(minute_unflushed.begin(),
                             minute_unflushed.begin() + static_cast<std::ptrdiff_t>(excess));
    }
    if (!std::exchange(minute_flush_failing, true)) {
      spdlog::warn(
          "minutes: writing the per-minute counters to {} failed: {} ({}); they are kept and "
          "written with the next flush (check free space and the database's permissions)",
          db.path(), written.error().message, toString(db.lastErrorKind()));
    }
  }

  // Lines not counted per minute (their times spread over more minutes than the counters
  // hold, or writes failing for long): logged at most hourly, with the total.
  void noteMinuteDrops() {
    const uint64_t total = minute_lines_dropped + minutes.linesDropped();
    if (total <= minute_drops_logged) return;
    const Timestamp now = clock.now();
    if (minute_drops_logged != 0 && now - last_minute_drop_log < kMinuteDropLogInterval) return;
    spdlog::warn(
        "minutes: {} lines so far were not counted in the per-minute counters (lines stamped "
        "over too many different minutes at once, or the database refused writes for long); "
        "the history page's charts undercount",
        total);
    minute_drops_logged = total;
    last_minute_drop_log = now;
  }

  // On every tick: the current minute of each followed source gets its row (zero when quiet),
  // the counters are flushed every kMinuteFlushTicks, old minutes pruned hourly.
  void tickMinutes(Timestamp now) {
    if (tail) {
      for (std::size_t i = 0; i < sources.size(); ++i) {
        if (!sources[i].status.unreadable_since) minutes.touch(i, now);
      }
    }
    if (++ticks % kMinuteFlushTicks == 0) flushMinutes();
    const auto steady = clock.steadyNow();
    if (!last_minute_prune || steady - *last_minute_prune >= kMinutePruneInterval) {
      last_minute_prune = steady;
      auto pruned = minute_store.pruneBefore(now - config.minutes_retention);
      if (!pruned) {
        spdlog::warn("minutes: pruning per-minute counters older than {} failed: {}",
                     formatDuration(config.minutes_retention), pruned.error().message);
      } else if (*pruned > 0) {
        spdlog::info("minutes: {} per-minute rows older than {} deleted", *pruned,
                     formatDuration(config.minutes_retention));
      }
    }
  }

  void restoreOpenIncidents() {
    auto history = HistoryStore::open(db);
    if (!history) return;
    auto open = history->openIncidents();
    if (!open) {
      spdlog::warn("history: open incidents could not be read: {}", open.error().message);
      return;
    }
    std::set<std::string> live;
    for (const auto& rule : rules)
      for (const auto& e : rule.detector->openIncidents()) live.insert(e.incident_id);
    const Timestamp now = clock.now();
    std::size_t restored = 0;
    for (const auto& row : *open) {
      if (row.test || live.count(row.id)) continue;
      auto alert = alertFromStoredJson(row.alert_json);
      if (!alert) continue;
      for (auto& rule : rules) {
        if (rule.config.name != row.rule) continue;
        if (rule.detector->restoreIncident(alert->event, now)) ++restored;
      }
    }
    if (restored) spdlog::info("restored {} open incidents from before the restart", restored);
  }

  Result<void> start(std::function<void()> on_ready) {
    started_at = clock.now();
    auto cps = CheckpointStore::create(db);
    if (cps) {
      checkpoints.emplace(std::move(cps).value());
    } else {
      spdlog::error("checkpoints unavailable ({}): every start reads per start_at",
                    cps.error().message);
    }
    if (auto built = buildSources(); !built) return built;
    for (const auto& rule : config.rules) rules.push_back({rule, detectorFor(rule)});
    if (auto built = buildComposer(); !built) return built;
    // Restored first: the warm-up then continues those incidents instead of opening new ones.
    restoreOpenIncidents();
    warmUp();
    buildTail();
    tail->start();
    publish();
    armTicker();
    if (on_ready) on_ready();
    return {};
  }

  void armTicker() {
    ticker.expires_after(options.tick);
    ticker.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped) return;
      const Timestamp now = clock.now();
      for (auto& rule : rules) rule.detector->tick(now);
      drainEvents();
      tickMinutes(now);
      publish();
      armTicker();
    });
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    ticker.cancel();
    if (tail) tail->stop();
    // After the tail's last batch: every line read is in the counters written, and the last
    // snapshot agrees with the checkpoints just committed.
    flushMinutes();
    publish();
  }

  // --- reload

  ReloadReport reload(const Config& next_in) {
    Config next = next_in;
    if (next.rules.empty()) next.rules = defaultRules();
    ReloadReport report;
    for (const auto& s : next.sources) {
      auto it = std::find_if(config.sources.begin(), config.sources.end(),
                             [&](const SourceConfig& o) { return o.name == s.name; });
      (it == config.sources.end() ? report.sources_added
                                  : (*it == s ? report.sources_kept : report.sources_added))
          .push_back(s.name);
    }
    for (const auto& s : config.sources) {
      auto it = std::find_if(next.sources.begin(), next.sources.end(),
                             [&](const SourceConfig& o) { return o.name == s.name; });
      if (it == next.sources.end() || !(*it == s)) report.sources_removed.push_back(s.name);
    }
    const bool sources_changed = next.sources != config.sources;
    const bool tail_changed = sources_changed || !(next.tail == config.tail);
    report.context_changed = !(next.context == config.context);

    // Stop following first: the checkpoints of everything read are committed, so new followers
    // resume exactly there.
    if (tail_changed && tail) {
      tail->stop();
      tail.reset();
    }
    std::vector<RuleRun> kept;
    std::vector<std::pair<std::size_t, std::vector<IncidentEvent>>> carried;  // kept index → open
    for (const auto& rule : next.rules) {
      auto it = std::find_if(rules.begin(), rules.end(),
                             [&](const RuleRun& r) { return r.config == rule; });
      if (it != rules.end() && !sources_changed) {
        kept.push_back(std::move(*it));
        rules.erase(it);
        report.rules_kept.push_back(rule.name);
      } else if (it != rules.end()) {
        // The detector is keyed by source index, which a new source list changes: an unchanged
        // rule gets a fresh detector (built below, with the new sources), and its open incidents
        // carry over (same id, peak and reminder schedule) so that failures going on do not
        // fire a second time. Its windows start empty.
        carried.emplace_back(kept.size(), it->detector->openIncidents());
        kept.push_back({rule, nullptr});
        rules.erase(it);
        report.rules_kept.push_back(rule.name);
      } else {
        report.rules_added.push_back(rule.name);
        kept.push_back({rule, nullptr});
      }
    }
    for (const auto& gone : rules) {
      const bool renamed_or_changed =
          std::any_of(next.rules.begin(), next.rules.end(),
                      [&](const RuleConfig& r) { return r.name == gone.config.name; });
      if (!renamed_or_changed) report.rules_removed.push_back(gone.config.name);
    }
    // Source indexes change with the list: the counts so far are written under the old names
    // (kept sources continue in the same rows; removed ones keep their history until pruned).
    if (sources_changed) flushMinutes();
    std::vector<Source> old_sources = std::move(sources);
    config = std::move(next);
    if (sources_changed) {
      if (auto built = buildSources(); !built) {
        spdlog::error("reload: {}", built.error().message);  // validated before: not expected
      }
      // An unchanged source keeps its figures (lines, classes, readability) across the reload.
      for (Source& source : sources) {
        for (Source& old : old_sources) {
          if (old.config == source.config) {
            source.status = std::move(old.status);
            source.last_malformed_log = old.last_malformed_log;
            source.malformed_unlogged = old.malformed_unlogged;
            break;
          }
        }
      }
    } else {
      sources = std::move(old_sources);
      for (std::size_t i = 0; i < sources.size(); ++i) sources[i].config = config.sources[i];
    }
    rules = std::move(kept);
    for (auto& rule : rules)
      if (!rule.detector) rule.detector = detectorFor(rule.config);
    for (const auto& [index, open] : carried) {
      for (const auto& event : open) {
        if (!rules[index].detector->restoreIncident(event, clock.now())) {
          spdlog::warn(
              "reload: incident {} of rule {} is no longer followed: its source left "
              "the config",
              event.incident_id, rules[index].config.name);
        }
      }
    }
    if (sources_changed || report.context_changed) {
      if (auto built = buildComposer(); !built) spdlog::error("reload: {}", built.error().message);
    }
    if (tail_changed) {
      buildTail();
      tail->start();
    }
    ++reloads;
    publish();
    return report;
  }

  // --- status

  void publish() {
    auto snap = std::make_shared<StatusSnapshot>();
    snap->taken_at = clock.now();
    snap->started_at = started_at;
    snap->version = options.version;
    snap->hostname = options.hostname;
    snap->config_path = config.path;
    snap->config_reloads = reloads;
    snap->config_reload_failures = reload_failures;
    uint64_t lines = 0;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      SourceStatus status = sources[i].status;
      lines += status.lines_parsed + status.lines_malformed;
      snap->sources.push_back(std::move(status));
    }
    if (tail) {
      for (std::size_t t = 0; t < origin.size() && t < tail->sourceCount(); ++t) {
        SourceStatus& status = snap->sources[origin[t].config_index];
        const Follower& follower = tail->follower(t);
        if (!origin[t].error_log) {
          status.rotations = follower.counters().rotations;
          const bool readable = follower.openFiles() > 0;
          auto& kept = sources[origin[t].config_index].status;
          if (!readable && !kept.unreadable_since) kept.unreadable_since = snap->taken_at;
          if (readable) kept.unreadable_since.reset();
          status.readable = readable;
          status.unreadable_since = kept.unreadable_since;
          if (!readable) {
            status.problem =
                follower.counters().error(TailErrorKind::kPermission)
                    ? "permission denied: the service user cannot read " + follower.source().path
                    : "no file at " + follower.source().path + " yet";
          }
        }
      }
      for (const auto& lag : tail->lag()) {
        const std::size_t index = origin[lag.source].config_index;
        snap->paths.push_back({source_names[index], lag.path, lag.lag_bytes});
      }
      snap->checkpoints_failing = tail->counters().error(TailErrorKind::kCheckpoint) > 0 &&
                                  checkpoints && checkpoints->staged() > 0;
    }
    for (const auto& rule : rules) {
      for (const auto& e : rule.detector->openIncidents())
        snap->open_incidents.push_back(
            {e.incident_id, e.rule, e.source, e.group, e.started_at, e.fired_at});
      snap->detector_groups += rule.detector->groupCount();
      snap->groups_evicted += rule.detector->counters().groups_evicted;
    }
    snap->skew_clamped = skew_clamped;
    snap->alerts = alerts_total;

    const auto steady = clock.steadyNow();
    rate_samples.emplace_back(steady, lines);
    while (rate_samples.size() > 2 && steady - rate_samples.front().first > kRateSpan)
      rate_samples.pop_front();
    const auto span = std::chrono::duration<double>(steady - rate_samples.front().first).count();
    snap->lines_per_second = span > 0 ? double(lines - rate_samples.front().second) / span : 0.0;

    std::lock_guard lock(published_mutex);
    snap->sinks = delivery_sinks;
    snap->outbox_pending = outbox_pending;
    published = std::move(snap);
  }
};

Pipeline::Pipeline(asio::io_context& io, Config config, Database& db, const Clock& clock,
                   PipelineOptions options, AlertHandler on_alert)
    : impl_(std::make_unique<Impl>(io, std::move(config), db, clock, std::move(options),
                                   std::move(on_alert))) {}

Pipeline::~Pipeline() { impl_->stop(); }

Result<void> Pipeline::start(std::function<void()> on_ready) {
  return impl_->start(std::move(on_ready));
}

void Pipeline::stop() { impl_->stop(); }

ReloadReport Pipeline::reload(const Config& next) { return impl_->reload(next); }

void Pipeline::noteReloadFailed() {
  ++impl_->reload_failures;
  impl_->publish();
}

std::shared_ptr<const StatusSnapshot> Pipeline::snapshot() const {
  std::lock_guard lock(impl_->published_mutex);
  return impl_->published;
}

void Pipeline::setDeliveryStatus(std::vector<SinkStatus> sinks, uint64_t outbox_pending) {
  std::lock_guard lock(impl_->published_mutex);
  impl_->delivery_sinks = std::move(sinks);
  impl_->outbox_pending = outbox_pending;
}

}  // namespace gw
