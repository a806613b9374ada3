// Staged review: a spoke's ordered stages, separation of duties across edits
// and stages, and what a late final approval does to the posts that waited.
#include <string>
#include <vector>

#include "carecast/v1/events.pb.h"

#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPolicy[] = "spokes/st-marys/reviewPolicy";
constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";

common::Caller CallerWith(std::string subject, std::vector<common::Role> roles) {
  common::Caller caller = MakeCaller(std::move(subject), roles.front());
  caller.principal.roles = std::move(roles);
  return caller;
}

v1::ReviewStage Stage(const std::string& id, const std::string& role, v1::ReviewRule rule,
                      const std::vector<std::string>& reviewers = {}) {
  v1::ReviewStage stage;
  stage.set_id(id);
  stage.set_display_name(id + " review");
  stage.set_role(role);
  stage.set_rule(rule);
  for (const std::string& r : reviewers) stage.add_reviewers(r);
  return stage;
}

class PlannerReviewStagesTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke();
    MakeAccount(v1::NETWORK_X, "x-main");
  }

  absl::StatusOr<v1::ReviewPolicy> SetPolicy(const std::vector<v1::ReviewStage>& stages,
                                             int64_t expected_version = 0,
                                             const std::string& name = kPolicy) {
    v1::SetReviewPolicyRequest req;
    req.mutable_policy()->set_name(name);
    for (const v1::ReviewStage& s : stages) *req.mutable_policy()->add_stages() = s;
    req.set_expected_version(expected_version);
    auto resp = planner_->SetReviewPolicy(strategist_, req);
    if (!resp.ok()) return resp.status();
    return resp->policy();
  }

  // Clinical (any one clinical reviewer), then compliance (both named people).
  void SetTwoStagePolicy() {
    auto set = SetPolicy(
        {Stage("clinical", "clinical_reviewer", v1::REVIEW_RULE_ANY_ONE),
         Stage("compliance", "compliance_reviewer", v1::REVIEW_RULE_ALL_NAMED, {"cody", "cass"})});
    ASSERT_TRUE(set.ok()) << set.status();
  }

  v1::Content DraftInSpoke(const common::Caller& author) {
    v1::CreateContentRequest req;
    req.mutable_content()->set_title("Flu shots");
    req.mutable_content()->set_text("Free flu shots this Saturday.");
    req.mutable_content()->set_spoke("spokes/st-marys");
    v1::ContentVariant* x = req.mutable_content()->add_variants();
    x->set_network(v1::NETWORK_X);
    x->set_text("Flu shots Saturday! #FluFree");
    auto resp = planner_->CreateContent(author, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->content() : v1::Content();
  }

  absl::StatusOr<v1::Content> TryApprove(const common::Caller& who, const v1::Content& c,
                                         const std::string& stage = "") {
    v1::ApproveContentRequest req;
    req.set_name(c.name());
    req.set_version(c.version());
    req.set_stage(stage);
    auto resp = planner_->ApproveContent(who, req);
    if (!resp.ok()) return resp.status();
    return resp->content();
  }

  absl::StatusOr<v1::Content> Edit(const common::Caller& who, const v1::Content& c,
                                   const std::string& text) {
    v1::UpdateContentRequest req;
    *req.mutable_content() = c;
    req.mutable_content()->set_text(text);
    req.set_expected_version(c.version());
    auto resp = planner_->UpdateContent(who, req);
    if (!resp.ok()) return resp.status();
    return resp->content();
  }

  v1::Post GetPost(const std::string& name) {
    v1::GetPostRequest req;
    req.set_name(name);
    auto resp = planner_->GetPost(publisher_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->post() : v1::Post();
  }

  std::vector<std::string> AuditActions(const std::string& resource) {
    v1::ListAuditEntriesRequest req;
    req.set_resource(resource);
    req.set_page_size(100);
    auto resp = planner_->ListAuditEntries(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> out;
    if (resp.ok()) {
      for (const auto& e : resp->entries()) out.push_back(e.action() + "/" + e.role());
    }
    return out;
  }

  common::Caller clara_ = MakeCaller("clara", common::Role::kClinicalReviewer);
  common::Caller cody_ = MakeCaller("cody", common::Role::kComplianceReviewer);
  common::Caller cass_ = MakeCaller("cass", common::Role::kComplianceReviewer);
  common::Caller carl_ = MakeCaller("carl", common::Role::kComplianceReviewer);
  // A writer who is also a clinical reviewer.
  common::Caller wes_ =
      CallerWith("wes", {common::Role::kContentDeveloper, common::Role::kClinicalReviewer});
  // Holds both reviewer roles.
  common::Caller dana_ =
      CallerWith("dana", {common::Role::kClinicalReviewer, common::Role::kComplianceReviewer});
};

TEST_F(PlannerReviewStagesTest, ASpokeWithoutAPolicyHasTheDefaultStage) {
  v1::GetReviewPolicyRequest get;
  get.set_name(kPolicy);
  auto got = planner_->GetReviewPolicy(writer_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->policy().version(), 0);
  ASSERT_EQ(got->policy().stages_size(), 1);
  EXPECT_EQ(got->policy().stages(0).id(), "review");
  EXPECT_EQ(got->policy().stages(0).role(), "");

  // One approval from either reviewer role approves, as before stages existed.
  v1::Content submitted = Submit(DraftInSpoke(writer_));
  EXPECT_EQ(submitted.current_stage(), "review");
  auto approved = TryApprove(cody_, submitted);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_EQ(approved->approval().reviewer(), "cody");
  EXPECT_EQ(approved->current_stage(), "");
}

TEST_F(PlannerReviewStagesTest, SetsAndReadsAPolicyWithItsEventAndAuditEntry) {
  SetTwoStagePolicy();
  v1::GetReviewPolicyRequest get;
  get.set_name(kPolicy);
  auto got = planner_->GetReviewPolicy(writer_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->policy().version(), 1);
  EXPECT_EQ(got->policy().updated_by(), "alice");
  ASSERT_EQ(got->policy().stages_size(), 2);
  EXPECT_EQ(got->policy().stages(1).reviewers_size(), 2);
  EXPECT_EQ(bus_.Published("carecast.review_policy.set").size(), 1u);
  EXPECT_THAT(AuditActions(kPolicy), ElementsAre("review_policy.set/strategist"));

  // Fenced on the version read.
  auto before = Take();
  auto stale = SetPolicy({Stage("brand", "compliance_reviewer", v1::REVIEW_RULE_ANY_ONE)}, 0);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  ExpectUnchanged(before, "a stale SetReviewPolicy");
  auto next = SetPolicy({Stage("brand", "compliance_reviewer", v1::REVIEW_RULE_ANY_ONE)}, 1);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->version(), 2);
}

TEST_F(PlannerReviewStagesTest, StagesAreApprovedInOrderByTheirRoleAndNamedReviewers) {
  SetTwoStagePolicy();
  v1::Content c = Submit(DraftInSpoke(writer_));
  ASSERT_EQ(c.review_stages_size(), 2);
  EXPECT_EQ(c.current_stage(), "clinical");

  auto before = Take();
  // Compliance first: the current stage is clinical, and cody is no clinical reviewer.
  auto early = TryApprove(cody_, c);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(early.status().message()), HasSubstr("clinical_reviewer"));
  auto named = TryApprove(clara_, c, "compliance");
  EXPECT_EQ(named.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(named.status().message()), HasSubstr("is at stage \"clinical\""));
  ExpectUnchanged(before, "out-of-order approvals");

  auto clinical = TryApprove(clara_, c, "clinical");
  ASSERT_TRUE(clinical.ok()) << clinical.status();
  EXPECT_EQ(clinical->state(), v1::CONTENT_STATE_IN_REVIEW);
  EXPECT_EQ(clinical->current_stage(), "compliance");
  ASSERT_EQ(clinical->stage_approvals_size(), 1);
  EXPECT_EQ(clinical->stage_approvals(0).stage(), "clinical");
  EXPECT_EQ(clinical->stage_approvals(0).reviewer(), "clara");
  EXPECT_EQ(clinical->stage_approvals(0).version(), c.version());
  EXPECT_EQ(clinical->stage_approvals(0).content_hash(), c.content_hash());
  EXPECT_FALSE(clinical->has_approval());
  EXPECT_EQ(bus_.Published("carecast.content.stage_approved").size(), 1u);

  // A compliance reviewer who is not named may not approve an ALL_NAMED stage.
  before = Take();
  auto unnamed = TryApprove(carl_, c);
  EXPECT_EQ(unnamed.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(unnamed.status().message()), HasSubstr("named reviewers"));
  ExpectUnchanged(before, "an approval by someone not named");

  auto first = TryApprove(cody_, c);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), v1::CONTENT_STATE_IN_REVIEW);
  EXPECT_EQ(first->current_stage(), "compliance");
  before = Take();
  auto twice = TryApprove(cody_, c);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kPermissionDenied);
  ExpectUnchanged(before, "a second approval by the same person");
  EXPECT_TRUE(bus_.Published("carecast.content.approved").empty());

  auto last = TryApprove(cass_, c);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_EQ(last->approval().reviewer(), "cass");
  EXPECT_EQ(last->approval().version(), c.version());
  EXPECT_EQ(last->stage_approvals_size(), 3);
  EXPECT_EQ(bus_.Published("carecast.content.approved").size(), 1u);
  // The trail records each approval under the stage's role.
  EXPECT_THAT(AuditActions(c.name()),
              ElementsAre("content.create/content_developer", "content.submit/content_developer",
                          "content.approve_stage/clinical_reviewer",
                          "content.approve_stage/compliance_reviewer",
                          "content.approve/compliance_reviewer"));
  // Now schedulable.
  EXPECT_TRUE(Schedule(*last, kAccount, absl::Hours(1)).ok());
}

