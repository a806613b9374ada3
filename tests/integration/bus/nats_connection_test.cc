// What only the real JetStream adapter can show: the wire format, poison
// messages from other publishers, connection failures and reconnects.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nats/nats.h>

#include "tests/integration/bus/bus_test_env.h"

namespace carecast::testing {
namespace {

using common::Disposition;
using common::Event;

class NatsConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Start(logger_)) {
      if (env_.skipped())
        GTEST_FAIL() << "nats-server is not installed (scripts/install-deps.sh installs it); the "
                        "test needs the real server";
      return;
    }
    ASSERT_TRUE(env_.connection().EnsureStream(TestStreamSpec()).ok());
  }

  // A raw nats.c connection, as another publisher would have.
  natsConnection* RawConnect() {
    natsConnection* nc = nullptr;
    EXPECT_EQ(natsConnection_ConnectTo(&nc, env_.server().url().c_str()), NATS_OK);
    return nc;
  }

  bool Logged(const std::string& message) const {
    for (const auto& line : logger_.lines())
      if (line.message == message) return true;
    return false;
  }

  common::CapturingLogger logger_;
  NatsEnv env_;
};

std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK) return "<missing>";
  return value;
}

TEST_F(NatsConnectionTest, EventsTravelAsCloudEventsBinaryMode) {
  ASSERT_TRUE(env_.connection().Publish(TestEvent("t.wire", "evt-1")).ok());
  natsConnection* nc = RawConnect();
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(js_GetLastMsg(&msg, js, "TEST", "t.wire", nullptr, nullptr), NATS_OK);
  EXPECT_EQ(Header(msg, "ce-id"), "evt-1");
  EXPECT_EQ(Header(msg, "Nats-Msg-Id"), "evt-1");
  EXPECT_EQ(Header(msg, "ce-specversion"), "1.0");
  EXPECT_EQ(Header(msg, "ce-type"), "t.wire.v1");
  EXPECT_EQ(Header(msg, "ce-source"), "/carecast/test");
  EXPECT_EQ(Header(msg, "ce-datacontenttype"), "application/protobuf");
  EXPECT_EQ(Header(msg, "ce-dataschema"), "urn:carecast:proto:carecast.v1.Test");
  EXPECT_EQ(Header(msg, "ce-time"), "2023-11-14T22:13:20.123456789+00:00");
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)),
            TestEvent("t.wire", "evt-1").data);
  natsMsg_Destroy(msg);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

