// The EventBus contract, run against FakeEventBus and against NatsConnection on a
// real nats-server: the fake is only useful while it behaves like JetStream.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/bus/bus_test_env.h"

namespace carecast::testing {
namespace {

using common::ConsumerSpec;
using common::Disposition;
using common::Event;
using common::PublishOptions;

class EventBusContractTest : public ::testing::TestWithParam<BusImpl> {
 protected:
  void SetUp() override {
    if (GetParam() == BusImpl::kFake) {
      fake_ = std::make_unique<FakeEventBus>();
      bus_ = fake_.get();
    } else {
      if (!nats_.Start(logger_)) {
        if (nats_.skipped())
          GTEST_FAIL() << "nats-server is not installed (scripts/install-deps.sh installs it); the "
                          "test needs the real server";
        return;
      }
      bus_ = &nats_.connection();
    }
    ASSERT_TRUE(bus_->EnsureStream(TestStreamSpec()).ok());
  }

  ConsumerSpec Consumer(const std::string& durable, const std::string& filter = "t.>") {
    ConsumerSpec spec;
    spec.stream = "TEST";
    spec.durable = durable;
    spec.filter_subject = filter;
    spec.ack_wait = absl::Seconds(5);
    return spec;
  }

  common::CapturingLogger logger_;
  NatsEnv nats_;
  std::unique_ptr<FakeEventBus> fake_;
  common::EventBus* bus_ = nullptr;
};

// Collects deliveries from handler threads.
class Recorder {
 public:
  Disposition Record(const Event& e, Disposition d = Disposition::kAck) {
    std::lock_guard lock(mu_);
    events_.push_back(e);
    return d;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

void ExpectSameEnvelope(const Event& got, const Event& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.subject, want.subject);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.dataschema, want.dataschema);
  EXPECT_EQ(got.data, want.data);
}

TEST_P(EventBusContractTest, EnsureStreamIsIdempotentAndValidates) {
  EXPECT_TRUE(bus_->EnsureStream(TestStreamSpec()).ok());
  common::StreamSpec changed = TestStreamSpec();
  changed.max_age = absl::Hours(24);
  changed.duplicate_window = absl::Minutes(1);
  EXPECT_TRUE(bus_->EnsureStream(changed).ok());
  common::StreamSpec audit;
  audit.name = "AUDIT";
  audit.subjects = {"audit.>"};
  audit.deny_delete = true;
  audit.deny_purge = true;
  EXPECT_TRUE(bus_->EnsureStream(audit).ok());
  EXPECT_TRUE(bus_->EnsureStream(audit).ok());
  EXPECT_EQ(bus_->EnsureStream(common::StreamSpec{}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(EventBusContractTest, PublishDeduplicatesById) {
  auto first = bus_->Publish(TestEvent("t.a.x", "e1"));
  auto second = bus_->Publish(TestEvent("t.a.x", "e2"));
  auto again = bus_->Publish(TestEvent("t.a.x", "e1"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first->sequence, 1u);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(second->sequence, 2u);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->sequence, first->sequence);
  auto all = bus_->Read("TEST", "t.>", 1, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(EventBusContractTest, PublishRejectsMissingIdAndUnknownSubject) {
  EXPECT_EQ(bus_->Publish(TestEvent("t.a.x", "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bus_->Publish(TestEvent("nowhere.x", "e1")).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_P(EventBusContractTest, ExpectedLastSubjectSequenceIsCompareAndSet) {
  PublishOptions none{.expected_last_subject_sequence = 0};
  auto a = bus_->Publish(TestEvent("t.audit.1", "a"), none);
  ASSERT_TRUE(a.ok()) << a.status();
  auto lost = bus_->Publish(TestEvent("t.audit.1", "b"), none);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kAborted) << lost.status();
  // Other subjects are independent.
  auto other = bus_->Publish(TestEvent("t.audit.2", "c"), none);
  ASSERT_TRUE(other.ok()) << other.status();
  auto stale = bus_->Publish(TestEvent("t.audit.1", "d"),
                             PublishOptions{.expected_last_subject_sequence = other->sequence});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  auto b = bus_->Publish(TestEvent("t.audit.1", "b"),
                         PublishOptions{.expected_last_subject_sequence = a->sequence});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->sequence, 3u);
  // A retried publish is a duplicate even though its expectation is now stale.
  auto retried = bus_->Publish(TestEvent("t.audit.1", "b"),
                               PublishOptions{.expected_last_subject_sequence = a->sequence});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->duplicate);
}

TEST_P(EventBusContractTest, GetLastForSubject) {
  EXPECT_EQ(bus_->GetLastForSubject("TEST", "t.a.x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(bus_->GetLastForSubject("NOPE", "t.a.x").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a.x", "1")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a.x", "2")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a.y", "3")).ok());
  auto last = bus_->GetLastForSubject("TEST", "t.a.x");
  ASSERT_TRUE(last.ok()) << last.status();
  ExpectSameEnvelope(*last, TestEvent("t.a.x", "2"));
  EXPECT_EQ(last->stream_sequence, 2u);
}

TEST_P(EventBusContractTest, ReadFiltersAndPagesInStreamOrder) {
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(bus_->Publish(TestEvent(i % 2 ? "t.odd" : "t.even", std::to_string(i))).ok());
  }
  auto odd = bus_->Read("TEST", "t.odd", 1, 100);
  ASSERT_TRUE(odd.ok()) << odd.status();
  ASSERT_EQ(odd->size(), 5u);
  for (size_t i = 0; i < odd->size(); ++i) {
    EXPECT_EQ((*odd)[i].stream_sequence, 2 * i + 1);
    ExpectSameEnvelope((*odd)[i], TestEvent("t.odd", std::to_string(2 * i + 1)));
  }
  auto page = bus_->Read("TEST", "t.>", 4, 3);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].stream_sequence, 4u);
  EXPECT_EQ((*page)[2].stream_sequence, 6u);
  auto past_end = bus_->Read("TEST", "t.>", 11, 3);
  ASSERT_TRUE(past_end.ok()) << past_end.status();
  EXPECT_TRUE(past_end->empty());
  auto none = bus_->Read("TEST", "t.nothing", 1, 3);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  auto zero = bus_->Read("TEST", "t.>", 1, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->empty());
  EXPECT_EQ(bus_->Read("NOPE", "t.>", 1, 3).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(EventBusContractTest, FullWildcardReadsAndSubscribesToEverything) {
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a", "1")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.b.c", "2")).ok());
  auto all = bus_->Read("TEST", ">", 1, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
  Recorder got;
  auto sub =
      bus_->Subscribe(Consumer("everything", ">"), [&](const Event& e) { return got.Record(e); });
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_TRUE(PollUntil([&] { return got.size() == 2; }, absl::Seconds(10)));
}

TEST_P(EventBusContractTest, SubscriberSeesTheWholeEnvelope) {
  Recorder got;
  auto sub = bus_->Subscribe(Consumer(""), [&](const Event& e) { return got.Record(e); });
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a.x", "only")).ok());
  ASSERT_TRUE(PollUntil([&] { return got.size() == 1; }, absl::Seconds(10)));
  Event e = got.events()[0];
  ExpectSameEnvelope(e, TestEvent("t.a.x", "only"));
  EXPECT_EQ(e.stream_sequence, 1u);
  EXPECT_EQ(e.delivery_count, 1u);
  EXPECT_TRUE(PollUntil([&] { return (*sub)->Pending() == 0; }, absl::Seconds(10)));
}

TEST_P(EventBusContractTest, FilterAndDeliverPolicy) {
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a.x", "old-a")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.b.x", "old-b")).ok());
  Recorder all_a;
  Recorder new_only;
  auto s1 =
      bus_->Subscribe(Consumer("all-a", "t.a.>"), [&](const Event& e) { return all_a.Record(e); });
  ConsumerSpec fresh = Consumer("new-only");
  fresh.deliver_all = false;
  auto s2 = bus_->Subscribe(fresh, [&](const Event& e) { return new_only.Record(e); });
  ASSERT_TRUE(s1.ok() && s2.ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.a.x", "new-a")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.b.x", "new-b")).ok());
  ASSERT_TRUE(
      PollUntil([&] { return all_a.size() == 2 && new_only.size() == 2; }, absl::Seconds(10)));
  EXPECT_EQ(all_a.events()[0].id, "old-a");
  EXPECT_EQ(all_a.events()[1].id, "new-a");
  EXPECT_EQ(new_only.events()[0].id, "new-a");
  EXPECT_EQ(new_only.events()[1].id, "new-b");
  ASSERT_TRUE(
      PollUntil([&] { return (*s1)->Pending() == 0 && (*s2)->Pending() == 0; }, absl::Seconds(10)));
}

