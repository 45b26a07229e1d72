// "No allocation per log line on hot paths": every parsed line is handed to the composer's rings,
// so remembering one must not allocate, whatever its length.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "../common/allocation_counter.h"
#include "alert/compose.h"

namespace gw {
namespace {

TEST(Allocation, RememberingLinesAllocatesNothing) {
#ifndef GW_COUNT_ALLOCATIONS
  GTEST_SKIP() << "allocations are counted in the build without AddressSanitizer";
#endif
  ComposerOptions options;
  options.source_names = {"a", "b"};
  AlertComposer composer(options, Redactor());
  const std::string short_line = "1.2.3.4 - - [16/Nov/2022:11:26:28 +0900] \"GET / HTTP/1.1\" 502";
  const std::string long_line(1 << 20, 'x');  // cut to a slot, not copied whole
  AccessRecord access;
  access.first_upstream_addr = "127.0.0.1:8080";
  access.host = "example.com";
  access.path = "/join/user-form";
  ErrorRecord error;

  g_counting = true;
  for (int i = 0; i < 10'000; ++i) {
    access.time = Timestamp(Millis(i));
    error.time = access.time;
    const std::string& line = i % 100 == 0 ? long_line : short_line;
    composer.rememberAccess(static_cast<std::size_t>(i % 3), line, access);  // 2: unknown source
    composer.rememberError(static_cast<std::size_t>(i % 2), line, error);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
}

}  // namespace
}  // namespace gw
