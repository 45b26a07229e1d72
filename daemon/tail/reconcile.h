// The rotation and truncation rules, as pure functions of what we knew and what one look
// (fstat of the open file, stat of its path, the bytes before the offset) shows now. Every event,
// timer and overflow ends in a look and one of these decisions; docs/tailing.md lists the rules.
#pragma once

#include <cstdint>
#include <optional>

#include "store/checkpoint_store.h"
#include "tail/fingerprint.h"
#include "tail/line.h"

namespace gw {

// What we know about a file we hold open.
struct Tracked {
  FileId id;
  uint64_t line_offset = 0;  // first byte not delivered (the checkpoint offset)
  uint64_t read_offset = 0;  // next byte to read (line_offset + a held partial line)
  uint64_t size = 0;         // size at the previous look
  Fingerprint marker;        // bytes just before line_offset, as they were read
};

// One look at it now.
struct Observed {
  uint64_t size = 0;   // fstat of our descriptor
  uint32_t nlink = 1;  // 0: deleted (we hold the last reference)
  // The bytes just before line_offset as they are on disk now; nullopt when the file is shorter
  // than line_offset or the marker is empty (offset 0).
  std::optional<Fingerprint> marker_now;
  // stat of the configured path (or glob match); nullopt when the path was not looked at.
  std::optional<std::optional<FileId>> at_path;
};

enum class Action : uint8_t {
  kNone,         // nothing new
  kReadMore,     // the file grew: read from read_offset
  kResetToZero,  // truncated (copytruncate) or rewritten: read again from 0, same descriptor
};

enum class PathChange : uint8_t {
  kNotChecked,
  kSame,     // the path still names our file
  kNewFile,  // another file is at the path now (rotation, or deletion + recreation)
  kGone,     // nothing at the path (renamed away or deleted, no successor yet)
};

struct Decision {
  Action action = Action::kNone;
  PathChange path = PathChange::kNotChecked;
  bool deleted = false;     // no name left: close once drained
  uint64_t bytes_lost = 0;  // kResetToZero: bytes seen beyond read_offset but never read
  bool operator==(const Decision&) const = default;
};

Decision reconcile(const Tracked& tracked, const Observed& now);

// Whether a file found on disk is the one a checkpoint describes.
enum class Resume : uint8_t {
  kResumeAt,   // same file: continue at the checkpoint's offset
  kStartOver,  // same device + inode but other content (inode reused, truncated, rewritten)
  kNotThis,    // another file
};

struct Candidate {
  std::optional<FileId> id;  // nullopt for a decompressed .gz stream (its inode is new)
  uint64_t size = 0;         // bytes available (decompressed size for .gz)
  // Hashes of the candidate's bytes at the checkpoint's positions: [0, head_len) and
  // [offset - marker_len, offset); nullopt when the candidate is too short to have them.
  std::optional<Fingerprint> head;
  std::optional<Fingerprint> marker;
};

Resume resumeDecision(const Checkpoint& checkpoint, const Candidate& candidate);

}  // namespace gw
