// ListInboxItems / CloseInboxItem (the older name of ResolveInboxItem) on fakes:
// ordering, paging, closing by compare-and-set, every bad input, and the Redis
// index as a rebuildable cache. The rest of the workflow: inbox_workflow_test.cc.
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::HasSubstr;

class InboxTest : public ListenerFixture {
 protected:
  // Creates a mention that lands in the inbox; returns the item name.
  std::string Open(const std::string& external_id, const std::string& text) {
    auto result = listener_->CreateMention(MakeMention(external_id, text), "grpc");
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->inbox_item.empty()) << text;
    return result->inbox_item;
  }

  std::vector<std::string> Names(v1::InboxItemState state) {
    auto page = listener_->ListInboxItems(state, kMaxPageSize, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    for (const auto& item : page->items) names.push_back(item.name());
    return names;
  }

  v1::InboxItem Stored(const std::string& name) {
    v1::InboxItem item;
    auto entry = kv_.Bucket("carecast_inbox").Get(name.substr(std::string("inboxItems/").size()));
    EXPECT_TRUE(entry.ok());
    EXPECT_TRUE(item.ParseFromString(common::DecodeRecord(*entry).value));
    return item;
  }
};

TEST_F(InboxTest, OpenItemsAreListedSoonestDueFirst) {
  const std::string normal = Open("a", "Is parking free?");             // due in 4h
  const std::string high = Open("b", "terrible food");                  // due in 1h
  const std::string urgent = Open("c", "there is a gun in the lobby");  // due in 15m
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN), ::testing::ElementsAre(urgent, high, normal));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_UNSPECIFIED),
              ::testing::ElementsAre(urgent, high, normal));
  EXPECT_TRUE(Names(v1::INBOX_ITEM_STATE_CLOSED).empty());
}

TEST_F(InboxTest, PagesFollowTheTokenWithoutGapsOrRepeats) {
  std::set<std::string> all;
  for (int i = 0; i < 5; ++i) {
    all.insert(Open(absl::StrCat("m", i), "rude"));
    clock_.Advance(absl::Seconds(1));
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->items.size(), 2u);
    for (const auto& item : page->items) EXPECT_TRUE(seen.insert(item.name()).second);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, all);
}

TEST_F(InboxTest, ItemsClosedBetweenPagesDoNotShiftThePaging) {
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    names.push_back(Open(absl::StrCat("s", i), "rude"));
    clock_.Advance(absl::Seconds(1));
  }
  auto first = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 2, "");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 2u);
  ASSERT_TRUE(listener_->CloseInboxItem(names[0], "answered", "alice").ok());
  auto second = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 2, first->next_page_token);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->items[0].name(), names[2]);
  EXPECT_EQ(second->items[1].name(), names[3]);
}

TEST_F(InboxTest, BadListArgumentsAreInvalid) {
  Open("x1", "rude");
  EXPECT_EQ(listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, -1, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(listener_->ListInboxItems(static_cast<v1::InboxItemState>(7), 0, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "not-a-token").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string open_token = EncodePageToken({v1::INBOX_ITEM_STATE_OPEN, 0, "abc"});
  EXPECT_EQ(listener_->ListInboxItems(v1::INBOX_ITEM_STATE_CLOSED, 0, open_token).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Larger than the maximum is coerced, not refused.
  auto big = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 100000, "");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->items.size(), 1u);
}

TEST_F(InboxTest, CloseMovesTheItemAndAnnouncesIt) {
  const std::string name = Open("c1", "rude");
  clock_.Advance(absl::Minutes(30));
  auto closed = listener_->CloseInboxItem(name, "Replied publicly and took it offline", "alice");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state(), v1::INBOX_ITEM_STATE_RESOLVED);
  EXPECT_EQ(closed->closed_by(), "alice");
  EXPECT_EQ(closed->resolution(), "Replied publicly and took it offline");
  EXPECT_EQ(FromTimestamp(closed->close_time()), clock_.Now());
  EXPECT_EQ(Stored(name).state(), v1::INBOX_ITEM_STATE_RESOLVED);

  std::vector<common::Event> events = Events("carecast.inbox.closed");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "inbox." + name.substr(11) + ".closed");
  v1::InboxItemChanged payload;
  ASSERT_TRUE(common::DecodeEvent(events[0], &payload).ok());
  EXPECT_EQ(payload.actor(), "alice");
  EXPECT_EQ(payload.inbox_item().state(), v1::INBOX_ITEM_STATE_RESOLVED);

  EXPECT_TRUE(Names(v1::INBOX_ITEM_STATE_OPEN).empty());
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_CLOSED), ::testing::ElementsAre(name));
}

TEST_F(InboxTest, ClosedItemsAreListedNewestFirst) {
  const std::string a = Open("n1", "rude");
  const std::string b = Open("n2", "rude");
  ASSERT_TRUE(listener_->CloseInboxItem(a, "", "alice").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(listener_->CloseInboxItem(b, "", "alice").ok());
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_CLOSED), ::testing::ElementsAre(b, a));
}

