// The outbox relay on a bucket whose replicas lag (a three-node JetStream
// cluster serves plain reads from any replica): it settles a crashed writer's
// debt from the latest revision, never from a stale copy that owes nothing.
#include "services/common/store/outbox_relay.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/topology.h"
#include "services/common/store/entity_store.h"
#include "services/common/store/outbox.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/forwarding_key_value_store.h"
#include "tests/support/in_memory_key_value_store.h"

namespace carecast::common {
namespace {

// Answers Get from a snapshot taken by Freeze (a replica that stopped
// catching up), GetLatest from the store itself (the leader).
class LaggingReplicaStore final : public testing::ForwardingKeyValueStore {
 public:
  using ForwardingKeyValueStore::ForwardingKeyValueStore;
  void Freeze(std::string_view key) { frozen_ = inner().Get(key); }
  absl::StatusOr<KvEntry> Get(std::string_view key) override {
    return frozen_.has_value() ? *frozen_ : inner().Get(key);
  }
  absl::StatusOr<KvEntry> GetLatest(std::string_view key) override { return inner().Get(key); }

 private:
  std::optional<absl::StatusOr<KvEntry>> frozen_;
};

Change ChangeNamed(const std::string& id) {
  carecast::v1::PostChanged payload;
  payload.mutable_post()->set_name("posts/p1");
  Change change;
  change.event = MakeEvent("carecast.post.scheduled", payload, "test", absl::Now(), id);
  return change;
}

TEST(OutboxRelayTest, SettlesTheLatestRevisionWhenAReplicaLagsBehindIt) {
  testing::FakeEventBus bus;
  ASSERT_TRUE(EnsureStreams(bus, {}).ok());
  testing::InMemoryKeyValueStore markers;
  testing::InMemoryKeyValueStore posts_kv;
  LaggingReplicaStore posts(posts_kv);
  FakeClock clock;
  CapturingLogger logger;
  Outbox outbox(bus, markers, clock, logger, NullOutboxObserver(), "writer-1");
  EntityStore store(posts, "carecast_posts", outbox);

  // A first write, flushed and cleared: the replica keeps this copy.
  absl::StatusOr<RawRecord> first =
      store.Write("p1", "v1", nullptr, ToOutboxItems({ChangeNamed("e1")}));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->unsent.empty());
  posts.Freeze("p1");

  // A second write commits but its flush fails: the writer "dies" owing e2.
  absl::StatusOr<RawRecord> base = store.GetRawLatest("p1");
  ASSERT_TRUE(base.ok());
  bus.FailNextPublishes(100, absl::UnavailableError("bus down"));
  absl::StatusOr<RawRecord> second =
      store.Write("p1", "v2", &*base, ToOutboxItems({ChangeNamed("e2")}));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->unsent.size(), 1u) << "the flush was meant to be left owing";
  bus.FailNextPublishes(0, absl::OkStatus());
  ASSERT_EQ(bus.Published("carecast.post.scheduled").size(), 1u);

  OutboxRelay relay(outbox, {&store}, {.period = absl::Seconds(5), .grace = absl::ZeroDuration()});
  clock.Advance(absl::Seconds(10));
  absl::StatusOr<int> settled = relay.SweepOnce();
  ASSERT_TRUE(settled.ok()) << settled.status();
  EXPECT_EQ(*settled, 1);

  std::vector<Event> published = bus.Published("carecast.post.scheduled");
  ASSERT_EQ(published.size(), 2u) << "the event the dead writer owed was never sent";
  EXPECT_EQ(published[1].id, "e2");
  absl::StatusOr<std::vector<std::string>> left = markers.Keys("");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  absl::StatusOr<RawRecord> settled_record = store.GetRawLatest("p1");
  ASSERT_TRUE(settled_record.ok());
  EXPECT_TRUE(settled_record->unsent.empty());
}

}  // namespace
}  // namespace carecast::common
