// Redactor: masks what must not leave the process — query parameter values, client addresses and
// the configured RE2 patterns — in log lines and paths, before anything reaches the outbox,
// history or a sink. RE2 runs in linear time, so no pattern in a config can stall the daemon.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace re2 {
class RE2;
}

namespace gw {

// What replaces a masked value or match.
inline constexpr std::string_view kRedactedMark = "***";

// apply() reads at most this many bytes of a text and drops the rest, ending the result with
// "…": every caller shows at most kContextLineChars characters of it (context slots hold 2 KiB,
// paths are cut at 512 bytes), and a bound keeps each pattern's work bounded whatever a client
// sends — RE2 is linear per search, but a global replace is quadratic for a pattern like
// `a+b|a` (about 15 ms at this bound; an ordinary line and pattern take a few µs).
inline constexpr std::size_t kMaxRedactBytes = 4 * 1024;

class Redactor {
 public:
  // A Redactor that masks nothing.
  Redactor() = default;
  // Fails when a pattern does not compile; the message names the pattern and RE2's reason.
  static Result<Redactor> create(const ContextConfig& context);

  // query_values: the value of every query parameter ("?enc=AbC&x=1" → "?enc=***&x=***"),
  // wherever a '?' starts a query in the text (request lines, referers, error.log "request:").
  // ips: IPv4 and IPv6 addresses not followed by ":port" — client addresses; upstream
  // addresses (127.0.0.1:8080, [::1]:8080) stay readable. Then each pattern's matches become
  // kRedactedMark; a pattern with capture groups masks only what its groups matched, so
  // `password=(\S+)` keeps "password=" readable. Empty matches mask nothing.
  std::string apply(std::string_view text) const;

 private:
  bool query_values_ = false;
  bool ips_ = false;
  std::shared_ptr<const std::vector<std::unique_ptr<re2::RE2>>> patterns_;  // shared: cheap copies
};

}  // namespace gw
