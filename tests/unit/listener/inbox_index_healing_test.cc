// The inbox indexes heal without their marker going missing: a reconciliation
// (at start, then every period) puts items back, moves them between the open
// and closed indexes and drops ids the inbox bucket does not have.
#include <gtest/gtest.h>

#include "services/listener/inbox.h"
#include "services/listener/listener_config.h"
#include "tests/support/metric_values.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class InboxIndexHealingTest : public ListenerFixture {
 protected:
  std::string Open(const std::string& external_id, const std::string& text) {
    auto result = listener_->CreateMention(MakeMention(external_id, text), "grpc");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->inbox_item : "";
  }

  std::vector<std::string> Names(v1::InboxItemState state) {
    auto page = listener_->ListInboxItems(state, kMaxPageSize, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok())
      for (const auto& item : page->items) names.push_back(item.name());
    return names;
  }

  // What a DEL of both sorted sets does: every member gone, the marker kept.
  void DeleteInboxSets() {
    ASSERT_TRUE(listener_->WarmInboxIndex().ok());  // built, marker set
    for (std::string_view index : {kOpenIndex, kClosedIndex}) {
      auto members = index_.RangeByScore(index, -kInf, kInf, 0, 100000);
      ASSERT_TRUE(members.ok());
      for (const auto& m : *members) ASSERT_TRUE(index_.Remove(index, m.member).ok());
    }
    ASSERT_TRUE(*index_.HasMarker(kIndexMarker));
  }

  double Repairs(std::string_view index, std::string_view kind) {
    return carecast::testing::SeriesValue(
               registry_, "carecast_index_repairs_total",
               {{"index", std::string(index)}, {"kind", std::string(kind)}})
        .value_or(-1);
  }
};

TEST_F(InboxIndexHealingTest, SetsDeletedBehindTheirMarkerAreListedAgainAfterOneReconciliation) {
  const std::string a = Open("m1", "terrible food");
  const std::string b = Open("m2", "Is parking free?");
  ASSERT_TRUE(listener_->CloseInboxItem(b, "answered", "carol").ok());
  DeleteInboxSets();
  EXPECT_TRUE(Names(v1::INBOX_ITEM_STATE_OPEN).empty());  // the marker alone says "built"

  auto report = listener_->ReconcileInboxIndex();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Names(v1::INBOX_ITEM_STATE_OPEN), std::vector<std::string>{a});
  EXPECT_EQ(Names(v1::INBOX_ITEM_STATE_CLOSED), std::vector<std::string>{b});
  EXPECT_EQ(Repairs("inbox_open", "added"), 1);
  EXPECT_EQ(Repairs("inbox_closed", "added"), 1);
}

TEST_F(InboxIndexHealingTest, AnIdTheBucketDoesNotHaveIsRemovedAndAMisplacedItemMoved) {
  const std::string a = Open("m1", "terrible food");
  const std::string id = a.substr(std::string("inboxItems/").size());
  ASSERT_TRUE(listener_->WarmInboxIndex().ok());
  ASSERT_TRUE(index_.Add(kClosedIndex, {{"ghost", -1}, {id, -2}}).ok());
  auto report = listener_->ReconcileInboxIndex();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(*index_.Count(kClosedIndex, -kInf, kInf), 0);
  EXPECT_EQ(*index_.Count(kOpenIndex, -kInf, kInf), 1);
  EXPECT_EQ(Repairs("inbox_closed", "removed"), 2);
  bool logged = false;
  for (const auto& line : logger_.lines())
    logged = logged || line.message == "index reconciled with KV: repairs made";
  EXPECT_TRUE(logged);
}

TEST_F(InboxIndexHealingTest, TheRunnerStartedWithTheListenerHealsWithinItsPeriod) {
  options_.index_reconcile_period = absl::Milliseconds(20);
  auto listener = Listener::Create(options_, {.buckets = kv_,
                                              .bus = bus_,
                                              .index = index_,
                                              .classifier = classifier_,
                                              .metrics = metrics_,
                                              .clock = clock_,
                                              .logger = logger_});
  ASSERT_TRUE(listener.ok()) << listener.status();
  Open("m1", "terrible food");
  DeleteInboxSets();
  ASSERT_TRUE((*listener)->Start().ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (*index_.Count(kOpenIndex, -kInf, kInf) == 0 && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(*index_.Count(kOpenIndex, -kInf, kInf), 1);
  (*listener)->Stop();
}

TEST_F(InboxIndexHealingTest, SeriesExistAtZeroAndThePeriodIsConfigured) {
  for (std::string_view index : {"inbox_open", "inbox_closed"})
    for (std::string_view kind : {"added", "fixed", "removed"})
      EXPECT_EQ(Repairs(index, kind), 0) << index << " " << kind;
  auto config = ReadListenerConfig(common::MapEnv({{"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
                                                   {"CARECAST_REDIS_URL", "redis://127.0.0.1:6379"},
                                                   {"CARECAST_JWT_PUBLIC_KEY_FILE", "/tmp/k.pem"},
                                                   {"CARECAST_INDEX_RECONCILE_PERIOD", "2m"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->options.index_reconcile_period, absl::Minutes(2));
}

}  // namespace
}  // namespace carecast::listener
