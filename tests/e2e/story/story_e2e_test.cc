// The story of the README, end to end on real servers and real processes: an
// objective, a draft, a review, a post published to the sandbox exactly once by
// two racing publishers (and held back while publishing is on hold), a mention
// landing in the inbox, the figures, the audit trail, the events, the /metrics of
// every service, and a graceful shutdown.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/listener_service.grpc.pb.h"
#include "carecast/v1/metrics_service.grpc.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"
#include "carecast/v1/publisher_service.grpc.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "tests/e2e/story/running_suite.h"
#include "tests/support/http_probe.h"
#include "tests/support/test_tokens.h"

namespace carecast::testing {
namespace {

using common::Role;
using google::protobuf::util::TimeUtil;
namespace v1 = carecast::v1;

google::protobuf::Timestamp In(absl::Duration d) {
  return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() + d));
}

std::string Token(const std::string& subject, std::vector<Role> roles) {
  return TestTokens::Get().Mint(subject, std::move(roles));
}

// Lines of the sandbox record that mention `post_name`.
int DeliveriesOf(const std::string& sandbox_dir, const std::string& post_name) {
  std::ifstream in(sandbox_dir + "/deliveries.jsonl");
  int count = 0;
  for (std::string line; std::getline(in, line);)
    count += absl::StrContains(line, absl::StrCat("\"", post_name, "\""));
  return count;
}

// Runs `promtool check metrics` on `text`; returns its exit status and output.
std::pair<int, std::string> PromtoolCheck(const std::string& text) {
  std::string file = std::filesystem::temp_directory_path() / "carecast-e2e-metrics.txt";
  std::ofstream(file) << text;
  std::string cmd = absl::StrCat(FindBinary("promtool"), " check metrics < ", file, " 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (pipe != nullptr && fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  int status = pipe == nullptr ? -1 : pclose(pipe);
  return {status, out};
}

class StoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* binary : {"nats-server", "redis-server", "promtool"})
      if (FindBinary(binary).empty())
        GTEST_FAIL() << binary << " is not installed (scripts/install-deps.sh)";
    auto suite = RunningSuite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = std::move(*suite);
    planner_ = v1::PlannerService::NewStub(suite_->service("planner").channel);
    publisher_ = v1::PublisherService::NewStub(suite_->service("publisher-1").channel);
    listener_ = v1::ListenerService::NewStub(suite_->service("listener").channel);
    metrics_ = v1::MetricsService::NewStub(suite_->service("metrics").channel);
  }

  v1::Post WaitForPostState(const std::string& name, v1::PostState want, absl::Duration timeout) {
    v1::Post last;
    PollUntil(
        [&] {
          v1::GetPostRequest req;
          req.set_name(name);
          v1::GetPostResponse resp;
          if (planner_->GetPost(AuthedContext(paul_).get(), req, &resp).ok()) last = resp.post();
          return last.state() == want;
        },
        timeout);
    return last;
  }

  std::unique_ptr<RunningSuite> suite_;
  std::unique_ptr<v1::PlannerService::Stub> planner_;
  std::unique_ptr<v1::PublisherService::Stub> publisher_;
  std::unique_ptr<v1::ListenerService::Stub> listener_;
  std::unique_ptr<v1::MetricsService::Stub> metrics_;
  const std::string sam_ = Token("sam", {Role::kStrategist});
  const std::string wendy_ = Token("wendy", {Role::kContentDeveloper, Role::kComplianceReviewer});
  const std::string rita_ = Token("rita", {Role::kComplianceReviewer});
  const std::string paul_ = Token("paul", {Role::kPublisher});
  const std::string ray_ = Token("ray", {Role::kResponder});
  const std::string hook_ = Token("social-webhook", {Role::kService});
};

