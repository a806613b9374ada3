#include "tests/support/fake_event_bus.h"

#include <atomic>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/topology.h"

namespace carecast::testing {
namespace {

namespace events = common::events;

common::Event MakeTestEvent(std::string id, std::string_view subject) {
  common::Event e;
  e.id = std::move(id);
  e.subject = std::string(subject);
  return e;
}

TEST(FakeEventBusTest, DeduplicatesById) {
  FakeEventBus bus;
  ASSERT_TRUE(common::EnsureStreams(bus, {}).ok());
  auto first = bus.Publish(MakeTestEvent("e1", events::kPostPublished.subject));
  auto again = bus.Publish(MakeTestEvent("e1", events::kPostPublished.subject));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_FALSE(first->duplicate);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(bus.Published(common::DomainFilter(events::kPostPublished)).size(), 1u);
}

TEST(FakeEventBusTest, RejectsSubjectsWithoutStream) {
  FakeEventBus bus;
  EXPECT_EQ(bus.Publish(MakeTestEvent("e1", "nowhere")).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(FakeEventBusTest, ExpectedLastSubjectSequenceIsCompareAndSet) {
  FakeEventBus bus;
  ASSERT_TRUE(common::EnsureStreams(bus, {}).ok());
  const std::string audit_x = common::ResourceSubject(events::kAuditRecorded, "contents.x");
  common::PublishOptions none{.expected_last_subject_sequence = 0};
  auto a = bus.Publish(MakeTestEvent("a", audit_x), none);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(bus.Publish(MakeTestEvent("b", audit_x), none).status().code(),
            absl::StatusCode::kAborted);
  common::PublishOptions after_a{.expected_last_subject_sequence = a->sequence};
  EXPECT_TRUE(bus.Publish(MakeTestEvent("b", audit_x), after_a).ok());
}

TEST(FakeEventBusTest, DurableConsumerSplitsWorkAndRedeliversRetries) {
  FakeEventBus bus;
  ASSERT_TRUE(common::EnsureStreams(bus, {}).ok());
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> retried{0};
  auto handler = [&](const common::Event& e) {
    if (e.id == "p3" && e.delivery_count == 1) {
      ++retried;
      return common::Disposition::kRetry;
    }
    std::lock_guard lock(mu);
    seen.insert(e.id);
    return common::Disposition::kAck;
  };
  common::ConsumerSpec spec{.stream = std::string(common::streams::kEvents),
                            .durable = "publisher",
                            .filter_subject = common::DomainFilter(events::kPostScheduled)};
  auto s1 = bus.Subscribe(spec, handler);
  auto s2 = bus.Subscribe(spec, handler);
  ASSERT_TRUE(s1.ok() && s2.ok());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(
        bus.Publish(MakeTestEvent("p" + std::to_string(i), events::kPostScheduled.subject)).ok());
  ASSERT_TRUE(bus.Publish(MakeTestEvent("m", events::kMentionClassified.subject)).ok());
  ASSERT_TRUE(bus.WaitUntilDrained(absl::Seconds(5)));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen.count("p" + std::to_string(i)), 1u);
  EXPECT_EQ(retried.load(), 1);
}

}  // namespace
}  // namespace carecast::testing
