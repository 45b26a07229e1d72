// TimeZone: TZif files from the system's tzdata, POSIX footers, DST gaps and overlaps.
#include "common/time_zone.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace gw {
namespace {

using namespace std::chrono;

Timestamp utcAt(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  return time_point_cast<Millis>(sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{min});
}

int64_t localSeconds(int y, unsigned m, unsigned d, int h, int min) {
  return duration_cast<seconds>(utcAt(y, m, d, h, min).time_since_epoch()).count();
}

bool haveTzdata() { return std::filesystem::exists("/usr/share/zoneinfo/Asia/Seoul"); }

TimeZone mustLoad(std::string_view name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.error().message);
  return z.ok() ? std::move(z).value() : TimeZone::utc();
}

// Sets an environment variable for one scope and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(TimeZone, UtcHasNoOffset) {
  const TimeZone z = TimeZone::utc();
  EXPECT_EQ(z.name(), "UTC");
  EXPECT_EQ(z.offsetAt(utcAt(2022, 11, 16)), 0);
  int offset = -1;
  EXPECT_EQ(z.toUtc(localSeconds(2022, 11, 16, 11, 26), offset), utcAt(2022, 11, 16, 11, 26));
  EXPECT_EQ(offset, 0);
}

TEST(TimeZone, SeoulIsNineHoursAhead) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  const TimeZone z = mustLoad("Asia/Seoul");
  EXPECT_EQ(z.name(), "Asia/Seoul");
  EXPECT_EQ(z.offsetAt(utcAt(2022, 11, 16, 2, 26)), 540);
  int offset = 0;
  EXPECT_EQ(z.toUtc(localSeconds(2022, 11, 16, 11, 26), offset), utcAt(2022, 11, 16, 2, 26));
  EXPECT_EQ(offset, 540);
  // Seoul kept daylight saving time in 1987-88.
  EXPECT_EQ(z.offsetAt(utcAt(1988, 7, 1)), 600);
}

TEST(TimeZone, BerlinSummerAndWinter) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  const TimeZone z = mustLoad("Europe/Berlin");
  EXPECT_EQ(z.offsetAt(utcAt(2022, 1, 15, 12)), 60);
  EXPECT_EQ(z.offsetAt(utcAt(2022, 7, 1, 12)), 120);
  // The switch: 2022-03-27 01:00 UTC, 2022-10-30 01:00 UTC.
  EXPECT_EQ(z.offsetAt(utcAt(2022, 3, 27, 0, 59)), 60);
  EXPECT_EQ(z.offsetAt(utcAt(2022, 3, 27, 1, 0)), 120);
  EXPECT_EQ(z.offsetAt(utcAt(2022, 10, 30, 0, 59)), 120);
  EXPECT_EQ(z.offsetAt(utcAt(2022, 10, 30, 1, 0)), 60);
}

TEST(TimeZone, BeyondTheTableTheFooterRuleApplies) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  const TimeZone berlin = mustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.offsetAt(utcAt(2050, 1, 15)), 60);
  EXPECT_EQ(berlin.offsetAt(utcAt(2050, 7, 1)), 120);
  // Last Sunday of March 2050 is the 27th.
  EXPECT_EQ(berlin.offsetAt(utcAt(2050, 3, 27, 0, 59)), 60);
  EXPECT_EQ(berlin.offsetAt(utcAt(2050, 3, 27, 1, 0)), 120);
  // Southern hemisphere: daylight time spans the new year.
  const TimeZone sydney = mustLoad("Australia/Sydney");
  EXPECT_EQ(sydney.offsetAt(utcAt(2022, 1, 15)), 660);
  EXPECT_EQ(sydney.offsetAt(utcAt(2022, 7, 15)), 600);
  EXPECT_EQ(sydney.offsetAt(utcAt(2050, 1, 15)), 660);
  EXPECT_EQ(sydney.offsetAt(utcAt(2050, 7, 15)), 600);
}