TEST_F(StoryTest, DraftToPublishedToMeasured) {
  // The strategist sets up a spoke, a sandbox account and an objective.
  {
    v1::CreateSpokeRequest req;
    req.set_spoke_id("st-marys");
    req.mutable_spoke()->set_display_name("St Mary Hospital");
    v1::CreateSpokeResponse resp;
    ASSERT_TRUE(planner_->CreateSpoke(AuthedContext(sam_).get(), req, &resp).ok());
    v1::CreateAccountRequest acc;
    acc.set_parent("spokes/st-marys");
    acc.set_account_id("sandbox-main");
    acc.mutable_account()->set_network(v1::NETWORK_SANDBOX);
    acc.mutable_account()->set_handle("@stmarys");
    acc.mutable_account()->set_time_zone("America/Chicago");
    v1::CreateAccountResponse acc_resp;
    auto st = planner_->CreateAccount(AuthedContext(sam_).get(), acc, &acc_resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    v1::CreateObjectiveRequest obj;
    obj.set_objective_id("flu-awareness");
    obj.mutable_objective()->set_display_name("Flu-shot awareness");
    obj.mutable_objective()->set_kpi(v1::KPI_POSTS_PUBLISHED);
    obj.mutable_objective()->set_target(2);
    *obj.mutable_objective()->mutable_start_time() = In(-absl::Hours(1));
    *obj.mutable_objective()->mutable_end_time() = In(absl::Hours(24));
    obj.mutable_objective()->set_network(v1::NETWORK_SANDBOX);
    v1::CreateObjectiveResponse obj_resp;
    st = planner_->CreateObjective(AuthedContext(sam_).get(), obj, &obj_resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  // The writer drafts and submits; she holds a reviewer role too, and still may
  // not approve her own work.
  std::string content_name;
  {
    v1::CreateContentRequest req;
    auto* c = req.mutable_content();
    c->set_title("Flu shots");
    c->set_text("Walk-in flu shots at St Mary, weekdays 8-6. #fluseason");
    c->set_spoke("spokes/st-marys");
    c->add_objectives("objectives/flu-awareness");
    for (auto [network, text] : std::vector<std::pair<v1::Network, std::string>>{
             {v1::NETWORK_X, "Walk-in flu shots at St Mary, weekdays 8-6. #fluseason"},
             {v1::NETWORK_FACEBOOK, "Protect your family: walk-in flu shots at St Mary."},
             {v1::NETWORK_LINKEDIN, "Our teams are ready for flu season."},
             {v1::NETWORK_SANDBOX, "Walk-in flu shots at St Mary, weekdays 8-6."}}) {
      auto* v = c->add_variants();
      v->set_network(network);
      v->set_text(text);
    }
    v1::CreateContentResponse resp;
    auto st = planner_->CreateContent(AuthedContext(wendy_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    content_name = resp.content().name();
    EXPECT_EQ(resp.content().version(), 1);

    v1::SubmitContentRequest sub;
    sub.set_name(content_name);
    v1::SubmitContentResponse sub_resp;
    ASSERT_TRUE(planner_->SubmitContent(AuthedContext(wendy_).get(), sub, &sub_resp).ok());

    v1::ApproveContentRequest own;
    own.set_name(content_name);
    own.set_version(1);
    v1::ApproveContentResponse own_resp;
    EXPECT_EQ(planner_->ApproveContent(AuthedContext(wendy_).get(), own, &own_resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);

    v1::ApproveContentResponse ok_resp;
    st = planner_->ApproveContent(AuthedContext(rita_).get(), own, &ok_resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(ok_resp.content().state(), v1::CONTENT_STATE_APPROVED);
    EXPECT_EQ(ok_resp.content().approval().version(), 1);
  }

  // Publishing is put on hold, a post falls due during the hold and must wait.
  {
    v1::HoldPublishingRequest hold;
    hold.set_reason("drill");
    v1::HoldPublishingResponse hold_resp;
    ASSERT_TRUE(planner_->HoldPublishing(AuthedContext(sam_).get(), hold, &hold_resp).ok());
  }
  auto schedule = [&](absl::Duration ahead) {
    v1::SchedulePostRequest req;
    req.set_content(content_name);
    req.set_account("spokes/st-marys/accounts/sandbox-main");
    *req.mutable_publish_time() = In(ahead);
    v1::SchedulePostResponse resp;
    auto st = planner_->SchedulePost(AuthedContext(paul_).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.post().name();
  };
  const std::string held_post = schedule(absl::Seconds(2));
  ASSERT_FALSE(held_post.empty());
  absl::SleepFor(absl::Seconds(4));  // past its due time: nothing may go out while held
  EXPECT_EQ(DeliveriesOf(suite_->sandbox_dir(), held_post), 0);
  EXPECT_EQ(WaitForPostState(held_post, v1::POST_STATE_SCHEDULED, absl::Seconds(1)).state(),
            v1::POST_STATE_SCHEDULED);
  {
    v1::ResumePublishingRequest resume;
    v1::ResumePublishingResponse resume_resp;
    ASSERT_TRUE(planner_->ResumePublishing(AuthedContext(sam_).get(), resume, &resume_resp).ok());
  }

  // A second post is scheduled a few seconds ahead; both go out, each exactly once,
  // with two publisher processes racing for them.
  const std::string post_name = schedule(absl::Seconds(3));
  for (const std::string& name : {held_post, post_name}) {
    v1::Post post = WaitForPostState(name, v1::POST_STATE_PUBLISHED, absl::Seconds(30));
    ASSERT_EQ(post.state(), v1::POST_STATE_PUBLISHED) << name << "\n" << suite_->LogTails();
    EXPECT_FALSE(post.external_id().empty());
    EXPECT_TRUE(post.claimed_by() == "publisher-1" || post.claimed_by() == "publisher-2");
  }
  absl::SleepFor(absl::Seconds(1));  // give a losing publisher every chance to misbehave
  EXPECT_EQ(DeliveriesOf(suite_->sandbox_dir(), held_post), 1);
  EXPECT_EQ(DeliveriesOf(suite_->sandbox_dir(), post_name), 1);
  {
    v1::ListDeliveriesRequest req;
    v1::ListDeliveriesResponse resp;
    ASSERT_TRUE(publisher_->ListDeliveries(AuthedContext(paul_).get(), req, &resp).ok());
    EXPECT_EQ(resp.deliveries_size(), 2);
  }

  // The audit trail holds each step, with actors, versions and an unbroken chain.
  {
    v1::ListAuditEntriesRequest req;
    req.set_resource(content_name);
    v1::ListAuditEntriesResponse resp;
    ASSERT_TRUE(planner_->ListAuditEntries(AuthedContext(sam_).get(), req, &resp).ok());
    std::vector<std::string> actions;
    for (int i = 0; i < resp.entries_size(); ++i) {
      const auto& e = resp.entries(i);
      actions.push_back(e.action());
      EXPECT_FALSE(e.actor().empty());
      EXPECT_FALSE(e.entry_hash().empty());
      if (i > 0) {
        EXPECT_EQ(e.previous_hash(), resp.entries(i - 1).entry_hash());
      }
    }
    ASSERT_GE(actions.size(), 3u);
    EXPECT_TRUE(absl::StrContains(actions[0], "create")) << actions[0];
    EXPECT_TRUE(absl::StrContains(actions[1], "submit")) << actions[1];
    EXPECT_TRUE(absl::StrContains(actions[2], "approve")) << actions[2];
    EXPECT_EQ(resp.entries(2).actor(), "rita");

    v1::ListAuditEntriesRequest post_req;
    post_req.set_resource(post_name);
    v1::ListAuditEntriesResponse post_resp;
    ASSERT_TRUE(planner_->ListAuditEntries(AuthedContext(sam_).get(), post_req, &post_resp).ok());
    ASSERT_GE(post_resp.entries_size(), 1);
    EXPECT_TRUE(absl::StrContains(post_resp.entries(0).action(), "schedule"));
    EXPECT_EQ(post_resp.entries(0).actor(), "paul");
  }

  // A mention arrives through the webhook and lands in the inbox.
  {
    std::string body = absl::StrCat(
        R"({"network":"x","external_id":"1790000000000000001","author_handle":"@worried",)",
        R"("text":"Waited 4 hours in the St Marys emergency room, terrible experience and nobody told us anything. Is this normal??",)",
        R"("create_time":")", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()),
        R"("})");
    auto resp =
        HttpCall(suite_->service("listener").http_port, "POST", "/v1/mentions", body,
                 {{"Authorization", "Bearer " + hook_}, {"Content-Type", "application/json"}});
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->status, 201) << resp->body;
    auto again =
        HttpCall(suite_->service("listener").http_port, "POST", "/v1/mentions", body,
                 {{"Authorization", "Bearer " + hook_}, {"Content-Type", "application/json"}});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->status, 200) << "a repeat is recognised, not stored twice";

    v1::ListInboxItemsRequest req;
    v1::ListInboxItemsResponse inbox;
    ASSERT_TRUE(listener_->ListInboxItems(AuthedContext(ray_).get(), req, &inbox).ok());
    ASSERT_EQ(inbox.inbox_items_size(), 1);
    EXPECT_EQ(inbox.inbox_items(0).classification().sentiment(), v1::SENTIMENT_NEGATIVE);
  }

  // The metrics service measured it all.
  {
    v1::GetObjectiveProgressResponse progress;
    PollUntil(
        [&] {
          v1::GetObjectiveProgressRequest req;
          req.set_name("objectives/flu-awareness");
          return metrics_->GetObjectiveProgress(AuthedContext(sam_).get(), req, &progress).ok() &&
                 progress.progress().current() >= 2;
        },
        absl::Seconds(10));
    EXPECT_EQ(progress.progress().current(), 2);
    EXPECT_DOUBLE_EQ(progress.progress().progress_ratio(), 1.0);
    v1::GetProgramSummaryResponse summary;
    PollUntil(
        [&] {
          v1::GetProgramSummaryRequest req;
          return metrics_->GetProgramSummary(AuthedContext(sam_).get(), req, &summary).ok() &&
                 summary.open_inbox_items() == 1;
        },
        absl::Seconds(10));
    EXPECT_EQ(summary.open_inbox_items(), 1);
  }

  // Each post.published fact is on the stream once, whatever the two publishers did.
  {
    common::SystemClock clock;
    common::CapturingLogger logger;
    auto bus =
        common::NatsConnection::Connect({.url = suite_->nats().url(), .name = "e2e"}, logger);
    ASSERT_TRUE(bus.ok()) << bus.status();
    auto events = (*bus)->Read(std::string(common::streams::kEvents),
                               std::string(common::subjects::kPostPublished), 1, 1000);
    ASSERT_TRUE(events.ok()) << events.status();
    std::multiset<std::string> published;
    for (const auto& e : *events) {
      v1::PostPublished payload;
      ASSERT_TRUE(common::DecodeEvent(e, &payload).ok());
      published.insert(payload.post().name());
    }
    EXPECT_EQ(published.count(held_post), 1u);
    EXPECT_EQ(published.count(post_name), 1u);
  }

  // Every service's /metrics is valid exposition format with the gRPC series.
  for (SuiteService* service : suite_->services()) {
    auto resp = HttpCall(service->http_port, "GET", "/metrics");
    ASSERT_TRUE(resp.ok()) << service->name;
    EXPECT_EQ(resp->status, 200);
    auto [status, output] = PromtoolCheck(resp->body);
    EXPECT_EQ(status, 0) << service->name << ": " << output;
    EXPECT_TRUE(absl::StrContains(resp->body, "grpc_server_handled_total")) << service->name;
  }
  auto metrics_text = HttpCall(suite_->service("metrics").http_port, "GET", "/metrics");
  ASSERT_TRUE(metrics_text.ok());
  EXPECT_TRUE(absl::StrContains(metrics_text->body,
                                "carecast_posts_published_total{network=\"sandbox\"} 2"))
      << metrics_text->body;

  // SIGTERM: every service stops cleanly within its grace period.
  for (SuiteService* service : suite_->services()) {
    auto code = service->process->Terminate(absl::Seconds(15));
    ASSERT_TRUE(code.ok()) << service->name << " ignored SIGTERM";
    EXPECT_EQ(*code, 0) << service->name << "\n" << suite_->LogTails();
  }
}

// A member of the public asks a question; a responder's unsafe draft is refused
// with the spoke's template offered, the template is drafted, a second
// responder approves it, and the two racing publishers send it once, in the
// mention's thread; the item records its first response and the trail shows
// who drafted, approved and sent it.
TEST_F(StoryTest, AReplyIsGuardedApprovedAndSentOnceInTheThread) {
  const std::string ruth = Token("ruth", {Role::kResponder});
  {
    v1::CreateSpokeRequest req;
    req.set_spoke_id("st-marys");
    req.mutable_spoke()->set_display_name("St Mary Hospital");
    v1::CreateSpokeResponse resp;
    ASSERT_TRUE(planner_->CreateSpoke(AuthedContext(sam_).get(), req, &resp).ok());
    v1::CreateAccountRequest acc;
    acc.set_parent("spokes/st-marys");
    acc.set_account_id("sandbox-main");
    acc.mutable_account()->set_network(v1::NETWORK_SANDBOX);
    acc.mutable_account()->set_handle("@stmarys");
    acc.mutable_account()->set_time_zone("America/Chicago");
    v1::CreateAccountResponse acc_resp;
    auto st = planner_->CreateAccount(AuthedContext(sam_).get(), acc, &acc_resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  std::string item;
  {
    v1::CreateMentionRequest req;
    v1::Mention* m = req.mutable_mention();
    m->set_network(v1::NETWORK_SANDBOX);
    m->set_external_id("sbx-question-1");
    m->set_author_handle("@pat");
    m->set_text("Is the flu clinic open on Saturday? Nobody answers the phone at St Marys.");
    m->set_account("spokes/st-marys/accounts/sandbox-main");
    v1::CreateMentionResponse resp;
    auto st = listener_->CreateMention(AuthedContext(hook_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    item = resp.inbox_item();
    ASSERT_FALSE(item.empty()) << "a question needs an answer";
  }
  {
    v1::SetReplyPolicyRequest req;
    req.mutable_policy()->set_spoke("spokes/st-marys");
    req.mutable_policy()->set_require_approval(true);
    v1::ReplyTemplate* t = req.mutable_policy()->add_templates();
    t->set_id("clinic-hours");
    t->set_text(
        "Thanks for asking. Our flu clinic hours are on our website, and our team is "
        "happy to help if you send us a direct message.");
    v1::SetReplyPolicyResponse resp;
    auto st = listener_->SetReplyPolicy(AuthedContext(sam_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  std::string template_text;
  {
    v1::DraftReplyRequest req;
    req.set_inbox_item(item);
    req.set_text("Sorry nobody picked up after your visit last week, we have your records here.");
    v1::DraftReplyResponse resp;
    auto st = listener_->DraftReply(AuthedContext(ray_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_FALSE(resp.has_reply()) << "the guard let a patient confirmation through";
    ASSERT_GT(resp.findings_size(), 0);
    ASSERT_EQ(resp.templates_size(), 1);
    template_text = resp.templates(0).text();
  }
  v1::Reply reply;
  {
    v1::DraftReplyRequest req;
    req.set_inbox_item(item);
    req.set_text(template_text);
    req.set_request_id("e2e-reply");
    v1::DraftReplyResponse resp;
    auto st = listener_->DraftReply(AuthedContext(ray_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_TRUE(resp.has_reply());
    EXPECT_EQ(resp.reply().state(), v1::REPLY_STATE_AWAITING_APPROVAL);
    reply = resp.reply();
  }
  // Nothing goes out before the approval.
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(DeliveriesOf(suite_->sandbox_dir(), reply.post()), 0);
  {
    v1::ApproveReplyRequest req;
    req.set_name(reply.name());
    v1::ApproveReplyResponse resp;
    EXPECT_EQ(listener_->ApproveReply(AuthedContext(ray_).get(), req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << "its author approved it";
    auto st = listener_->ApproveReply(AuthedContext(ruth).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.reply().approver(), "ruth");
  }
  v1::Reply sent;
  PollUntil(
      [&] {
        v1::GetReplyRequest req;
        req.set_name(reply.name());
        v1::GetReplyResponse resp;
        if (listener_->GetReply(AuthedContext(ray_).get(), req, &resp).ok()) sent = resp.reply();
        return sent.state() == v1::REPLY_STATE_SENT;
      },
      absl::Seconds(30));
  ASSERT_EQ(sent.state(), v1::REPLY_STATE_SENT) << suite_->LogTails();
  EXPECT_FALSE(sent.external_id().empty());
  // Once, by one of the two publishers, as an answer to the mention.
  EXPECT_EQ(DeliveriesOf(suite_->sandbox_dir(), reply.post()), 1);
  {
    std::ifstream in(suite_->sandbox_dir() + "/deliveries.jsonl");
    bool threaded = false;
    for (std::string line; std::getline(in, line);) {
      if (absl::StrContains(line, reply.post())) {
        threaded = absl::StrContains(line, R"("in_reply_to":"sbx-question-1")");
      }
    }
    EXPECT_TRUE(threaded) << "the reply was not sent in the mention's thread";
  }
  // The item is answered, at the time the reply went out.
  v1::InboxItem answered;
  PollUntil(
      [&] {
        v1::ListInboxItemsRequest req;
        req.set_state(v1::INBOX_ITEM_STATE_WAITING);
        v1::ListInboxItemsResponse resp;
        if (!listener_->ListInboxItems(AuthedContext(ray_).get(), req, &resp).ok()) return false;
        for (const v1::InboxItem& i : resp.inbox_items()) {
          if (i.name() == item) answered = i;
        }
        return answered.name() == item;
      },
      absl::Seconds(10));
  ASSERT_EQ(answered.name(), item);
  EXPECT_EQ(answered.assignee(), "ray");
  EXPECT_EQ(TimeUtil::TimestampToSeconds(answered.first_response_time()),
            TimeUtil::TimestampToSeconds(sent.sent_time()));
  // The trail: drafted by ray, approved by ruth, sent by the listener's record.
  std::vector<std::string> trail;
  PollUntil(
      [&] {
        v1::ListAuditEntriesRequest req;
        req.set_resource(reply.name());
        v1::ListAuditEntriesResponse resp;
        trail.clear();
        if (!planner_->ListAuditEntries(AuthedContext(sam_).get(), req, &resp).ok()) return false;
        for (const v1::AuditEntry& e : resp.entries()) {
          trail.push_back(absl::StrCat(e.action(), " by ", e.actor()));
        }
        return trail.size() >= 3;
      },
      absl::Seconds(10));
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(trail[0], "reply.draft by ray");
  EXPECT_EQ(trail[1], "reply.approve by ruth");
  EXPECT_EQ(trail[2], "reply.send by carecast-listener");
}

}  // namespace
}  // namespace carecast::testing