TEST_F(InboxTest, BadClosesChangeNothing) {
  const std::string name = Open("e1", "rude");
  const uint64_t revision = kv_.Bucket("carecast_inbox").Get(name.substr(11)).value().revision;
  struct Case {
    std::string name;
    std::string resolution;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"inboxItems/0123456789abcdef", "", absl::StatusCode::kNotFound, "not found"},
      {"mentions/abc", "", absl::StatusCode::kInvalidArgument, "inboxItems/{inbox_item}"},
      {"inboxItems/", "", absl::StatusCode::kInvalidArgument, "inboxItems/{inbox_item}"},
      {"inboxItems/A B", "", absl::StatusCode::kInvalidArgument, "inboxItems/{inbox_item}"},
      {name, std::string(1001, 'r'), absl::StatusCode::kInvalidArgument, "at most 1000"},
      {name, "bad \xff", absl::StatusCode::kInvalidArgument, "UTF-8"},
  };
  for (const Case& c : cases) {
    auto result = listener_->CloseInboxItem(c.name, c.resolution, "alice");
    EXPECT_EQ(result.status().code(), c.code) << c.name;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message)) << c.name;
  }
  // 1000 characters of multi-byte text is within the limit.
  std::string thousand;
  for (int i = 0; i < 1000; ++i) thousand += "\xc3\xa9";
  EXPECT_EQ(kv_.Bucket("carecast_inbox").Get(name.substr(11)).value().revision, revision);
  EXPECT_TRUE(Events("carecast.inbox.closed").empty());
  EXPECT_TRUE(listener_->CloseInboxItem(name, thousand, "alice").ok());
}

TEST_F(InboxTest, ClosingAClosedItemIsAFailedPrecondition) {
  const std::string name = Open("d1", "rude");
  ASSERT_TRUE(listener_->CloseInboxItem(name, "done", "alice").ok());
  const uint64_t revision = kv_.Bucket("carecast_inbox").Get(name.substr(11)).value().revision;
  auto again = listener_->CloseInboxItem(name, "done too", "bob");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already resolved"));
  EXPECT_EQ(listener_->CloseInboxItem(name, "other", "alice").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(kv_.Bucket("carecast_inbox").Get(name.substr(11)).value().revision, revision);
  EXPECT_EQ(Stored(name).closed_by(), "alice");
  EXPECT_EQ(Events("carecast.inbox.closed").size(), 1u);
}

TEST_F(InboxTest, CloseDuringABusOutageIsRecordedAndItsEventDeliveredOnce) {
  const std::string name = Open("r1", "rude");
  bus_.FailNextPublishes(100, absl::UnavailableError("nats down"));
  // The close and its event are one durable write; the event waits for the bus.
  auto closed = listener_->CloseInboxItem(name, "done", "alice");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(Stored(name).state(), v1::INBOX_ITEM_STATE_RESOLVED);
  EXPECT_TRUE(Events("carecast.inbox.closed").empty());
  bus_.FailNextPublishes(0, absl::OkStatus());

  auto retried = listener_->CloseInboxItem(name, "done", "alice");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Events("carecast.inbox.closed").size(), 1u);
  ASSERT_TRUE(listener_->CloseInboxItem(name, "done", "alice").ok());
  EXPECT_EQ(Events("carecast.inbox.closed").size(), 1u);
}

TEST_F(InboxTest, IndexIsRebuiltFromKvAfterRedisIsWiped) {
  const std::string a = Open("w1", "rude");
  const std::string b = Open("w2", "Is parking free?");
  const std::string c = Open("w3", "call 911 now");
  ASSERT_TRUE(listener_->CloseInboxItem(b, "answered", "alice").ok());
  ASSERT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN), ::testing::ElementsAre(c, a));

  index_.Wipe();
  EXPECT_FALSE(index_.HasMarker(kIndexMarker).value());
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN), ::testing::ElementsAre(c, a));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_CLOSED), ::testing::ElementsAre(b));
  EXPECT_TRUE(index_.HasMarker(kIndexMarker).value());
  EXPECT_EQ(index_.Count(kOpenIndex, -1e18, 1e18).value(), 2);
}

TEST_F(InboxTest, ListingFallsBackToKvWhileRedisIsDown) {
  const std::string a = Open("f1", "rude");
  clock_.Advance(absl::Seconds(1));
  const std::string b = Open("f2", "rude");
  index_.FailAll(absl::UnavailableError("redis down"));
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 1, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name(), a);
  auto next = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 1, page->next_page_token);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->items.size(), 1u);
  EXPECT_EQ(next->items[0].name(), b);
  EXPECT_TRUE(next->next_page_token.empty());

  // Closing still works: KV is the record; the index catches up on the next listing.
  ASSERT_TRUE(listener_->CloseInboxItem(a, "done", "alice").ok());
  index_.FailAll(absl::OkStatus());
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN), ::testing::ElementsAre(b));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_CLOSED), ::testing::ElementsAre(a));
}

TEST_F(InboxTest, StaleIndexEntriesAreDroppedWhenRead) {
  const std::string a = Open("g1", "rude");
  ASSERT_EQ(Names(v1::INBOX_ITEM_STATE_OPEN).size(), 1u);  // builds the marker
  ASSERT_TRUE(index_.Add(kOpenIndex, {{"0123456789abcdef", 0}}).ok());
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN), ::testing::ElementsAre(a));
  EXPECT_EQ(index_.Count(kOpenIndex, -1e18, 1e18).value(), 1);
}

}  // namespace
}  // namespace carecast::listener
