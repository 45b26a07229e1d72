// Sinks' secrets: read from the environment or a file, never echoed in an error; URLs shown with
// their path hidden.
#include "alert/sink.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <map>

#include "../common/temp_dir.h"

namespace gw {
namespace {

constexpr const char* kSecretUrl = "https://hooks.slack.com/services/T000/B000/SECRETxyz123";

using testing::TempDir;

EnvLookup envOf(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    const auto found = values.find(std::string(name));
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

SinkConfig slackSink() {
  SinkConfig sink;
  sink.name = "ops-slack";
  sink.type = SinkType::kSlack;
  sink.url_env = "GATEWATCH_SLACK_URL";
  return sink;
}

TEST(ResolveSink, UrlFromEnvironment) {
  SinkConfig config = slackSink();
  config.max_age = std::chrono::hours(2);
  const auto sink = resolveSink(config, envOf({{"GATEWATCH_SLACK_URL", kSecretUrl}}));
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ(sink->name, "ops-slack");
  EXPECT_EQ(sink->type, SinkType::kSlack);
  EXPECT_EQ(sink->url, kSecretUrl);
  EXPECT_TRUE(sink->secret.empty());
  EXPECT_EQ(sink->max_age, std::chrono::hours(2));
}

TEST(ResolveSink, MissingVariableIsNamedWithTheFix) {
  const auto sink = resolveSink(slackSink(), envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message,
            "sink ops-slack: environment variable GATEWATCH_SLACK_URL is not set; set it in the "
            "unit's EnvironmentFile (or the environment gatewatch starts in)");
}

TEST(ResolveSink, EmptyVariableIsAnError) {
  const auto sink = resolveSink(slackSink(), envOf({{"GATEWATCH_SLACK_URL", "  "}}));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message.find("GATEWATCH_SLACK_URL is empty"), std::string::npos);
}

TEST(ResolveSink, BadUrlErrorNeverShowsTheValue) {
  for (const std::string value :
       {"ftp://host/SECRETxyz123", "hooks.slack.com/SECRETxyz123", "https:///SECRETxyz123",
        "https://host/a b SECRETxyz123", "https://host/\nSECRETxyz123"}) {
    const auto sink = resolveSink(slackSink(), envOf({{"GATEWATCH_SLACK_URL", value}}));
    ASSERT_FALSE(sink.ok()) << value;
    EXPECT_EQ(sink.error().message.find("SECRET"), std::string::npos) << sink.error().message;
    EXPECT_NE(sink.error().message.find("environment variable GATEWATCH_SLACK_URL"),
              std::string::npos)
        << sink.error().message;
  }
}

TEST(ResolveSink, UrlFromFileIsTrimmed) {
  const TempDir dir;
  SinkConfig config = slackSink();
  config.url_env.clear();
  config.url_file = dir.write("slack.url", std::string("  ") + kSecretUrl + "\n\n");
  const auto sink = resolveSink(config, envOf({}));
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ(sink->url, kSecretUrl);
}

TEST(ResolveSink, MissingFileIsNamed) {
  const TempDir dir;
  SinkConfig config = slackSink();
  config.url_env.clear();
  config.url_file = dir.file("absent.url");
  const auto sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message, "sink ops-slack: cannot open url_file " + config.url_file +
                                      ": No such file or directory; create it, or correct the "
                                      "path in the config");
}

TEST(ResolveSink, UnreadableFileSaysWhoMustReadIt) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const TempDir dir;
  SinkConfig config = slackSink();
  config.url_env.clear();
  config.url_file = dir.write("slack.url", kSecretUrl);
  ::chmod(config.url_file.c_str(), 0);
  const auto sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message.find("Permission denied; make it readable"), std::string::npos)
      << sink.error().message;
}

TEST(ResolveSink, EmptyHugeOrDirectoryFileIsRefused) {
  const TempDir dir;
  SinkConfig config = slackSink();
  config.url_env.clear();

  config.url_file = dir.write("empty.url", " \n");
  auto sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message.find("is empty"), std::string::npos) << sink.error().message;

  config.url_file = dir.write("huge.url", std::string(100 * 1024, 'h'));
  sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message.find("larger than 64 KiB"), std::string::npos)
      << sink.error().message;

  config.url_file = dir.file("");
  sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message.find("not a regular file"), std::string::npos)
      << sink.error().message;
}

TEST(ResolveSink, BadUrlInFileNeverShowsTheContent) {
  const TempDir dir;
  SinkConfig config = slackSink();
  config.url_env.clear();
  config.url_file = dir.write("slack.url", "xoxb-SECRETxyz123");
  const auto sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message.find("SECRET"), std::string::npos) << sink.error().message;
  EXPECT_NE(sink.error().message.find("url_file " + config.url_file), std::string::npos);
}

TEST(ResolveSink, PlainUrlIsAccepted) {
  SinkConfig config;
  config.name = "am";
  config.type = SinkType::kAlertmanager;
  config.url = "http://127.0.0.1:9093";
  const auto sink = resolveSink(config, envOf({}));
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ(sink->url, "http://127.0.0.1:9093");
  EXPECT_EQ(sink->type, SinkType::kAlertmanager);
}

TEST(ResolveSink, Ipv6HostIsAccepted) {
  SinkConfig config;
  config.name = "am";
  config.url = "http://[::1]:9093/api";
  EXPECT_TRUE(resolveSink(config, envOf({})).ok());
}

