// The NATS adapter reports to its BusObserver on a real nats-server: the
// connection gauge and reconnects, redeliveries per consumer, and the consumer
// lag gauges moving with the backlog. BusMetrics is the observer under test.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/cleanup/cleanup.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/bus/bus_metrics.h"
#include "tests/integration/bus/bus_test_env.h"
#include "tests/support/metric_values.h"

namespace carecast::testing {
namespace {

using common::Disposition;
using common::Event;

class BusMetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Start(logger_)) {
      if (env_.skipped())
        GTEST_FAIL() << "nats-server is not installed (scripts/install-deps.sh installs it); the "
                        "test needs the real server";
      return;
    }
    ASSERT_TRUE(env_.connection().EnsureStream(TestStreamSpec()).ok());
    auto conn = common::NatsConnection::Connect({.url = env_.server().url(),
                                                 .name = "carecast-metrics-test",
                                                 .request_timeout = absl::Seconds(3),
                                                 .reconnect_wait = absl::Milliseconds(50),
                                                 .observer = &metrics_,
                                                 .consumer_lag_interval = absl::Milliseconds(50)},
                                                logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    bus_ = std::move(*conn);
  }

  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) {
    return SeriesValue(registry_, name, labels);
  }
  bool ValueIs(const std::string& name, const std::map<std::string, std::string>& labels,
               double want) {
    std::optional<double> v = Value(name, labels);
    return v.has_value() && *v == want;
  }

  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  common::BusMetrics metrics_{registry_};  // outlives bus_ (declared first)
  NatsEnv env_;
  std::unique_ptr<common::NatsConnection> bus_;
};

TEST_F(BusMetricsIntegrationTest, LagGaugesFollowTheBacklog) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(bus_->Publish(TestEvent("t.lag", "lag-" + std::to_string(i))).ok());
  }
  // One event at a time, held in the handler until the test lets it go.
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> handled{0};
  common::ConsumerSpec spec{
      .stream = "TEST", .durable = "lagger", .filter_subject = "t.lag", .batch_size = 1};
  auto sub = bus_->Subscribe(spec, [&](const Event&) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
    ++handled;
    return Disposition::kAck;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  auto release = [&] {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  };
  // A failed expectation must not leave the delivery thread blocked forever.
  absl::Cleanup always_release = release;
  const std::map<std::string, std::string> labels = {{"stream", "TEST"}, {"consumer", "lagger"}};

  // One delivered and held, four waiting on the server.
  EXPECT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_consumer_pending_messages", labels, 4) &&
               ValueIs("carecast_bus_consumer_ack_pending_messages", labels, 1);
      },
      absl::Seconds(10)))
      << "pending=" << Value("carecast_bus_consumer_pending_messages", labels).value_or(-1)
      << " ack_pending="
      << Value("carecast_bus_consumer_ack_pending_messages", labels).value_or(-1);

  release();
  ASSERT_TRUE(PollUntil([&] { return handled.load() == 5; }, absl::Seconds(10)));
  EXPECT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_consumer_pending_messages", labels, 0) &&
               ValueIs("carecast_bus_consumer_ack_pending_messages", labels, 0);
      },
      absl::Seconds(10)));
  EXPECT_EQ(Value("carecast_bus_messages_redelivered_total", labels), 0);
}

TEST_F(BusMetricsIntegrationTest, RedeliveriesAreCountedPerConsumer) {
  std::mutex mu;
  std::set<std::string> retried;
  std::atomic<int> acked{0};
  // Each event is asked to be retried once, then acknowledged on its redelivery.
  auto handler = [&](const Event& e) {
    std::lock_guard lock(mu);
    if (retried.insert(e.id).second) return Disposition::kRetry;
    ++acked;
    return Disposition::kAck;
  };
  common::ConsumerSpec durable{.stream = "TEST", .durable = "retrier", .filter_subject = "t.re"};
  common::ConsumerSpec ephemeral{.stream = "TEST", .filter_subject = "t.calm", .purpose = "calm"};
  auto sub = bus_->Subscribe(durable, handler);
  ASSERT_TRUE(sub.ok()) << sub.status();
  std::atomic<int> calm{0};
  auto calm_sub = bus_->Subscribe(ephemeral, [&](const Event&) {
    ++calm;
    return Disposition::kAck;
  });
  ASSERT_TRUE(calm_sub.ok()) << calm_sub.status();
  const std::map<std::string, std::string> retrier = {{"stream", "TEST"}, {"consumer", "retrier"}};
  const std::map<std::string, std::string> calm_labels = {{"stream", "TEST"},
                                                          {"consumer", "ephemeral-calm"}};
  // Both consumers have their series from the start, never a server-made name.
  EXPECT_EQ(Value("carecast_bus_messages_redelivered_total", retrier), 0);
  EXPECT_EQ(Value("carecast_bus_messages_redelivered_total", calm_labels), 0);

  ASSERT_TRUE(bus_->Publish(TestEvent("t.re", "r1")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.re", "r2")).ok());
  ASSERT_TRUE(bus_->Publish(TestEvent("t.calm", "c1")).ok());
  ASSERT_TRUE(PollUntil([&] { return acked.load() == 2 && calm.load() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(Value("carecast_bus_messages_redelivered_total", retrier), 2);
  EXPECT_EQ(Value("carecast_bus_messages_redelivered_total", calm_labels), 0);
  for (const auto& family : registry_.Collect()) {
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "consumer") {
          EXPECT_TRUE(label.value == "retrier" || label.value == "ephemeral-calm") << label.value;
        }
      }
    }
  }
}

TEST_F(BusMetricsIntegrationTest, ConnectionGaugeAndReconnects) {
  EXPECT_EQ(Value("carecast_bus_connected"), 1);
  EXPECT_EQ(Value("carecast_bus_reconnects_total"), 0);
  env_.server().Kill();
  EXPECT_TRUE(
      PollUntil([&] { return ValueIs("carecast_bus_connected", {}, 0); }, absl::Seconds(10)));
  ASSERT_TRUE(env_.server().Restart().ok());
  EXPECT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_connected", {}, 1) &&
               ValueIs("carecast_bus_reconnects_total", {}, 1);
      },
      absl::Seconds(15)));
  // Closing the connection reports it down.
  bus_.reset();
  EXPECT_EQ(Value("carecast_bus_connected"), 0);
}

}  // namespace
}  // namespace carecast::testing
