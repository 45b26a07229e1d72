// The key table: the example config shows every key and loads clean, the incident config loads
// clean, the markdown dump lists every key, and choices follow the enums' order.
#include "config/config_keys.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/loader.h"
#include "config_test_util.h"

namespace gw {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::load;
using testing::problems;
using testing::withSource;

const std::string kExample = std::string(GW_SOURCE_DIR) + "/config/gatewatch.yaml";
const std::string kIncident = std::string(GW_SOURCE_DIR) + "/config/incident.yaml";

// Every key path written in a YAML tree, as configKeys() spells them ("rules[].windows[].long").
void collectPaths(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string path = prefix + it->first.Scalar();
      out.insert(path);
      collectPaths(it->second, path + ".", out);
    }
  } else if (node.IsSequence()) {
    const std::string list_prefix = prefix.substr(0, prefix.size() - 1) + "[].";
    for (const YAML::Node& item : node) collectPaths(item, list_prefix, out);
  }
}

TEST(ConfigExample, ExampleConfigLoadsWithZeroProblems) {
  const ConfigLoad l = loadConfigFile(kExample);
  EXPECT_THAT(problems(l), IsEmpty());
  EXPECT_EQ(l.config.sources.size(), 2u);
  EXPECT_EQ(l.config.rules.size(), 5u);
  EXPECT_EQ(l.config.sinks.size(), 4u);
}

TEST(ConfigExample, ExampleConfigShowsEveryKeyOfTheTable) {
  std::set<std::string> written;
  collectPaths(YAML::LoadFile(kExample), "", written);
  for (const ConfigKeyInfo& key : configKeys()) {
    EXPECT_TRUE(written.count(key.path) == 1)
        << key.path << " is in the key table but not in config/gatewatch.yaml";
  }
}

TEST(ConfigExample, IncidentConfigLoadsCleanWithTheIncidentServer) {
  const ConfigLoad l = loadConfigFile(kIncident);
  ASSERT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(testing::warnings(l), IsEmpty());
  ASSERT_EQ(l.config.sources.size(), 1u);
  const SourceConfig& s = l.config.sources[0];
  EXPECT_EQ(s.name, "driver-insu-prod");
  EXPECT_EQ(s.access_log, "/var/log/nginx/driver-insu-prod-access.log");
  EXPECT_EQ(s.error_log, "/var/log/nginx/driver-insu-prod-error.log");
  EXPECT_EQ(s.timezone, "Asia/Seoul");
  ASSERT_EQ(s.formats.size(), 1u);
  EXPECT_THAT(s.formats[0], HasSubstr("$upstream_addr"));
  EXPECT_THAT(s.formats[0], HasSubstr("$upstream_status"));
  ASSERT_EQ(l.config.rules.size(), 2u);
  EXPECT_EQ(l.config.rules[0].kind, RuleKind::kConsecutive);
  EXPECT_EQ(l.config.rules[1].kind, RuleKind::kRatio);
  ASSERT_EQ(l.config.sinks.size(), 1u);
  EXPECT_EQ(l.config.sinks[0].type, SinkType::kSlack);
  EXPECT_EQ(l.config.sinks[0].url_env, "GATEWATCH_SLACK_URL");
}

TEST(ConfigKeys, DescribeIsAMarkdownTableWithOneRowPerKey) {
  const std::string table = describeConfigKeys();
  std::istringstream lines(table);
  std::string line;
  std::size_t rows = 0;
  while (std::getline(lines, line)) {
    if (rows != 1) {  // the separator row is |---|---|
      EXPECT_TRUE(line.starts_with("| ") && line.ends_with(" |")) << line;
    }
    ++rows;
  }
  EXPECT_EQ(rows, configKeys().size() + 2);  // header and separator
  EXPECT_THAT(table, HasSubstr("| `rules[].objective` | a number, in (0, 1) | 0.999 | burn_rate "
                               "rules | "));
  EXPECT_THAT(table, HasSubstr("| `sinks[].secret_env` | an environment variable name |  | "
                               "webhook sinks | "));
  EXPECT_THAT(table, HasSubstr("| `sources[].access_log` | a path | required |  | "));
}

TEST(ConfigKeys, EveryKeyHasADocText) {
  for (const ConfigKeyInfo& key : configKeys()) EXPECT_FALSE(key.doc.empty()) << key.path;
}

TEST(ConfigKeys, KindTypeAndSeverityChoicesFollowTheEnumOrder) {
  for (RuleKind kind : {RuleKind::kRatio, RuleKind::kConsecutive, RuleKind::kBurnRate,
                        RuleKind::kErrorLog, RuleKind::kSilence}) {
    const ConfigLoad l =
        load(withSource(std::string("rules: [{name: r, kind: ") + toString(kind) + "}]\n"));
    ASSERT_THAT(problems(l), IsEmpty());
    EXPECT_EQ(l.config.rules.at(0).kind, kind);
  }
  for (SinkType type : {SinkType::kSlack, SinkType::kWebhook, SinkType::kAlertmanager}) {
    const ConfigLoad l = load(
        withSource(std::string("sinks: [{name: s, url_env: U, type: ") + toString(type) + "}]\n"));
    ASSERT_THAT(problems(l), IsEmpty());
    EXPECT_EQ(l.config.sinks.at(0).type, type);
  }
  for (Severity severity : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    const ConfigLoad l = load(withSource(std::string("rules: [{name: r, kind: ratio, severity: ") +
                                         toString(severity) + "}]\n"));
    ASSERT_THAT(problems(l), IsEmpty());
    EXPECT_EQ(l.config.rules.at(0).severity, severity);
  }
  for (GroupKey key : {GroupKey::kSource, GroupKey::kHost, GroupKey::kUpstream, GroupKey::kPath}) {
    const ConfigLoad l = load(withSource(std::string("rules: [{name: r, kind: ratio, group_by: [") +
                                         toString(key) + "]}]\n"));
    ASSERT_THAT(problems(l), IsEmpty());
    EXPECT_THAT(l.config.rules.at(0).group_by, ElementsAre(key));
  }
}

}  // namespace
}  // namespace gw
