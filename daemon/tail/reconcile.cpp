#include "tail/reconcile.h"

namespace gw {

// The rules, in the order they are checked:
//  1. Size below line_offset: truncated (copytruncate, `> file`). Restart at 0 on the same
//     descriptor; bytes we had seen beyond read_offset are counted as lost.
//  2. Size at or above line_offset but the bytes before it changed: truncated and regrown past
//     the old offset between two looks, or rewritten in place. Restart at 0.
//  3. Size above read_offset: read more.
//  Independently of the content:
//  4. nlink 0: deleted. Keep reading what is left, then close.
//  5. The path names another file: rotation (rename + create) or deletion + recreation. The
//     old file is kept and drained; the new one is opened and read from 0.
//  6. Nothing at the path: renamed away (rotation, the successor not created yet) or deleted.
Decision reconcile(const Tracked& tracked, const Observed& now) {
  Decision d;
  if (now.size < tracked.line_offset || now.size < tracked.read_offset) {
    d.action = Action::kResetToZero;
    d.bytes_lost = tracked.size > tracked.read_offset ? tracked.size - tracked.read_offset : 0;
  } else if (tracked.line_offset > 0 && tracked.marker.len > 0 &&
             (!now.marker_now || *now.marker_now != tracked.marker)) {
    d.action = Action::kResetToZero;
    d.bytes_lost = tracked.size > tracked.read_offset ? tracked.size - tracked.read_offset : 0;
  } else if (now.size > tracked.read_offset) {
    d.action = Action::kReadMore;
  }
  d.deleted = now.nlink == 0;
  if (now.at_path) {
    const std::optional<FileId>& at = *now.at_path;
    if (!at) {
      d.path = PathChange::kGone;
    } else if (*at == tracked.id) {
      d.path = PathChange::kSame;
    } else {
      d.path = PathChange::kNewFile;
    }
  }
  return d;
}

Resume resumeDecision(const Checkpoint& cp, const Candidate& candidate) {
  const bool same_inode =
      candidate.id && candidate.id->dev == cp.dev && candidate.id->inode == cp.inode;
  if (candidate.id && !same_inode) return Resume::kNotThis;
  const bool content_matches =
      candidate.size >= cp.offset &&
      (cp.head_len == 0 ||
       (candidate.head && *candidate.head == Fingerprint{cp.head_len, cp.head_hash})) &&
      (cp.marker_len == 0 ||
       (candidate.marker && *candidate.marker == Fingerprint{cp.marker_len, cp.marker_hash}));
  if (content_matches) return Resume::kResumeAt;
  // A .gz with other content is simply another file; the same inode with other content is
  // the old name's inode reused, or the file truncated while we were away.
  return same_inode ? Resume::kStartOver : Resume::kNotThis;
}

}  // namespace gw