TEST(ResolveSink, NoUrlOrTwoUrlsIsAnError) {
  SinkConfig config;
  config.name = "hook";
  auto sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().message.find("sink hook: no URL; set url_env"), std::string::npos);

  config.url = "https://example.net/hook";
  config.url_env = "HOOK_URL";
  sink = resolveSink(config, envOf({{"HOOK_URL", "https://example.net/x"}}));
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message, "sink hook: set only one of url, url_env, url_file");
}

TEST(ResolveSink, SigningSecretFromEnvironmentOrFile) {
  const TempDir dir;
  SinkConfig config;
  config.name = "hook";
  config.type = SinkType::kWebhook;
  config.payload = WebhookPayload::kAlertmanager;
  config.url_env = "HOOK_URL";
  config.secret_env = "HOOK_KEY";
  const EnvLookup env = envOf({{"HOOK_URL", "https://example.net/hook"}, {"HOOK_KEY", "k3y"}});
  auto sink = resolveSink(config, env);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ(sink->secret, "k3y");
  EXPECT_EQ(sink->payload, WebhookPayload::kAlertmanager);

  config.secret_env.clear();
  config.secret_file = dir.write("hook.key", "file-k3y\n");
  sink = resolveSink(config, env);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  EXPECT_EQ(sink->secret, "file-k3y");

  config.secret_env = "HOOK_KEY";
  sink = resolveSink(config, env);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message, "sink hook: set only one of secret_env, secret_file");
}

TEST(ResolveSink, MissingSecretVariableIsNamed) {
  SinkConfig config;
  config.name = "hook";
  config.url = "https://example.net/hook";
  config.secret_env = "HOOK_KEY";
  const auto sink = resolveSink(config, envOf({}));
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message.rfind("sink hook: environment variable HOOK_KEY is not set", 0),
            0u);
}

TEST(ResolveSinks, ListsEveryProblem) {
  SinkConfig good = slackSink();
  SinkConfig missing = slackSink();
  missing.name = "second";
  missing.url_env = "SECOND_URL";
  SinkConfig bad;
  bad.name = "third";
  bad.url_env = "THIRD_URL";
  const auto sinks = resolveSinks(
      {good, missing, bad},
      envOf({{"GATEWATCH_SLACK_URL", kSecretUrl}, {"THIRD_URL", "gopher://SECRETxyz123"}}));
  ASSERT_FALSE(sinks.ok());
  const std::string& message = sinks.error().message;
  EXPECT_NE(message.find("sink second: environment variable SECOND_URL is not set"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("\nsink third: the URL in environment variable THIRD_URL"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  EXPECT_EQ(message.find("ops-slack"), std::string::npos) << message;
}

TEST(ResolveSinks, AllGoodInOrder) {
  SinkConfig other = slackSink();
  other.name = "b";
  const auto sinks =
      resolveSinks({slackSink(), other}, envOf({{"GATEWATCH_SLACK_URL", kSecretUrl}}));
  ASSERT_TRUE(sinks.ok()) << sinks.error().message;
  ASSERT_EQ(sinks->size(), 2u);
  EXPECT_EQ((*sinks)[0].name, "ops-slack");
  EXPECT_EQ((*sinks)[1].name, "b");
}

TEST(ProcessEnvironment, ReadsTheProcessEnvironment) {
  ::setenv("GW_SINK_TEST_PRESENT", "value-1", 1);
  ::unsetenv("GW_SINK_TEST_ABSENT");
  const EnvLookup env = processEnvironment();
  EXPECT_EQ(env("GW_SINK_TEST_PRESENT"), std::optional<std::string>("value-1"));
  EXPECT_EQ(env("GW_SINK_TEST_ABSENT"), std::nullopt);
  ::unsetenv("GW_SINK_TEST_PRESENT");
}

TEST(DisplayUrl, HidesPathQueryAndUserinfo) {
  EXPECT_EQ(displayUrl(kSecretUrl), "https://hooks.slack.com/…");
  EXPECT_EQ(displayUrl("https://user:pass@example.net:8443/hook?token=abc"),
            "https://example.net:8443/…");
  EXPECT_EQ(displayUrl("http://example.net?token=abc"), "http://example.net/…");
  EXPECT_EQ(displayUrl("http://example.net#frag"), "http://example.net/…");
}

TEST(DisplayUrl, KeepsWhatHidesNothing) {
  EXPECT_EQ(displayUrl("http://127.0.0.1:9093"), "http://127.0.0.1:9093");
  EXPECT_EQ(displayUrl("http://127.0.0.1:9093/"), "http://127.0.0.1:9093/");
  EXPECT_EQ(displayUrl("http://[::1]:9093/api/v2/alerts"), "http://[::1]:9093/…");
}

TEST(DisplayUrl, OddInputStaysHarmless) {
  EXPECT_EQ(displayUrl("not a url with SECRET"), "(not a URL)");
  EXPECT_EQ(displayUrl(""), "(not a URL)");
  EXPECT_EQ(displayUrl("http://ho\nst/x"), "http://ho?st/…");
  EXPECT_EQ(displayUrl("https://" + std::string(1000, 'a')).size(),
            std::string("https://").size() + 255 + std::string("…").size());
}

}  // namespace
}  // namespace gw
