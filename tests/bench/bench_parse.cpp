// Parser throughput: lines/s and MB/s of AccessParser over the shared generator's output, one
// core, file in memory. Formats: `combined`, `extended` (combined + upstream fields) and the
// generator's escape=json format. A bare newline scan of the same bytes is the floor.
//
//   bench_parse                      generates 200k lines per format into a temp dir first
//   GW_BENCH_LOG=FILE [GW_BENCH_FORMAT='...'] bench_parse --benchmark_filter=File
//                                    parses FILE (format: combined unless given)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../common/generator_formats.h"
#include "../common/temp_dir.h"
#include "parse/log_format.h"

namespace {

// Enough lines that the sample outgrows the caches the way a real file does, few enough that
// generating it takes seconds.
constexpr int kSampleLines = 200'000;

struct Sample {
  std::string bytes;
  std::vector<std::string_view> lines;
};

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void splitLines(Sample& s) {
  std::string_view all = s.bytes;
  while (!all.empty()) {
    const std::size_t nl = all.find('\n');
    const std::size_t len = nl == std::string_view::npos ? all.size() : nl;
    s.lines.push_back(all.substr(0, len));
    all.remove_prefix(nl == std::string_view::npos ? all.size() : nl + 1);
  }
}

const Sample& sample(const std::string& generator_format) {
  static gw::testing::TempDir dir;
  static std::map<std::string, Sample> cache;
  auto it = cache.find(generator_format);
  if (it != cache.end()) return it->second;
  Sample& s = cache[generator_format];
  const std::string out = dir.file(generator_format + ".log");
  const std::string cmd = "python3 '" GW_SHARED_DIR "/bench/gen_nginx_log.py' -n " +
                          std::to_string(kSampleLines) + " --format " + generator_format + " -o '" +
                          out + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "bench_parse: could not run %s\n", cmd.c_str());
    return s;
  }
  s.bytes = readAll(out);
  splitLines(s);
  return s;
}

void runParser(benchmark::State& state, const Sample& s, const char* format_text) {
  if (s.lines.empty()) {
    state.SkipWithError("no sample (is the shared folder with bench/gen_nginx_log.py there?)");
    return;
  }
  auto format = gw::LogFormat::compile(format_text);
  if (!format) {
    state.SkipWithError(format.error().message.c_str());
    return;
  }
  gw::AccessParser parser(std::move(format).value());
  gw::AccessRecord record;
  gw::ParseFailure failure;
  std::size_t malformed = 0;
  for (auto _ : state) {
    malformed = 0;
    for (std::string_view line : s.lines) {
      if (!parser.parse(line, record, failure)) ++malformed;
      benchmark::DoNotOptimize(record.status);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes.size()));
  state.counters["malformed"] = static_cast<double>(malformed);
  state.counters["lines"] = static_cast<double>(s.lines.size());
}

void BM_Combined(benchmark::State& state) { runParser(state, sample("combined"), "combined"); }
void BM_Extended(benchmark::State& state) {
  runParser(state, sample("extended"), gw::testing::kExtendedFormat);
}
void BM_Json(benchmark::State& state) {
  runParser(state, sample("json"), gw::testing::kJsonFormat);
}

// The floor: find every newline and look at nothing else.
void BM_NewlineScanFloor(benchmark::State& state) {
  const Sample& s = sample("combined");
  for (auto _ : state) {
    std::size_t lines = 0;
    const char* p = s.bytes.data();
    const char* end = p + s.bytes.size();
    while (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
      ++lines;
      p = static_cast<const char*>(nl) + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes.size()));
}

void BM_File(benchmark::State& state) {
  static Sample s;
  const char* path = std::getenv("GW_BENCH_LOG");
  if (path == nullptr) {
    state.SkipWithError("set GW_BENCH_LOG to a log file");
    return;
  }
  if (s.lines.empty()) {
    s.bytes = readAll(path);
    splitLines(s);
  }
  const char* format = std::getenv("GW_BENCH_FORMAT");
  runParser(state, s, format != nullptr ? format : "combined");
}

BENCHMARK(BM_Combined)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Extended)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Json)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NewlineScanFloor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_File)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
