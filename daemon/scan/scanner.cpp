#include "scan/scanner.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <queue>
#include <unordered_map>

#include "common/time_zone.h"
#include "detect/detector.h"
#include "parse/error_line_parser.h"
#include "parse/log_format.h"
#include "scan/line_reader.h"

namespace gw {
namespace {

constexpr std::size_t kMalformedSamples = 5;    // reasons kept per file; the rest are counted
constexpr std::size_t kRecentErrorLines = 256;  // error.log lines kept per source for context
constexpr std::size_t kErrorLineBytes = 2048;   // an error.log line kept for the report is cut here
constexpr Millis kErrorLeadIn{
    std::chrono::seconds(10)};  // error lines shortly before started_at belong to it
constexpr uint64_t kProgressEveryLines = 1 << 16;

int64_t minuteOf(Timestamp t) {
  return std::chrono::floor<std::chrono::minutes>(t).time_since_epoch().count();
}

bool isUpstreamFailure(const AccessRecord& r) {
  return (r.status == 502 || r.status == 503 || r.status == 504) &&
         r.upstream_reach != UpstreamReach::kNotReached;
}

// A request the application answered: what "last good request before it" points at.
bool isGood(const AccessRecord& r) {
  return r.status != 0 && r.status < 500 && r.status != 499 &&
         r.upstream_reach != UpstreamReach::kNotReached;
}

// "driver-insu-prod-access.log.2.gz" -> "driver-insu-prod-access.log": a source name for files
// given without a config.
std::string baseSourceName(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.size() > 3 && name.ends_with(".gz")) name.resize(name.size() - 3);
  const auto dot = name.find_last_of('.');
  if (dot != std::string::npos && dot + 1 < name.size() &&
      std::all_of(name.begin() + long(dot) + 1, name.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    name.resize(dot);
  }
  return name.empty() ? "scan" : name;
}

// Which configured source a file belongs to: its access_log (or error_log) pattern, also with the
// rotation suffixes logrotate adds (.1, .2.gz, -20221116).
std::optional<std::size_t> matchSource(const Config& config, const std::string& path,
                                       bool error_log) {
  for (std::size_t i = 0; i < config.sources.size(); ++i) {
    const std::string& pattern =
        error_log ? config.sources[i].error_log : config.sources[i].access_log;
    if (pattern.empty()) continue;
    if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return i;
    const std::string rotated = pattern + "[.-]*";
    if (fnmatch(rotated.c_str(), path.c_str(), 0) == 0) return i;
  }
  return std::nullopt;
}

// One input file being replayed: its reader, parser and the record at its head.
struct Stream {
  std::unique_ptr<LineReader> reader;
  std::size_t file_index = 0;
  std::size_t source = 0;
  bool error_log = false;
  std::unique_ptr<AccessParser> access_parser;
  const ErrorLineParser* error_parser = nullptr;
  AccessRecord access;
  ErrorRecord error;
  Timestamp head_time{};
  uint64_t sequence = 0;  // keeps the merge stable for equal times
};

struct HeadLater {
  bool operator()(const Stream* a, const Stream* b) const {
    if (a->head_time != b->head_time) return a->head_time > b->head_time;
    return a->sequence > b->sequence;
  }
};

struct RecentErrorLine {
  Timestamp time;
  std::string text;
};

struct SourceState {
  std::deque<RecentErrorLine> recent_errors;
  Timestamp last_good_time{};
  bool has_last_good = false;
  std::string last_good_line;
  bool in_failure_run = false;
  Timestamp run_good_time{};
  bool run_has_good = false;
  std::string run_good_line;
  std::string run_first_failure_line;
  Timestamp run_first_failure_time{};
  Timestamp last_failure_time{};
  MinuteCounts* current_minute = nullptr;
  int64_t current_minute_key = 0;
};

class Replay {
 public:
  Replay(ScanInput& input, ScanResult& result) : input_(input), result_(result) {}

