#include "deliver/delivery_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "alert/delivery_policy.h"
#include "alert/render.h"
#include "store/history_store.h"
#include "store/outbox_store.h"

namespace gw {
namespace {

namespace asio = boost::asio;
using SteadyTime = std::chrono::steady_clock::time_point;

// The scheduler wakes at least this often even when nothing is due: a wall clock stepped
// forward (NTP, suspend) must not leave a due notification waiting for the old time.
constexpr Millis kMaxSleep{std::chrono::seconds(1)};
// History older than the retention is pruned this often (and at start).
constexpr Millis kPruneInterval{std::chrono::hours(1)};

std::string jsonOfGroup(const IncidentEvent& event) {
  nlohmann::json group = nlohmann::json::object();
  for (const auto& [key, value] : event.group) group[key] = value;
  return group.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

IncidentRow incidentRow(const Alert& alert, Timestamp now) {
  const IncidentEvent& e = alert.event;
  IncidentRow row;
  row.id = e.incident_id;
  row.rule = e.rule;
  row.rule_kind = toString(e.rule_kind);
  row.severity = toString(e.severity);
  row.source = e.source;
  row.group_json = jsonOfGroup(e);
  row.hostname = alert.hostname;
  row.started_at = e.started_at;
  row.fired_at = e.fired_at;
  row.resolved_at = e.resolved_at;
  row.utc_offset_minutes = e.utc_offset_minutes;
  row.last_event = toString(e.kind);
  row.updated_at = now;
  row.peak_requests = e.peak.requests;
  row.peak_errors = e.peak.errors;
  row.peak_ratio = e.peak.ratio();
  row.summary = alert.summary;
  row.alert_json = toStoredJson(alert);
  row.test = alert.test;
  return row;
}

// History's outcome names: the verdict's, except that a permanent refusal reads "failed".
const char* outcomeOf(Verdict verdict) {
  return verdict == Verdict::kPermanent ? "failed" : toString(verdict);
}

}  // namespace

struct DeliveryService::Impl {
  struct SinkState {
    ResolvedSink sink;
    std::optional<TokenBucket> pacing;  // Slack: per webhook URL
    std::optional<int64_t> in_flight;   // the outbox id being sent; kResendId for a re-send
    SinkDeliveryStats stats;
    Timestamp next_resend{};  // Alertmanager: when firing alerts are re-sent next
  };

  // An Alertmanager re-send is not an outbox entry: losing one costs nothing, the next one
  // follows within kAlertmanagerResend.
  static constexpr int64_t kResendId = 0;

  asio::io_context& io;
  Database& db;
  const Clock& clock;
  DeliveryOptions options;
  std::vector<SinkState> sinks;
  std::optional<OutboxStore> outbox;
  std::optional<HistoryStore> history;
  std::map<int64_t, OutboxEntry> pending;  // mirror of the outbox table, by id (oldest first)
  int64_t next_memory_id = -1;          // entries the database refused (disk full) live here, < 0
  std::map<std::string, Alert> firing;  // incident id → latest alert, for Alertmanager re-sends
  std::map<std::string, std::deque<std::string>> resend_queue;  // sink → incident ids to re-send
  asio::steady_timer timer;
  std::mt19937_64 rng;
  Timestamp next_prune{};
  bool stopped = false;
  std::shared_ptr<int> alive = std::make_shared<int>(0);  // answers posted after us are dropped
  std::unique_ptr<HttpClient> client;  // last: destroyed first, its callbacks see `alive` expire

  Impl(asio::io_context& io_context, Database& database, std::vector<ResolvedSink> resolved,
       const Clock& c, DeliveryOptions opts)
      : io(io_context),
        db(database),
        clock(c),
        options(opts),
        timer(io_context),
        rng(opts.jitter_seed ? opts.jitter_seed : std::random_device{}()),
        client(std::make_unique<HttpClient>(opts.http)) {
    for (auto& sink : resolved) {
      SinkState state;
      state.sink = std::move(sink);
      if (state.sink.type == SinkType::kSlack)
        state.pacing.emplace(kSlackMessagesPerSecond, kSlackBurst);
      sinks.push_back(std::move(state));
    }
  }

