// Replies on fakes with the real text engine as the guard: a safe reply is
// stored and handed to the publisher (carecast.reply.approved) with its audit
// entries; an unsafe one is refused with its findings and the spoke's templates,
// storing nothing; approval by a second responder; retries; bad input and other
// spokes' items change nothing; the publisher's outcomes (published, failed,
// NEEDS_HUMAN, repeated) move the reply and record the item's first response;
// reply policies and their fallbacks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/listener/engine_classifier.h"
#include "tests/unit/listener/listener_fixture.h"
#include "tests/unit/listener/shared_engine_holder.h"

namespace carecast::listener {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::string_view kAccount = "spokes/st-marys/accounts/x-main";
constexpr std::string_view kSpoke = "spokes/st-marys";
constexpr std::string_view kSafe =
    "Thank you for telling us. We are sorry about the wait; please send us a direct message "
    "so our patient relations team can look into it.";

common::Caller Responder(std::string subject, std::vector<std::string> spokes = {"*"}) {
  common::Caller caller;
  caller.principal.subject = std::move(subject);
  caller.principal.roles = {common::Role::kResponder};
  caller.principal.spokes = std::move(spokes);
  caller.role = common::Role::kResponder;
  return caller;
}

class RepliesTest : public ListenerFixture {
 protected:
  RepliesTest() : engine_(SharedEngineHolder()) {
    // The same stores, with the text engine as the guard.
    listener_.reset();
    auto listener = Listener::Create(options_, {.buckets = kv_,
                                                .bus = bus_,
                                                .index = index_,
                                                .classifier = engine_,
                                                .metrics = metrics_,
                                                .clock = clock_,
                                                .logger = logger_});
    EXPECT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
  }

  // An inbox item for a complaint on X addressed to `account`.
  v1::InboxItem Open(const std::string& external_id, std::string_view account = kAccount) {
    v1::Mention m = MakeMention(external_id, "The ER wait was awful and the staff were rude.");
    m.set_account(std::string(account));
    auto result = listener_->CreateMention(m, "grpc");
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->inbox_item.empty());
    auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_UNSPECIFIED, 500, "", kHub);
    EXPECT_TRUE(page.ok());
    for (const v1::InboxItem& item : page->items) {
      if (item.name() == result->inbox_item) return item;
    }
    ADD_FAILURE() << "no item for " << external_id;
    return {};
  }

  std::vector<v1::ReplyChanged> ReplyEvents(const std::string& subject) {
    std::vector<v1::ReplyChanged> out;
    for (const common::Event& e : Events(subject)) {
      v1::ReplyChanged payload;
      EXPECT_TRUE(common::DecodeEvent(e, &payload).ok());
      out.push_back(payload);
    }
    return out;
  }

  std::vector<v1::AuditEntry> Audits(const std::string& resource) {
    std::vector<v1::AuditEntry> out;
    for (const common::Event& e : Events("carecast.audit.>")) {
      v1::AuditRecorded recorded;
      EXPECT_TRUE(common::DecodeEvent(e, &recorded).ok());
      if (recorded.entry().resource() == resource) out.push_back(recorded.entry());
    }
    return out;
  }

  size_t ReplyKeys() { return KeyCount("carecast_replies"); }

  common::Event PostOutcome(const v1::Reply& reply, v1::PostState state,
                            const std::string& external_id = "") {
    v1::Post post;
    post.set_name(reply.post());
    post.set_reply(reply.name());
    post.set_state(state);
    post.set_external_id(external_id);
    post.set_url(external_id.empty() ? "" : "https://x.example/status/" + external_id);
    *post.mutable_published_time() = ToTimestamp(clock_.Now());
    if (state == v1::POST_STATE_PUBLISHED) {
      v1::PostPublished payload;
      *payload.mutable_post() = post;
      return common::MakeEvent(common::subjects::kPostPublished, payload, "/test", clock_.Now());
    }
    v1::PostFailed payload;
    *payload.mutable_post() = post;
    payload.set_reason("the network refused it");
    return common::MakeEvent(common::subjects::kPostFailed, payload, "/test", clock_.Now());
  }

  const common::SpokeScope kHub = common::SpokeScope::Hub();
  const common::SpokeScope kStMarys = common::SpokeScope::Only({std::string(kSpoke)});
  EngineClassifier engine_;
};