TEST_F(PlannerReviewStagesTest, AWriterWhoEditedSomeoneElsesDraftCannotApproveIt) {
  // The default stage: before stages, only the author was checked.
  v1::Content draft = DraftInSpoke(writer_);
  auto edited = Edit(wes_, draft, "Free flu shots this Saturday, 9 to 5.");
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_THAT(edited->editors(), ElementsAre("wendy", "wes"));
  v1::Content submitted = Submit(*edited);
  auto before = Take();
  auto refused = TryApprove(wes_, submitted);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("wrote or edited"));
  ExpectUnchanged(before, "an approval by an editor");

  // A later version the editor did not touch: still refused (any version).
  auto again = Edit(writer_, submitted, "Free flu shots Saturday.");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->editors(), ElementsAre("wendy", "wes"));
  v1::Content resubmitted = Submit(*again);
  EXPECT_EQ(TryApprove(wes_, resubmitted).status().code(), absl::StatusCode::kPermissionDenied);
  // The author too.
  common::Caller author_reviewer =
      CallerWith("wendy", {common::Role::kContentDeveloper, common::Role::kClinicalReviewer});
  EXPECT_EQ(TryApprove(author_reviewer, resubmitted).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(TryApprove(clara_, resubmitted).ok());
}

TEST_F(PlannerReviewStagesTest, ContentANamedReviewerEditedIsRefusedAtSubmission) {
  ASSERT_TRUE(SetPolicy({Stage("clinical", "clinical_reviewer", v1::REVIEW_RULE_ALL_NAMED,
                               {"clara", "wes"})})
                  .ok());
  v1::Content draft = DraftInSpoke(writer_);
  auto edited = Edit(wes_, draft, "Free flu shots this Saturday, 9 to 5.");
  ASSERT_TRUE(edited.ok()) << edited.status();
  auto before = Take();
  v1::SubmitContentRequest submit;
  submit.set_name(edited->name());
  auto refused = planner_->SubmitContent(writer_, submit);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("stage \"clinical\" could never be approved: wes"));
  ExpectUnchanged(before, "a submission no stage could approve");
}

