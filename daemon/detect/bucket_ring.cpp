#include "detect/bucket_ring.h"

namespace gw {

Millis bucketWidthFor(Millis span) {
  if (span <= kFineSpanLimit) return std::clamp(span, Millis(1), kFineBucket);
  const Millis coarse = kCoarseBucket * static_cast<int64_t>(kMaxBuckets);
  if (span <= coarse) return kCoarseBucket;
  // Past kMaxBuckets minutes: whole seconds, wide enough to stay within kMaxBuckets.
  const int64_t seconds =
      (span.count() + 1000 * int64_t(kMaxBuckets) - 1) / (1000 * int64_t(kMaxBuckets));
  return std::chrono::seconds(seconds);
}

}  // namespace gw