TEST_F(RepliesTest, ASafeReplyWithoutApprovalGoesToThePublisherAtOnce) {
  const v1::InboxItem item = Open("1790001");
  ASSERT_EQ(item.spoke(), kSpoke);
  auto drafted =
      listener_->DraftReply(item.name(), kSafe, "", "req-1", Responder("alice"), kStMarys);
  ASSERT_TRUE(drafted.ok()) << drafted.status();
  ASSERT_TRUE(drafted->reply.has_value());
  EXPECT_THAT(drafted->findings, IsEmpty());
  const v1::Reply& reply = *drafted->reply;
  EXPECT_EQ(reply.state(), v1::REPLY_STATE_SENDING);
  EXPECT_THAT(reply.name(), ::testing::StartsWith(item.name() + "/replies/"));
  EXPECT_EQ(reply.inbox_item(), item.name());
  EXPECT_EQ(reply.network(), v1::NETWORK_X);
  EXPECT_EQ(reply.in_reply_to(), "1790001");
  EXPECT_EQ(reply.account(), kAccount);
  EXPECT_EQ(reply.spoke(), kSpoke);
  EXPECT_EQ(reply.author(), "alice");
  EXPECT_EQ(reply.approver(), "");
  EXPECT_EQ(reply.post(), "posts/reply-" + reply.name().substr(reply.name().rfind('/') + 1));
  EXPECT_EQ(FromTimestamp(reply.approve_time()), clock_.Now());

  const auto approved = ReplyEvents("carecast.reply.approved");
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(approved[0].reply().name(), reply.name());
  EXPECT_EQ(approved[0].reply().text(), kSafe);
  EXPECT_EQ(approved[0].actor(), "alice");
  EXPECT_EQ(ReplyEvents("carecast.reply.drafted").size(), 1u);
  std::vector<std::string> actions;
  for (const v1::AuditEntry& e : Audits(reply.name())) {
    actions.push_back(e.action());
    EXPECT_EQ(e.actor(), "alice");
    EXPECT_EQ(e.role(), "responder");
    EXPECT_EQ(e.request_id(), "req-1");
  }
  EXPECT_THAT(actions, ElementsAre("reply.draft", "reply.approve"));
  EXPECT_EQ(ReplyKeys(), 1u);

  // A retry answers with the same reply and announces nothing new.
  auto again = listener_->DraftReply(item.name(), kSafe, "", "req-1", Responder("alice"), kStMarys);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->reply->name(), reply.name());
  EXPECT_EQ(ReplyEvents("carecast.reply.approved").size(), 1u);
  // The same request_id for other words is a mistake, not a new reply.
  auto other = listener_->DraftReply(item.name(), "Please call us.", "", "req-1",
                                     Responder("alice"), kStMarys);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReplyKeys(), 1u);
}

TEST_F(RepliesTest, TheGuardRefusesUnsafeRepliesStoresNothingAndOffersTemplates) {
  const v1::InboxItem item = Open("1790002");
  const std::vector<std::pair<std::string, std::string>> unsafe = {
      {"We're so sorry about your visit last Tuesday, we have spoken to the ER team.",
       "patient_confirmation"},
      {"You can skip your evening dose of metformin until you feel better.", "medical_advice"},
      {"Please call Dr. Jane Smith's office at 617-555-0134 about your results.", ""},
  };
  for (const auto& [text, kind] : unsafe) {
    auto drafted = listener_->DraftReply(item.name(), text, "", "", Responder("alice"), kStMarys);
    ASSERT_TRUE(drafted.ok()) << drafted.status();
    EXPECT_FALSE(drafted->reply.has_value()) << text;
    ASSERT_THAT(drafted->findings, Not(IsEmpty())) << text;
    if (!kind.empty()) {
      std::vector<std::string> kinds;
      for (const v1::GuardFinding& f : drafted->findings) kinds.push_back(f.kind());
      EXPECT_THAT(kinds, Contains(kind)) << text;
    }
    for (const v1::GuardFinding& f : drafted->findings) {
      EXPECT_LT(f.begin(), f.end());
      EXPECT_LE(f.end(), static_cast<int>(text.size()));
    }
    // No policy is set: the built-in "take it offline" template is offered.
    ASSERT_EQ(drafted->templates.size(), 1u);
    EXPECT_EQ(drafted->templates[0].id(), "take-it-offline");
  }
  EXPECT_EQ(ReplyKeys(), 0u);
  EXPECT_THAT(Events("carecast.reply.>"), IsEmpty());
  EXPECT_EQ(metrics_.ReplyCount("refused"), 3);
  EXPECT_EQ(metrics_.ReplyCount("approved"), 0);
  // The log names the finding, never the text.
  for (const common::CapturingLogger::Line& line : logger_.lines()) {
    std::string all = line.message;
    for (const auto& [key, value] : line.fields) {
      if (const auto* text = std::get_if<std::string>(&value)) all += " " + key + "=" + *text;
    }
    EXPECT_THAT(all, Not(HasSubstr("metformin")));
    EXPECT_THAT(all, Not(HasSubstr("617-555")));
  }
  // The offered template itself passes.
  auto offline = listener_->DraftReply(item.name(), DefaultReplyPolicy().templates(0).text(), "",
                                       "", Responder("alice"), kStMarys);
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_TRUE(offline->reply.has_value());
}

