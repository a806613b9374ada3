// The listener SIGKILLed while taking in an urgent mention (after the mention's
// write, after the mention is stored with its classified event, and after the
// inbox item's write), restarted, and what a responder sees afterwards: the item
// in the inbox, the classified and created events on the bus once each, and a
// retried webhook recognised as a repeat.
#include <cctype>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/listener_service.grpc.pb.h"

#include "services/common/bus/subjects.h"
#include "tests/fault/fault_test.h"
#include "tests/support/http_probe.h"

namespace carecast::testing {
namespace {

namespace subjects = common::subjects;

// When the kill catches the classified event delivered to the listener-inbox
// consumer but not yet acknowledged, nothing opens the item until NATS
// redelivers it: after the consumer's ack wait (ConsumerSpec's default 30 s,
// which the listener keeps). The item must appear within that plus a margin.
constexpr absl::Duration kInboxDeadline = absl::Seconds(45);  // 30 s ack wait + 15 s

struct Step {
  std::string fault;  // CARECAST_FAULT_AT
  std::string name;   // the step it names
  // Nothing of the mention was stored: only the sender's retry brings it in.
  bool lost_until_retried = false;
};
void PrintTo(const Step& step, std::ostream* os) { *os << step.fault; }

class ListenerFaultTest : public FaultTest, public ::testing::WithParamInterface<Step> {
 protected:
  static Env ListenerEnv() { return {{"CARECAST_TRACKED_KEYWORDS", "St Marys"}}; }

  absl::StatusOr<HttpProbeResponse> PostMention(int http_port, const std::string& body) {
    return HttpCall(http_port, "POST", "/v1/mentions", body,
                    {{"Authorization", "Bearer " + hook_}, {"Content-Type", "application/json"}});
  }
  std::vector<v1::InboxItem> OpenItems(v1::ListenerService::Stub& listener) {
    v1::ListInboxItemsResponse resp;
    grpc::Status s =
        listener.ListInboxItems(Context(ray_).get(), v1::ListInboxItemsRequest(), &resp);
    if (!s.ok()) return {};
    return {resp.inbox_items().begin(), resp.inbox_items().end()};
  }
  int ClassifiedEvents(const std::string& external_id) {
    return CountEvents<v1::MentionClassified>(
        subjects::kMentionClassified,
        [&](const v1::MentionClassified& e) { return e.mention().external_id() == external_id; });
  }
  int CreatedEvents(const std::string& item) {
    return CountEvents<v1::InboxItemChanged>(
        subjects::kInboxCreated,
        [&](const v1::InboxItemChanged& e) { return e.inbox_item().name() == item; });
  }
};

TEST_P(ListenerFaultTest, UrgentMentionReachesTheInboxOnceAfterARestart) {
  const Step& step = GetParam();
  auto listener = StartWithFault(kListenerBinary, step.fault, ListenerEnv());
  ASSERT_TRUE(listener.ok()) << listener.status();

  const std::string external_id = "1790000000000000042";
  const std::string body = absl::StrCat(
      R"({"network":"x","external_id":")", external_id,
      R"(","author_handle":"@worried","text":"I can't go on, I want to kill myself tonight"})");
  auto lost = PostMention(listener->http_port, body);
  EXPECT_FALSE(lost.ok() && lost->status == 201) << "the listener was to die inside the webhook";
  absl::Status killed = ExpectKilledAt(*listener, step.name);
  ASSERT_TRUE(killed.ok()) << killed;

  listener = Start(kListenerBinary, ListenerEnv());
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto stub = v1::ListenerService::NewStub(ChannelTo(*listener));
  const absl::Time restarted = absl::Now();

  if (step.lost_until_retried) {
    EXPECT_TRUE(EventsOn(subjects::kMentionClassified).empty());
    auto retried = PostMention(listener->http_port, body);
    ASSERT_TRUE(retried.ok()) << retried.status();
    EXPECT_EQ(retried->status, 201) << retried->body;
  }
  // The responder sees the item (without anyone re-sending the mention, unless
  // nothing of it was stored).
  std::vector<v1::InboxItem> items;
  PollUntil(
      [&] {
        items = OpenItems(*stub);
        return !items.empty();
      },
      kInboxDeadline);
  ASSERT_EQ(items.size(), 1u);
  RecordProperty("inbox_item_after_restart_ms", absl::ToInt64Milliseconds(absl::Now() - restarted));
  const v1::InboxItem item = items[0];
  EXPECT_EQ(item.priority(), v1::PRIORITY_URGENT);
  EXPECT_TRUE(item.classification().urgent());
  EXPECT_TRUE(item.classification().needs_response());
  EXPECT_EQ(item.author_handle(), "@worried");

  EXPECT_EQ(WaitForCount([&] { return ClassifiedEvents(external_id); }, 1, absl::Seconds(10)), 1);
  EXPECT_EQ(WaitForCount([&] { return CreatedEvents(item.name()); }, 1, absl::Seconds(10)), 1);

  // The sender retries the webhook it saw fail: recognised, nothing doubled.
  auto retried = PostMention(listener->http_port, body);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->status, 200) << retried->body;
  EXPECT_EQ(OpenItems(*stub).size(), 1u);
  EXPECT_EQ(ClassifiedEvents(external_id), 1);
  EXPECT_EQ(CreatedEvents(item.name()), 1);
  EXPECT_EQ(WaitForNoOutboxMarkers(), 0) << "nothing may be left owing";
}

INSTANTIATE_TEST_SUITE_P(
    Steps, ListenerFaultTest,
    ::testing::Values(Step{"carecast_mentions:after_marker", "carecast_mentions:after_marker",
                           true},
                      Step{"carecast_mentions:after_write", "carecast_mentions:after_write"},
                      Step{"carecast_mentions:after_flush", "carecast_mentions:after_flush"},
                      Step{"listener:after_mention_stored", "listener:after_mention_stored"},
                      Step{"carecast_inbox:after_marker", "carecast_inbox:after_marker"},
                      Step{"carecast_inbox:after_write", "carecast_inbox:after_write"},
                      Step{"carecast_inbox:after_flush", "carecast_inbox:after_flush"}),
    [](const ::testing::TestParamInfo<Step>& info) {
      std::string name;
      for (char c : info.param.fault) name.push_back(std::isalnum(c) ? c : '_');
      return name;
    });

}  // namespace
}  // namespace carecast::testing
