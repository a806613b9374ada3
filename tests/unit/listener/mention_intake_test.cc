// CreateMention / GetMention on fakes: acceptance, classification, the inbox
// item, idempotency, every kind of bad input, and recovery after a failure
// between the KV write and the events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class MentionIntakeTest : public ListenerFixture {};

TEST_F(MentionIntakeTest, AcceptsClassifiesStoresAndOpensAnInboxItem) {
  auto result = listener_->CreateMention(
      MakeMention("1001", "The staff at St Marys were rude. Why so slow?"), "grpc");
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string id = MentionId(v1::NETWORK_X, "1001");
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->mention.name(), "mentions/" + id);
  EXPECT_EQ(result->inbox_item, "inboxItems/" + id);
  const v1::Classification& c = result->mention.classification();
  EXPECT_EQ(c.sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_THAT(c.keywords(), ElementsAre("St Marys"));
  EXPECT_TRUE(c.needs_response());
  EXPECT_EQ(FromTimestamp(result->mention.receive_time()), clock_.Now());
  // No create_time given: the receive time stands in.
  EXPECT_EQ(FromTimestamp(result->mention.create_time()), clock_.Now());

  // Stored durably.
  auto got = listener_->GetMention(result->mention.name());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), result->mention.SerializeAsString());

  // Announced.
  std::vector<common::Event> classified = Events("carecast.mention.classified");
  ASSERT_EQ(classified.size(), 1u);
  EXPECT_EQ(classified[0].id, "mention." + id + ".classified");
  v1::MentionClassified payload;
  ASSERT_TRUE(common::DecodeEvent(classified[0], &payload).ok());
  EXPECT_EQ(payload.mention().name(), result->mention.name());
  EXPECT_EQ(payload.mention().classification().sentiment(), v1::SENTIMENT_NEGATIVE);
  // The event also carries the engine's full analysis of the text.
  EXPECT_EQ(payload.analysis().sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_THAT(payload.analysis().keywords(), ::testing::Contains("St Marys"));

  std::vector<common::Event> created = Events("carecast.inbox.created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].id, "inbox." + id + ".created");
  v1::InboxItemChanged changed;
  ASSERT_TRUE(common::DecodeEvent(created[0], &changed).ok());
  const v1::InboxItem& item = changed.inbox_item();
  EXPECT_EQ(item.name(), "inboxItems/" + id);
  EXPECT_EQ(item.mention(), "mentions/" + id);
  EXPECT_EQ(item.state(), v1::INBOX_ITEM_STATE_NEW);
  EXPECT_EQ(item.priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(FromTimestamp(item.due_time()), clock_.Now() + absl::Hours(1));
  EXPECT_EQ(item.text(), "The staff at St Marys were rude. Why so slow?");
  EXPECT_EQ(item.network(), v1::NETWORK_X);

  // Listed.
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_UNSPECIFIED, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name(), "inboxItems/" + id);

  EXPECT_EQ(metrics_.ReceivedCount("x", "grpc"), 1);
  EXPECT_EQ(metrics_.InboxCreatedCount("high"), 1);
}

TEST_F(MentionIntakeTest, MentionThatNeedsNoAnswerStaysOutOfTheInbox) {
  auto result = listener_->CreateMention(
      MakeMention("2002", "Thank you St Marys, wonderful nurses", v1::NETWORK_MASTODON), "grpc");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->mention.classification().needs_response());
  EXPECT_EQ(result->inbox_item, "");
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.>").size(), 0u);
  EXPECT_EQ(KeyCount("carecast_inbox"), 0u);
  EXPECT_TRUE(listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "")->items.empty());
}

TEST_F(MentionIntakeTest, PriorityAndDueTimeFollowTheClassification) {
  struct Case {
    std::string text;
    v1::Priority priority;
    absl::Duration sla;
  };
  const std::vector<Case> cases = {
      {"Someone is having a heart attack, call 911", v1::PRIORITY_URGENT, absl::Minutes(15)},
      {"Terrible service", v1::PRIORITY_HIGH, absl::Hours(1)},
      {"Is parking free?", v1::PRIORITY_NORMAL, absl::Hours(4)},
      {"Thanks, great team! Are you open Sunday?", v1::PRIORITY_LOW, absl::Hours(24)},
  };
  int n = 0;
  for (const Case& c : cases) {
    auto result = listener_->CreateMention(MakeMention(absl::StrCat("p", n++), c.text), "grpc");
    ASSERT_TRUE(result.ok()) << result.status();
    auto item = kv_.Bucket("carecast_inbox").Get(result->inbox_item.substr(11));
    ASSERT_TRUE(item.ok()) << c.text;
    v1::InboxItem parsed;
    ASSERT_TRUE(parsed.ParseFromString(common::DecodeRecord(*item).value));
    EXPECT_EQ(parsed.priority(), c.priority) << c.text;
    EXPECT_EQ(FromTimestamp(parsed.due_time()), clock_.Now() + c.sla) << c.text;
  }
}