TEST_F(PlannerReviewStagesTest, OnePersonApprovesAtMostOneStageOfAVersion) {
  ASSERT_TRUE(SetPolicy({Stage("clinical", "clinical_reviewer", v1::REVIEW_RULE_ANY_ONE),
                         Stage("compliance", "compliance_reviewer", v1::REVIEW_RULE_ANY_ONE)})
                  .ok());
  v1::Content c = Submit(DraftInSpoke(writer_));
  auto clinical = TryApprove(dana_, c);
  ASSERT_TRUE(clinical.ok()) << clinical.status();
  EXPECT_EQ(clinical->stage_approvals(0).role(), "clinical_reviewer");
  auto before = Take();
  auto second = TryApprove(dana_, c);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("at most one stage"));
  ExpectUnchanged(before, "one person approving two stages");
  auto compliance = TryApprove(cody_, c);
  ASSERT_TRUE(compliance.ok()) << compliance.status();
  EXPECT_EQ(compliance->state(), v1::CONTENT_STATE_APPROVED);
}

TEST_F(PlannerReviewStagesTest, ANewVersionVoidsEveryStageApproval) {
  SetTwoStagePolicy();
  v1::Content c = Submit(DraftInSpoke(writer_));
  auto clinical = TryApprove(clara_, c);
  ASSERT_TRUE(clinical.ok()) << clinical.status();
  ASSERT_TRUE(TryApprove(cody_, *clinical).ok());
  auto edited = Edit(writer_, *clinical, "Free flu shots on Saturday.");
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->state(), v1::CONTENT_STATE_DRAFT);
  EXPECT_EQ(edited->stage_approvals_size(), 0);
  EXPECT_EQ(edited->current_stage(), "");
  // The approval of the old version cannot finish the new one.
  EXPECT_EQ(TryApprove(cass_, *clinical).status().code(), absl::StatusCode::kFailedPrecondition);
  v1::Content resubmitted = Submit(*edited);
  EXPECT_EQ(resubmitted.current_stage(), "clinical");
  EXPECT_EQ(TryApprove(cass_, resubmitted).status().code(), absl::StatusCode::kPermissionDenied);
  // The same reviewers approve the new version from the first stage.
  ASSERT_TRUE(TryApprove(clara_, resubmitted).ok());
  ASSERT_TRUE(TryApprove(cody_, resubmitted).ok());
  auto done = TryApprove(cass_, resubmitted);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_EQ(done->approval().version(), resubmitted.version());
}

