// The planner's workflow end to end on fakes: organisation, content review,
// scheduling, cancellation, the hold, and request_id replay.
#include <prometheus/text_serializer.h>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PlannerWorkflowTest : public PlannerFixture {
 protected:
  std::string MetricsText() {
    prometheus::TextSerializer serializer;
    return serializer.Serialize(registry_.Collect());
  }
};

TEST_F(PlannerWorkflowTest, DraftToScheduledPostWithEventsAtEveryStep) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  EXPECT_EQ(x.name(), "spokes/st-marys/accounts/x-main");

  v1::CreateObjectiveRequest objective;
  objective.mutable_objective()->set_display_name("Flu season reach");
  objective.mutable_objective()->set_kpi(v1::KPI_POSTS_PUBLISHED);
  objective.mutable_objective()->set_target(12);
  *objective.mutable_objective()->mutable_start_time() = In(absl::ZeroDuration());
  *objective.mutable_objective()->mutable_end_time() = In(absl::Hours(24 * 30));
  auto created_objective = planner_->CreateObjective(strategist_, objective);
  ASSERT_TRUE(created_objective.ok()) << created_objective.status();

  v1::Content draft = DraftContent("Free flu shots this Saturday.");
  EXPECT_EQ(draft.state(), v1::CONTENT_STATE_DRAFT);
  EXPECT_EQ(draft.version(), 1);
  EXPECT_EQ(draft.author(), "wendy");
  EXPECT_EQ(draft.content_hash().size(), 64u);
  ASSERT_EQ(draft.variants_size(), 3);
  EXPECT_EQ(draft.variants(0).network(), v1::NETWORK_X);  // sorted by network

  v1::Content submitted = Submit(draft);
  EXPECT_EQ(submitted.state(), v1::CONTENT_STATE_IN_REVIEW);
  v1::Content approved = Approve(submitted);
  EXPECT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_EQ(approved.approval().reviewer(), "rita");
  EXPECT_EQ(approved.approval().version(), 1);
  EXPECT_EQ(approved.approval().content_hash(), draft.content_hash());

  auto post = Schedule(approved, x.name(), absl::Hours(2));
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->state(), v1::POST_STATE_SCHEDULED);
  EXPECT_EQ(post->text(), "Flu shots Saturday! #FluFree");
  EXPECT_EQ(post->network(), v1::NETWORK_X);
  EXPECT_EQ(post->content_version(), 1);
  EXPECT_EQ(post->content_hash(), approved.content_hash());
  EXPECT_EQ(post->scheduled_by(), "paul");

  v1::GetPostRequest get;
  get.set_name(post->name());
  auto got = planner_->GetPost(publisher_, get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->post().SerializeAsString(), post->SerializeAsString());

  v1::ListCalendarRequest calendar;
  *calendar.mutable_start_time() = In(absl::ZeroDuration());
  *calendar.mutable_end_time() = In(absl::Hours(24));
  auto listed = planner_->ListCalendar(reviewer_, calendar);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->posts_size(), 1);
  EXPECT_EQ(listed->posts(0).name(), post->name());

  v1::CancelPostRequest cancel;
  cancel.set_name(post->name());
  cancel.set_reason("event moved");
  auto cancelled = planner_->CancelPost(publisher_, cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->post().state(), v1::POST_STATE_CANCELLED);

  EXPECT_THAT(Subjects("carecast.*.*"),
              ElementsAre("carecast.spoke.created", "carecast.account.created",
                          "carecast.objective.created", "carecast.content.created",
                          "carecast.content.submitted", "carecast.content.approved",
                          "carecast.post.scheduled", "carecast.post.cancelled"));
  // The event carries the resource and the actor.
  auto events = bus_.Published("carecast.content.approved");
  ASSERT_EQ(events.size(), 1u);
  v1::ContentChanged changed;
  ASSERT_TRUE(common::DecodeEvent(events[0], &changed).ok());
  EXPECT_EQ(changed.actor(), "rita");
  EXPECT_EQ(changed.content().state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_EQ(events[0].source, "/carecast/planner");

  std::string metrics = MetricsText();
  EXPECT_THAT(metrics,
              HasSubstr("carecast_planner_content_transitions_total{transition=\"approved\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("carecast_planner_posts_total{event=\"scheduled\"} 1"));
}

TEST_F(PlannerWorkflowTest, NoOneApprovesTheirOwnWork) {
  v1::Content c = Submit(DraftContent("Free flu shots this Saturday."));
  common::Caller author_as_reviewer = MakeCaller("wendy", common::Role::kComplianceReviewer);
  auto before = Take();
  v1::ApproveContentRequest req;
  req.set_name(c.name());
  req.set_version(c.version());
  auto resp = planner_->ApproveContent(author_as_reviewer, req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(resp.status().message()), HasSubstr("no one approves their own work"));
  ExpectUnchanged(before, "self-approval");
}

TEST_F(PlannerWorkflowTest, AnEditVoidsTheApprovalAndCancelsScheduledPosts) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  v1::Account sandbox = MakeAccount(v1::NETWORK_SANDBOX, "sandbox");
  v1::Content approved = ApprovedContent();
  auto on_x = Schedule(approved, x.name(), absl::Hours(1), "on-x");
  auto on_sandbox = Schedule(approved, sandbox.name(), absl::Hours(2), "on-sandbox");
  ASSERT_TRUE(on_x.ok() && on_sandbox.ok());
  // The sandbox has no variant of its own, so it carries the master text.
  EXPECT_EQ(on_sandbox->text(), "Free flu shots this Saturday.");

  // A post a publisher has already claimed is not the planner's to cancel, and
  // posts of other content are untouched.
  ASSERT_TRUE(Schedule(approved, x.name(), absl::Hours(3), "claimed").ok());
  auto& posts = kv_.Bucket(std::string(common::buckets::kPosts));
  auto entry = posts.Get("claimed");
  v1::Post claimed;
  ASSERT_TRUE(claimed.ParseFromString(common::DecodeRecord(*entry).value));
  claimed.set_state(v1::POST_STATE_PUBLISHING);
  ASSERT_TRUE(posts.Update("claimed", claimed.SerializeAsString(), entry->revision).ok());
  v1::Content other = ApprovedContent("Another piece.");
  ASSERT_TRUE(Schedule(other, x.name(), absl::Hours(3), "unrelated").ok());

  v1::UpdateContentRequest update;
  *update.mutable_content() = approved;
  update.mutable_content()->set_text("Free flu shots this Saturday and Sunday.");
  update.set_expected_version(approved.version());
  update.set_request_id("edit-1");
  auto updated = planner_->UpdateContent(writer_, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->content().version(), 2);
  EXPECT_EQ(updated->content().state(), v1::CONTENT_STATE_DRAFT);
  EXPECT_FALSE(updated->content().has_approval());
  EXPECT_NE(updated->content().content_hash(), approved.content_hash());

  for (const char* name : {"posts/on-x", "posts/on-sandbox"}) {
    v1::GetPostRequest get;
    get.set_name(name);
    auto post = planner_->GetPost(publisher_, get);
    ASSERT_TRUE(post.ok());
    EXPECT_EQ(post->post().state(), v1::POST_STATE_CANCELLED) << name;
    v1::ListAuditEntriesRequest audit;
    audit.set_resource(name);
    auto entries = planner_->ListAuditEntries(reviewer_, audit);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->entries_size(), 2);
    EXPECT_EQ(entries->entries(1).action(), "post.cancel");
    EXPECT_EQ(entries->entries(1).detail(), "content edited");
    EXPECT_EQ(entries->entries(1).actor(), "wendy");
  }
  v1::GetPostRequest get;
  get.set_name("posts/claimed");
  EXPECT_EQ(planner_->GetPost(publisher_, get)->post().state(), v1::POST_STATE_PUBLISHING);
  get.set_name("posts/unrelated");
  EXPECT_EQ(planner_->GetPost(publisher_, get)->post().state(), v1::POST_STATE_SCHEDULED);
  EXPECT_EQ(bus_.Published("carecast.post.cancelled").size(), 2u);

  // The new version cannot be scheduled until it is approved again.
  auto again = Schedule(updated->content(), x.name(), absl::Hours(1));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  v1::Content reapproved = Approve(Submit(updated->content()));
  EXPECT_EQ(reapproved.approval().version(), 2);
  EXPECT_TRUE(Schedule(reapproved, x.name(), absl::Hours(1)).ok());
}