TEST_F(RepliesTest, ASpokeThatRequiresApprovalWaitsForASecondResponder) {
  v1::ReplyPolicy policy;
  policy.set_spoke(std::string(kSpoke));
  policy.set_require_approval(true);
  v1::ReplyTemplate* t = policy.add_templates();
  t->set_id("dm-us");
  t->set_text("We're sorry to hear this. Please send us a direct message so we can help.");
  common::Caller strategist = Responder("sam");
  strategist.role = common::Role::kStrategist;
  auto set = listener_->SetReplyPolicy(policy, "p1", strategist, kStMarys);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->updated_by(), "sam");
  EXPECT_EQ(Audits("replyPolicies/st-marys").size(), 1u);

  const v1::InboxItem item = Open("1790003");
  auto drafted = listener_->DraftReply(item.name(), kSafe, "", "", Responder("alice"), kStMarys);
  ASSERT_TRUE(drafted.ok()) << drafted.status();
  const v1::Reply reply = *drafted->reply;
  EXPECT_EQ(reply.state(), v1::REPLY_STATE_AWAITING_APPROVAL);
  EXPECT_THAT(Events("carecast.reply.approved"), IsEmpty());

  // Its author cannot approve it.
  auto own = listener_->ApproveReply(reply.name(), "", Responder("alice"), kStMarys);
  EXPECT_EQ(own.status().code(), absl::StatusCode::kPermissionDenied);
  // Nor can a responder of another spoke, who cannot see it.
  auto stranger = listener_->ApproveReply(reply.name(), "", Responder("olga", {"oak-park"}),
                                          common::SpokeScope::Only({"spokes/oak-park"}));
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Events("carecast.reply.approved"), IsEmpty());

  clock_.Advance(absl::Minutes(3));
  auto approved = listener_->ApproveReply(reply.name(), "a1", Responder("bob"), kStMarys);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->state(), v1::REPLY_STATE_SENDING);
  EXPECT_EQ(approved->approver(), "bob");
  EXPECT_EQ(FromTimestamp(approved->approve_time()), clock_.Now());
  ASSERT_EQ(ReplyEvents("carecast.reply.approved").size(), 1u);
  EXPECT_EQ(ReplyEvents("carecast.reply.approved")[0].actor(), "bob");
  // A retry of the approval changes nothing; a second approver is refused.
  EXPECT_TRUE(listener_->ApproveReply(reply.name(), "a1", Responder("bob"), kStMarys).ok());
  EXPECT_EQ(listener_->ApproveReply(reply.name(), "", Responder("carol"), kStMarys).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReplyEvents("carecast.reply.approved").size(), 1u);

  // The spoke's own templates are offered when the guard refuses.
  auto refused = listener_->DraftReply(item.name(), "Sorry about your visit to our ER.", "", "",
                                       Responder("alice"), kStMarys);
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->templates.size(), 1u);
  EXPECT_EQ(refused->templates[0].id(), "dm-us");
}