TEST_F(PlannerReviewStagesTest, ContentKeepsTheStagesItWasSubmittedUnder) {
  SetTwoStagePolicy();
  v1::Content c = Submit(DraftInSpoke(writer_));
  ASSERT_TRUE(SetPolicy({Stage("brand", "compliance_reviewer", v1::REVIEW_RULE_ANY_ONE)}, 1).ok());
  auto clinical = TryApprove(clara_, c);
  ASSERT_TRUE(clinical.ok()) << clinical.status();
  EXPECT_EQ(clinical->state(), v1::CONTENT_STATE_IN_REVIEW);
  EXPECT_EQ(clinical->current_stage(), "compliance");
  // Content submitted now takes the new policy.
  v1::Content later = Submit(DraftInSpoke(writer_));
  ASSERT_EQ(later.review_stages_size(), 1);
  EXPECT_EQ(later.current_stage(), "brand");
}

TEST_F(PlannerReviewStagesTest, ABadPolicyIsRefusedWithTheReasonAndChangesNothing) {
  const auto any = v1::REVIEW_RULE_ANY_ONE;
  const auto all = v1::REVIEW_RULE_ALL_NAMED;
  struct Case {
    std::string name;
    std::vector<v1::ReviewStage> stages;
    absl::StatusCode code;
    std::string reason;
    std::string policy = kPolicy;
  };
  std::vector<v1::ReviewStage> nine;
  nine.reserve(9);
  for (int i = 0; i < 9; ++i) {
    nine.push_back(
        Stage("s" + std::to_string(i), "clinical_reviewer", all, {"person-" + std::to_string(i)}));
  }
  const std::vector<Case> cases = {
      {"no stages", {}, absl::StatusCode::kInvalidArgument, "1 to 8 stages"},
      {"nine stages", nine, absl::StatusCode::kInvalidArgument, "1 to 8 stages"},
      {"bad id",
       {Stage("Clinical", "clinical_reviewer", any)},
       absl::StatusCode::kInvalidArgument,
       "stages[0].id"},
      {"same id twice",
       {Stage("a", "clinical_reviewer", all, {"x"}), Stage("a", "compliance_reviewer", any)},
       absl::StatusCode::kInvalidArgument,
       "names an earlier stage"},
      {"a role that does not review",
       {Stage("a", "publisher", any)},
       absl::StatusCode::kInvalidArgument,
       "clinical_reviewer or compliance_reviewer"},
      {"an unknown role", {Stage("a", "surgeon", any)}, absl::StatusCode::kInvalidArgument, "role"},
      {"no rule",
       {Stage("a", "clinical_reviewer", v1::REVIEW_RULE_UNSPECIFIED)},
       absl::StatusCode::kInvalidArgument,
       "rule"},
      {"all named without names",
       {Stage("a", "clinical_reviewer", all)},
       absl::StatusCode::kInvalidArgument,
       "at least one subject"},
      {"a subject twice in a stage",
       {Stage("a", "clinical_reviewer", all, {"x", "x"})},
       absl::StatusCode::kInvalidArgument,
       "twice"},
      {"an empty subject",
       {Stage("a", "clinical_reviewer", all, {""})},
       absl::StatusCode::kInvalidArgument,
       "reviewers[0]"},
      {"overlapping: one subject in two stages",
       {Stage("a", "clinical_reviewer", all, {"x"}),
        Stage("b", "compliance_reviewer", all, {"y", "x"})},
       absl::StatusCode::kInvalidArgument,
       "overlap"},
      {"overlapping: the same open role twice",
       {Stage("a", "clinical_reviewer", any), Stage("b", "clinical_reviewer", any)},
       absl::StatusCode::kInvalidArgument,
       "overlap"},
      {"overlapping: an open stage and a named one of the same role",
       {Stage("a", "clinical_reviewer", all, {"x"}), Stage("b", "clinical_reviewer", any)},
       absl::StatusCode::kInvalidArgument,
       "overlap"},
      {"malformed name",
       {Stage("a", "clinical_reviewer", any)},
       absl::StatusCode::kInvalidArgument,
       "spokes/{spoke}/reviewPolicy",
       "spokes/st-marys"},
      {"unknown spoke",
       {Stage("a", "clinical_reviewer", any)},
       absl::StatusCode::kNotFound,
       "spokes/nope",
       "spokes/nope/reviewPolicy"},
  };
  SetTwoStagePolicy();
  const Snapshot before = Take();
  for (const Case& c : cases) {
    auto set = SetPolicy(c.stages, 1, c.policy);
    EXPECT_EQ(set.status().code(), c.code) << c.name << ": " << set.status();
    EXPECT_THAT(std::string(set.status().message()), HasSubstr(c.reason)) << c.name;
  }
  v1::SetReviewPolicyRequest negative;
  negative.mutable_policy()->set_name(kPolicy);
  *negative.mutable_policy()->add_stages() = Stage("a", "clinical_reviewer", any);
  negative.set_expected_version(-1);
  EXPECT_EQ(planner_->SetReviewPolicy(strategist_, negative).status().code(),
            absl::StatusCode::kInvalidArgument);
  ExpectUnchanged(before, "bad policies");

  // Same role with disjoint named reviewers does not overlap.
  EXPECT_TRUE(SetPolicy({Stage("cardiology", "clinical_reviewer", all, {"x"}),
                         Stage("oncology", "clinical_reviewer", any, {"y", "z"})},
                        1)
                  .ok());
}