TEST_F(PlannerWorkflowTest, TheGuardBlocksApprovalWithKindsFieldsAndReasonsButNoText) {
  v1::Content c =
      Submit(DraftContent("Questions? Call 555-867-5309.",
                          {{v1::NETWORK_X, "Mail jane.doe@example.org"},
                           {v1::NETWORK_LINKEDIN, "Patient MRN: 12345678 thanks the team"},
                           {v1::NETWORK_FACEBOOK, "Nothing to see here"}}));
  auto before = Take();
  v1::ApproveContentRequest req;
  req.set_name(c.name());
  req.set_version(c.version());
  auto resp = planner_->ApproveContent(reviewer_, req);
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kFailedPrecondition);
  std::string message(resp.status().message());
  EXPECT_THAT(message, HasSubstr("phone in master"));
  EXPECT_THAT(message, HasSubstr("email in x"));
  EXPECT_THAT(message, HasSubstr("medical_record_number in linkedin"));
  EXPECT_THAT(message, HasSubstr("phone-shaped number"));
  EXPECT_EQ(message.find("867"), std::string::npos) << "the matched text leaked: " << message;
  EXPECT_EQ(message.find("jane"), std::string::npos) << message;
  EXPECT_EQ(message.find("12345678"), std::string::npos) << message;
  ExpectUnchanged(before, "guard block");
  EXPECT_THAT(MetricsText(), HasSubstr("carecast_planner_guard_blocks_total{kind=\"phone\"} 1"));
  for (const auto& line : logger_.lines()) {
    for (const auto& [key, value] : line.fields) {
      if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_EQ(s->find("867"), std::string::npos) << "log leaked text in " << key;
      }
    }
  }
}