TEST_P(EventBusContractTest, DurableConsumerSplitsWorkDeliveringEachEventOnce) {
  std::mutex mu;
  std::map<std::string, int> seen;
  std::atomic<int> total{0};
  auto handler = [&](const Event& e) {
    std::lock_guard lock(mu);
    ++seen[e.id];
    ++total;
    return Disposition::kAck;
  };
  ConsumerSpec spec = Consumer("workers");
  spec.batch_size = 4;  // small batches so both subscriptions get work
  auto s1 = bus_->Subscribe(spec, handler);
  auto s2 = bus_->Subscribe(spec, handler);
  ASSERT_TRUE(s1.ok()) << s1.status();
  ASSERT_TRUE(s2.ok()) << s2.status();
  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(bus_->Publish(TestEvent("t.work", "w" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(PollUntil([&] { return total.load() >= kEvents; }, absl::Seconds(20)));
  ASSERT_TRUE(PollUntil([&] { return (*s1)->Pending() == 0; }, absl::Seconds(10)));
  std::lock_guard lock(mu);
  EXPECT_EQ(total.load(), kEvents);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
}

TEST_P(EventBusContractTest, RetryRedeliversWithCountAndRejectDoesNot) {
  Recorder got;
  auto sub = bus_->Subscribe(Consumer("retrier"), [&](const Event& e) {
    if (e.id == "retry" && e.delivery_count < 3) return got.Record(e, Disposition::kRetry);
    if (e.id == "poison") return got.Record(e, Disposition::kReject);
    return got.Record(e);
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "retry")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "poison")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "after")).ok());
  ASSERT_TRUE(PollUntil([&] { return got.size() >= 5; }, absl::Seconds(15)));
  ASSERT_TRUE(PollUntil([&] { return (*sub)->Pending() == 0; }, absl::Seconds(10)));
  std::vector<uint64_t> retry_counts;
  int poison = 0;
  for (const auto& e : got.events()) {
    if (e.id == "retry") retry_counts.push_back(e.delivery_count);
    if (e.id == "poison") ++poison;
  }
  EXPECT_EQ(retry_counts, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(poison, 1);
  EXPECT_EQ(got.size(), 5u);
}

TEST_P(EventBusContractTest, MaxDeliverStopsRedelivery) {
  std::atomic<int> deliveries{0};
  ConsumerSpec spec = Consumer("capped");
  spec.max_deliver = 2;
  auto sub = bus_->Subscribe(spec, [&](const Event&) {
    ++deliveries;
    return Disposition::kRetry;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "always-fails")).ok());
  ASSERT_TRUE(PollUntil([&] { return deliveries.load() >= 2; }, absl::Seconds(10)));
  // A later event still flows, and the capped one is not delivered a third time.
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "second")).ok());
  ASSERT_TRUE(PollUntil([&] { return deliveries.load() >= 4; }, absl::Seconds(10)));
  ASSERT_TRUE(PollUntil([&] { return (*sub)->Pending() == 0; }, absl::Seconds(10)));
  EXPECT_EQ(deliveries.load(), 4);
}