TEST(TimeZone, GapAndOverlapTakeTheEarlierOffset) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  const TimeZone z = mustLoad("Europe/Berlin");
  int offset = 0;
  // 02:30 on 2022-03-27 does not exist in Berlin: read with +01:00 (the offset before).
  EXPECT_EQ(z.toUtc(localSeconds(2022, 3, 27, 2, 30), offset), utcAt(2022, 3, 27, 1, 30));
  EXPECT_EQ(offset, 60);
  // 02:30 on 2022-10-30 happens twice: the first one, +02:00.
  EXPECT_EQ(z.toUtc(localSeconds(2022, 10, 30, 2, 30), offset), utcAt(2022, 10, 30, 0, 30));
  EXPECT_EQ(offset, 120);
  EXPECT_EQ(z.toUtc(localSeconds(2022, 7, 1, 12, 0), offset), utcAt(2022, 7, 1, 10, 0));
  EXPECT_EQ(offset, 120);
}

TEST(TimeZone, FixedOffsetZones) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  EXPECT_EQ(mustLoad("Etc/GMT-9").offsetAt(utcAt(2022, 1, 1)), 540);
  EXPECT_EQ(mustLoad("UTC").offsetAt(utcAt(2022, 1, 1)), 0);
  EXPECT_EQ(mustLoad("Asia/Kolkata").offsetAt(utcAt(2022, 1, 1)), 330);
}

TEST(TimeZone, RejectsNamesThatAreNotIanaNames) {
  for (std::string_view name :
       {"", "../../etc/passwd", "/etc/localtime", "Asia/../Seoul", "Asia/Seoul;rm", "Asia Seoul"}) {
    auto z = TimeZone::load(name);
    ASSERT_FALSE(z.ok()) << name;
    EXPECT_NE(z.error().message.find("IANA"), std::string::npos) << z.error().message;
  }
}

TEST(TimeZone, MissingZoneNamesTheFileItLookedFor) {
  auto z = TimeZone::load("Mars/Olympus_Mons");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message.find("zoneinfo/Mars/Olympus_Mons"), std::string::npos)
      << z.error().message;
  EXPECT_NE(z.error().message.find("tzdata"), std::string::npos) << z.error().message;
}

TEST(TimeZone, NotATzifFileIsAnError) {
  // Every zone directory has this text file beside the zones.
  if (!std::filesystem::exists("/usr/share/zoneinfo/iso3166.tab")) GTEST_SKIP();
  auto z = TimeZone::load("iso3166.tab");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message.find("not a TZif file"), std::string::npos) << z.error().message;
}

TEST(TimeZone, LocalFollowsTzVariable) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  {
    ScopedEnv tz("TZ", ":Asia/Seoul");
    const TimeZone z = TimeZone::local();
    EXPECT_EQ(z.name(), "Asia/Seoul");
    EXPECT_EQ(z.offsetAt(utcAt(2022, 11, 16)), 540);
  }
  {
    ScopedEnv tz("TZ", "Europe/Berlin");
    EXPECT_EQ(TimeZone::local().offsetAt(utcAt(2022, 7, 1)), 120);
  }
  {
    // A POSIX rule rather than a zone name.
    ScopedEnv tz("TZ", "CET-1CEST,M3.5.0,M10.5.0/3");
    const TimeZone z = TimeZone::local();
    EXPECT_EQ(z.offsetAt(utcAt(2022, 1, 15)), 60);
    EXPECT_EQ(z.offsetAt(utcAt(2022, 7, 1)), 120);
  }
  {
    ScopedEnv tz("TZ", "KST-9");
    EXPECT_EQ(TimeZone::local().offsetAt(utcAt(2022, 1, 15)), 540);
  }
  {
    ScopedEnv tz("TZ", "");
    EXPECT_EQ(TimeZone::local().offsetAt(utcAt(2022, 1, 15)), 0);
  }
}

TEST(TimeZone, CopiesShareTheTable) {
  if (!haveTzdata()) GTEST_SKIP() << "tzdata not installed";
  const TimeZone a = mustLoad("Europe/Berlin");
  const TimeZone b = a;  // NOLINT: the copy is the point
  EXPECT_EQ(b.offsetAt(utcAt(2022, 7, 1)), 120);
  EXPECT_EQ(b.name(), "Europe/Berlin");
}

}  // namespace
}  // namespace gw