TEST_F(PlannerWorkflowTest, RejectThenResubmitAndApprove) {
  v1::Content c = Submit(DraftContent("Free flu shots this Saturday."));
  v1::RejectContentRequest reject;
  reject.set_name(c.name());
  reject.set_version(c.version());
  reject.set_reason("needs the clinic hours");
  auto rejected = planner_->RejectContent(reviewer_, reject);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->content().state(), v1::CONTENT_STATE_REJECTED);
  EXPECT_EQ(rejected->content().rejection_reason(), "needs the clinic hours");
  v1::Content resubmitted = Submit(rejected->content());
  EXPECT_EQ(resubmitted.rejection_reason(), "");
  EXPECT_EQ(Approve(resubmitted).state(), v1::CONTENT_STATE_APPROVED);
}

TEST_F(PlannerWorkflowTest, HoldIsIdempotentAndResumeReleases) {
  v1::GetPublishingStateRequest get;
  EXPECT_FALSE(planner_->GetPublishingState(publisher_, get)->state().held());

  v1::HoldPublishingRequest hold;
  hold.set_reason("storm response");
  auto held = planner_->HoldPublishing(strategist_, hold);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(held->state().held());
  EXPECT_EQ(held->state().changed_by(), "alice");
  auto held_again = planner_->HoldPublishing(strategist_, hold);
  ASSERT_TRUE(held_again.ok()) << held_again.status();
  EXPECT_TRUE(held_again->state().held());
  EXPECT_EQ(bus_.Published("carecast.publishing.held").size(), 1u);

  auto state = planner_->GetPublishingState(publisher_, get);
  EXPECT_TRUE(state->state().held());
  EXPECT_EQ(state->state().reason(), "storm response");
  // The publisher reads the switch from the control bucket under "publishing".
  v1::PublishingState stored;
  ASSERT_TRUE(stored.ParseFromString(
      common::DecodeRecord(*kv_.Bucket(std::string(common::buckets::kControl)).Get("publishing"))
          .value));
  EXPECT_TRUE(stored.held());

  auto resumed = planner_->ResumePublishing(strategist_, v1::ResumePublishingRequest());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_FALSE(resumed->state().held());
  EXPECT_TRUE(planner_->ResumePublishing(strategist_, v1::ResumePublishingRequest()).ok());
  EXPECT_EQ(bus_.Published("carecast.publishing.resumed").size(), 1u);

  v1::ListAuditEntriesRequest audit;
  audit.set_resource("publishing");
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->entries_size(), 2);
  EXPECT_EQ(entries->entries(0).action(), "publishing.hold");
  EXPECT_EQ(entries->entries(0).detail(), "storm response");
  EXPECT_EQ(entries->entries(1).action(), "publishing.resume");
}

