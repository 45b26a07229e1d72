// `gatewatch test-alert`: proves a sink works before an incident does — renders a clearly marked
// test alert exactly as a real one and prints what each sink answered.
#include <algorithm>
#include <cstdio>
#include <random>

#include "alert/compose.h"
#include "alert/delivery_policy.h"
#include "alert/render.h"
#include "alert/sink.h"
#include "app/cli.h"
#include "app/commands.h"
#include "common/host_name.h"
#include "config/loader.h"
#include "deliver/http_client.h"

namespace gw {
namespace {

std::string testKey() {
  std::random_device random;
  char key[32];
  std::snprintf(key, sizeof key, "test.%08x%08x", random(), random());
  return key;
}

}  // namespace

int runTestAlert(const TestAlertCommand& command) {
  const ConfigLoad load = loadConfigFile(command.config_path);
  if (!load.ok()) {
    for (const auto& problem : load.problems)
      std::fprintf(stderr, "%s\n", problem.toString().c_str());
    return kExitUsage;
  }
  const Config& config = load.config;
  if (config.sinks.empty()) {
    std::fprintf(stderr, "%s: no sinks are configured; add one under sinks: (see docs/alerts.md)\n",
                 command.config_path.c_str());
    return kExitUsage;
  }

  std::vector<SinkConfig> chosen;
  for (const auto& name : command.sinks) {
    auto it = std::find_if(config.sinks.begin(), config.sinks.end(),
                           [&](const SinkConfig& s) { return s.name == name; });
    if (it == config.sinks.end()) {
      std::string known;
      for (const auto& s : config.sinks) known += (known.empty() ? "" : ", ") + s.name;
      std::fprintf(stderr, "%s: no sink named '%s'; the configured sinks are: %s\n",
                   command.config_path.c_str(), name.c_str(), known.c_str());
      return kExitUsage;
    }
    chosen.push_back(*it);
  }
  if (chosen.empty()) chosen = config.sinks;

  auto sinks = resolveSinks(chosen, processEnvironment());
  if (!sinks) {
    std::fprintf(stderr, "%s\n", sinks.error().message.c_str());
    return kExitUsage;
  }
  auto redactor = Redactor::create(config.context);
  if (!redactor) {
    std::fprintf(stderr, "%s: %s\n", command.config_path.c_str(), redactor.error().message.c_str());
    return kExitUsage;
  }

  ComposerOptions options{.source_names = {},
                          .context = config.context,
                          .hostname = hostName(),
                          .display_zone = TimeZone::local()};
  for (const auto& source : config.sources) options.source_names.push_back(source.name);
  const AlertComposer composer(std::move(options), std::move(*redactor));
  const SystemClock clock;
  const Alert alert = composer.testAlert(clock.now());

  HttpClient client;
  bool all_delivered = true;
  for (const auto& sink : *sinks) {
    const HttpPost request = renderForSink(sink, alert, testKey(), clock.now());
    const HttpAnswer answer = client.postAndWait(request);
    const Classification verdict = classify(sink.type, answer, clock.now());
    const bool delivered = verdict.verdict == Verdict::kDelivered;
    all_delivered = all_delivered && delivered;
    std::printf("%s (%s, %s): %s — %s (%lld ms)\n", sink.name.c_str(), toString(sink.type),
                displayUrl(sink.url).c_str(), delivered ? "delivered" : toString(verdict.verdict),
                verdict.reason.c_str(), static_cast<long long>(answer.latency.count()));
    if (!answer.body.empty() && !delivered) {
      std::string body = answer.body.substr(0, 300);
      std::printf("  the sink answered: %s\n", body.c_str());
    }
  }
  return all_delivered ? kExitOk : kExitFailure;
}

}  // namespace gw