TEST_F(MentionIntakeTest, RepeatReturnsTheStoredMentionAndChangesNothing) {
  auto first = listener_->CreateMention(MakeMention("3003", "awful wait"), "grpc");
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Minutes(10));
  // Same (network, external_id), other text: the first one stands.
  auto second = listener_->CreateMention(MakeMention("3003", "lovely"), "webhook");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->mention.SerializeAsString(), first->mention.SerializeAsString());
  EXPECT_EQ(second->inbox_item, first->inbox_item);
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.created").size(), 1u);
  EXPECT_EQ(KeyCount("carecast_inbox"), 1u);
  EXPECT_EQ(metrics_.InboxCreatedCount("high"), 1);
  EXPECT_EQ(metrics_.ReceivedCount("x", "webhook"), 1);

  // Another network with the same external id is another mention.
  auto other = listener_->CreateMention(MakeMention("3003", "awful", v1::NETWORK_FACEBOOK), "grpc");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  EXPECT_NE(other->mention.name(), first->mention.name());
}

struct BadCase {
  std::string label;
  v1::Mention mention;
  std::string message;
  std::string reason;
};

TEST_F(MentionIntakeTest, BadInputIsRejectedWithAReasonAndChangesNothing) {
  std::vector<BadCase> cases;
  auto add = [&](std::string label, auto mutate, std::string message, std::string reason) {
    v1::Mention m = MakeMention("4004", "hello there");
    mutate(m);
    cases.push_back({std::move(label), std::move(m), std::move(message), std::move(reason)});
  };
  add(
      "no network", [](v1::Mention& m) { m.clear_network(); }, "network must be set", "network");
  add(
      "unknown network", [](v1::Mention& m) { m.set_network(static_cast<v1::Network>(99)); },
      "not a known network", "network");
  add(
      "no external id", [](v1::Mention& m) { m.clear_external_id(); }, "external_id",
      "external_id");
  add(
      "external id with space", [](v1::Mention& m) { m.set_external_id("a b"); }, "external_id",
      "external_id");
  add(
      "external id too long", [](v1::Mention& m) { m.set_external_id(std::string(257, 'a')); },
      "external_id", "external_id");
  add(
      "external id not ascii", [](v1::Mention& m) { m.set_external_id("caf\xc3\xa9"); },
      "external_id", "external_id");
  add(
      "handle too long", [](v1::Mention& m) { m.set_author_handle(std::string(257, 'h')); },
      "author_handle", "author_handle");
  add(
      "handle invalid utf-8", [](v1::Mention& m) { m.set_author_handle("\xc3\x28"); },
      "author_handle must be valid UTF-8", "author_handle");
  add(
      "no text", [](v1::Mention& m) { m.clear_text(); }, "text must not be empty", "text_empty");
  add(
      "blank text", [](v1::Mention& m) { m.set_text(" \n\t "); }, "text must not be empty",
      "text_empty");
  add(
      "invalid utf-8", [](v1::Mention& m) { m.set_text("bad \xff byte"); },
      "text must be valid UTF-8", "text_utf8");
  add(
      "overlong encoding", [](v1::Mention& m) { m.set_text("\xc0\xaf"); },
      "text must be valid UTF-8", "text_utf8");
  add(
      "surrogate", [](v1::Mention& m) { m.set_text("\xed\xa0\x80"); }, "text must be valid UTF-8",
      "text_utf8");
  add(
      "oversized text", [](v1::Mention& m) { m.set_text(std::string(1001, 'a')); },
      "at most 1000 bytes", "text_size");
  add(
      "future create_time",
      [this](v1::Mention& m) {
        *m.mutable_create_time() = ToTimestamp(clock_.Now() + absl::Minutes(6));
      },
      "future", "create_time");
  add(
      "invalid create_time", [](v1::Mention& m) { m.mutable_create_time()->set_nanos(-1); },
      "not a valid timestamp", "create_time");

  for (const BadCase& c : cases) {
    const double before = metrics_.RejectedCount(c.reason);
    auto result = listener_->CreateMention(c.mention, "grpc");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.label;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message)) << c.label;
    EXPECT_EQ(metrics_.RejectedCount(c.reason), before + 1) << c.label;
  }
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
  EXPECT_EQ(KeyCount("carecast_inbox"), 0u);
  EXPECT_TRUE(Events().empty());
}

TEST_F(MentionIntakeTest, SlightlyFutureAndPastCreateTimesAreAccepted) {
  v1::Mention soon = MakeMention("5005", "hello");
  *soon.mutable_create_time() = ToTimestamp(clock_.Now() + absl::Minutes(4));
  auto a = listener_->CreateMention(soon, "grpc");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(FromTimestamp(a->mention.create_time()), clock_.Now() + absl::Minutes(4));

  v1::Mention old = MakeMention("5006", "hello");
  *old.mutable_create_time() = ToTimestamp(clock_.Now() - absl::Hours(24 * 400));
  EXPECT_TRUE(listener_->CreateMention(old, "grpc").ok());
}

