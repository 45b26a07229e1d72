// Counts every operator new between start and stop, for the tests of "no allocation per log
// line". The replacement operators are in allocation_counter.cpp, which such a test lists in its
// SOURCES. AddressSanitizer owns operator new and delete: there GW_COUNT_ALLOCATIONS is left
// undefined and the tests skip.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define GW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_ASAN 1
#endif
#endif

#ifndef GW_ASAN
#define GW_COUNT_ALLOCATIONS 1
#endif

extern std::atomic<bool> g_counting;
extern std::atomic<uint64_t> g_allocations;