TEST_F(PlannerWorkflowTest, ARetriedCreateWithTheSameRequestIdReturnsTheSameResource) {
  v1::CreateContentRequest req;
  req.mutable_content()->set_text("Free flu shots this Saturday.");
  req.set_request_id("create-1");
  auto first = planner_->CreateContent(writer_, req);
  auto second = planner_->CreateContent(writer_, req);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->content().name(), second->content().name());
  EXPECT_EQ(first->content().SerializeAsString(), second->content().SerializeAsString());
  EXPECT_EQ(bus_.Published("carecast.content.created").size(), 1u);

  // The same request_id from someone else is another request.
  auto other = planner_->CreateContent(MakeCaller("carl", common::Role::kContributor), req);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->content().name(), first->content().name());

  // Even with the replay record gone, the derived id lands on the same resource.
  const std::vector<std::string> keys =
      *kv_.Bucket(std::string(common::buckets::kRequests)).Keys("");
  for (const std::string& key : keys) {
    ASSERT_TRUE(kv_.Bucket(std::string(common::buckets::kRequests)).Delete(key).ok());
  }
  auto third = planner_->CreateContent(writer_, req);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->content().name(), first->content().name());
  EXPECT_EQ(bus_.Published("carecast.content.created").size(), 2u);  // wendy's and carl's
}

TEST_F(PlannerWorkflowTest, ARetriedTransitionWithTheSameRequestIdReturnsTheFirstAnswer) {
  v1::Content c = DraftContent("Free flu shots this Saturday.");
  v1::SubmitContentRequest req;
  req.set_name(c.name());
  req.set_request_id("submit-1");
  auto first = planner_->SubmitContent(writer_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  // Without replay the second submit would be FAILED_PRECONDITION (already in review).
  auto second = planner_->SubmitContent(writer_, req);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->content().SerializeAsString(), second->content().SerializeAsString());
  EXPECT_EQ(bus_.Published("carecast.content.submitted").size(), 1u);
  req.set_request_id("submit-2");
  EXPECT_EQ(planner_->SubmitContent(writer_, req).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(PlannerWorkflowTest, AChangeWhoseEventsCannotBePublishedYetIsDeliveredByTheRelay) {
  v1::Content c = DraftContent("Free flu shots this Saturday.");
  v1::SubmitContentRequest req;
  req.set_name(c.name());
  req.set_request_id("submit-flaky");
  bus_.FailNextPublishes(100, absl::UnavailableError("nats down"));
  // The write and what it owes the bus are one durable unit: the call succeeds
  // and the event waits in the record's outbox.
  auto submitted = planner_->SubmitContent(writer_, req);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->content().state(), v1::CONTENT_STATE_IN_REVIEW);
  EXPECT_EQ(bus_.Published("carecast.content.submitted").size(), 0u);
  auto owed = kv_.Bucket(std::string(common::buckets::kContents))
                  .Get(c.name().substr(std::string("contents/").size()));
  ASSERT_TRUE(owed.ok());
  EXPECT_FALSE(common::DecodeRecord(*owed).unsent.empty());
  bus_.FailNextPublishes(0, absl::OkStatus());

  // A retry answers from the replay record and publishes nothing itself.
  auto retried = planner_->SubmitContent(writer_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->content().SerializeAsString(), submitted->content().SerializeAsString());

  // Young markers belong to writers at work; past the grace the relay settles it.
  auto early = planner_->SweepOutbox();
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(*early, 0);
  clock_.Advance(absl::Minutes(1));
  auto swept = planner_->SweepOutbox();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(bus_.Published("carecast.content.submitted").size(), 1u);
  auto settled = kv_.Bucket(std::string(common::buckets::kContents))
                     .Get(c.name().substr(std::string("contents/").size()));
  ASSERT_TRUE(settled.ok());
  EXPECT_TRUE(common::DecodeRecord(*settled).unsent.empty());
  // Nothing is left to settle, and nothing is published twice.
  EXPECT_EQ(*planner_->SweepOutbox(), 0);
  EXPECT_EQ(bus_.Published("carecast.content.submitted").size(), 1u);
  v1::ListAuditEntriesRequest audit;
  audit.set_resource(c.name());
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->entries_size(), 2);
  EXPECT_EQ(entries->entries(1).action(), "content.submit");
  EXPECT_EQ(entries->entries(1).request_id(), "submit-flaky");
}