TEST_F(MentionIntakeTest, OutputOnlyFieldsFromTheCallerAreIgnored) {
  v1::Mention m = MakeMention("6006", "Thank you");
  m.set_name("mentions/chosen-by-caller");
  m.mutable_classification()->set_urgent(true);
  m.mutable_classification()->set_needs_response(true);
  auto result = listener_->CreateMention(m, "grpc");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->mention.name(), "mentions/" + MentionId(v1::NETWORK_X, "6006"));
  EXPECT_FALSE(result->mention.classification().urgent());
  EXPECT_FALSE(result->mention.classification().needs_response());
}

TEST_F(MentionIntakeTest, BusOutageAfterTheKvWriteIsCompletedByTheRetryExactlyOnce) {
  bus_.FailNextPublishes(100, absl::UnavailableError("nats down"));
  // Accepted durably with what it owes the bus (the mention and its inbox item
  // each carry their event in their record), not yet announced.
  auto accepted = listener_->CreateMention(MakeMention("7007", "rude and slow"), "webhook");
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->created);
  EXPECT_EQ(KeyCount("carecast_mentions"), 1u);
  EXPECT_EQ(KeyCount("carecast_inbox"), 1u);
  EXPECT_TRUE(Events().empty());
  bus_.FailNextPublishes(0, absl::OkStatus());

  auto retried = listener_->CreateMention(MakeMention("7007", "rude and slow"), "webhook");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->created);
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.created").size(), 1u);

  // Once complete, repeats publish nothing more, even past the duplicate window.
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(listener_->CreateMention(MakeMention("7007", "rude and slow"), "webhook").ok());
  EXPECT_EQ(Events().size(), 2u);
  EXPECT_EQ(metrics_.InboxCreatedCount("high"), 1);
}

TEST_F(MentionIntakeTest, RedisFailureBeforeTheInboxEventIsCompletedByTheRetry) {
  index_.FailAll(absl::UnavailableError("redis down"));
  auto failed = listener_->CreateMention(MakeMention("8008", "terrible"), "grpc");
  ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  // The item is stored and announced; only its index waits for Redis.
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.created").size(), 1u);

  index_.FailAll(absl::OkStatus());
  ASSERT_TRUE(listener_->CreateMention(MakeMention("8008", "terrible"), "grpc").ok());
  EXPECT_EQ(Events("carecast.mention.classified").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.created").size(), 1u);
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 1u);
}

TEST_F(MentionIntakeTest, KvOutageIsUnavailableAndPublishesNothing) {
  kv_.Bucket("carecast_mentions").FailAll(absl::UnavailableError("kv down"));
  auto result = listener_->CreateMention(MakeMention("9009", "terrible"), "grpc");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Events().empty());
}

TEST_F(MentionIntakeTest, GetMentionChecksTheName) {
  auto created = listener_->CreateMention(MakeMention("1111", "hello"), "grpc");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(listener_->GetMention(created->mention.name()).ok());
  EXPECT_EQ(listener_->GetMention("mentions/0123456789abcdef").status().code(),
            absl::StatusCode::kNotFound);
  for (const char* bad :
       {"", "mentions/", "posts/abc", "mentions/UPPER", "mentions/a/b", "mentions/done.x"}) {
    EXPECT_EQ(listener_->GetMention(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(MentionIntakeTest, AnalyzeTextChecksItsInputAndStoresNothing) {
  auto analysis = listener_->AnalyzeText("Terrible. Call me at 5551234567", false);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  EXPECT_EQ(analysis->sentiment(), v1::SENTIMENT_NEGATIVE);
  EXPECT_TRUE(analysis->contains_phi());
  EXPECT_EQ(listener_->AnalyzeText("bad \xff", false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(listener_->AnalyzeText(std::string(1001, 'a'), false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(listener_->AnalyzeText("", true).ok());
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
  EXPECT_TRUE(Events().empty());
}

TEST_F(MentionIntakeTest, LogsCarryNoTextOrHandles) {
  ASSERT_TRUE(listener_->CreateMention(MakeMention("1212", "secretword is rude"), "grpc").ok());
  for (const auto& line : logger_.lines()) {
    EXPECT_THAT(line.message, ::testing::Not(HasSubstr("secretword")));
    for (const auto& [key, value] : line.fields) {
      if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_THAT(*s, ::testing::Not(HasSubstr("secretword"))) << key;
        EXPECT_THAT(*s, ::testing::Not(HasSubstr("@someone"))) << key;
      }
    }
  }
}

}  // namespace
}  // namespace carecast::listener
