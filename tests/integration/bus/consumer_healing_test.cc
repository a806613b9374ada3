// Consumers heal on a real nats-server: a durable deleted by an operator, an
// ephemeral lost on the server (as after a partition that outlasted its inactive
// threshold) and a stream deleted and created again each leave the subscription
// delivering new events, with one re-creation counted and logged, and the
// consumer's health gauge and lag reading "missing" rather than going stale.
// A missing nats-server binary fails these tests.
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <prometheus/registry.h>

#include "services/common/base/logger.h"
#include "services/common/bus/bus_metrics.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/nats_subscription.h"
#include "tests/integration/bus/bus_test_env.h"
#include "tests/support/local_servers.h"
#include "tests/support/metric_values.h"

namespace carecast::testing {
namespace {

using common::Disposition;
using common::Event;

constexpr absl::Duration kHealWithin = absl::Seconds(15);

// Counts deliveries per event id.
class Recorder {
 public:
  common::EventHandler Handler() {
    return [this](const Event& e) {
      std::lock_guard lock(mu_);
      ++deliveries_[e.id];
      return Disposition::kAck;
    };
  }
  int Deliveries(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = deliveries_.find(id);
    return it == deliveries_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> deliveries_;
};

class ConsumerHealingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = LocalNatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status() << " (nats-server must be installed)";
    server_ = std::move(*server);
    auto conn = common::NatsConnection::Connect({.url = server_->url(),
                                                 .name = "carecast-healing-test",
                                                 .request_timeout = absl::Seconds(3),
                                                 .reconnect_wait = absl::Milliseconds(50),
                                                 .observer = &metrics_,
                                                 .consumer_lag_interval = absl::Milliseconds(100)},
                                                logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    bus_ = std::move(*conn);
    ASSERT_TRUE(bus_->EnsureStream(TestStreamSpec()).ok());
    // The operator's side: a plain nats.c connection of its own.
    ASSERT_EQ(natsConnection_ConnectTo(&admin_nc_, server_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_JetStream(&admin_js_, admin_nc_, nullptr), NATS_OK);
  }

  void TearDown() override {
    jsCtx_Destroy(admin_js_);
    natsConnection_Destroy(admin_nc_);
  }

  natsStatus DeleteConsumer(const std::string& name) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    return js_DeleteConsumer(admin_js_, "TEST", name.c_str(), nullptr, &jerr);
  }
  bool ConsumerExists(const std::string& name) {
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetConsumerInfo(&ci, admin_js_, "TEST", name.c_str(), nullptr, &jerr);
    jsConsumerInfo_Destroy(ci);
    return s == NATS_OK;
  }
  std::vector<std::string> ConsumerNames() {
    jsConsumerNamesList* list = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    std::vector<std::string> names;
    if (js_ConsumerNames(&list, admin_js_, "TEST", nullptr, &jerr) != NATS_OK) return names;
    for (int i = 0; i < list->Count; ++i) names.emplace_back(list->List[i]);
    jsConsumerNamesList_Destroy(list);
    return names;
  }

  static std::map<std::string, std::string> Labels(const std::string& consumer) {
    return {{"stream", "TEST"}, {"consumer", consumer}};
  }
  std::optional<double> Value(const std::string& name, const std::string& consumer) {
    return SeriesValue(registry_, name, Labels(consumer));
  }
  bool ValueIs(const std::string& name, const std::string& consumer, double want) {
    std::optional<double> v = Value(name, consumer);
    return v.has_value() && *v == want;
  }
  // Log lines with this message whose "consumer" field is `consumer`.
  int LogLines(common::LogLevel level, const std::string& message, const std::string& consumer) {
    int n = 0;
    for (const auto& line : logger_.lines()) {
      if (line.level != level || line.message != message) continue;
      for (const auto& [key, value] : line.fields) {
        if (key == "consumer" && value == common::LogValue(consumer)) ++n;
      }
    }
    return n;
  }

  void Publish(const std::string& subject, const std::string& id) {
    auto ack = bus_->Publish(TestEvent(subject, id));
    ASSERT_TRUE(ack.ok()) << ack.status();
  }

  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  common::BusMetrics metrics_{registry_};  // outlives bus_ (declared first)
  std::unique_ptr<LocalNatsServer> server_;
  std::unique_ptr<common::NatsConnection> bus_;
  natsConnection* admin_nc_ = nullptr;
  jsCtx* admin_js_ = nullptr;
};

TEST_F(ConsumerHealingTest, DurableDeletedByAnOperatorIsRecreatedAndDeliversNewEvents) {
  Recorder recorder;
  common::ConsumerSpec spec{.stream = "TEST", .durable = "healer", .filter_subject = "t.heal"};
  auto sub = bus_->Subscribe(spec, recorder.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Publish("t.heal", "before");
  ASSERT_TRUE(PollUntil([&] { return recorder.Deliveries("before") == 1; }, absl::Seconds(10)));
  EXPECT_EQ(Value("carecast_bus_consumer_recreated_total", "healer"), 0);
  EXPECT_EQ(Value("carecast_bus_consumer_healthy", "healer"), 1);

  ASSERT_EQ(DeleteConsumer("healer"), NATS_OK);
  Publish("t.heal", "after");

  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("after") == 1; }, kHealWithin));
  EXPECT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_consumer_recreated_total", "healer", 1) &&
               ValueIs("carecast_bus_consumer_healthy", "healer", 1);
      },
      absl::Seconds(5)));
  EXPECT_TRUE(ConsumerExists("healer"));
  // deliver_all: the re-created durable starts over, so handlers must be idempotent.
  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("before") == 2; }, absl::Seconds(5)));
  EXPECT_EQ(LogLines(common::LogLevel::kWarn, "bus: consumer re-created", "healer"), 1);
}

