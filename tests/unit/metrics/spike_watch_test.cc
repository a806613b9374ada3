// The spike watch: alerts of the replay are history, live ones are published
// once with their evidence, an alert already in the stream is not published
// again, and a publish the bus refuses is retried.
#include "services/metrics/spike_watch.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "tests/support/fake_event_bus.h"

namespace carecast::metrics {
namespace {

constexpr absl::Duration kInterval = absl::Minutes(15);
const absl::Time kStart = absl::FromUnixSeconds(1767571200);  // a Monday, 00:00 UTC

class SpikeWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(common::EnsureStreams(bus_, {}).ok()); }

  SpikeWatchOptions Options() {
    SpikeWatchOptions o;
    o.detector.interval = kInterval;
    o.detector.crisis_terms = {"lockdown"};
    o.tick = absl::ZeroDuration();  // no thread: the test calls Tick itself
    return o;
  }
  // Three mentions naming the crisis term inside the interval starting at `t`.
  void Crisis(absl::Time t, int first_id) {
    for (int i = 0; i < 3; ++i) {
      v1::Mention m;
      m.set_name(absl::StrCat("mentions/c", first_id + i));
      m.mutable_classification()->add_keywords("lockdown");
      if (i == 0) m.set_account("spokes/west/accounts/main");
      m.mutable_receive_time()->set_seconds(absl::ToUnixSeconds(t + absl::Minutes(1 + i)));
      watch_.ObserveMention(m, t);
    }
  }
  std::vector<common::Event> Alerts() { return bus_.Published("carecast.alert.>"); }

  common::FakeClock clock_{kStart};
  testing::FakeEventBus bus_;
  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  SpikeWatch watch_{Options(), bus_, clock_, logger_, registry_};
};

TEST_F(SpikeWatchTest, ReplayedSpikesAreHistoryAndLiveOnesArePublishedOnceWithTheirEvidence) {
  Crisis(kStart, 1);  // replayed: a crisis yesterday, raised and resolved then
  clock_.Set(kStart + absl::Hours(24));
  watch_.Start();
  EXPECT_EQ(watch_.Tick(clock_.Now()), 0);
  EXPECT_TRUE(Alerts().empty()) << "a replayed alert was announced again";

  const absl::Time live = kStart + absl::Hours(24);
  Crisis(live, 10);
  clock_.Set(live + kInterval);
  EXPECT_EQ(watch_.Tick(clock_.Now()), 1);
  EXPECT_EQ(watch_.Tick(clock_.Now()), 0) << "published twice";
  std::vector<common::Event> alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].subject, common::subjects::kAlertRaised);
  const std::string expected_name = SpikeWatch::AlertName("crisis:lockdown", live);
  EXPECT_EQ(expected_name, absl::StrCat("alerts/crisis.lockdown.", absl::ToUnixSeconds(live)));
  EXPECT_EQ(alerts[0].id,
            absl::StrCat("alert.crisis.lockdown.", absl::ToUnixSeconds(live), ".raised"));
  v1::AlertChanged payload;
  ASSERT_TRUE(common::DecodeEvent(alerts[0], &payload).ok());
  EXPECT_EQ(payload.alert().name(), expected_name);
  EXPECT_EQ(payload.alert().severity(), v1::ALERT_SEVERITY_SEVERE);
  EXPECT_EQ(payload.alert().state(), v1::ALERT_STATE_ACTIVE);
  EXPECT_EQ(payload.alert().count(), 3);
  EXPECT_EQ(payload.alert().sample_mentions_size(), 3);
  ASSERT_EQ(payload.alert().spokes_size(), 1);
  EXPECT_EQ(payload.alert().spokes(0), "spokes/west");
  EXPECT_EQ(payload.alert().window_start().seconds(), absl::ToUnixSeconds(live));

  // Two quiet intervals later it resolves, announced once.
  clock_.Set(live + 3 * kInterval);
  EXPECT_EQ(watch_.Tick(clock_.Now()), 1);
  alerts = Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1].subject, common::subjects::kAlertResolved);
}

TEST_F(SpikeWatchTest, AnAlertAlreadyInTheStreamIsNotPublishedAgain) {
  clock_.Set(kStart);
  watch_.Start();
  Crisis(kStart, 1);
  // Another replica published it, and this one read it back first.
  v1::AlertChanged seen;
  watch_.ObserveAlert(
      seen, absl::StrCat("alert.crisis.lockdown.", absl::ToUnixSeconds(kStart), ".raised"));
  clock_.Set(kStart + kInterval);
  EXPECT_EQ(watch_.Tick(clock_.Now()), 0);
  EXPECT_TRUE(Alerts().empty());
}

TEST_F(SpikeWatchTest, AnAlertTheBusRefusedIsPublishedAtTheNextTick) {
  clock_.Set(kStart);
  watch_.Start();
  Crisis(kStart, 1);
  clock_.Set(kStart + kInterval);
  bus_.FailNextPublishes(1, absl::UnavailableError("NATS is away"));
  EXPECT_EQ(watch_.Tick(clock_.Now()), 0);
  EXPECT_TRUE(Alerts().empty());
  EXPECT_EQ(watch_.Tick(clock_.Now()), 1);
  ASSERT_EQ(Alerts().size(), 1u);
  EXPECT_EQ(Alerts()[0].subject, common::subjects::kAlertRaised);
}

}  // namespace
}  // namespace carecast::metrics
