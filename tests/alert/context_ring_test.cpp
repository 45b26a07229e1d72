// Context rings: bounded slots, wrap-around, cut lines, the time and group filters — and the proof
// that an event's group, as a real Detector decodes it, finds exactly the lines of that group.
#include "alert/context_ring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "../common/generator_formats.h"
#include "detect/detector.h"
#include "detect/group_key.h"
#include "parse/log_format.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using Group = std::vector<std::pair<std::string, std::string>>;

// 11:hh:mm:ss on the incident's day, +09:00.
Timestamp kst(int h, int m, int s) {
  return Timestamp(std::chrono::sys_days(std::chrono::year(2022) / 11 / 16)) +
         std::chrono::hours(h - 9) + std::chrono::minutes(m) + std::chrono::seconds(s);
}

AccessRecord record(Timestamp t, std::string_view upstream = "127.0.0.1:8080",
                    std::string_view host = "example.com", std::string_view path = "/") {
  AccessRecord r;
  r.time = t;
  r.has_time = true;
  r.first_upstream_addr = upstream;
  r.host = host;
  r.path = path;
  return r;
}

// ---- access ring ----

TEST(AccessContextRing, KeepsTheLastLinesOldestFirstAcrossWrapAround) {
  AccessContextRing ring(3);
  for (int i = 1; i <= 5; ++i) ring.remember("line " + std::to_string(i), record(kst(11, 0, i)));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_THAT(ring.linesFor({{"source", "site"}}, kst(12, 0, 0), 10),
              ElementsAre("line 3", "line 4", "line 5"));
  EXPECT_THAT(ring.linesFor({{"source", "site"}}, kst(12, 0, 0), 2),
              ElementsAre("line 4", "line 5"));
  EXPECT_TRUE(ring.linesFor({{"source", "site"}}, kst(12, 0, 0), 0).empty());
}

TEST(AccessContextRing, ZeroCapacityStillKeepsOneLine) {
  AccessContextRing ring(0);
  ring.remember("a", record(kst(11, 0, 0)));
  ring.remember("b", record(kst(11, 0, 1)));
  EXPECT_THAT(ring.linesFor({}, kst(12, 0, 0), 5), ElementsAre("b"));
}

TEST(AccessContextRing, LongLinesAreCutToTheSlotAtACharacterBoundary) {
  AccessContextRing ring(2);
  ring.remember(std::string(kContextSlotBytes * 3, 'x'), record(kst(11, 0, 0)));
  // 'é' is two bytes: the one that would straddle the slot's end is dropped whole.
  std::string accented(kContextSlotBytes - 1, 'y');
  accented += "\xC3\xA9tail";
  ring.remember(accented, record(kst(11, 0, 1)));
  const auto lines = ring.linesFor({}, kst(12, 0, 0), 5);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], std::string(kContextSlotBytes, 'x'));
  EXPECT_EQ(lines[1], std::string(kContextSlotBytes - 1, 'y'));
}

TEST(AccessContextRing, LinesAfterTheEventAreLeftOut) {
  AccessContextRing ring(10);
  ring.remember("before", record(kst(11, 26, 27)));
  ring.remember("at", record(kst(11, 26, 28)));
  ring.remember("after", record(kst(11, 26, 29)));
  EXPECT_THAT(ring.linesFor({{"source", "s"}}, kst(11, 26, 28), 10), ElementsAre("before", "at"));
}

TEST(AccessContextRing, GroupValuesFilterLines) {
  AccessContextRing ring(10);
  ring.remember("a1", record(kst(11, 0, 1), "10.0.0.1:80", "a.example", "/x"));
  ring.remember("b1", record(kst(11, 0, 2), "10.0.0.2:80", "b.example", "/x"));
  ring.remember("a2", record(kst(11, 0, 3), "10.0.0.1:80", "a.example", "/y"));
  ring.remember("none", record(kst(11, 0, 4), "", "a.example", "/y"));
  const Timestamp until = kst(12, 0, 0);
  EXPECT_THAT(ring.linesFor({{"source", "s"}, {"upstream", "10.0.0.1:80"}}, until, 10),
              ElementsAre("a1", "a2"));
  EXPECT_THAT(ring.linesFor({{"host", "b.example"}}, until, 10), ElementsAre("b1"));
  EXPECT_THAT(ring.linesFor({{"host", "a.example"}, {"path", "/y"}}, until, 10),
              ElementsAre("a2", "none"));
  // decodeGroupKey shows an empty value as "-".
  EXPECT_THAT(ring.linesFor({{"upstream", "-"}}, until, 10), ElementsAre("none"));
  EXPECT_TRUE(ring.linesFor({{"upstream", "10.0.0.9:80"}}, until, 10).empty());
}

