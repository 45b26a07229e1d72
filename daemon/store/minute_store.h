// MinuteStore: requests and failures per minute for every source, kept in the state database so
// the history page can show the traffic before, during and after an incident. Rows exist for the
// minutes the daemon was following the source (zero-traffic minutes included), so a gap in the
// chart means "not watched", never "no traffic". Pruned after `minutes_retention`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "store/sqlite.h"

namespace gw {

// One source's counts for one minute. `failures` counts 5xx answers (the chart's red line);
// the status classes and the three gateway statuses are kept to show what kind of failure.
struct MinuteCounts {
  Timestamp minute{};  // the minute's first millisecond (UTC)
  uint64_t requests = 0;
  uint64_t failures = 0;
  uint64_t s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0;
  uint64_t s502 = 0, s503 = 0, s504 = 0;
  bool operator==(const MinuteCounts&) const = default;
};

struct SourceMinutes {
  std::string source;
  MinuteCounts counts;
};

// The widest span one read returns (a chart point per minute): 14 days, the default retention.
inline constexpr Millis kMaxMinuteSpan{std::chrono::hours(24 * 14)};

// sources() lists at most this many: names come from the config (and stay until pruned), so
// more than this means something else writes the database.
inline constexpr std::size_t kMaxSourcesListed = 10'000;

struct SourceSummary {
  std::string source;
  Timestamp first_minute{}, last_minute{};
  uint64_t requests_24h = 0, failures_24h = 0;  // in the 24 h before `now` given to sources()
};

class MinuteStore {
 public:
  explicit MinuteStore(Database& db);

  // Adds live counts to what the rows already hold (one transaction for the batch): the daemon
  // flushes the deltas of the current and just-finished minutes every few seconds.
  Result<void> add(std::span<const SourceMinutes> deltas);
  // Counts read back from logs at start (warm-up) fill only minutes that have no row yet: a
  // restart must not count the same lines twice.
  Result<void> fillMissing(std::span<const SourceMinutes> counts);
  // Minutes of [from, to) in time order; spans longer than kMaxMinuteSpan are cut from `from`.
  Result<std::vector<MinuteCounts>> read(std::string_view source, Timestamp from, Timestamp to);
  // Every source with rows, by name.
  Result<std::vector<SourceSummary>> sources(Timestamp now);
  // Deletes minutes before `cutoff`; returns the rows deleted.
  Result<uint64_t> pruneBefore(Timestamp cutoff);

 private:
  Database& db_;
};

}  // namespace gw