TEST_F(PlannerWorkflowTest, TheNextWriteOfAnEntityCarriesWhatItsPreviousWriteStillOwes) {
  v1::Content c = DraftContent("Free flu shots this Saturday.");
  v1::SubmitContentRequest submit;
  submit.set_name(c.name());
  bus_.FailNextPublishes(100, absl::UnavailableError("nats down"));
  ASSERT_TRUE(planner_->SubmitContent(writer_, submit).ok());
  bus_.FailNextPublishes(0, absl::OkStatus());
  v1::ApproveContentRequest approve;
  approve.set_name(c.name());
  approve.set_version(1);
  ASSERT_TRUE(planner_->ApproveContent(reviewer_, approve).ok());
  // The approval's write flushed the submission it carried, in order.
  auto submitted = bus_.Published("carecast.content.submitted");
  auto approved = bus_.Published("carecast.content.approved");
  ASSERT_EQ(submitted.size(), 1u);
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_LT(submitted[0].stream_sequence, approved[0].stream_sequence);
  v1::ListAuditEntriesRequest audit;
  audit.set_resource(c.name());
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->entries_size(), 3);
  EXPECT_EQ(entries->entries(1).action(), "content.submit");
  EXPECT_EQ(entries->entries(2).action(), "content.approve");
}

TEST_F(PlannerWorkflowTest, AScheduleRetriedAfterACrashAnswersWithThePostEvenOnceItIsDue) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  v1::SchedulePostRequest req =
      ScheduleRequest(ApprovedContent(), x.name(), absl::Minutes(5), "schedule-once");
  auto first = planner_->SchedulePost(publisher_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  // No replay record: the post itself answers a retry of the call that made it.
  auto& requests = kv_.Bucket(std::string(common::buckets::kRequests));
  EXPECT_TRUE(requests.Keys("").value().empty());
  EXPECT_EQ(first->post().schedule_request_id(), "schedule-once");
  clock_.Advance(absl::Minutes(10));  // the publish time has passed
  auto retried = planner_->SchedulePost(publisher_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->post().name(), first->post().name());
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 1u);
  // A new request with the same past time is still refused.
  req.set_request_id("schedule-twice");
  EXPECT_EQ(planner_->SchedulePost(publisher_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PlannerWorkflowTest, ARetryWithAnExplicitPostIdAnswersWithItsPostAndNoOneElses) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  v1::SchedulePostRequest req =
      ScheduleRequest(ApprovedContent(), x.name(), absl::Minutes(5), "req-1", "launch-day");
  auto first = planner_->SchedulePost(publisher_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  // Another request_id, or another caller with the same one, finds the id taken.
  req.set_request_id("req-2");
  EXPECT_EQ(planner_->SchedulePost(publisher_, req).status().code(),
            absl::StatusCode::kAlreadyExists);
  req.set_request_id("req-1");
  EXPECT_EQ(planner_->SchedulePost(strategist_, req).status().code(),
            absl::StatusCode::kAlreadyExists);
  // The same caller's retry, even once the time has passed, gets its post.
  clock_.Advance(absl::Minutes(10));
  auto retried = planner_->SchedulePost(publisher_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->post().name(), "posts/launch-day");
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 1u);
}