// ---- error ring ----

TEST(ErrorContextRing, LinesOfTheSpanOldestFirst) {
  ErrorContextRing ring(10);
  ring.remember("early", kst(11, 0, 0));
  ring.remember("onset", kst(11, 26, 28));
  ring.remember("later", kst(11, 30, 0));
  ring.remember("after", kst(11, 40, 0));
  EXPECT_THAT(ring.linesBetween(kst(11, 26, 26), kst(11, 30, 0), 10),
              ElementsAre("onset", "later"));
  EXPECT_TRUE(ring.linesBetween(kst(11, 26, 26), kst(11, 30, 0), 0).empty());
}

TEST(ErrorContextRing, TooManyLinesGiveTheOnsetAndTheLatest) {
  ErrorContextRing ring(20);
  for (int i = 0; i < 12; ++i) ring.remember("e" + std::to_string(i), kst(11, 30, i));
  EXPECT_THAT(ring.linesBetween(kst(11, 30, 0), kst(11, 31, 0), 4),
              ElementsAre("e0", "e1", "e10", "e11"));
  EXPECT_THAT(ring.linesBetween(kst(11, 30, 0), kst(11, 31, 0), 5),
              ElementsAre("e0", "e1", "e9", "e10", "e11"));
  EXPECT_THAT(ring.linesBetween(kst(11, 30, 0), kst(11, 31, 0), 1), ElementsAre("e11"));
}

TEST(ErrorContextRing, WrapsAroundAndCutsLongLines) {
  ErrorContextRing ring(3);
  for (int i = 0; i < 7; ++i) ring.remember("e" + std::to_string(i), kst(11, 30, i));
  ring.remember(std::string(kContextSlotBytes + 100, 'z'), kst(11, 30, 9));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_THAT(ring.linesBetween(kst(11, 0, 0), kst(12, 0, 0), 10),
              ElementsAre("e5", "e6", std::string(kContextSlotBytes, 'z')));
}

// ---- the detector's groups ----

// A format with the fields every group key reads.
const std::string kFormat = std::string(testing::kExtendedFormat) + " \"$host\"";

std::string line(int minute, int second, int status, std::string_view upstream,
                 std::string_view host = "api.example", std::string_view path = "/join/user-form") {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[16/Nov/2022:11:%02d:%02d +0900]", minute, second);
  return "223.39.250.204 - - " + std::string(buf) + " \"GET " + std::string(path) +
         "?enc=Ab HTTP/1.1\" " + std::to_string(status) + " 568 \"-\" \"Mozilla/5.0\" 0.001 " +
         (status == 502 ? "0.000" : "0.004") + " \"" + std::string(upstream) + "\" " +
         std::to_string(status) + " \"" + std::string(host) + "\"";
}

// Parses each line, hands it to the detector and the ring, and keeps the events.
class Site {
 public:
  explicit Site(RuleConfig rule)
      : parser_(LogFormat::compile(kFormat).value()), detector_({std::move(rule)}, {"site"}) {}

  void feed(const std::string& raw) {
    AccessRecord rec;
    ParseFailure failure;
    ASSERT_TRUE(parser_.parse(raw, rec, failure)) << describe(failure) << "\n" << raw;
    ring.remember(raw, rec);
    detector_.observe(0, rec, rec.time);
    detector_.tick(rec.time);
    for (IncidentEvent& e : detector_.takeEvents()) events.push_back(std::move(e));
  }

