#include "parse/log_format.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(LogFormat, CompilesPredefinedCombined) {
  auto f = LogFormat::compile("combined");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_TRUE(f->hasVariable("status"));
  EXPECT_TRUE(f->hasTime());
  EXPECT_FALSE(f->hasUpstream());
}

}  // namespace
}  // namespace gw