TEST_F(PlannerReviewStagesTest, TimelyFinalApprovalSchedulesTheWaitingPostWithItsEvent) {
  SetTwoStagePolicy();
  v1::Content c = Submit(DraftInSpoke(writer_));
  auto waiting = Schedule(c, kAccount, absl::Hours(3), "early");
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->state(), v1::POST_STATE_AWAITING_APPROVAL);
  EXPECT_EQ(waiting->content_version(), c.version());
  EXPECT_EQ(bus_.Published("carecast.post.awaiting_approval").size(), 1u);
  // Publishers index carecast.post.scheduled only: this post is not on it.
  EXPECT_TRUE(bus_.Published("carecast.post.scheduled").empty());

  ASSERT_TRUE(TryApprove(clara_, c).ok());
  EXPECT_EQ(GetPost("posts/early").state(), v1::POST_STATE_AWAITING_APPROVAL);
  ASSERT_TRUE(TryApprove(cody_, c).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(TryApprove(cass_, c).ok());
  v1::Post post = GetPost("posts/early");
  EXPECT_EQ(post.state(), v1::POST_STATE_SCHEDULED);
  EXPECT_EQ(post.content_hash(), c.content_hash());
  EXPECT_EQ(post.text(), "Flu shots Saturday! #FluFree");
  auto scheduled = bus_.Published("carecast.post.scheduled");
  ASSERT_EQ(scheduled.size(), 1u);
  v1::PostChanged event;
  ASSERT_TRUE(event.ParseFromString(scheduled[0].data));
  EXPECT_EQ(event.post().name(), "posts/early");
  EXPECT_EQ(event.post().state(), v1::POST_STATE_SCHEDULED);
  EXPECT_TRUE(bus_.Published("carecast.post.needs_reschedule").empty());
}