  AccessContextRing ring{64};
  std::vector<IncidentEvent> events;

 private:
  AccessParser parser_;
  Detector detector_;
};

RuleConfig consecutive(std::vector<GroupKey> group_by) {
  RuleConfig rule;
  rule.name = "upstream-down";
  rule.kind = RuleKind::kConsecutive;
  rule.statuses = {502, 504};
  rule.count = 3;
  rule.group_by = std::move(group_by);
  return rule;
}

TEST(AccessContextRing, DetectorGroupFindsOnlyTheFailingUpstreamsLines) {
  Site site(consecutive({GroupKey::kSource, GroupKey::kUpstream}));
  std::vector<std::string> failing;
  for (int i = 0; i < 4; ++i) {
    site.feed(line(26, i * 10, 200, "10.0.0.1:8080"));
    failing.push_back(line(26, i * 10 + 5, 502, "10.0.0.2:8080"));
    site.feed(failing.back());
  }
  ASSERT_FALSE(site.events.empty());
  const IncidentEvent& e = site.events.front();
  ASSERT_EQ(e.kind, EventKind::kFiring);
  EXPECT_EQ(e.group, (Group{{"source", "site"}, {"upstream", "10.0.0.2:8080"}}));
  // The third failure fired it: the lines up to then, all of the failing upstream.
  EXPECT_THAT(site.ring.linesFor(e.group, e.event_at, 20),
              ElementsAre(failing[0], failing[1], failing[2]));
  EXPECT_EQ(site.ring.linesFor(e.group, kst(12, 0, 0), 20), failing);
}

TEST(AccessContextRing, DetectorGroupOfLongUtf8ValuesMatchesTheCutKey) {
  // Hosts longer than the key bound, in 3-byte characters: the detector keys on the value cut at
  // kMaxHostKeyBytes, backed off to a character boundary, and so must the ring.
  std::string base = "h";
  for (int i = 0; i < 100; ++i) base += "\xEA\xB0\x80";  // '가'
  const std::string same_prefix = base + "-other-tail";  // the same key after the cut
  std::string differs = base;
  differs[10] = '\xEB';  // a different character inside the kept part
  ASSERT_GT(base.size(), kMaxHostKeyBytes);

  Site site(consecutive({GroupKey::kSource, GroupKey::kHost}));
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) {
    site.feed(line(30, i * 10, 502, "10.0.0.1:8080", differs));
    expected.push_back(line(30, i * 10 + 3, 502, "10.0.0.1:8080", i == 1 ? same_prefix : base));
    site.feed(expected.back());
  }
  const IncidentEvent* fired = nullptr;
  for (const IncidentEvent& e : site.events) {
    if (e.kind == EventKind::kFiring && e.group.size() == 2 &&
        base.starts_with(e.group[1].second)) {
      fired = &e;
    }
  }
  ASSERT_NE(fired, nullptr);
  const std::string& key = fired->group[1].second;
  EXPECT_LT(key.size(), kMaxHostKeyBytes);  // backed off from a split character
  EXPECT_TRUE(base.starts_with(key));
  EXPECT_EQ(site.ring.linesFor(fired->group, kst(12, 0, 0), 20), expected);
}

TEST(AccessContextRing, DetectorGroupByPathFindsThatPathsLines) {
  Site site(consecutive({GroupKey::kSource, GroupKey::kPath}));
  std::vector<std::string> failing;
  for (int i = 0; i < 3; ++i) {
    site.feed(line(40, i * 10, 200, "10.0.0.1:8080", "api.example", "/ok"));
    failing.push_back(line(40, i * 10 + 1, 502, "10.0.0.1:8080", "api.example", "/api/join/user"));
    site.feed(failing.back());
  }
  ASSERT_FALSE(site.events.empty());
  EXPECT_EQ(site.events.front().group, (Group{{"source", "site"}, {"path", "/api/join/user"}}));
  EXPECT_EQ(site.ring.linesFor(site.events.front().group, kst(12, 0, 0), 20), failing);
}

}  // namespace
}  // namespace gw