  SinkState* sinkNamed(std::string_view name) {
    for (auto& s : sinks)
      if (s.sink.name == name) return &s;
    return nullptr;
  }

  std::string newKey(const std::string& incident_id, const char* event) {
    char random[17];
    std::snprintf(random, sizeof random, "%016llx", static_cast<unsigned long long>(rng()));
    return incident_id + "." + event + "." + random;
  }

  Result<void> start() {
    auto out = OutboxStore::open(db);
    if (!out) return out.error();
    outbox.emplace(std::move(*out));
    auto hist = HistoryStore::open(db);
    if (!hist) return hist.error();
    history.emplace(std::move(*hist));

    auto entries = outbox->all();
    if (!entries) return Error{"reading the outbox: " + entries.error().message};
    for (auto& entry : *entries) {
      if (!sinkNamed(entry.sink)) {
        spdlog::warn(
            "outbox: a notification for sink '{}' (incident {}) is kept, but no sink of "
            "that name is configured; it is delivered once the sink is back in the config",
            entry.sink, entry.incident_id);
      }
      pending.emplace(entry.id, std::move(entry));
    }
    if (!pending.empty())
      spdlog::info("outbox: {} notifications from before the restart", pending.size());

    auto open = history->openIncidents();
    if (open) {
      for (const auto& row : *open) {
        auto alert = alertFromStoredJson(row.alert_json);
        if (alert && !alert->test) firing.emplace(row.id, std::move(*alert));
      }
    } else {
      spdlog::warn(
          "history: open incidents could not be read ({}); Alertmanager re-sends start "
          "with the next alert",
          open.error().message);
    }
    prune();
    pump();
    return {};
  }

  void prune() {
    const Timestamp now = clock.now();
    next_prune = now + kPruneInterval;
    auto pruned = history->prune(now - options.history_retention);
    if (!pruned) {
      spdlog::warn("history: pruning failed: {}", pruned.error().message);
    } else if (*pruned > 0) {
      spdlog::info("history: {} incidents older than {} deleted", *pruned,
                   formatDuration(options.history_retention));
    }
  }

  void submit(const Alert& alert) {
    if (stopped) return;
    const Timestamp now = clock.now();
    if (auto recorded = history->recordEvent(incidentRow(alert, now)); !recorded) {
      spdlog::error("history: recording incident {} failed: {}", alert.event.incident_id,
                    recorded.error().message);
    }
    const IncidentEvent& event = alert.event;
    if (event.kind == EventKind::kResolved) {
      firing.erase(event.incident_id);
    } else {
      firing.insert_or_assign(event.incident_id, alert);
    }
    for (auto& state : sinks) {
      const bool wanted = event.sinks.empty() || std::find(event.sinks.begin(), event.sinks.end(),
                                                           state.sink.name) != event.sinks.end();
      if (wanted) enqueue(state, alert, now);
    }
    pump();
  }

  // The newest undelivered entry of this incident for this sink, unless it is being sent now.
  OutboxEntry* mergeTarget(const SinkState& state, const std::string& incident_id) {
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      OutboxEntry& entry = it->second;
      if (entry.sink != state.sink.name || entry.incident_id != incident_id) continue;
      if (state.in_flight == entry.id) return nullptr;
      return &entry;
    }
    return nullptr;
  }