TEST_F(RepliesTest, BadInputAndOtherSpokesItemsChangeNothing) {
  const v1::InboxItem item = Open("1790004");
  const common::Caller alice = Responder("alice");
  struct Case {
    std::string item, text, account;
    common::SpokeScope scope;
    absl::StatusCode code;
  };
  const common::SpokeScope oak = common::SpokeScope::Only({"spokes/oak-park"});
  const std::vector<Case> cases = {
      {"inbox/1", std::string(kSafe), "", kStMarys, absl::StatusCode::kInvalidArgument},
      {item.name(), "", "", kStMarys, absl::StatusCode::kInvalidArgument},
      {item.name(), std::string(2001, 'a'), "", kStMarys, absl::StatusCode::kInvalidArgument},
      {item.name(), "\xff\xfe", "", kStMarys, absl::StatusCode::kInvalidArgument},
      {item.name(), std::string(kSafe), "accounts/x", kStMarys, absl::StatusCode::kInvalidArgument},
      {item.name(), std::string(kSafe), "spokes/oak-park/accounts/x-main", kStMarys,
       absl::StatusCode::kInvalidArgument},
      {"inboxItems/nosuchitem", std::string(kSafe), "", kStMarys, absl::StatusCode::kNotFound},
      {item.name(), std::string(kSafe), "", oak, absl::StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    auto drafted = listener_->DraftReply(c.item, c.text, c.account, "", alice, c.scope);
    EXPECT_EQ(drafted.status().code(), c.code)
        << c.item << " " << c.account << " " << drafted.status();
  }
  // A resolved item takes no reply.
  ASSERT_TRUE(listener_->ResolveInboxItem(item.name(), "handled by phone", "alice", kHub).ok());
  EXPECT_EQ(listener_->DraftReply(item.name(), kSafe, "", "", alice, kStMarys).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A mention that names no account needs one given, of a spoke the caller acts for.
  const v1::InboxItem hub_item = Open("1790005", "");
  EXPECT_EQ(hub_item.spoke(), "");
  EXPECT_EQ(listener_->DraftReply(hub_item.name(), kSafe, "", "", alice, kHub).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReplyKeys(), 0u);
  EXPECT_THAT(Events("carecast.reply.>"), IsEmpty());
  auto given =
      listener_->DraftReply(hub_item.name(), kSafe, std::string(kAccount), "", alice, kHub);
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->reply->account(), kAccount);
}

TEST_F(RepliesTest, ThePublishersOutcomeMovesTheReplyAndAnswersTheItem) {
  const v1::InboxItem item = Open("1790006");
  ASSERT_EQ(item.state(), v1::INBOX_ITEM_STATE_NEW);
  auto drafted = listener_->DraftReply(item.name(), kSafe, "", "", Responder("alice"), kStMarys);
  ASSERT_TRUE(drafted.ok());
  const v1::Reply reply = *drafted->reply;

  // The network could not say: a person must look.
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(listener_->OnPostEvent(PostOutcome(reply, v1::POST_STATE_NEEDS_HUMAN)),
            common::Disposition::kAck);
  auto looked = listener_->GetReply(reply.name(), kStMarys);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->state(), v1::REPLY_STATE_NEEDS_HUMAN);
  EXPECT_EQ(looked->failure_reason(), "the network refused it");
  EXPECT_EQ(ReplyEvents("carecast.reply.failed").size(), 1u);

  // It was on the network after all.
  clock_.Advance(absl::Minutes(1));
  const absl::Time sent = clock_.Now();
  const common::Event published = PostOutcome(reply, v1::POST_STATE_PUBLISHED, "99887766");
  EXPECT_EQ(listener_->OnPostEvent(published), common::Disposition::kAck);
  auto done = listener_->GetReply(reply.name(), kStMarys);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::REPLY_STATE_SENT);
  EXPECT_EQ(done->external_id(), "99887766");
  EXPECT_EQ(FromTimestamp(done->sent_time()), sent);
  EXPECT_EQ(done->failure_reason(), "");
  ASSERT_EQ(ReplyEvents("carecast.reply.sent").size(), 1u);
  EXPECT_THAT(Audits(reply.name()).back().action(), "reply.send");

  // The item was answered by the reply's author, at the time it went out.
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_WAITING, 500, "", kHub);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].assignee(), "alice");
  EXPECT_EQ(FromTimestamp(page->items[0].first_response_time()), sent);
  const size_t waiting_events = Events("carecast.inbox.waiting").size();
  EXPECT_EQ(waiting_events, 1u);

  // Redelivered, and a late failure of an earlier attempt: nothing changes.
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(listener_->OnPostEvent(published), common::Disposition::kAck);
  EXPECT_EQ(listener_->OnPostEvent(PostOutcome(reply, v1::POST_STATE_FAILED)),
            common::Disposition::kAck);
  EXPECT_EQ(listener_->GetReply(reply.name(), kStMarys)->state(), v1::REPLY_STATE_SENT);
  EXPECT_EQ(ReplyEvents("carecast.reply.sent").size(), 1u);
  EXPECT_EQ(ReplyEvents("carecast.reply.failed").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.waiting").size(), waiting_events);
  EXPECT_EQ(metrics_.ReplyCount("sent"), 1);
  EXPECT_EQ(metrics_.ReplyCount("needs_human"), 1);
  EXPECT_EQ(metrics_.ReplyCount("failed"), 0);

  // A program post's outcome is not a reply's.
  v1::PostPublished program;
  program.mutable_post()->set_name("posts/p1");
  program.mutable_post()->set_state(v1::POST_STATE_PUBLISHED);
  EXPECT_EQ(listener_->OnPostEvent(common::MakeEvent(common::subjects::kPostPublished, program,
                                                     "/test", clock_.Now())),
            common::Disposition::kAck);
  EXPECT_EQ(ReplyEvents("carecast.reply.sent").size(), 1u);
}