TEST_F(ConsumerHealingTest, EphemeralLostOnTheServerComesBackForNewEvents) {
  Recorder recorder;
  common::ConsumerSpec spec{
      .stream = "TEST", .filter_subject = "t.eph", .deliver_all = false, .purpose = "healing"};
  auto sub = bus_->Subscribe(spec, recorder.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Publish("t.eph", "e1");
  ASSERT_TRUE(PollUntil([&] { return recorder.Deliveries("e1") == 1; }, absl::Seconds(10)));
  const std::vector<std::string> before = ConsumerNames();
  ASSERT_EQ(before.size(), 1u);

  // What the server does to an ephemeral once a partition outlasts its
  // inactive threshold.
  ASSERT_EQ(DeleteConsumer(before[0]), NATS_OK);

  const std::string label = "ephemeral-healing";
  ASSERT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_consumer_recreated_total", label, 1) &&
               ValueIs("carecast_bus_consumer_healthy", label, 1);
      },
      kHealWithin));
  const std::vector<std::string> after = ConsumerNames();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], before[0]);

  Publish("t.eph", "e2");
  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("e2") == 1; }, absl::Seconds(10)));
  EXPECT_EQ(recorder.Deliveries("e1"), 1);  // deliver-new: no replay
  EXPECT_EQ(LogLines(common::LogLevel::kWarn, "bus: consumer re-created", label), 1);
  // The metrics label stays the bounded one, never the server's new name.
  EXPECT_FALSE(Value("carecast_bus_consumer_recreated_total", after[0]).has_value());
}

TEST_F(ConsumerHealingTest, StreamDeletedAndCreatedAgainIsFollowed) {
  Recorder recorder;
  common::ConsumerSpec spec{.stream = "TEST", .durable = "follower", .filter_subject = "t.follow"};
  auto sub = bus_->Subscribe(spec, recorder.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Publish("t.follow", "s1");
  ASSERT_TRUE(PollUntil([&] { return recorder.Deliveries("s1") == 1; }, absl::Seconds(10)));

  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_DeleteStream(admin_js_, "TEST", nullptr, &jerr), NATS_OK);

  // While the stream is gone the consumer cannot come back: it reads missing,
  // with an unknown backlog, instead of the last figures.
  EXPECT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_consumer_healthy", "follower", 0) &&
               ValueIs("carecast_bus_consumer_pending_messages", "follower", -1) &&
               ValueIs("carecast_bus_consumer_ack_pending_messages", "follower", -1);
      },
      kHealWithin));
  EXPECT_EQ((*sub)->Pending(), -1);
  // At least one attempt to re-create it has failed.
  const std::string cannot = "bus: consumer missing on the server, cannot re-create it yet";
  EXPECT_TRUE(PollUntil([&] { return LogLines(common::LogLevel::kWarn, cannot, "follower") == 1; },
                        kHealWithin));
  EXPECT_EQ(Value("carecast_bus_consumer_recreated_total", "follower"), 0);

  ASSERT_TRUE(bus_->EnsureStream(TestStreamSpec()).ok());
  Publish("t.follow", "s2");
  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("s2") == 1; }, kHealWithin));
  EXPECT_TRUE(PollUntil(
      [&] {
        return ValueIs("carecast_bus_consumer_healthy", "follower", 1) &&
               ValueIs("carecast_bus_consumer_recreated_total", "follower", 1) &&
               ValueIs("carecast_bus_consumer_pending_messages", "follower", 0);
      },
      absl::Seconds(5)));
  EXPECT_EQ(recorder.Deliveries("s1"), 1);  // the new stream no longer holds it
  EXPECT_EQ(LogLines(common::LogLevel::kWarn, "bus: consumer re-created", "follower"), 1);
  // Retrying while the stream was missing warned once, not once per attempt.
  EXPECT_EQ(LogLines(common::LogLevel::kWarn, cannot, "follower"), 1);
}

