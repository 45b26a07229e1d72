#include "tail/tail_counters.h"

namespace gw {

const char* toString(TailErrorKind kind) {
  switch (kind) {
    case TailErrorKind::kPermission:
      return "permission";
    case TailErrorKind::kWatchLimit:
      return "watch_limit";
    case TailErrorKind::kIo:
      return "io";
    case TailErrorKind::kBadPattern:
      return "bad_pattern";
    case TailErrorKind::kCheckpoint:
      return "checkpoint";
    case TailErrorKind::kCount:
      break;
  }
  return "?";
}

TailCounters& TailCounters::operator+=(const TailCounters& o) {
  lines_delivered += o.lines_delivered;
  lines_cut += o.lines_cut;
  partial_lines_flushed += o.partial_lines_flushed;
  nul_bytes_skipped += o.nul_bytes_skipped;
  bytes_read += o.bytes_read;
  truncations += o.truncations;
  bytes_lost_to_truncation += o.bytes_lost_to_truncation;
  rotations += o.rotations;
  files_opened += o.files_opened;
  files_closed += o.files_closed;
  resumed_from_rotated += o.resumed_from_rotated;
  resumed_from_gzip += o.resumed_from_gzip;
  queue_overflows += o.queue_overflows;
  checkpoint_commits += o.checkpoint_commits;
  for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += o.errors[i];
  return *this;
}

}  // namespace gw