TEST_F(RepliesTest, AFailedReplyIsFinalAndListsWithTheOthersOldestFirst) {
  const v1::InboxItem item = Open("1790007");
  auto first = listener_->DraftReply(item.name(), kSafe, "", "", Responder("alice"), kStMarys);
  clock_.Advance(absl::Seconds(10));
  auto second = listener_->DraftReply(item.name(), "Please send us a direct message.", "", "",
                                      Responder("bob"), kStMarys);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(listener_->OnPostEvent(PostOutcome(*first->reply, v1::POST_STATE_FAILED)),
            common::Disposition::kAck);
  auto listed = listener_->ListReplies(item.name(), kStMarys);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name(), first->reply->name());
  EXPECT_EQ((*listed)[0].state(), v1::REPLY_STATE_FAILED);
  EXPECT_EQ((*listed)[1].author(), "bob");
  EXPECT_EQ(listener_->ListReplies(item.name(), common::SpokeScope::Only({"spokes/oak-park"}))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  // A reply post cancelled in the planner will not go out either.
  v1::PostChanged cancelled;
  cancelled.mutable_post()->set_name(second->reply->post());
  cancelled.mutable_post()->set_reply(second->reply->name());
  cancelled.mutable_post()->set_state(v1::POST_STATE_CANCELLED);
  cancelled.set_actor("paul");
  EXPECT_EQ(listener_->OnPostEvent(common::MakeEvent(common::subjects::kPostCancelled, cancelled,
                                                     "/test", clock_.Now())),
            common::Disposition::kAck);
  auto withdrawn = listener_->GetReply(second->reply->name(), kStMarys);
  ASSERT_TRUE(withdrawn.ok());
  EXPECT_EQ(withdrawn->state(), v1::REPLY_STATE_FAILED);
  EXPECT_THAT(withdrawn->failure_reason(), HasSubstr("cancelled by paul"));
  // No reply was sent: the item is still waiting for its first response.
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_NEW, 500, "", kHub);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_FALSE(page->items[0].has_first_response_time());
}

TEST_F(RepliesTest, PoliciesAreCheckedAndFallBackToTheHub) {
  common::Caller admin = Responder("ada");
  admin.role = common::Role::kAdmin;
  v1::ReplyPolicy hub;
  hub.set_require_approval(true);
  auto set = listener_->SetReplyPolicy(hub, "", admin, kHub);
  ASSERT_TRUE(set.ok()) << set.status();
  // A spoke without its own policy uses the hub's.
  auto effective = listener_->GetReplyPolicy(std::string(kSpoke), kStMarys);
  ASSERT_TRUE(effective.ok());
  EXPECT_TRUE(effective->require_approval());
  EXPECT_EQ(effective->spoke(), kSpoke);

  common::Caller strategist = Responder("sam", {"st-marys"});
  strategist.role = common::Role::kStrategist;
  // The hub's policy is not a spoke's to change, nor is another spoke's.
  EXPECT_EQ(listener_->SetReplyPolicy(hub, "", strategist, kStMarys).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ReplyPolicy oak;
  oak.set_spoke("spokes/oak-park");
  EXPECT_EQ(listener_->SetReplyPolicy(oak, "", strategist, kStMarys).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Templates must be safe, named once, and few.
  v1::ReplyPolicy bad;
  bad.set_spoke(std::string(kSpoke));
  v1::ReplyTemplate* t = bad.add_templates();
  t->set_id("visit");
  t->set_text("We hope your visit with Dr. Jones went well.");
  auto unsafe = listener_->SetReplyPolicy(bad, "", strategist, kStMarys);
  EXPECT_EQ(unsafe.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unsafe.status().message()), HasSubstr("guard"));
  t->set_text("Please send us a direct message.");
  *bad.add_templates() = *t;
  EXPECT_EQ(listener_->SetReplyPolicy(bad, "", strategist, kStMarys).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad.mutable_templates(1)->set_id("Not An Id");
  EXPECT_EQ(listener_->SetReplyPolicy(bad, "", strategist, kStMarys).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(listener_->SetReplyPolicy(hub, "", admin, common::SpokeScope::Hub()).value().spoke(),
            "");
  EXPECT_EQ(Events("carecast.reply.policy_set").size(), 1u) << "setting the same rules again";
  EXPECT_EQ(listener_->GetReplyPolicy("stmarys", kHub).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::listener
