// HoldGate's shared reads: many concurrent checks cost few KV reads, and no
// check is answered by a read that began before it was made.
#include "services/publisher/hold_gate.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/resources.pb.h"

#include "tests/support/forwarding_key_value_store.h"
#include "tests/support/in_memory_key_value_store.h"

namespace carecast::publisher {
namespace {

// `after_read` runs once the value is read and before it is returned, so a
// test can hold a read "in flight" with a value that is already stale.
class SlowReadStore final : public testing::ForwardingKeyValueStore {
 public:
  SlowReadStore(common::KeyValueStore& inner, std::function<void()> after_read)
      : ForwardingKeyValueStore(inner), after_read_(std::move(after_read)) {}
  absl::StatusOr<common::KvEntry> Get(std::string_view k) override {
    ++reads;
    absl::StatusOr<common::KvEntry> entry = inner().Get(k);
    after_read_();
    return entry;
  }

  std::atomic<int> reads{0};

 private:
  std::function<void()> after_read_;
};

void SetHeld(common::KeyValueStore& kv, bool held) {
  carecast::v1::PublishingState state;
  state.set_held(held);
  ASSERT_TRUE(kv.Put(kPublishingKey, state.SerializeAsString()).ok());
}

class HoldGateTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  PublisherMetrics metrics_{registry_};
  common::CapturingLogger logger_;
};

TEST_F(HoldGateTest, ConcurrentChecksShareReads) {
  testing::InMemoryKeyValueStore bucket;
  SlowReadStore kv(bucket, [] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); });
  SetHeld(bucket, false);
  HoldGate gate(kv, metrics_, logger_);
  constexpr int kCallers = 16;
  std::atomic<int> ready{0};
  std::vector<std::future<bool>> answers;
  answers.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    answers.push_back(std::async(std::launch::async, [&] {
      ++ready;
      while (ready.load() < kCallers) std::this_thread::yield();
      return gate.CheckAuthoritative();
    }));
  }
  for (auto& answer : answers) EXPECT_FALSE(answer.get());
  // Those arriving during the first read share the second one; stragglers of a
  // slow scheduler may need a third.
  EXPECT_LE(kv.reads.load(), 4);
  EXPECT_GE(kv.reads.load(), 1);
}

TEST_F(HoldGateTest, ACheckMadeDuringARunningReadWaitsForAFreshOne) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> first_read_done;
  std::atomic<int> calls{0};
  testing::InMemoryKeyValueStore bucket;
  SlowReadStore kv(bucket, [&] {
    if (++calls == 1) {
      first_read_done.set_value();
      released.wait();  // the first read holds "not held" while the hold lands
    }
  });
  SetHeld(bucket, false);
  HoldGate gate(kv, metrics_, logger_);

  std::future<bool> early =
      std::async(std::launch::async, [&] { return gate.CheckAuthoritative(); });
  first_read_done.get_future().wait();
  SetHeld(bucket, true);  // committed before the late check is made
  std::future<bool> late =
      std::async(std::launch::async, [&] { return gate.CheckAuthoritative(); });
  // The late check must not take the running read's stale answer.
  EXPECT_EQ(late.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  EXPECT_TRUE(late.get());
  // The early check may be answered by either read: both began after it.
  (void)early.get();
  EXPECT_EQ(kv.reads.load(), 2);
  EXPECT_TRUE(gate.held());
}

TEST_F(HoldGateTest, AnUnreadableEntryMeansHeld) {
  testing::InMemoryKeyValueStore bucket;
  SlowReadStore kv(bucket, [] {});
  bucket.FailAll(absl::UnavailableError("bus down"));
  HoldGate gate(kv, metrics_, logger_);
  EXPECT_TRUE(gate.CheckAuthoritative());
  bucket.FailAll(absl::OkStatus());
  EXPECT_FALSE(gate.CheckAuthoritative());  // never held: no entry
}

}  // namespace
}  // namespace carecast::publisher