  void enqueue(SinkState& state, const Alert& alert, Timestamp now) {
    const IncidentEvent& event = alert.event;
    if (OutboxEntry* queued = mergeTarget(state, event.incident_id)) {
      auto earlier = alertFromStoredJson(queued->alert_json);
      const Alert merged = earlier ? mergeQueued(*earlier, alert) : alert;
      const char* kind = toString(merged.event.kind);
      const std::string key = newKey(event.incident_id, kind);
      const std::string json = toStoredJson(merged);
      // A sink that asked us to wait (429, backoff) still gets its wait.
      const Timestamp next = std::max(queued->next_attempt_at, now);
      if (queued->id > 0) {
        if (auto replaced = outbox->replace(queued->id, kind, key, json, next); !replaced) {
          spdlog::error("outbox: merging into notification {} failed: {}", queued->id,
                        replaced.error().message);
        }
      }
      queued->event = kind;
      queued->idempotency_key = key;
      queued->alert_json = json;
      queued->attempts = 0;
      queued->last_error.clear();
      queued->next_attempt_at = next;
      return;
    }
    OutboxEntry entry{.sink = state.sink.name,
                      .incident_id = event.incident_id,
                      .event = toString(event.kind),
                      .idempotency_key = newKey(event.incident_id, toString(event.kind)),
                      .alert_json = toStoredJson(alert),
                      .created_at = now,
                      .next_attempt_at = now,
                      .attempts = 0,
                      .last_error = {}};
    if (auto id = outbox->add(entry)) {
      entry.id = *id;
    } else {
      // Deliver anyway; only the guarantee across a restart is lost for this one.
      entry.id = next_memory_id--;
      spdlog::error(
          "outbox: writing the {} notification of incident {} for sink {} failed: {}; "
          "it is sent now but would not survive a restart",
          entry.event, entry.incident_id, entry.sink, id.error().message);
    }
    pending.emplace(entry.id, std::move(entry));
  }

  void forget(int64_t id) {
    if (id > 0) {
      if (auto removed = outbox->remove(id); !removed) {
        spdlog::error("outbox: removing notification {} failed: {}", id, removed.error().message);
      }
    }
    pending.erase(id);
  }

  void recordAttempt(const OutboxEntry& entry, uint32_t attempt, Timestamp at, int status,
                     const Classification& verdict, Millis latency, const char* outcome) {
    DeliveryAttemptRow row{.incident_id = entry.incident_id,
                           .sink = entry.sink,
                           .event = entry.event,
                           .attempt = attempt,
                           .at = at,
                           .http_status = status,
                           .slack_error = verdict.slack_error,
                           .latency_ms = latency.count(),
                           .outcome = outcome,
                           .detail = verdict.reason};
    if (auto recorded = history->recordAttempt(row); !recorded) {
      spdlog::warn("history: recording a delivery attempt failed: {}", recorded.error().message);
    }
  }

  // Gives up on notifications older than their sink's max_age.
  void expire(Timestamp now) {
    std::vector<int64_t> expired;
    for (const auto& [id, entry] : pending) {
      const SinkState* state = sinkNamed(entry.sink);
      if (!state || state->in_flight == id) continue;
      if (now - entry.created_at > state->sink.max_age) expired.push_back(id);
    }
    for (int64_t id : expired) {
      const OutboxEntry entry = pending.at(id);
      SinkState& state = *sinkNamed(entry.sink);
      Classification verdict;
      verdict.verdict = Verdict::kPermanent;
      verdict.reason =
          "given up after " + formatDuration(state.sink.max_age) +
          " (max_age); last error: " + (entry.last_error.empty() ? "none" : entry.last_error);
      recordAttempt(entry, entry.attempts, now, 0, verdict, Millis{0}, "expired");
      ++state.stats.expired;
      state.stats.last_error = verdict.reason;
      state.stats.last_error_at = now;
      spdlog::error("sink {}: the {} alert of incident {} was not delivered: {}", entry.sink,
                    entry.event, entry.incident_id, verdict.reason);
      forget(id);
    }
  }

