// OutboxStore on a real state database: what is added is there after a reopen (the kill -9
// case), merging replaces content and resets attempts, attempts are saved, removal is final.
#include "store/outbox_store.h"

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "store/state_db.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

constexpr Timestamp kT0{Millis{1'700'000'000'000}};

OutboxEntry entry(const std::string& sink, const std::string& incident, const std::string& event,
                  Timestamp created) {
  return OutboxEntry{.sink = sink,
                     .incident_id = incident,
                     .event = event,
                     .idempotency_key = incident + "." + event + ".k1",
                     .alert_json = R"({"v":1,"event":")" + event + R"("})",
                     .created_at = created,
                     .next_attempt_at = created,
                     .attempts = 0,
                     .last_error = {}};
}

class OutboxStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  // Closes and opens the database again, as a restarted daemon would.
  void reopen() {
    store_.reset();
    opened_.reset();
    auto opened = openStateDatabase(dir_.path().string(), kT0);
    ASSERT_TRUE(opened) << opened.error().message;
    opened_.emplace(std::move(*opened));
    auto store = OutboxStore::open(opened_->db);
    ASSERT_TRUE(store) << store.error().message;
    store_.emplace(std::move(*store));
  }
  OutboxStore& store() { return *store_; }

  testing::TempDir dir_;
  std::optional<StateDbOpened> opened_;
  std::optional<OutboxStore> store_;
};

TEST_F(OutboxStoreTest, AddedEntriesComeBackOldestFirstWithEveryField) {
  auto first = store().add(entry("ops-slack", "inc-a", "firing", kT0));
  auto second = store().add(entry("pager", "inc-a", "firing", kT0 + 5ms));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_GT(*first, 0);
  EXPECT_GT(*second, *first);

  auto all = store().all();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  const OutboxEntry& e = all->front();
  EXPECT_EQ(e.id, *first);
  EXPECT_EQ(e.sink, "ops-slack");
  EXPECT_EQ(e.incident_id, "inc-a");
  EXPECT_EQ(e.event, "firing");
  EXPECT_EQ(e.idempotency_key, "inc-a.firing.k1");
  EXPECT_EQ(e.alert_json, R"({"v":1,"event":"firing"})");
  EXPECT_EQ(e.created_at, kT0);
  EXPECT_EQ(e.next_attempt_at, kT0);
  EXPECT_EQ(e.attempts, 0u);
  EXPECT_EQ(e.last_error, "");
  EXPECT_EQ((*all)[1].id, *second);
  EXPECT_EQ((*all)[1].sink, "pager");
  EXPECT_EQ((*all)[1].created_at, kT0 + 5ms);
  EXPECT_EQ(store().count().value(), 2);
}

TEST_F(OutboxStoreTest, EntriesSurviveAReopen) {
  ASSERT_TRUE(store().add(entry("ops-slack", "inc-a", "firing", kT0)));
  auto id = store().add(entry("ops-slack", "inc-b", "resolved", kT0 + 1s));
  ASSERT_TRUE(id);
  ASSERT_TRUE(store().recordAttempt(*id, 3, kT0 + 1min, "HTTP 503"));
  reopen();
  ASSERT_EQ(store().count().value(), 2);
  auto all = store().all().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].id, *id);
  EXPECT_EQ(all[1].event, "resolved");
  EXPECT_EQ(all[1].attempts, 3u);
  EXPECT_EQ(all[1].next_attempt_at, kT0 + 1min);
  EXPECT_EQ(all[1].last_error, "HTTP 503");
}

TEST_F(OutboxStoreTest, LatestIsTheNewestEntryOfThatSinkAndIncident) {
  EXPECT_FALSE(store().latest("ops-slack", "inc-a").value().has_value());
  ASSERT_TRUE(store().add(entry("ops-slack", "inc-a", "firing", kT0)));
  auto newer = store().add(entry("ops-slack", "inc-a", "reminder", kT0 + 1s));
  ASSERT_TRUE(store().add(entry("pager", "inc-a", "resolved", kT0 + 2s)));
  ASSERT_TRUE(store().add(entry("ops-slack", "inc-b", "resolved", kT0 + 3s)));

  auto latest = store().latest("ops-slack", "inc-a");
  ASSERT_TRUE(latest) << latest.error().message;
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->id, *newer);
  EXPECT_EQ((*latest)->event, "reminder");
  EXPECT_FALSE(store().latest("pager", "inc-b").value().has_value());
}

