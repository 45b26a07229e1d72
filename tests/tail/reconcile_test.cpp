// The rotation and truncation rules as a table: what we knew, what one look shows, the decision.
#include "tail/reconcile.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

constexpr FileId kInode7{1, 7};
constexpr FileId kInode8{1, 8};
constexpr Fingerprint kMarker{64, 0x1111};
constexpr Fingerprint kOtherMarker{64, 0x2222};

struct Row {
  const char* scenario;
  Tracked tracked;
  Observed now;
  Decision expected;
};

Observed look(uint64_t size, std::optional<Fingerprint> marker, uint32_t nlink = 1,
              std::optional<std::optional<FileId>> at_path = std::nullopt) {
  Observed o;
  o.size = size;
  o.marker_now = marker;
  o.nlink = nlink;
  o.at_path = at_path;
  return o;
}

TEST(Reconcile, RotationAndTruncationTable) {
  const Tracked at900{kInode7, 900, 900, 900, kMarker};
  const Tracked at900_seen1000{kInode7, 900, 900, 1000, kMarker};
  const Tracked at900_partial{kInode7, 900, 950, 950, kMarker};
  const Tracked at0{kInode7, 0, 0, 0, {}};
  const std::vector<Row> table = {
      {"nothing new",
       at900,
       look(900, kMarker),
       {Action::kNone, PathChange::kNotChecked, false, 0}},
      {"appended",
       at900,
       look(1200, kMarker),
       {Action::kReadMore, PathChange::kNotChecked, false, 0}},
      {"copytruncate: size below offset",
       at900,
       look(120, std::nullopt),
       {Action::kResetToZero, PathChange::kNotChecked, false, 0}},
      {"truncated with 100 bytes seen but unread",
       at900_seen1000,
       look(0, std::nullopt),
       {Action::kResetToZero, PathChange::kNotChecked, false, 100}},
      {"truncated and regrown past the offset: caught by the marker",
       at900,
       look(1200, kOtherMarker),
       {Action::kResetToZero, PathChange::kNotChecked, false, 0}},
      {"truncated to exactly the offset with other bytes",
       at900,
       look(900, kOtherMarker),
       {Action::kResetToZero, PathChange::kNotChecked, false, 0}},
      {"truncated below a held partial line",
       at900_partial,
       look(920, kMarker),
       {Action::kResetToZero, PathChange::kNotChecked, false, 0}},
      {"empty file grows",
       at0,
       look(50, std::nullopt),
       {Action::kReadMore, PathChange::kNotChecked, false, 0}},
      {"rename + create: another file at the path",
       at900,
       look(900, kMarker, 1, FileId{kInode8}),
       {Action::kNone, PathChange::kNewFile, false, 0}},
      {"renamed, nothing at the path yet",
       at900,
       look(950, kMarker, 1, std::optional<FileId>{}),
       {Action::kReadMore, PathChange::kGone, false, 0}},
      {"deleted, still holding bytes",
       at900,
       look(1000, kMarker, 0, std::optional<FileId>{}),
       {Action::kReadMore, PathChange::kGone, true, 0}},
      {"deleted and recreated",
       at900,
       look(900, kMarker, 0, FileId{kInode8}),
       {Action::kNone, PathChange::kNewFile, true, 0}},
      {"still at its path",
       at900,
       look(900, kMarker, 1, FileId{kInode7}),
       {Action::kNone, PathChange::kSame, false, 0}},
  };
  for (const Row& row : table) {
    EXPECT_EQ(reconcile(row.tracked, row.now), row.expected) << row.scenario;
  }
}

TEST(Reconcile, StyleGuideExampleTruncationResetsToZero) {
  EXPECT_EQ(reconcile({kInode7, 900, 900, 900, kMarker}, look(120, std::nullopt)).action,
            Action::kResetToZero);
}

Checkpoint checkpointAt(uint64_t offset) {
  Checkpoint cp;
  cp.dev = 1;
  cp.inode = 7;
  cp.offset = offset;
  cp.head_len = 256;
  cp.head_hash = 0xaaaa;
  cp.marker_len = 64;
  cp.marker_hash = 0x1111;
  return cp;
}

TEST(Reconcile, ResumeDecisionTable) {
  const Fingerprint head{256, 0xaaaa};
  const Fingerprint other_head{256, 0xbbbb};
  const Checkpoint cp = checkpointAt(900);
  struct Case {
    const char* scenario;
    Candidate candidate;
    Resume expected;
  };
  const std::vector<Case> table = {
      {"same file, grown", {kInode7, 5000, head, kMarker}, Resume::kResumeAt},
      {"same file, unchanged", {kInode7, 900, head, kMarker}, Resume::kResumeAt},
      {"inode reused by a file with the same header",
       {kInode7, 5000, head, kOtherMarker},
       Resume::kStartOver},
      {"inode reused by another file",
       {kInode7, 5000, other_head, std::nullopt},
       Resume::kStartOver},
      {"truncated while stopped", {kInode7, 100, head, std::nullopt}, Resume::kStartOver},
      {"another inode", {kInode8, 5000, head, kMarker}, Resume::kNotThis},
      {".gz of the same file", {std::nullopt, 900, head, kMarker}, Resume::kResumeAt},
      {".gz of another file with the same head",
       {std::nullopt, 900, head, kOtherMarker},
       Resume::kNotThis},
  };
  for (const Case& c : table) {
    EXPECT_EQ(resumeDecision(cp, c.candidate), c.expected) << c.scenario;
  }
}

TEST(Reconcile, CheckpointAtZeroResumesAnyFileWithThatInode) {
  Checkpoint cp;
  cp.dev = 1;
  cp.inode = 7;
  EXPECT_EQ(resumeDecision(cp, {kInode7, 0, std::nullopt, std::nullopt}), Resume::kResumeAt);
}

}  // namespace
}  // namespace gw