TEST_P(EventBusContractTest, PendingCountsWaitingAndUnacknowledged) {
  std::mutex gate;
  gate.lock();
  std::atomic<int> started{0};
  auto sub = bus_->Subscribe(Consumer("slow"), [&](const Event&) {
    ++started;
    std::lock_guard wait(gate);
    return Disposition::kAck;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ((*sub)->Pending(), 0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bus_->Publish(TestEvent("t.x", std::to_string(i))).ok());
  ASSERT_TRUE(PollUntil([&] { return started.load() == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(PollUntil([&] { return (*sub)->Pending() == 3; }, absl::Seconds(10)))
      << (*sub)->Pending();
  gate.unlock();
  EXPECT_TRUE(PollUntil([&] { return (*sub)->Pending() == 0; }, absl::Seconds(10)));
  EXPECT_EQ(started.load(), 3);
}

TEST_P(EventBusContractTest, DestroyedSubscriptionStopsAndDurableResumes) {
  Recorder first;
  auto sub =
      bus_->Subscribe(Consumer("resumable"), [&](const Event& e) { return first.Record(e); });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "1")).ok());
  ASSERT_TRUE(PollUntil([&] { return first.size() == 1; }, absl::Seconds(10)));
  sub->reset();
  ASSERT_TRUE(bus_->Publish(TestEvent("t.x", "2")).ok());
  Recorder second;
  auto again =
      bus_->Subscribe(Consumer("resumable"), [&](const Event& e) { return second.Record(e); });
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(PollUntil([&] { return second.size() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(second.events()[0].id, "2");
  EXPECT_EQ(first.size(), 1u);
}

TEST_P(EventBusContractTest, SubscribeValidates) {
  auto handler = [](const Event&) { return Disposition::kAck; };
  EXPECT_EQ(bus_->Subscribe(Consumer("x", ""), handler).status().code(),
            absl::StatusCode::kInvalidArgument);
  ConsumerSpec no_stream = Consumer("x");
  no_stream.stream = "NOPE";
  EXPECT_EQ(bus_->Subscribe(no_stream, handler).status().code(), absl::StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Impl, EventBusContractTest,
                         ::testing::Values(BusImpl::kFake, BusImpl::kNats), BusImplName);

}  // namespace
}  // namespace carecast::testing