// A handler that holds the event with id "hold" until Release(): while it is
// held no pull is waiting, so a deletion sends the subscription no status.
class HoldingRecorder : public Recorder {
 public:
  common::EventHandler Handler() {
    return [this, inner = Recorder::Handler()](const Event& e) {
      if (e.id == "hold") {
        std::unique_lock lock(mu_);
        held_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_; });
      }
      return inner(e);
    };
  }
  bool Held() {
    std::lock_guard lock(mu_);
    return held_;
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool released_ = false;
};

TEST_F(ConsumerHealingTest, DeletedWhileNoPullWaitsIsFoundByTheLagPoller) {
  HoldingRecorder recorder;
  absl::Cleanup release = [&] { recorder.Release(); };
  common::ConsumerSpec spec{.stream = "TEST", .durable = "quiet", .filter_subject = "t.quiet"};
  auto sub = bus_->Subscribe(spec, recorder.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Publish("t.quiet", "hold");
  ASSERT_TRUE(PollUntil([&] { return recorder.Held(); }, absl::Seconds(10)));
  ASSERT_EQ(DeleteConsumer("quiet"), NATS_OK);
  // The poller reads "consumer not found" and the lag turns unknown.
  EXPECT_TRUE(
      PollUntil([&] { return ValueIs("carecast_bus_consumer_pending_messages", "quiet", -1); },
                absl::Seconds(5)));
  recorder.Release();
  Publish("t.quiet", "next");
  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("next") == 1; }, kHealWithin));
  EXPECT_TRUE(
      PollUntil([&] { return ValueIs("carecast_bus_consumer_recreated_total", "quiet", 1); },
                absl::Seconds(5)));
}

// Without an observer there is no lag poller: the idle probe finds the loss.
TEST_F(ConsumerHealingTest, DeletedWhileNoPullWaitsIsFoundByTheIdleProbe) {
  common::CapturingLogger quiet_logger;
  auto conn = common::NatsConnection::Connect({.url = server_->url(),
                                               .name = "carecast-healing-probe",
                                               .request_timeout = absl::Seconds(3)},
                                              quiet_logger);
  ASSERT_TRUE(conn.ok()) << conn.status();
  HoldingRecorder recorder;
  absl::Cleanup release = [&] { recorder.Release(); };
  common::ConsumerSpec spec{.stream = "TEST", .durable = "prober", .filter_subject = "t.probe"};
  auto sub = (*conn)->Subscribe(spec, recorder.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Publish("t.probe", "hold");
  ASSERT_TRUE(PollUntil([&] { return recorder.Held(); }, absl::Seconds(10)));
  ASSERT_EQ(DeleteConsumer("prober"), NATS_OK);
  recorder.Release();
  Publish("t.probe", "next");
  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("next") == 1; }, kHealWithin));
  EXPECT_TRUE(ConsumerExists("prober"));
  int recreated = 0;
  for (const auto& line : quiet_logger.lines()) {
    if (line.message == "bus: consumer re-created") ++recreated;
  }
  EXPECT_EQ(recreated, 1);
}

TEST_F(ConsumerHealingTest, ServerRestartIsNotMistakenForALostConsumer) {
  Recorder recorder;
  common::ConsumerSpec spec{.stream = "TEST", .durable = "steady", .filter_subject = "t.steady"};
  auto sub = bus_->Subscribe(spec, recorder.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Publish("t.steady", "r1");
  ASSERT_TRUE(PollUntil([&] { return recorder.Deliveries("r1") == 1; }, absl::Seconds(10)));
  // The kill must come after the server took r1's ack and wrote the consumer's
  // state (its store flushes that about once a second); otherwise r1 is
  // rightly delivered again, which is not what this test is about.
  ASSERT_TRUE(PollUntil([&] { return (*sub)->Pending() == 0; }, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(1500));

  server_->Kill();
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(PollUntil([&] { return bus_->IsConnected(); }, absl::Seconds(15)));
  // Publishes may fail until JetStream has recovered its streams.
  ASSERT_TRUE(PollUntil([&] { return bus_->Publish(TestEvent("t.steady", "r2")).ok(); },
                        absl::Seconds(15)));
  EXPECT_TRUE(PollUntil([&] { return recorder.Deliveries("r2") == 1; }, absl::Seconds(15)));
  EXPECT_EQ(Value("carecast_bus_consumer_recreated_total", "steady"), 0);
  EXPECT_EQ(Value("carecast_bus_consumer_healthy", "steady"), 1);
  EXPECT_EQ(recorder.Deliveries("r1"), 1);
}

TEST(RecreateBackoffTest, DoublesFrom100MsUpTo5s) {
  EXPECT_EQ(common::RecreateBackoff(1), absl::Milliseconds(100));
  EXPECT_EQ(common::RecreateBackoff(2), absl::Milliseconds(200));
  EXPECT_EQ(common::RecreateBackoff(6), absl::Milliseconds(3200));
  EXPECT_EQ(common::RecreateBackoff(7), absl::Seconds(5));
  EXPECT_EQ(common::RecreateBackoff(1000), absl::Seconds(5));
}

}  // namespace
}  // namespace carecast::testing