  // Starts what is due, one request per sink, and sets the timer for what is due next.
  void pump() {
    if (stopped) return;
    const Timestamp now = clock.now();
    const SteadyTime steady_now = clock.steadyNow();
    if (now >= next_prune) prune();
    expire(now);

    Millis sleep = kMaxSleep;
    for (auto& state : sinks) {
      if (state.in_flight) continue;
      const OutboxEntry* due = nullptr;
      for (const auto& [id, entry] : pending) {
        if (entry.sink != state.sink.name) continue;
        if (entry.next_attempt_at <= now) {
          due = &entry;
          break;
        }
        sleep = std::min(sleep, std::chrono::duration_cast<Millis>(entry.next_attempt_at - now));
      }
      if (due && state.pacing && !state.pacing->tryTake(steady_now)) {
        sleep = std::min(
            sleep, std::chrono::ceil<Millis>(state.pacing->nextToken(steady_now) - steady_now));
        continue;
      }
      if (due) {
        send(state, *due, now);
      } else if (state.sink.type == SinkType::kAlertmanager) {
        resendFiring(state, now);
        if (!state.in_flight)
          sleep = std::min(sleep, std::chrono::duration_cast<Millis>(state.next_resend - now));
      }
    }
    timer.expires_after(std::max(sleep, Millis{1}));
    timer.async_wait([this, weak = std::weak_ptr<int>(alive)](const boost::system::error_code& ec) {
      if (!ec && !weak.expired()) pump();
    });
  }

  void send(SinkState& state, const OutboxEntry& entry, Timestamp now) {
    auto alert = alertFromStoredJson(entry.alert_json);
    if (!alert) {
      Classification verdict;
      verdict.verdict = Verdict::kPermanent;
      verdict.reason = "the stored alert cannot be read: " + alert.error().message;
      recordAttempt(entry, entry.attempts + 1, now, 0, verdict, Millis{0}, "failed");
      spdlog::error("outbox: notification {} for sink {} dropped: {}", entry.id, entry.sink,
                    verdict.reason);
      forget(entry.id);
      return;
    }
    state.in_flight = entry.id;
    post(state, renderForSink(state.sink, *alert, entry.idempotency_key, now), entry.id);
  }

  // Alertmanager forgets a firing alert whose endsAt passes: re-send each open one.
  void resendFiring(SinkState& state, Timestamp now) {
    if (now < state.next_resend) return;
    state.next_resend = now + kAlertmanagerResend;
    for (const auto& [id, alert] : firing) {
      const auto& named = alert.event.sinks;
      if (!named.empty() && std::find(named.begin(), named.end(), state.sink.name) == named.end())
        continue;
      resend_queue[state.sink.name].push_back(id);
    }
    // One request in flight per sink: the open incidents go out one after another, each
    // re-send started by the answer to the previous.
    continueResend(state, now);
  }

  void continueResend(SinkState& state, Timestamp now) {
    auto& queue = resend_queue[state.sink.name];
    while (!queue.empty()) {
      const std::string id = queue.front();
      queue.pop_front();
      auto it = firing.find(id);
      if (it == firing.end()) continue;
      state.in_flight = kResendId;
      post(state, renderForSink(state.sink, it->second, newKey(id, "refresh"), now), kResendId);
      return;
    }
    state.in_flight.reset();
  }

  void post(SinkState& state, HttpPost request, int64_t entry_id) {
    const std::size_t index = static_cast<std::size_t>(&state - sinks.data());
    client->post(std::move(request), [this, weak = std::weak_ptr<int>(alive), index,
                                      entry_id](HttpAnswer answer) {
      asio::post(io, [this, weak, index, entry_id, answer = std::move(answer)]() mutable {
        if (weak.expired() || stopped) return;
        onAnswer(sinks[index], entry_id, std::move(answer));
      });
    });
  }