TEST_F(PlannerReviewStagesTest, LateFinalApprovalNeedsARescheduleAndNeverPublishesLate) {
  v1::Content c = Submit(DraftInSpoke(writer_));
  ASSERT_TRUE(Schedule(c, kAccount, absl::Hours(1), "late").ok());
  ASSERT_TRUE(Schedule(c, kAccount, absl::Hours(2), "late-too").ok());
  clock_.Advance(absl::Hours(3));
  auto approved = TryApprove(clara_, c);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->state(), v1::CONTENT_STATE_APPROVED);

  v1::Post post = GetPost("posts/late");
  EXPECT_EQ(post.state(), v1::POST_STATE_NEEDS_RESCHEDULE);
  EXPECT_EQ(bus_.Published("carecast.post.needs_reschedule").size(), 2u);
  EXPECT_TRUE(bus_.Published("carecast.post.scheduled").empty());
  EXPECT_THAT(AuditActions("posts/late"), ElementsAre("post.schedule_awaiting/publisher",
                                                      "post.needs_reschedule/clinical_reviewer"));

  // Visible on the calendar by its state.
  v1::ListCalendarRequest list;
  *list.mutable_start_time() = In(-absl::Hours(5));
  *list.mutable_end_time() = In(absl::Hours(5));
  list.add_states(v1::POST_STATE_NEEDS_RESCHEDULE);
  auto calendar = planner_->ListCalendar(publisher_, list);
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_EQ(calendar->posts_size(), 2);

  // A person gives it a new time: SCHEDULED, announced for the publishers.
  v1::ReschedulePostRequest past;
  past.set_name("posts/late");
  *past.mutable_publish_time() = In(-absl::Minutes(1));
  auto before = Take();
  EXPECT_EQ(planner_->ReschedulePost(publisher_, past).status().code(),
            absl::StatusCode::kInvalidArgument);
  ExpectUnchanged(before, "a reschedule into the past");
  v1::ReschedulePostRequest reschedule;
  reschedule.set_name("posts/late");
  *reschedule.mutable_publish_time() = In(absl::Hours(1));
  auto moved = planner_->ReschedulePost(publisher_, reschedule);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->post().state(), v1::POST_STATE_SCHEDULED);
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 1u);
  // Only a NEEDS_RESCHEDULE post is rescheduled this way.
  EXPECT_EQ(planner_->ReschedulePost(publisher_, reschedule).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Or cancels it.
  v1::CancelPostRequest cancel;
  cancel.set_name("posts/late-too");
  auto cancelled = planner_->CancelPost(strategist_, cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->post().state(), v1::POST_STATE_CANCELLED);
}

