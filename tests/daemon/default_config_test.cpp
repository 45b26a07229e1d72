// The embedded default config: what `gatewatch run` follows with no --config and no
// /etc/gatewatch/gatewatch.yaml. It goes through the loader like a file, so it is checked here
// the way a user's file would be.
#include "config/default_config.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(EmbeddedDefaultConfig, LoadsWithoutProblems) {
  const ConfigLoad load = loadEmbeddedDefaultConfig();
  for (const auto& problem : load.problems) ADD_FAILURE() << problem.toString();
  EXPECT_TRUE(load.ok());
  EXPECT_EQ(load.config.path, kEmbeddedConfigName);
}

TEST(EmbeddedDefaultConfig, FollowsTheLocalNginxInTheCombinedFormat) {
  const Config config = loadEmbeddedDefaultConfig().config;
  ASSERT_EQ(config.sources.size(), 1u);
  const SourceConfig& nginx = config.sources.front();
  EXPECT_EQ(nginx.name, "nginx");
  EXPECT_EQ(nginx.access_log, "/var/log/nginx/access.log");
  EXPECT_EQ(nginx.error_log, "/var/log/nginx/error.log");
  EXPECT_EQ(nginx.formats, std::vector<std::string>{"combined"});
  // A first start reads from the end: the history of a busy log is `gatewatch scan`'s job.
  EXPECT_EQ(nginx.start_at, StartAt::kEnd);
}

TEST(EmbeddedDefaultConfig, DefaultRulesNoSinksStateAndStatusWhereThePackagePutsThem) {
  const Config config = loadEmbeddedDefaultConfig().config;
  EXPECT_EQ(config.rules, defaultRules());
  EXPECT_TRUE(config.sinks.empty()) << "no sinks: alerts are printed on stdout";
  EXPECT_EQ(config.state_dir, "/var/lib/gatewatch");
  EXPECT_EQ(config.http.listen, "127.0.0.1:9177");
}

TEST(EmbeddedDefaultConfig, TextIsWhatGetsLoaded) {
  const ConfigLoad again = loadConfigText(embeddedDefaultConfigText(), "copy.yaml");
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(again.config.sources, loadEmbeddedDefaultConfig().config.sources);
}

}  // namespace
}  // namespace gw
