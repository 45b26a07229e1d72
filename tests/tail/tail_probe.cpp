// gatewatch_tail_probe: the tail engine alone, for process-level scenario tests (logrotate,
// nginx, kill -9 loops, comparisons with tail -F, benchmarks).
//
// usage: gatewatch_tail_probe --state-dir DIR [--start-at beginning|end] [--rotate-grace DUR]
//            [--safety-check DUR] [--checkpoint-interval DUR] [--checkpoint-lines N]
//            [--max-line-bytes N] PATH_OR_GLOB...
//
// Each PATH_OR_GLOB is one source (its checkpoint key is the argument as given). Every
// delivered line is written to stdout as the line text + "\n"; stdout is flushed after each
// delivered batch, before the checkpoint covering it is committed, so after kill -9 the reader
// has seen at least everything committed. The log goes to stderr. Once the watches are set and
// the initial reads are done, the line "gatewatch_tail_probe: ready" is printed to stderr.
// SIGTERM/SIGINT commit the checkpoints and exit 0. Durations: 500ms, 2s, 1m. Exit 2 on a
// usage error, 1 when the state database cannot be opened.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "config/config.h"
#include "store/checkpoint_store.h"
#include "store/state_db.h"
#include "tail/tail_service.h"

namespace {

// stdout is written in large blocks and flushed per batch: a line per write() would make the
// probe, not the follower, the bottleneck of a throughput benchmark.
constexpr std::size_t kStdoutBufferBytes = 1 << 20;

class StdoutConsumer final : public gw::LineConsumer {
 public:
  void onLine(const gw::Line& line) override {
    std::fwrite(line.text.data(), 1, line.text.size(), stdout);
    std::fputc('\n', stdout);
  }
  void onBatchEnd() override { std::fflush(stdout); }
};

int usage(const char* why) {
  std::fprintf(stderr,
               "gatewatch_tail_probe: %s\n"
               "usage: gatewatch_tail_probe --state-dir DIR [--start-at beginning|end] "
               "[--rotate-grace DUR] [--safety-check DUR] [--checkpoint-interval DUR] "
               "[--checkpoint-lines N] [--max-line-bytes N] PATH_OR_GLOB...\n",
               why);
  return 2;
}

bool parseCount(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > (UINT64_MAX - 9) / 10) return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string state_dir;
  gw::TailConfig config;
  gw::StartAt start_at = gw::StartAt::kEnd;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string_view v;
    if (arg == "--state-dir") {
      if (!value(v)) return usage("--state-dir needs a directory");
      state_dir = v;
    } else if (arg == "--start-at") {
      if (!value(v) || (v != "beginning" && v != "end")) {
        return usage("--start-at takes beginning or end");
      }
      start_at = v == "beginning" ? gw::StartAt::kBeginning : gw::StartAt::kEnd;
    } else if (arg == "--rotate-grace" || arg == "--safety-check" ||
               arg == "--checkpoint-interval") {
      gw::Millis d{};
      if (!value(v) || !gw::parseDuration(v, d)) return usage("bad duration (e.g. 500ms, 2s)");
      if (arg == "--rotate-grace") config.rotate_grace = d;
      if (arg == "--safety-check") config.safety_check = d;
      if (arg == "--checkpoint-interval") config.checkpoint_interval = d;
    } else if (arg == "--checkpoint-lines" || arg == "--max-line-bytes") {
      uint64_t n = 0;
      if (!value(v) || !parseCount(v, n) || n == 0) return usage("bad count");
      if (arg == "--checkpoint-lines") config.checkpoint_lines = n;
      if (arg == "--max-line-bytes") {
        if (n > UINT32_MAX) return usage("--max-line-bytes too large");
        config.max_line_bytes = static_cast<uint32_t>(n);
      }
    } else if (arg.starts_with("--")) {
      return usage(("unknown option " + std::string(arg)).c_str());
    } else {
      paths.emplace_back(arg);
    }
  }
  if (state_dir.empty()) return usage("--state-dir is required");
  if (paths.empty()) return usage("no PATH_OR_GLOB given");

  spdlog::set_default_logger(spdlog::stderr_logger_st("probe"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  std::signal(SIGPIPE, SIG_IGN);
  static char stdout_buffer[kStdoutBufferBytes];
  std::setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);

  gw::SystemClock clock;
  auto opened = gw::openStateDatabase(state_dir, clock.now());
  if (!opened) {
    std::fprintf(stderr, "gatewatch_tail_probe: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto store = gw::CheckpointStore::create(opened->db);
  if (!store) {
    std::fprintf(stderr, "gatewatch_tail_probe: %s\n", store.error().message.c_str());
    return 1;
  }

  std::vector<gw::TailSource> sources;
  for (const std::string& p : paths) sources.push_back({p, p, start_at});

  boost::asio::io_context io;
  StdoutConsumer consumer;
  gw::TailService service(io, config, std::move(sources), &*store, consumer, clock);
  service.onCaughtUp([] { std::fprintf(stderr, "gatewatch_tail_probe: ready\n"); });
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    service.stop();
  });
  service.start();
  io.run();
  std::fflush(stdout);
  const gw::TailCounters c = service.counters();
  spdlog::info(
      "probe: stopped; lines={} cut={} truncations={} rotations={} bytes_lost={} overflows={} "
      "commits={}",
      c.lines_delivered, c.lines_cut, c.truncations, c.rotations, c.bytes_lost_to_truncation,
      c.queue_overflows, c.checkpoint_commits);
  return 0;
}