TEST_F(PlannerWorkflowTest, CancelOnlyAppliesToScheduledPosts) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  auto post = Schedule(ApprovedContent(), x.name(), absl::Hours(1), "p1");
  ASSERT_TRUE(post.ok());
  // A publisher claims it.
  auto& posts = kv_.Bucket(std::string(common::buckets::kPosts));
  auto entry = posts.Get("p1");
  v1::Post claimed;
  ASSERT_TRUE(claimed.ParseFromString(common::DecodeRecord(*entry).value));
  claimed.set_state(v1::POST_STATE_PUBLISHING);
  ASSERT_TRUE(posts.Update("p1", claimed.SerializeAsString(), entry->revision).ok());

  auto before = Take();
  v1::CancelPostRequest cancel;
  cancel.set_name("posts/p1");
  auto resp = planner_->CancelPost(publisher_, cancel);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(resp.status().message()), HasSubstr("PUBLISHING"));
  ExpectUnchanged(before, "cancel of a claimed post");
}

// What the publisher leaves behind when it cannot tell whether a post went out.
void MarkNeedsHuman(testing::InMemoryKeyValueStoreFactory& kv, const std::string& id) {
  auto& posts = kv.Bucket(std::string(common::buckets::kPosts));
  auto entry = posts.Get(id);
  ASSERT_TRUE(entry.ok()) << entry.status();
  v1::Post post;
  ASSERT_TRUE(post.ParseFromString(common::DecodeRecord(*entry).value));
  post.set_state(v1::POST_STATE_NEEDS_HUMAN);
  post.set_claimed_by("pub-a");
  post.set_attempt(1);
  post.set_failure_reason("outcome unknown after the channel call");
  ASSERT_TRUE(posts.Update(id, post.SerializeAsString(), entry->revision).ok());
}

TEST_F(PlannerWorkflowTest, APersonCancelsANeedsHumanPostAndTheTrailSaysTheOutcomeWasUnknown) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  ASSERT_TRUE(Schedule(ApprovedContent(), x.name(), absl::Hours(1), "p1").ok());
  MarkNeedsHuman(kv_, "p1");

  v1::CancelPostRequest cancel;
  cancel.set_name("posts/p1");
  cancel.set_reason("deleted on X by hand");
  auto resp = planner_->CancelPost(publisher_, cancel);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->post().state(), v1::POST_STATE_CANCELLED);

  auto events = bus_.Published("carecast.post.cancelled");
  ASSERT_EQ(events.size(), 1u);
  v1::PostChanged changed;
  ASSERT_TRUE(common::DecodeEvent(events[0], &changed).ok());
  EXPECT_EQ(changed.post().state(), v1::POST_STATE_CANCELLED);
  EXPECT_EQ(changed.actor(), "paul");

  v1::ListAuditEntriesRequest audit;
  audit.set_resource("posts/p1");
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->entries_size(), 2);
  const v1::AuditEntry& entry = entries->entries(1);
  EXPECT_EQ(entry.action(), "post.cancel");
  EXPECT_EQ(entry.actor(), "paul");
  EXPECT_EQ(entry.role(), "publisher");
  EXPECT_EQ(entry.detail(),
            "cancelled while NEEDS_HUMAN (outcome unknown; the network may show it): "
            "deleted on X by hand");

  std::string metrics = MetricsText();
  EXPECT_THAT(metrics,
              HasSubstr("carecast_planner_posts_total{event=\"cancelled_needs_human\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("carecast_planner_posts_total{event=\"cancelled\"} 0"));

  // Cancelled is final: a second cancel names the state and changes nothing.
  auto before = Take();
  auto again = planner_->CancelPost(publisher_, cancel);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("posts/p1 is CANCELLED"));
  ExpectUnchanged(before, "cancel of a cancelled post");
}