TEST_F(OutboxStoreTest, ReplaceSwapsContentAndKeyAndResetsAttempts) {
  auto id = store().add(entry("ops-slack", "inc-a", "firing", kT0));
  ASSERT_TRUE(id);
  ASSERT_TRUE(store().recordAttempt(*id, 2, kT0 + 4s, "HTTP 500"));
  auto replaced =
      store().replace(*id, "resolved", "inc-a.resolved.k2", R"({"v":1,"merged":true})", kT0 + 4s);
  ASSERT_TRUE(replaced) << replaced.error().message;

  const OutboxEntry e = store().latest("ops-slack", "inc-a").value().value();
  EXPECT_EQ(e.id, *id);
  EXPECT_EQ(e.event, "resolved");
  EXPECT_EQ(e.idempotency_key, "inc-a.resolved.k2");
  EXPECT_EQ(e.alert_json, R"({"v":1,"merged":true})");
  EXPECT_EQ(e.attempts, 0u);
  EXPECT_EQ(e.last_error, "");
  EXPECT_EQ(e.next_attempt_at, kT0 + 4s);
  EXPECT_EQ(e.created_at, kT0) << "max_age counts from the first queued notification";
  EXPECT_EQ(store().count().value(), 1);
}

TEST_F(OutboxStoreTest, ReplaceOrRecordAttemptOfAMissingEntryIsAnError) {
  auto replaced = store().replace(4242, "resolved", "k", "{}", kT0);
  ASSERT_FALSE(replaced);
  EXPECT_NE(replaced.error().message.find("4242"), std::string::npos) << replaced.error().message;
  auto recorded = store().recordAttempt(4242, 1, kT0, "HTTP 500");
  ASSERT_FALSE(recorded);
  EXPECT_NE(recorded.error().message.find("4242"), std::string::npos);
  EXPECT_EQ(store().count().value(), 0) << "nothing was created by either";
}

TEST_F(OutboxStoreTest, RemoveDeletesOnlyThatEntryAndIsIdempotent) {
  auto a = store().add(entry("ops-slack", "inc-a", "firing", kT0));
  auto b = store().add(entry("pager", "inc-a", "firing", kT0));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(store().remove(*a));
  EXPECT_EQ(store().count().value(), 1);
  EXPECT_TRUE(store().remove(*a)) << "already gone is not a failure";
  auto all = store().all().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, *b);
  reopen();
  EXPECT_EQ(store().count().value(), 1);
}

TEST_F(OutboxStoreTest, IdsAreNotReusedAfterRemoval) {
  auto a = store().add(entry("ops-slack", "inc-a", "firing", kT0));
  auto b = store().add(entry("ops-slack", "inc-b", "firing", kT0));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(store().remove(*b));
  auto c = store().add(entry("ops-slack", "inc-c", "firing", kT0));
  ASSERT_TRUE(c);
  // Ids are sending order and name one notification in logs: the newest id is not handed out
  // again even though its entry is gone.
  EXPECT_GT(*c, *b);
}

TEST_F(OutboxStoreTest, TextWithQuotesNulBytesAndUnicodeRoundTrips) {
  OutboxEntry e = entry("ops-slack", "inc-'a\"", "firing", kT0);
  e.alert_json = std::string("{\"line\":\"GET /<!channel> ✓ ") + '\0' + "tail\"}";
  e.last_error = "Slack said: invalid_payload; DROP TABLE outbox;--";
  auto id = store().add(e);
  ASSERT_TRUE(id) << id.error().message;
  const OutboxEntry back = store().all().value().at(0);
  EXPECT_EQ(back.incident_id, e.incident_id);
  EXPECT_EQ(back.alert_json, e.alert_json);
  EXPECT_EQ(back.last_error, e.last_error);
}

}  // namespace
}  // namespace gw
