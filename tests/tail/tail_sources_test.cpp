// Configured sources become followed logs with stable checkpoint keys.
#include <gtest/gtest.h>

#include "tail/tail_service.h"

namespace gw {
namespace {

TEST(TailSources, AccessAndErrorLogsGetStableKeysAndOrigins) {
  SourceConfig a;
  a.name = "driver-insu-prod";
  a.access_log = "/var/log/nginx/driver-insu-prod-access.log";
  a.error_log = "/var/log/nginx/driver-insu-prod-error.log";
  a.start_at = StartAt::kBeginning;
  SourceConfig b;
  b.name = "static";
  b.access_log = "/var/log/nginx/static-*.log";
  std::vector<TailSourceOf> origin;
  const auto sources = tailSourcesFrom({a, b}, &origin);
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0].key, "driver-insu-prod/access_log");
  EXPECT_EQ(sources[0].path, a.access_log);
  EXPECT_EQ(sources[0].start_at, StartAt::kBeginning);
  EXPECT_EQ(sources[1].key, "driver-insu-prod/error_log");
  EXPECT_EQ(sources[2].key, "static/access_log");
  EXPECT_EQ(sources[2].start_at, StartAt::kEnd);
  ASSERT_EQ(origin.size(), 3u);
  EXPECT_EQ(origin[1].config_index, 0u);
  EXPECT_TRUE(origin[1].error_log);
  EXPECT_EQ(origin[2].config_index, 1u);
  EXPECT_FALSE(origin[2].error_log);
}

}  // namespace
}  // namespace gw