TEST_F(PlannerWorkflowTest, AnEditNeverCancelsANeedsHumanPost) {
  MakeSpoke();
  v1::Account x = MakeAccount(v1::NETWORK_X, "x-main");
  v1::Content approved = ApprovedContent();
  ASSERT_TRUE(Schedule(approved, x.name(), absl::Hours(1), "unknown").ok());
  ASSERT_TRUE(Schedule(approved, x.name(), absl::Hours(2), "waiting").ok());
  MarkNeedsHuman(kv_, "unknown");

  v1::UpdateContentRequest update;
  *update.mutable_content() = approved;
  update.mutable_content()->set_text("Free flu shots this Saturday and Sunday.");
  update.set_expected_version(approved.version());
  ASSERT_TRUE(planner_->UpdateContent(writer_, update).ok());

  v1::GetPostRequest get;
  get.set_name("posts/unknown");
  // It may be on the network: only a person who checked may decide.
  EXPECT_EQ(planner_->GetPost(publisher_, get)->post().state(), v1::POST_STATE_NEEDS_HUMAN);
  get.set_name("posts/waiting");
  EXPECT_EQ(planner_->GetPost(publisher_, get)->post().state(), v1::POST_STATE_CANCELLED);
  EXPECT_EQ(bus_.Published("carecast.post.cancelled").size(), 1u);
}

TEST_F(PlannerWorkflowTest, ContentNeedsAVariantForTheAccountsNetwork) {
  MakeSpoke();
  v1::Account mastodon = MakeAccount(v1::NETWORK_MASTODON, "toots");
  v1::Content approved = ApprovedContent();
  auto before = Take();
  auto post = Schedule(approved, mastodon.name(), absl::Hours(1));
  EXPECT_EQ(post.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(post.status().message()), HasSubstr("no variant for mastodon"));
  ExpectUnchanged(before, "schedule without a variant");
}

TEST_F(PlannerWorkflowTest, ListsSpokesAccountsAndObjectivesInPages) {
  for (const char* id : {"a", "b", "c"}) MakeSpoke(id);
  v1::ListSpokesRequest list;
  list.set_page_size(2);
  auto page1 = planner_->ListSpokes(writer_, list);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->spokes_size(), 2);
  ASSERT_FALSE(page1->next_page_token().empty());
  list.set_page_token(page1->next_page_token());
  auto page2 = planner_->ListSpokes(writer_, list);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->spokes_size(), 1);
  EXPECT_EQ(page2->spokes(0).name(), "spokes/c");
  EXPECT_TRUE(page2->next_page_token().empty());

  MakeAccount(v1::NETWORK_X, "x1", "spokes/a");
  MakeAccount(v1::NETWORK_FACEBOOK, "fb1", "spokes/a");
  MakeAccount(v1::NETWORK_X, "x2", "spokes/b");
  v1::ListAccountsRequest accounts;
  accounts.set_parent("spokes/a");
  auto listed = planner_->ListAccounts(writer_, accounts);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->accounts_size(), 2);
  EXPECT_EQ(listed->accounts(0).name(), "spokes/a/accounts/fb1");
  // A token from another parent is refused.
  accounts.set_page_size(1);
  auto first = planner_->ListAccounts(writer_, accounts);
  accounts.set_parent("spokes/b");
  accounts.set_page_token(first->next_page_token());
  EXPECT_EQ(planner_->ListAccounts(writer_, accounts).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::CreateObjectiveRequest objective;
  objective.set_objective_id("reach");
  objective.mutable_objective()->set_display_name("Reach");
  objective.mutable_objective()->set_kpi(v1::KPI_REACH);
  objective.mutable_objective()->set_target(1000);
  objective.mutable_objective()->set_spoke("spokes/a");
  *objective.mutable_objective()->mutable_start_time() = In(absl::ZeroDuration());
  *objective.mutable_objective()->mutable_end_time() = In(absl::Hours(1));
  ASSERT_TRUE(planner_->CreateObjective(strategist_, objective).ok());
  v1::GetObjectiveRequest get;
  get.set_name("objectives/reach");
  auto got = planner_->GetObjective(writer_, get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->objective().target(), 1000);
  EXPECT_EQ(planner_->ListObjectives(writer_, v1::ListObjectivesRequest())->objectives_size(), 1);

  // Content may name objectives and a spoke that exist.
  v1::CreateContentRequest content;
  content.mutable_content()->set_text("Hello");
  content.mutable_content()->add_objectives("objectives/reach");
  content.mutable_content()->set_spoke("spokes/a");
  auto created = planner_->CreateContent(writer_, content);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->content().objectives(0), "objectives/reach");
}

}  // namespace
}  // namespace carecast::planner
