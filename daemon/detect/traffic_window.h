// TrafficWindow: requests, failures and (optionally) the status breakdown of one group over a
// sliding span, kept as running totals over a BucketRing so that adding a request and reading
// the totals are O(1). It also remembers, per bucket, the time of its earliest failure, which is
// what an incident's started_at is read from.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "common/time.h"
#include "detect/bucket_ring.h"
#include "detect/incident_event.h"

namespace gw {

// Distinct statuses a window keeps apart; the rest are summed under status 0 ("other"). Failures
// have slots of their own, so a busy site's many success statuses (200, 204, 301, 302, 304, 400,
// 403, 404, 499 ...) never crowd its 502s into "other". A slot is reused once its status has
// left the window, so these bound the statuses of one window, not of all time.
constexpr std::size_t kSuccessStatusSlots = 6;
constexpr std::size_t kFailureStatusSlots = 4;  // 500, 502, 503, 504 for an all-5xx rule
constexpr std::size_t kStatusSlots = kSuccessStatusSlots + kFailureStatusSlots;
// Healthy buckets in a row that end a run of elevated ones when finding an incident's onset: a
// moderately busy storm has the odd second without failures, which must not cut the run.
constexpr int kOnsetHealthyBuckets = 2;

// A window's totals at one moment, as plain values: copying one (the incident's peak) allocates
// nothing. Turned into WindowStats only when an event is built.
struct WindowSnapshot {
  struct StatusCount {
    uint16_t status = 0;
    uint64_t count = 0;
  };
  uint64_t requests = 0;
  uint64_t failures = 0;
  std::array<StatusCount, kStatusSlots + 1> statuses{};  // the last one is "other" (status 0)
  WindowStats toStats() const;
  // The reverse, for an incident's peak restored after a restart: exact for what toStats() gave
  // (at most kStatusSlots statuses and "other"); statuses past the slots are summed as "other".
  static WindowSnapshot fromStats(const WindowStats& stats);
};

class TrafficWindow {
 public:
  // keep_statuses: also keep the status breakdown (the window an event reports).
  TrafficWindow(Millis span, bool keep_statuses);

  // Counts one request at `t`. False when `t` is older than the window: nothing counted.
  bool add(Timestamp t, bool failure, uint16_t status);
  // Moves the window to `now`, dropping what left it.
  void advance(Timestamp now);
  void clear();

  // Running totals as of the last add() or advance().
  uint64_t requests() const { return requests_; }
  uint64_t failures() const { return failures_; }
  WindowSnapshot current() const;
  // The totals of the window ending at `now`, without moving it (for const readers).
  WindowSnapshot at(Timestamp now) const;
  // The earliest failure inside the window ending at `now`.
  std::optional<Timestamp> earliestFailure(Timestamp now) const;
  // Where the current run of elevated buckets (failures/requests >= ratio) began: the first
  // failure of that run. A busy site's background failures before it are not its start.
  std::optional<Timestamp> onsetOfFailures(Timestamp now, double ratio) const;

  Millis span() const { return counts_.span(); }

 private:
  struct CountCell {
    static constexpr uint32_t kNoFailure = UINT32_MAX;
    uint32_t requests = 0;
    uint32_t failures = 0;
    uint32_t first_failure_ms = kNoFailure;  // offset of the earliest failure from the bucket start
  };
  using StatusCell = std::array<uint32_t, kStatusSlots + 1>;

  std::size_t slotFor(uint16_t status, bool failure);

  BucketRing<CountCell> counts_;
  std::unique_ptr<BucketRing<StatusCell>> statuses_;  // same geometry as counts_; null if not kept
  std::array<uint16_t, kStatusSlots> slot_status_{};
  std::array<uint64_t, kStatusSlots + 1> slot_total_{};
  uint64_t requests_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace gw