TEST_F(NatsConnectionTest, MalformedMessageIsTerminatedAndLogged) {
  natsConnection* nc = RawConnect();
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  ASSERT_EQ(js_Publish(nullptr, js, "t.raw", "no headers", 10, nullptr, nullptr), NATS_OK);
  ASSERT_TRUE(env_.connection().Publish(TestEvent("t.raw", "good")).ok());
  std::atomic<int> calls{0};
  std::string last_id;
  common::ConsumerSpec spec{.stream = "TEST", .durable = "strict", .filter_subject = "t.>"};
  auto sub = env_.connection().Subscribe(spec, [&](const Event& e) {
    last_id = e.id;
    ++calls;
    return Disposition::kAck;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(
      PollUntil([&] { return calls.load() == 1 && (*sub)->Pending() == 0; }, absl::Seconds(10)));
  EXPECT_EQ(last_id, "good");
  EXPECT_TRUE(Logged("bus: malformed event terminated"));
  // Read skips it too rather than failing the whole page.
  auto read = env_.connection().Read("TEST", "t.raw", 1, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].id, "good");
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

TEST_F(NatsConnectionTest, ConnectFailsFastWhenNoServer) {
  common::CapturingLogger logger;
  const absl::Time start = absl::Now();
  auto conn =
      common::NatsConnection::Connect({.url = "nats://127.0.0.1:" + std::to_string(FindFreePort()),
                                       .connect_timeout = absl::Seconds(2)},
                                      logger);
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(NatsConnectionTest, ConnectNeedsJetStream) {
  // A plain NATS server without -js: a child process we start by hand.
  std::string binary = FindBinary("nats-server");
  ASSERT_FALSE(binary.empty());
  int port = FindFreePort();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(binary.c_str(), binary.c_str(), "-a", "127.0.0.1", "-p", std::to_string(port).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  common::CapturingLogger logger;
  absl::StatusOr<std::unique_ptr<common::NatsConnection>> conn =
      absl::UnavailableError("not tried");
  PollUntil(
      [&] {
        conn = common::NatsConnection::Connect({.url = "nats://127.0.0.1:" + std::to_string(port)},
                                               logger);
        return conn.status().code() != absl::StatusCode::kUnavailable;
      },
      absl::Seconds(10));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kFailedPrecondition) << conn.status();
}

TEST_F(NatsConnectionTest, ReconnectsAfterServerRestartAndDurableConsumerResumes) {
  common::NatsConnection& bus = env_.connection();
  std::mutex mu;
  std::set<std::string> seen;
  common::ConsumerSpec spec{.stream = "TEST", .durable = "survivor", .filter_subject = "t.>"};
  auto sub = bus.Subscribe(spec, [&](const Event& e) {
    std::lock_guard lock(mu);
    seen.insert(e.id);
    return Disposition::kAck;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(bus.Publish(TestEvent("t.x", "before")).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        std::lock_guard lock(mu);
        return seen.count("before") == 1;
      },
      absl::Seconds(10)));

  env_.server().Kill();
  ASSERT_TRUE(PollUntil([&] { return !bus.IsConnected(); }, absl::Seconds(10)));
  EXPECT_EQ(bus.Publish(TestEvent("t.x", "while-down")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*sub)->Pending(), -1);

  ASSERT_TRUE(env_.server().Restart().ok());
  ASSERT_TRUE(PollUntil([&] { return bus.IsConnected(); }, absl::Seconds(15)));
  absl::StatusOr<common::PublishAck> after = absl::UnavailableError("not tried");
  // The first publishes may race JetStream's own recovery; retrying is what callers do.
  ASSERT_TRUE(PollUntil(
      [&] {
        after = bus.Publish(TestEvent("t.x", "after"));
        return after.ok();
      },
      absl::Seconds(10)))
      << after.status();
  EXPECT_EQ(after->sequence, 2u);  // the stream survived on disk
  ASSERT_TRUE(PollUntil(
      [&] {
        std::lock_guard lock(mu);
        return seen.count("after") == 1;
      },
      absl::Seconds(15)));
  EXPECT_TRUE(Logged("nats: disconnected, reconnecting"));
  EXPECT_TRUE(Logged("nats: reconnected"));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(NatsConnectionTest, EphemeralConsumerKeepsDeliveringAfterServerRestart) {
  common::NatsConnection& bus = env_.connection();
  std::mutex mu;
  std::vector<std::string> seen;
  common::ConsumerSpec spec{.stream = "TEST", .durable = "", .filter_subject = "t.>"};
  auto sub = bus.Subscribe(spec, [&](const Event& e) {
    std::lock_guard lock(mu);
    seen.push_back(e.id);
    return Disposition::kAck;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(bus.Publish(TestEvent("t.x", "before")).ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        std::lock_guard lock(mu);
        return seen.size() == 1;
      },
      absl::Seconds(10)));
  env_.server().Kill();
  ASSERT_TRUE(env_.server().Restart().ok());
  ASSERT_TRUE(PollUntil([&] { return bus.IsConnected(); }, absl::Seconds(15)));
  ASSERT_TRUE(
      PollUntil([&] { return bus.Publish(TestEvent("t.x", "after")).ok(); }, absl::Seconds(10)));
  ASSERT_TRUE(PollUntil(
      [&] {
        std::lock_guard lock(mu);
        return seen.size() >= 2;
      },
      absl::Seconds(20)));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"before", "after"}));
}

TEST_F(NatsConnectionTest, SubscriptionOutlivingConnectionIsStopped) {
  std::atomic<int> calls{0};
  common::ConsumerSpec spec{.stream = "TEST", .durable = "orphan", .filter_subject = "t.>"};
  auto sub = env_.connection().Subscribe(spec, [&](const Event&) {
    ++calls;
    return Disposition::kAck;
  });
  ASSERT_TRUE(sub.ok());
  env_.Disconnect();
  EXPECT_EQ((*sub)->Pending(), -1);
  sub->reset();  // must not crash or hang
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace carecast::testing