  void onAnswer(SinkState& state, int64_t entry_id, HttpAnswer answer) {
    const Timestamp now = clock.now();
    const Classification verdict = classify(state.sink.type, answer, now);
    if (entry_id == kResendId) {
      if (verdict.verdict != Verdict::kDelivered) {
        state.stats.last_error = verdict.reason;
        state.stats.last_error_at = now;
        spdlog::warn("sink {}: re-sending a firing alert failed: {}", state.sink.name,
                     verdict.reason);
      }
      continueResend(state, now);
      pump();
      return;
    }
    state.in_flight.reset();
    auto it = pending.find(entry_id);
    if (it == pending.end()) {
      pump();
      return;
    }
    OutboxEntry& entry = it->second;
    const uint32_t attempt = entry.attempts + 1;
    recordAttempt(entry, attempt, now, answer.status, verdict, answer.latency,
                  outcomeOf(verdict.verdict));
    switch (verdict.verdict) {
      case Verdict::kDelivered:
        ++state.stats.delivered;
        state.stats.failing = false;
        spdlog::info("sink {}: {} alert of incident {} delivered ({} ms, attempt {})",
                     state.sink.name, entry.event, entry.incident_id, answer.latency.count(),
                     attempt);
        forget(entry_id);
        break;
      case Verdict::kRetry:
      case Verdict::kRateLimited: {
        ++state.stats.retried;
        state.stats.last_error = verdict.reason;
        state.stats.last_error_at = now;
        const Millis wait = verdict.verdict == Verdict::kRateLimited && verdict.wait > Millis{0}
                                ? verdict.wait
                                : backoffDelay(attempt, rng);
        entry.attempts = attempt;
        entry.next_attempt_at = now + wait;
        entry.last_error = verdict.reason;
        if (entry_id > 0) {
          if (auto saved =
                  outbox->recordAttempt(entry_id, attempt, entry.next_attempt_at, verdict.reason);
              !saved) {
            spdlog::warn("outbox: saving attempt {} of notification {} failed: {}", attempt,
                         entry_id, saved.error().message);
          }
        }
        spdlog::warn("sink {}: {} alert of incident {}: {}; attempt {} failed, next in {}",
                     state.sink.name, entry.event, entry.incident_id, verdict.reason, attempt,
                     formatDuration(wait));
        break;
      }
      case Verdict::kPermanent:
        ++state.stats.failed;
        state.stats.failing = true;
        state.stats.last_error = verdict.reason;
        state.stats.last_error_at = now;
        spdlog::error(
            "sink {}: the {} alert of incident {} was refused: {}. It will not be "
            "retried; check the sink's URL and settings with `gatewatch test-alert "
            "--sink {}`",
            state.sink.name, entry.event, entry.incident_id, verdict.reason, state.sink.name);
        forget(entry_id);
        break;
    }
    pump();
  }
};

DeliveryService::DeliveryService(asio::io_context& io, Database& db,
                                 std::vector<ResolvedSink> sinks, const Clock& clock,
                                 DeliveryOptions options)
    : impl_(std::make_unique<Impl>(io, db, std::move(sinks), clock, std::move(options))) {}

DeliveryService::~DeliveryService() { stop(); }

Result<void> DeliveryService::start() { return impl_->start(); }

void DeliveryService::submit(const Alert& alert) { impl_->submit(alert); }

void DeliveryService::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->timer.cancel();
  impl_->client.reset();
}

std::map<std::string, SinkDeliveryStats> DeliveryService::stats() const {
  std::map<std::string, SinkDeliveryStats> out;
  for (const auto& state : impl_->sinks) {
    SinkDeliveryStats& stats = out[state.sink.name] = state.stats;
    stats.in_flight = state.in_flight.has_value();
  }
  for (const auto& [id, entry] : impl_->pending) {
    SinkDeliveryStats& stats = out[entry.sink];
    ++stats.pending;
    if (stats.oldest_pending_at == Timestamp{} || entry.created_at < stats.oldest_pending_at)
      stats.oldest_pending_at = entry.created_at;
  }
  return out;
}

uint64_t DeliveryService::outboxPending() const { return impl_->pending.size(); }

}  // namespace gw
