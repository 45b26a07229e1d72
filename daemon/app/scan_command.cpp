#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/cli.h"
#include "app/commands.h"
#include "config/loader.h"
#include "scan/scan_render.h"
#include "scan/scanner.h"

namespace gw {
namespace {

constexpr auto kProgressAfter = std::chrono::seconds(1);  // quick scans show no bar
constexpr auto kProgressEvery = std::chrono::milliseconds(100);

// A progress bar on stderr, only when it is a terminal and the scan takes a while.
class ProgressBar {
 public:
  ProgressBar()
      : enabled_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }
  void update(const ScanProgress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < kProgressAfter || now - last_ < kProgressEvery) return;
    last_ = now;
    drawn_ = true;
    const double fraction =
        p.bytes_total ? std::min(1.0, double(p.bytes_done) / double(p.bytes_total)) : 0.0;
    const int width = 30;
    const int filled = int(fraction * width);
    std::string bar(std::size_t(filled), '#');
    bar.resize(width, '.');
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[Kscanning [%s] %3.0f%%  %.1f M lines  %.1f M lines/s", bar.c_str(),
                 fraction * 100, double(p.lines) / 1e6, double(p.lines) / 1e6 / seconds);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

int runScan(const ScanCommand& command) {
  ScanInput input;
  if (!command.config_path.empty()) {
    ConfigLoad load = loadConfigFile(command.config_path);
    for (const ConfigProblem& problem : load.problems)
      std::fprintf(stderr, "%s\n", problem.toString().c_str());
    if (!load.ok()) return kExitUsage;
    input.config = std::move(load.config);
  } else if (command.paths.empty()) {
    std::fprintf(stderr, "scan: give log files (or globs), or --config FILE to scan its sources\n");
    return kExitUsage;
  }
  input.access_paths = command.paths;
  input.error_paths = command.error_logs;
  input.formats = command.formats;
  input.timezone = command.timezone;

  Scanner scanner(std::move(input));
  Result<ScanResult> result = [&] {
    ProgressBar bar;
    return scanner.run([&](const ScanProgress& p) { bar.update(p); });
  }();
  if (!result) {
    std::fprintf(stderr, "scan: %s\n", result.error().message.c_str());
    return kExitFailure;
  }
  if (command.json) {
    std::cout << scanToJson(result.value()).dump(2) << "\n";
  } else {
    RenderOptions options;
    options.color =
        !command.no_color && ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
    options.all_minutes = command.all_minutes;
    std::cout << renderScanText(result.value(), options);
  }
  return kExitOk;
}

}  // namespace gw
