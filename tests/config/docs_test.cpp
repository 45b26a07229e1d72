// docs/configuration.md carries the key table the loader itself uses: they must not drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config_keys.h"

namespace gw {
namespace {

TEST(ConfigDocs, ConfigurationMarkdownHasTheCurrentKeyTable) {
  std::ifstream in(GW_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(describeConfigKeys()), std::string::npos)
      << "docs/configuration.md is out of date: regenerate its table with `gatewatch check "
         "--describe`";
}

}  // namespace
}  // namespace gw
