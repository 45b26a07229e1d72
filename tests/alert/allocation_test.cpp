// "No allocation per log line on hot paths": every parsed line is handed to the composer's rings,
// so remembering one must not allocate, whatever its length.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "alert/compose.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// AddressSanitizer owns operator new and delete: the count is taken in the plain build only.
#if defined(__SANITIZE_ADDRESS__)
#define GW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_ASAN 1
#endif
#endif

#ifndef GW_ASAN
#define GW_COUNT_ALLOCATIONS 1

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed))
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// g++ 12 sees malloc behind our operator new and free behind our operator delete, and warns
// that they mismatch: they are the pair that replaces the global ones, which is the point.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

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