  Result<void> run(const std::vector<std::string>& access, const std::vector<std::string>& errors,
                   const Scanner::ProgressFn& progress);

 private:
  Result<void> openStreams(const std::vector<std::string>& paths, bool error_log);
  bool advance(Stream& s);
  void onAccess(Stream& s);
  void onError(Stream& s);
  void drainEvents();
  void noteTime(Timestamp t, int16_t offset);

  ScanInput& input_;
  ScanResult& result_;
  std::vector<std::string> source_names_;
  std::vector<SourceState> sources_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<std::unique_ptr<ErrorLineParser>> error_parsers_;  // one per source
  std::unique_ptr<Detector> detector_;
  std::vector<RuleConfig> rules_;
  std::unordered_map<std::string, std::size_t> open_incidents_;  // incident id -> report index
  Timestamp now_{};
  bool has_now_ = false;
  Timestamp last_tick_{};
  uint64_t sequence_ = 0;
};

Result<void> Replay::openStreams(const std::vector<std::string>& paths, bool error_log) {
  for (const std::string& path : paths) {
    auto reader = LineReader::open(path);
    if (!reader) return reader.error();
    auto stream = std::make_unique<Stream>();
    stream->reader = std::move(reader).value();
    stream->error_log = error_log;
    stream->file_index = result_.files.size();
    const auto matched = matchSource(input_.config, path, error_log);
    if (matched) {
      stream->source = *matched;
    } else if (!input_.config.sources.empty() && input_.config.sources.size() == 1) {
      stream->source = 0;  // one source configured: every file given is its
    } else {
      const std::string name = baseSourceName(path);
      auto it = std::find(source_names_.begin(), source_names_.end(), name);
      if (error_log && it == source_names_.end() && !source_names_.empty()) {
        it =
            source_names_.begin();  // an error log given with --error-log goes with the access logs
      }
      stream->source = std::size_t(it - source_names_.begin());
      if (it == source_names_.end()) source_names_.push_back(name);
    }
    FileSummary summary;
    summary.path = path;
    summary.error_log = error_log;
    result_.files.push_back(std::move(summary));
    streams_.push_back(std::move(stream));
  }
  return {};
}

bool Replay::advance(Stream& s) {
  FileSummary& file = result_.files[s.file_index];
  std::string_view line;
  ParseFailure failure;
  while (s.reader->next(line)) {
    ++file.lines;
    ++result_.lines;
    result_.bytes += line.size() + 1;
    if (line.empty()) {
      ++file.malformed;
      if (file.malformed_samples.size() < kMalformedSamples) {
        file.malformed_samples.push_back({s.reader->lineNumber(), "empty line"});
      }
      continue;
    }
    bool ok = false;
    if (s.error_log) {
      ok = s.error_parser->parse(line, s.error, failure);
      if (ok) s.head_time = s.error.time;
    } else {
      ok = s.access_parser->parse(line, s.access, failure) && s.access.has_time;
      if (ok) s.head_time = s.access.time;
      if (!ok && failure.field[0] == '\0') {
        failure.field = "time";
        failure.expected = "a format with $time_local, $time_iso8601 or $msec";
      }
    }
    if (!ok) {
      ++file.malformed;
      if (file.malformed_samples.size() < kMalformedSamples) {
        file.malformed_samples.push_back({s.reader->lineNumber(), describe(failure)});
      }
      continue;
    }
    ++file.parsed;
    const int16_t offset = s.error_log ? s.error.utc_offset_minutes : s.access.utc_offset_minutes;
    if (!file.first_time || s.head_time < *file.first_time) file.first_time = s.head_time;
    if (!file.last_time || s.head_time > *file.last_time) file.last_time = s.head_time;
    file.utc_offset_minutes = offset;
    s.sequence = sequence_++;
    return true;
  }
  file.cut = s.reader->linesCut();
  if (!s.reader->error().empty()) file.error = s.reader->error();
  return false;
}

void Replay::noteTime(Timestamp t, int16_t offset) {
  if (!result_.first_time) {
    result_.first_time = t;
    result_.utc_offset_minutes = offset;
  }
  if (!result_.first_time || t < *result_.first_time) result_.first_time = t;
  if (!result_.last_time || t > *result_.last_time) result_.last_time = t;
  if (!has_now_ || t > now_) {
    now_ = t;
    has_now_ = true;
  }
}

void Replay::onAccess(Stream& s) {
  const AccessRecord& r = s.access;
  ++result_.parsed;
  noteTime(r.time, r.utc_offset_minutes);
  SourceState& src = sources_[s.source];

  // The per-minute picture.
  const int64_t minute = minuteOf(r.time);
  if (src.current_minute == nullptr || src.current_minute_key != minute) {
    SourceTimeline& timeline = result_.timelines[s.source];
    timeline.utc_offset_minutes = r.utc_offset_minutes;
    src.current_minute = &timeline.minutes[minute];  // std::map: the pointer stays valid
    src.current_minute_key = minute;
  }
  MinuteCounts& counts = *src.current_minute;
  const bool failure = isUpstreamFailure(r);
  if (r.upstream_reach == UpstreamReach::kNotReached) {
    ++counts.not_reached;
  } else {
    ++counts.requests;
    if (failure)
      ++counts.upstream_failures;
    else if (r.status >= 500)
      ++counts.other_5xx;
  }

  // The last good request before a run of failures: what the incident report could not find.
  if (isGood(r)) {
    src.last_good_time = r.time;
    src.last_good_line.assign(r.line);
    src.has_last_good = true;
    src.in_failure_run = false;
  } else if (failure) {
    if (!src.in_failure_run) {
      src.in_failure_run = true;
      src.run_has_good = src.has_last_good;
      src.run_good_time = src.last_good_time;
      src.run_good_line = src.last_good_line;
      src.run_first_failure_line.assign(r.line);
      src.run_first_failure_time = r.time;
    }
    src.last_failure_time = r.time;
    for (auto& [id, index] : open_incidents_) {
      IncidentReport& report = result_.incidents[index];
      if (report.fired.source == source_names_[s.source]) report.last_failure_at = r.time;
    }
  }

  detector_->observe(s.source, r, now_);
  drainEvents();
}

void Replay::onError(Stream& s) {
  const ErrorRecord& r = s.error;
  ++result_.parsed;
  noteTime(r.time, r.utc_offset_minutes);
  SourceState& src = sources_[s.source];
  std::string_view text = r.line.substr(0, kErrorLineBytes);
  src.recent_errors.push_back({r.time, std::string(text)});
  if (src.recent_errors.size() > kRecentErrorLines) src.recent_errors.pop_front();
  for (auto& [id, index] : open_incidents_) {
    IncidentReport& report = result_.incidents[index];
    if (report.fired.source != source_names_[s.source]) continue;
    if (report.error_lines.size() < input_.config.context.error_lines) {
      report.error_lines.emplace_back(text);
    } else {
      ++report.error_lines_dropped;
    }
  }
  detector_->observeError(s.source, r, now_);
  drainEvents();
}

void Replay::drainEvents() {
  for (IncidentEvent& event : detector_->takeEvents()) {
    const auto src_it = std::find(source_names_.begin(), source_names_.end(), event.source);
    SourceState* src = src_it == source_names_.end()
                           ? nullptr
                           : &sources_[std::size_t(src_it - source_names_.begin())];
    switch (event.kind) {
      case EventKind::kFiring: {
        IncidentReport report;
        if (src != nullptr) {
          if (src->in_failure_run && src->run_has_good && src->run_good_time <= event.started_at) {
            report.last_good_before = src->run_good_time;
            report.last_good_line = src->run_good_line;
          } else if (src->has_last_good && src->last_good_time <= event.started_at) {
            report.last_good_before = src->last_good_time;
            report.last_good_line = src->last_good_line;
          }
          if (src->in_failure_run) report.last_failure_at = src->last_failure_time;
          // The line is shown only when it is the incident's first failure: on a busy site the
          // current run of failures began long after started_at.
          if (src->in_failure_run && src->run_first_failure_time == event.started_at) {
            report.first_failure_line = src->run_first_failure_line;
          }
          for (const RecentErrorLine& line : src->recent_errors) {
            if (line.time + kErrorLeadIn < event.started_at) continue;
            if (report.error_lines.size() < input_.config.context.error_lines) {
              report.error_lines.push_back(line.text);
            } else {
              ++report.error_lines_dropped;
            }
          }
        }
        report.fired = std::move(event);
        open_incidents_[report.fired.incident_id] = result_.incidents.size();
        result_.incidents.push_back(std::move(report));
        break;
      }
      case EventKind::kReminder: {
        auto it = open_incidents_.find(event.incident_id);
        if (it != open_incidents_.end()) ++result_.incidents[it->second].reminders;
        break;
      }
      case EventKind::kResolved: {
        auto it = open_incidents_.find(event.incident_id);
        if (it == open_incidents_.end()) break;
        IncidentReport& report = result_.incidents[it->second];
        const bool partial = report.fired.stats.errors < report.fired.stats.requests;
        for (const RuleConfig& rule : rules_) {
          if (partial && rule.name == event.rule && event.resolved_at) {
            report.back_to_normal_at =
                std::max(report.fired.started_at, *event.resolved_at - rule.resolve_after);
          }
        }
        report.resolved = std::move(event);
        open_incidents_.erase(it);
        break;
      }
    }
  }
}

Result<void> Replay::run(const std::vector<std::string>& access,
                         const std::vector<std::string>& errors,
                         const Scanner::ProgressFn& progress) {
  for (const SourceConfig& source : input_.config.sources) source_names_.push_back(source.name);
  if (auto r = openStreams(access, false); !r) return r;
  if (auto r = openStreams(errors, true); !r) return r;
  if (source_names_.empty()) source_names_.push_back("scan");
  for (const auto& s : streams_) result_.files[s->file_index].source = source_names_[s->source];

  sources_.resize(source_names_.size());
  result_.timelines.resize(source_names_.size());
  for (std::size_t i = 0; i < source_names_.size(); ++i)
    result_.timelines[i].source = source_names_[i];

  // Parsers: per stream for access logs (a parser keeps scratch space), per source for error logs.
  for (std::size_t i = 0; i < source_names_.size(); ++i) {
    std::string zone_name = input_.timezone;
    if (zone_name.empty() && i < input_.config.sources.size())
      zone_name = input_.config.sources[i].timezone;
    TimeZone zone = TimeZone::local();
    if (!zone_name.empty()) {
      auto loaded = TimeZone::load(zone_name);
      if (!loaded) return loaded.error();
      zone = loaded.value();
    }
    error_parsers_.push_back(std::make_unique<ErrorLineParser>(zone));
  }
  for (auto& s : streams_) {
    if (s->error_log) {
      s->error_parser = error_parsers_[s->source].get();
      continue;
    }
    std::vector<std::string> texts = input_.formats;
    if (texts.empty() && s->source < input_.config.sources.size())
      texts = input_.config.sources[s->source].formats;
    auto formats = compileFormats(texts);
    if (!formats) return formats.error();
    s->access_parser = std::make_unique<AccessParser>(std::move(formats).value());
  }

  rules_ = input_.config.rules.empty() ? defaultRules() : input_.config.rules;
  for (const RuleConfig& rule : rules_) result_.rules.push_back(rule.name);
  detector_ = std::make_unique<Detector>(rules_, source_names_, DetectorOptions{});

  ScanProgress status;
  for (const auto& s : streams_) {
    struct stat st {};
    if (::stat(s->reader->path().c_str(), &st) == 0) status.bytes_total += uint64_t(st.st_size);
  }

  // Merge every file by the time of its head line: rotated files overlap at their edges, and
  // error.log lines interleave with the access lines of the same moments.
  std::priority_queue<Stream*, std::vector<Stream*>, HeadLater> heads;
  for (auto& s : streams_) {
    if (advance(*s)) heads.push(s.get());
  }
  uint64_t since_progress = 0;
  while (!heads.empty()) {
    Stream* s = heads.top();
    heads.pop();
    if (s->error_log)
      onError(*s);
    else
      onAccess(*s);
    if (now_ - last_tick_ >= std::chrono::seconds(1)) {
      detector_->tick(now_);
      last_tick_ = now_;
      drainEvents();
    }
    if (advance(*s)) heads.push(s);
    if (progress && ++since_progress >= kProgressEveryLines) {
      since_progress = 0;
      status.lines = result_.lines;
      status.bytes_done = 0;
      for (const auto& st : streams_) status.bytes_done += st->reader->bytesConsumed();
      progress(status);
    }
  }
  if (has_now_) {
    detector_->tick(now_);
    drainEvents();
  }
  result_.malformed = result_.lines - result_.parsed;

  // Peak minute of each incident, from the per-minute picture.
  for (IncidentReport& report : result_.incidents) {
    const auto src_it = std::find(source_names_.begin(), source_names_.end(), report.fired.source);
    if (src_it == source_names_.end()) continue;
    const auto& minutes = result_.timelines[std::size_t(src_it - source_names_.begin())].minutes;
    const int64_t from = minuteOf(report.fired.started_at);
    const Timestamp end = report.resolved ? *report.resolved->resolved_at : now_;
    const int64_t to = minuteOf(end);
    for (auto it = minutes.lower_bound(from); it != minutes.end() && it->first <= to; ++it) {
      if (it->second.upstream_failures + it->second.other_5xx >
          report.peak.upstream_failures + report.peak.other_5xx) {
        report.peak = it->second;
        report.peak_minute = it->first;
      }
    }
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> expandPaths(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const std::string& pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string::npos) {
      out.push_back(pattern);
      continue;
    }
    glob_t matches{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
    if (rc == GLOB_NOMATCH) {
      globfree(&matches);
      return Error{"no file matches " + pattern};
    }
    if (rc != 0) {
      globfree(&matches);
      return Error{"cannot expand " + pattern + " (glob error " + std::to_string(rc) + ")"};
    }
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) out.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
  }
  // A file named twice (a glob and a path) is read once.
  std::vector<std::string> unique;
  for (std::string& path : out) {
    if (std::find(unique.begin(), unique.end(), path) == unique.end())
      unique.push_back(std::move(path));
  }
  return unique;
}

Scanner::Scanner(ScanInput input) : input_(std::move(input)) {}

Result<ScanResult> Scanner::run(const ProgressFn& progress) {
  std::vector<std::string> access_patterns = input_.access_paths;
  std::vector<std::string> error_patterns = input_.error_paths;
  // With a config and no paths: every source's logs, with their rotated siblings.
  if (access_patterns.empty()) {
    const bool errors_given = !error_patterns.empty();
    for (const SourceConfig& source : input_.config.sources) {
      access_patterns.push_back(source.access_log + "*");
      if (!source.error_log.empty() && !errors_given)
        error_patterns.push_back(source.error_log + "*");
    }
  }
  if (access_patterns.empty())
    return Error{"nothing to scan: give log files or a config with sources"};
  auto access = expandPaths(access_patterns);
  if (!access) return access.error();
  auto errors = expandPaths(error_patterns);
  if (!errors) return errors.error();

  ScanResult result;
  Replay replay(input_, result);
  if (auto r = replay.run(access.value(), errors.value(), progress); !r) return r.error();
  return result;
}

}  // namespace gw