TEST_F(PlannerReviewStagesTest, RejectionOrANewVersionCancelsWaitingPosts) {
  v1::Content c = Submit(DraftInSpoke(writer_));
  ASSERT_TRUE(Schedule(c, kAccount, absl::Hours(2), "rejected").ok());
  v1::RejectContentRequest reject;
  reject.set_name(c.name());
  reject.set_version(c.version());
  reject.set_reason("dosage wording");
  ASSERT_TRUE(planner_->RejectContent(clara_, reject).ok());
  EXPECT_EQ(GetPost("posts/rejected").state(), v1::POST_STATE_CANCELLED);

  auto edited = Edit(writer_, c, "Free flu shots on Saturday.");
  ASSERT_TRUE(edited.ok()) << edited.status();
  v1::Content resubmitted = Submit(*edited);
  ASSERT_TRUE(Schedule(resubmitted, kAccount, absl::Hours(2), "edited").ok());
  auto again = Edit(writer_, resubmitted, "Free flu shots this Saturday at St Mary's.");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(GetPost("posts/edited").state(), v1::POST_STATE_CANCELLED);
  EXPECT_EQ(bus_.Published("carecast.post.cancelled").size(), 2u);
}

TEST_F(PlannerReviewStagesTest, TheQueuePlacesContentInReviewAsAWaitingPost) {
  v1::SetCadenceRequest cadence;
  cadence.mutable_cadence()->set_name(std::string(kAccount) + "/cadence");
  v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
  slot->set_rrule("FREQ=DAILY;BYHOUR=9;BYMINUTE=0");
  slot->set_start_local_time("2027-01-04T09:00:00");
  ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());
  v1::Content c = Submit(DraftInSpoke(writer_));
  v1::AddToQueueRequest queue;
  queue.set_content(c.name());
  queue.add_accounts(kAccount);
  auto placed = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(placed.ok()) << placed.status();
  ASSERT_EQ(placed->placements(0).code(), 0) << placed->placements(0).message();
  const v1::Post& post = placed->placements(0).post();
  EXPECT_EQ(post.state(), v1::POST_STATE_AWAITING_APPROVAL);
  EXPECT_TRUE(post.queued());
  EXPECT_TRUE(bus_.Published("carecast.post.scheduled").empty());
  ASSERT_TRUE(TryApprove(clara_, c).ok());
  EXPECT_EQ(GetPost(post.name()).state(), v1::POST_STATE_SCHEDULED);
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 1u);
}

TEST_F(PlannerReviewStagesTest, ADraftIsNotScheduledEvenToWait) {
  v1::Content draft = DraftInSpoke(writer_);
  auto before = Take();
  auto post = Schedule(draft, kAccount, absl::Hours(1));
  EXPECT_EQ(post.status().code(), absl::StatusCode::kFailedPrecondition);
  ExpectUnchanged(before, "scheduling a draft");
}

}  // namespace
}  // namespace carecast::planner
