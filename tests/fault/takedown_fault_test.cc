// Automatic takedown survives a crash between the network's delete and the DONE
// write: the real publisher, on the local X fake, is SIGKILLed right after it
// deleted a post whose takedown task the planner's side raised; restarted, it
// gets the event again, the network answers NOT_FOUND, and the task is DONE with
// one takedown.completed. The network saw one effective delete, never two.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/takedowns.h"
#include "tests/fault/fault_test.h"
#include "tests/support/fake_networks/x_fake.h"

namespace carecast::testing {
namespace {

constexpr char kXAccount[] = "spokes/st-marys/accounts/x-main";

class TakedownFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(x_.Start().ok());
    secrets_dir_ = std::filesystem::path(sandbox_dir()) / "channel-secrets";
    std::filesystem::create_directories(secrets_dir_);
    std::ofstream(std::filesystem::path(secrets_dir_) / "x-main.json")
        << R"({"network": "x", "account": ")" << kXAccount
        << R"(", "access_token": "x-token-1", "user_id": "1000"})";
    sealing_key_ = std::filesystem::path(sandbox_dir()) / "token-sealing.key";
    std::ofstream(sealing_key_) << std::string(64, 'a') << "\n";
    auto planner = Start(kPlannerBinary, ChannelEnv());
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    ASSERT_TRUE(CreateAccountOn(*stub_, "x-main", v1::NETWORK_X).ok());

    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = "planner-stand-in";
    auto conn = common::NatsConnection::Connect(options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    nats_ = *std::move(conn);
    auto bucket = nats_->OpenBucket(common::BucketSpecFor(common::buckets::kOrganisation, {}));
    ASSERT_TRUE(bucket.ok()) << bucket.status();
    organisation_ = *std::move(bucket);
  }
  void TearDown() override {
    x_.Stop();
    FaultTest::TearDown();
  }

  Env ChannelEnv() const {
    return {{"CARECAST_CHANNEL_X_BASE_URL", x_.base_url()},
            {"CARECAST_CHANNEL_SECRETS_DIR", secrets_dir_},
            {"CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE", sealing_key_}};
  }
  Env PublisherEnv() const {
    Env env = ChannelEnv();
    env["CARECAST_PUBLISHER_ID"] = "publisher-1";
    return env;
  }

  // What the planner's RaiseTakedown writes for `post` and announces (the
  // revocation cascade itself is the planner's, tested there).
  void Raise(const v1::Post& post) {
    const std::string id = post.name().substr(std::string("posts/").size());
    v1::TakedownTask task;
    task.set_name("takedownTasks/" + id);
    task.set_post(post.name());
    task.set_account(post.account());
    task.set_network(post.network());
    task.set_external_id(post.external_id());
    task.set_post_state(post.state());
    task.set_patient_authorization("patientAuthorizations/pa1");
    task.set_spoke("spokes/st-marys");
    task.set_state(v1::TAKEDOWN_TASK_STATE_OPEN);
    ASSERT_TRUE(organisation_->Create("takedowns." + id, task.SerializeAsString()).ok());
    v1::TakedownTaskChanged payload;
    *payload.mutable_takedown_task() = task;
    payload.set_actor("user:sam");
    ASSERT_TRUE(nats_
                    ->Publish(common::MakeEvent(common::subjects::kTakedownRaised, payload,
                                                "/carecast/planner", absl::Now(),
                                                absl::StrCat("takedownTasks.", id, ".b0.raised")))
                    .ok());
  }

  v1::TakedownTask Task(const std::string& id) {
    v1::TakedownTask task;
    absl::StatusOr<common::KvEntry> entry = organisation_->Get("takedowns." + id);
    if (entry.ok()) task.ParseFromString(common::DecodeRecord(*std::move(entry)).value);
    return task;
  }

  XFake x_;
  std::string secrets_dir_;
  std::string sealing_key_;
  ServiceProcess planner_;
  ServiceProcess publisher_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
  common::CapturingLogger logger_;
  std::unique_ptr<common::NatsConnection> nats_;
  std::unique_ptr<common::KeyValueStore> organisation_;
};

TEST_F(TakedownFaultTest, KilledBetweenTheDeleteAndTheDoneWriteTheRestartCompletesIt) {
  const std::string step(publisher::kTakedownDeletedFaultPoint);
  auto publisher = StartWithFault(kPublisherBinary, step, PublisherEnv());
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  publisher_ = *std::move(publisher);
  auto content = CreateApprovedContent(*stub_, "Our knee clinic: a patient's first steps.");
  ASSERT_TRUE(content.ok()) << content.status();
  auto scheduled = Schedule(*stub_, *content, absl::Now() + absl::Seconds(2), "", kXAccount);
  ASSERT_TRUE(scheduled.ok()) << scheduled.status();
  v1::Post post =
      WaitForPostState(*stub_, scheduled->name(), v1::POST_STATE_PUBLISHED, absl::Seconds(20));
  ASSERT_EQ(post.state(), v1::POST_STATE_PUBLISHED) << post.DebugString();
  ASSERT_EQ(x_.live_posts(), 1);
  const std::string id = post.name().substr(std::string("posts/").size());

  ASSERT_NO_FATAL_FAILURE(Raise(post));

  absl::Status killed = ExpectKilledAt(publisher_, step);
  ASSERT_TRUE(killed.ok()) << killed;
  // The network removed it; the task does not say so yet.
  EXPECT_EQ(x_.deletes_accepted(), 1);
  EXPECT_EQ(x_.live_posts(), 0);
  EXPECT_EQ(Task(id).state(), v1::TAKEDOWN_TASK_STATE_OPEN);

  auto restarted = Start(kPublisherBinary, PublisherEnv());
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  publisher_ = *std::move(restarted);
  // The event comes back once its ack wait runs out (the durable consumer's).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline && Task(id).state() != v1::TAKEDOWN_TASK_STATE_DONE)
    absl::SleepFor(absl::Milliseconds(200));

  v1::TakedownTask task = Task(id);
  EXPECT_EQ(task.state(), v1::TAKEDOWN_TASK_STATE_DONE) << task.DebugString();
  EXPECT_EQ(task.completed_by(), "service:publisher");
  EXPECT_NE(task.note().find("already gone"), std::string::npos) << task.note();
  EXPECT_EQ(x_.deletes_accepted(), 1) << "the network saw a second effective delete";
  EXPECT_EQ(WaitForCount(
                [&] {
                  return CountEvents<v1::TakedownTaskChanged>(
                      common::subjects::kTakedownCompleted, [&](const v1::TakedownTaskChanged& e) {
                        return e.takedown_task().name() == task.name();
                      });
                },
                1, absl::Seconds(10)),
            1);
}

}  // namespace
}  // namespace carecast::testing
