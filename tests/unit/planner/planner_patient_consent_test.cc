// Patient authorizations: content featuring a patient is submitted, approved
// and scheduled only under an authorization in force that covers the network
// (until the post's time); the guard lets the patient's name and story through
// only then; revoking cancels the posts not yet sent and raises one takedown
// task per post that is (or may be) on a network, and a retry finishes an
// interrupted revocation without doubling anything. Bad input changes nothing.
#include <algorithm>

#include <prometheus/text_serializer.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/store.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/planner/validation.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;

constexpr char kSpoke[] = "spokes/st-marys";
constexpr char kOtherSpoke[] = "spokes/lakeside";
constexpr char kXAccount[] = "spokes/st-marys/accounts/x-main";
constexpr char kFbAccount[] = "spokes/st-marys/accounts/fb-main";
// A patient story: names a person and discloses their care, which the guard
// stops unless the patient consented.
constexpr char kStory[] =
    "Maria Lopez was treated for a heart attack at St Mary's and walked out a week later.";

class PlannerPatientConsentTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke("st-marys");
    MakeSpoke("lakeside");
    MakeAccount(v1::NETWORK_X, "x-main", kSpoke);
    MakeAccount(v1::NETWORK_FACEBOOK, "fb-main", kSpoke);
  }

  v1::CreatePatientAuthorizationRequest AuthorizationRequest(
      const std::string& id,
      const std::vector<v1::Network>& networks = {v1::NETWORK_X, v1::NETWORK_FACEBOOK},
      absl::Duration valid_for = absl::Hours(24 * 180), const std::string& spoke = kSpoke) {
    v1::CreatePatientAuthorizationRequest req;
    req.set_authorization_id(id);
    v1::PatientAuthorization& a = *req.mutable_authorization();
    a.set_spoke(spoke);
    a.set_subject_label("Cardiac rehab story, spring");
    for (v1::Network n : networks) a.add_networks(n);
    *a.mutable_expire_time() = In(valid_for);
    a.set_form_reference("consent-system://forms/2027-0412");
    return req;
  }

  v1::PatientAuthorization Authorize(
      const std::string& id,
      const std::vector<v1::Network>& networks = {v1::NETWORK_X, v1::NETWORK_FACEBOOK},
      absl::Duration valid_for = absl::Hours(24 * 180)) {
    auto resp =
        planner_->CreatePatientAuthorization(cody_, AuthorizationRequest(id, networks, valid_for));
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->authorization() : v1::PatientAuthorization();
  }

  v1::CreateContentRequest StoryRequest(const std::string& id, const std::string& authorization,
                                        bool features_patient = true) {
    v1::CreateContentRequest req;
    req.set_content_id(id);
    v1::Content& c = *req.mutable_content();
    c.set_title("A patient story");
    c.set_text(kStory);
    c.set_spoke(kSpoke);
    c.set_features_patient(features_patient);
    c.set_patient_authorization(authorization);
    for (v1::Network n : {v1::NETWORK_X, v1::NETWORK_FACEBOOK}) {
      v1::ContentVariant* v = c.add_variants();
      v->set_network(n);
      v->set_text(kStory);
    }
    return req;
  }

  absl::StatusOr<v1::Content> CreateStory(const std::string& id, const std::string& authorization) {
    auto resp = planner_->CreateContent(writer_, StoryRequest(id, authorization));
    if (!resp.ok()) return resp.status();
    return resp->content();
  }

  absl::StatusOr<v1::RevokePatientAuthorizationResponse> Revoke(const std::string& name,
                                                                const std::string& request_id) {
    v1::RevokePatientAuthorizationRequest req;
    req.set_name(name);
    req.set_reason("the patient withdrew consent by phone");
    req.set_request_id(request_id);
    return planner_->RevokePatientAuthorization(cody_, req);
  }

  v1::PostState StateOf(const std::string& post_name) {
    v1::GetPostRequest req;
    req.set_name(post_name);
    auto resp = planner_->GetPost(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->post().state() : v1::POST_STATE_UNSPECIFIED;
  }

  std::vector<v1::TakedownTask> Takedowns(v1::TakedownTaskState state) {
    v1::ListTakedownTasksRequest req;
    req.set_spoke(kSpoke);
    req.set_state(state);
    auto resp = planner_->ListTakedownTasks(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? std::vector<v1::TakedownTask>(resp->takedown_tasks().begin(),
                                                     resp->takedown_tasks().end())
                     : std::vector<v1::TakedownTask>{};
  }

  common::Caller cody_ = MakeCaller("cody", common::Role::kComplianceReviewer);
};

TEST_F(PlannerPatientConsentTest, AnAuthorizationIsRecordedWithItsEventAndAuditEntry) {
  v1::PatientAuthorization a = Authorize("maria-2027");
  EXPECT_EQ(a.name(), "patientAuthorizations/maria-2027");
  EXPECT_EQ(a.state(), v1::PATIENT_AUTHORIZATION_STATE_ACTIVE);
  EXPECT_EQ(a.created_by(), "cody");
  EXPECT_EQ(Subjects("carecast.patient_authorization.>"),
            std::vector<std::string>{"carecast.patient_authorization.created"});

  v1::GetPatientAuthorizationRequest get;
  get.set_name(a.name());
  auto got = planner_->GetPatientAuthorization(writer_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->authorization().form_reference(), "consent-system://forms/2027-0412");

  v1::ListPatientAuthorizationsRequest list;
  list.set_spoke(kSpoke);
  auto listed = planner_->ListPatientAuthorizations(writer_, list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->authorizations_size(), 1);
  // The record shares the contents bucket; the content list does not show it.
  auto contents = planner_->ListContents(writer_, v1::ListContentsRequest());
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->contents_size(), 0);

  v1::ListAuditEntriesRequest audit;
  audit.set_resource(a.name());
  auto entries = planner_->ListAuditEntries(strategist_, audit);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->entries_size(), 1);
  EXPECT_EQ(entries->entries(0).action(), "patient_authorization.create");
}

TEST_F(PlannerPatientConsentTest, BadAuthorizationsAreRefusedAndChangeNothing) {
  using Edit = std::function<void(v1::CreatePatientAuthorizationRequest&)>;
  const std::vector<std::pair<Edit, absl::StatusCode>> cases = {
      {[](auto& r) { r.mutable_authorization()->clear_networks(); },
       absl::StatusCode::kInvalidArgument},
      {[](auto& r) { r.mutable_authorization()->add_networks(v1::NETWORK_X); },
       absl::StatusCode::kInvalidArgument},
      {[&](auto& r) { *r.mutable_authorization()->mutable_expire_time() = In(-absl::Hours(1)); },
       absl::StatusCode::kInvalidArgument},
      {[&](auto& r) {
         *r.mutable_authorization()->mutable_expire_time() = In(absl::Hours(24 * 365 * 11));
       },
       absl::StatusCode::kInvalidArgument},
      {[](auto& r) { r.mutable_authorization()->clear_expire_time(); },
       absl::StatusCode::kInvalidArgument},
      {[](auto& r) { r.mutable_authorization()->clear_form_reference(); },
       absl::StatusCode::kInvalidArgument},
      {[](auto& r) { r.mutable_authorization()->set_subject_label(std::string(101, 'a')); },
       absl::StatusCode::kInvalidArgument},
      {[](auto& r) { r.mutable_authorization()->clear_spoke(); },
       absl::StatusCode::kInvalidArgument},
      {[](auto& r) { r.mutable_authorization()->set_spoke("spokes/nowhere"); },
       absl::StatusCode::kFailedPrecondition},
      {[](auto& r) { r.set_authorization_id("Bad Id"); }, absl::StatusCode::kInvalidArgument},
  };
  const Snapshot before = Take();
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::CreatePatientAuthorizationRequest req = AuthorizationRequest("bad");
    cases[i].first(req);
    auto resp = planner_->CreatePatientAuthorization(cody_, req);
    EXPECT_EQ(resp.status().code(), cases[i].second) << "case " << i << ": " << resp.status();
  }
  ExpectUnchanged(before, "refused authorizations");
}

TEST_F(PlannerPatientConsentTest, ContentFeaturingAPatientNeedsAnAuthorizationInForce) {
  // No authorization: a draft may be written, never submitted.
  auto bare = CreateStory("story-bare", "");
  ASSERT_TRUE(bare.ok()) << bare.status();
  v1::SubmitContentRequest submit;
  submit.set_name(bare->name());
  auto refused = planner_->SubmitContent(writer_, submit);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("features a patient"));

  // References that cannot work are refused when written.
  EXPECT_EQ(CreateStory("story-unknown", "patientAuthorizations/nobody").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto lakeside = planner_->CreatePatientAuthorization(
      cody_,
      AuthorizationRequest("lakeside-story", {v1::NETWORK_X}, absl::Hours(24 * 30), kOtherSpoke));
  ASSERT_TRUE(lakeside.ok()) << lakeside.status();
  EXPECT_EQ(CreateStory("story-other", lakeside->authorization().name()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(planner_
                ->CreateContent(writer_, StoryRequest("story-flag", "patientAuthorizations/x",
                                                      /*features_patient=*/false))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateStory("story-malformed", "patients/x").status().code(),
            absl::StatusCode::kInvalidArgument);

  // Without consent the guard stops the story at approval, even when the
  // content does not say it features a patient.
  v1::CreateContentRequest unflagged = StoryRequest("story-unflagged", "", false);
  auto plain = planner_->CreateContent(writer_, unflagged);
  ASSERT_TRUE(plain.ok()) << plain.status();
  auto guarded = TryApprove(Submit(plain->content()));
  EXPECT_EQ(guarded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(guarded.status().message(), HasSubstr("guard"));

  // Under an authorization covering both networks it is approved.
  v1::PatientAuthorization a = Authorize("maria-2027");
  auto story = CreateStory("story", a.name());
  ASSERT_TRUE(story.ok()) << story.status();
  auto approved = TryApprove(Submit(*story));
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->state(), v1::CONTENT_STATE_APPROVED);
}

TEST_F(PlannerPatientConsentTest, TheGuardStillStopsIdentifiersTheConsentDoesNotCover) {
  v1::PatientAuthorization a = Authorize("maria-2027");
  v1::CreateContentRequest req = StoryRequest("story-mrn", a.name());
  const std::string text = absl::StrCat(kStory, " Her MRN is 00481516.");
  req.mutable_content()->set_text(text);
  for (auto& v : *req.mutable_content()->mutable_variants()) v.set_text(text);
  auto c = planner_->CreateContent(writer_, req);
  ASSERT_TRUE(c.ok()) << c.status();
  auto refused = TryApprove(Submit(c->content()));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("medical_record_number"));
}

TEST_F(PlannerPatientConsentTest, ApprovalIsRefusedUnderAnExpiredNarrowOrRevokedAuthorization) {
  // Covers X only; the content has a Facebook variant too.
  v1::PatientAuthorization narrow = Authorize("narrow", {v1::NETWORK_X});
  auto c1 = CreateStory("story-narrow", narrow.name());
  ASSERT_TRUE(c1.ok());
  v1::SubmitContentRequest submit;
  submit.set_name(c1->name());
  auto refused = planner_->SubmitContent(writer_, submit);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("does not cover NETWORK_FACEBOOK"));

  // In force at submission, expired by the time the reviewer gets to it.
  v1::PatientAuthorization brief =
      Authorize("brief", {v1::NETWORK_X, v1::NETWORK_FACEBOOK}, absl::Hours(2));
  auto c2 = CreateStory("story-brief", brief.name());
  ASSERT_TRUE(c2.ok());
  v1::Content submitted = Submit(*c2);
  clock_.Advance(absl::Hours(3));
  const Snapshot before = Take();
  auto late = TryApprove(submitted);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(late.status().message(), HasSubstr("expires"));
  ExpectUnchanged(before, "approval under an expired authorization");

  // Revoked while in review.
  v1::PatientAuthorization withdrawn = Authorize("withdrawn");
  auto c3 = CreateStory("story-withdrawn", withdrawn.name());
  ASSERT_TRUE(c3.ok());
  v1::Content in_review = Submit(*c3);
  ASSERT_TRUE(Revoke(withdrawn.name(), "r1").ok());
  auto revoked = TryApprove(in_review);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(revoked.status().message(), HasSubstr("revoked"));
}

TEST_F(PlannerPatientConsentTest, SchedulingNeedsTheAuthorizationUntilThePostGoesOut) {
  v1::PatientAuthorization a =
      Authorize("maria-2027", {v1::NETWORK_X, v1::NETWORK_FACEBOOK}, absl::Hours(24 * 7));
  auto story = CreateStory("story", a.name());
  ASSERT_TRUE(story.ok());
  v1::Content approved = Approve(Submit(*story));
  ASSERT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_TRUE(Schedule(approved, kXAccount, absl::Hours(24 * 6)).ok());
  const Snapshot before = Take();
  auto after_expiry = Schedule(approved, kXAccount, absl::Hours(24 * 8));
  EXPECT_EQ(after_expiry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(after_expiry.status().message(), HasSubstr("expires"));
  ExpectUnchanged(before, "a post after the authorization expires");
}

TEST_F(PlannerPatientConsentTest, TheQueueOnlyUsesASlotBeforeTheConsentEnds) {
  v1::SetCadenceRequest cadence;
  cadence.mutable_cadence()->set_name(std::string(kXAccount) + "/cadence");
  cadence.mutable_cadence()->add_slots()->set_rrule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0");
  cadence.mutable_cadence()->mutable_slots(0)->set_start_local_time("2026-01-05T09:00:00");
  ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());
  // In force for a day: the weekly slot is further away than that, or (on the
  // one day in seven it is not) the next one after it is.
  v1::PatientAuthorization brief = Authorize("brief", {v1::NETWORK_X}, absl::Hours(24));
  auto story = CreateStory("story", brief.name());
  ASSERT_TRUE(story.ok());
  v1::CreateContentRequest x_only = StoryRequest("story-x", brief.name());
  x_only.mutable_content()->mutable_variants()->DeleteSubrange(1, 1);  // X only
  auto made = planner_->CreateContent(writer_, x_only);
  ASSERT_TRUE(made.ok()) << made.status();
  v1::Content approved = Approve(Submit(made->content()));
  ASSERT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);
  v1::AddToQueueRequest queue;
  queue.set_content(approved.name());
  queue.add_accounts(kXAccount);
  auto first = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(first.ok()) << first.status();
  // A second placement needs the slot a week later, after the consent ends.
  auto second = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(second.ok()) << second.status();
  const v1::QueuePlacement& last =
      first->placements(0).code() == 0 ? second->placements(0) : first->placements(0);
  EXPECT_EQ(last.code(), static_cast<int>(absl::StatusCode::kFailedPrecondition)) << last.message();
  EXPECT_THAT(last.message(), HasSubstr("expires"));
  v1::ListQueueRequest list;
  list.set_account(kXAccount);
  auto listed = planner_->ListQueue(strategist_, list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const v1::Post& p : listed->posts()) {
    EXPECT_LT(FromProto(p.publish_time()), FromProto(brief.expire_time())) << p.name();
  }
}

TEST_F(PlannerPatientConsentTest, EditingTheAuthorizationReferenceVoidsTheApproval) {
  v1::PatientAuthorization a = Authorize("maria-2027");
  v1::PatientAuthorization b = Authorize("maria-2028");
  auto story = CreateStory("story", a.name());
  ASSERT_TRUE(story.ok());
  v1::Content approved = Approve(Submit(*story));
  v1::UpdateContentRequest edit;
  *edit.mutable_content() = approved;
  edit.mutable_content()->set_patient_authorization(b.name());
  edit.set_expected_version(approved.version());
  auto edited = planner_->UpdateContent(writer_, edit);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_NE(edited->content().content_hash(), approved.content_hash());
  EXPECT_EQ(edited->content().state(), v1::CONTENT_STATE_DRAFT);
  EXPECT_FALSE(edited->content().has_approval());
}

TEST_F(PlannerPatientConsentTest, RevokingCancelsUnsentPostsAndRaisesOneTakedownPerSentPost) {
  v1::PatientAuthorization a = Authorize("maria-2027");
  auto story = CreateStory("story", a.name());
  ASSERT_TRUE(story.ok());
  v1::Content approved = Approve(Submit(*story));
  auto upcoming = Schedule(approved, kXAccount, absl::Hours(48), "upcoming");
  auto sent = Schedule(approved, kXAccount, absl::Hours(2), "sent");
  auto unknown = Schedule(approved, kFbAccount, absl::Hours(3), "unknown");
  ASSERT_TRUE(upcoming.ok() && sent.ok() && unknown.ok());
  // Another patient's post is not touched.
  v1::PatientAuthorization other = Authorize("john-2027");
  auto other_story = CreateStory("other-story", other.name());
  ASSERT_TRUE(other_story.ok());
  auto unrelated = Schedule(Approve(Submit(*other_story)), kXAccount, absl::Hours(50), "unrelated");
  ASSERT_TRUE(unrelated.ok());
  clock_.Advance(absl::Hours(4));
  MarkPublished(sent->name(), clock_.Now() - absl::Hours(2));
  MarkPublished(unknown->name(), clock_.Now(), v1::POST_STATE_NEEDS_HUMAN);

  auto revoked = Revoke(a.name(), "revoke-1");
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->authorization().state(), v1::PATIENT_AUTHORIZATION_STATE_REVOKED);
  EXPECT_EQ(revoked->authorization().revoked_by(), "cody");
  EXPECT_THAT(revoked->cancelled_posts(), ::testing::ElementsAre(upcoming->name()));
  ASSERT_EQ(revoked->takedown_tasks_size(), 2);
  EXPECT_EQ(StateOf(upcoming->name()), v1::POST_STATE_CANCELLED);
  EXPECT_EQ(StateOf(unrelated->name()), v1::POST_STATE_SCHEDULED);

  std::vector<v1::TakedownTask> open = Takedowns(v1::TAKEDOWN_TASK_STATE_OPEN);
  ASSERT_EQ(open.size(), 2u);
  auto published_task = std::find_if(open.begin(), open.end(), [&](const v1::TakedownTask& t) {
    return t.post() == sent->name();
  });
  ASSERT_NE(published_task, open.end());
  EXPECT_EQ(published_task->post_state(), v1::POST_STATE_PUBLISHED);
  EXPECT_EQ(published_task->url(), "https://network.example/p/sent");
  EXPECT_EQ(published_task->patient_authorization(), a.name());
  EXPECT_EQ(Subjects("carecast.takedown.>").size(), 2u);
  EXPECT_EQ(Subjects("carecast.patient_authorization.revoked").size(), 1u);

  // A retry with the same request id replays; a second revocation (another id)
  // finds nothing left to do and doubles nothing.
  const Snapshot before = Take();
  auto replayed = Revoke(a.name(), "revoke-1");
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->takedown_tasks_size(), 2);
  auto again = Revoke(a.name(), "revoke-2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->cancelled_posts_size(), 0);
  EXPECT_EQ(again->takedown_tasks_size(), 2);
  EXPECT_EQ(Subjects("carecast.takedown.>").size(), 2u);
  EXPECT_EQ(Subjects("carecast.patient_authorization.revoked").size(), 1u);

  // The takedown is done by hand and recorded once.
  v1::CompleteTakedownTaskRequest done;
  done.set_name(published_task->name());
  done.set_note("deleted on X at 14:02");
  auto completed = planner_->CompleteTakedownTask(publisher_, done);
  ASSERT_TRUE(completed.ok()) << completed.status();
  EXPECT_EQ(completed->takedown_task().state(), v1::TAKEDOWN_TASK_STATE_DONE);
  EXPECT_EQ(completed->takedown_task().completed_by(), "paul");
  EXPECT_EQ(planner_->CompleteTakedownTask(publisher_, done).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Takedowns(v1::TAKEDOWN_TASK_STATE_OPEN).size(), 1u);
  EXPECT_EQ(Takedowns(v1::TAKEDOWN_TASK_STATE_DONE).size(), 1u);
  v1::CompleteTakedownTaskRequest no_note = done;
  no_note.clear_note();
  EXPECT_EQ(planner_->CompleteTakedownTask(publisher_, no_note).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PlannerPatientConsentTest, ARetryFinishesARevocationACrashCutShort) {
  v1::PatientAuthorization a = Authorize("maria-2027");
  auto story = CreateStory("story", a.name());
  ASSERT_TRUE(story.ok());
  auto post = Schedule(Approve(Submit(*story)), kXAccount, absl::Hours(48), "upcoming");
  ASSERT_TRUE(post.ok());
  // The revocation was written, then the process died before the cascade:
  // the record says REVOKED and the post is still SCHEDULED.
  auto& bucket = kv_.Bucket(std::string(common::buckets::kContents));
  auto raw = bucket.Get("authorizations.maria-2027");
  ASSERT_TRUE(raw.ok()) << raw.status();
  v1::StoredRecord record;
  ASSERT_TRUE(record.ParseFromString(raw->value));
  v1::PatientAuthorization stored;
  ASSERT_TRUE(stored.ParseFromString(record.value()));
  stored.set_state(v1::PATIENT_AUTHORIZATION_STATE_REVOKED);
  record.set_value(stored.SerializeAsString());
  ASSERT_TRUE(
      bucket.Update("authorizations.maria-2027", record.SerializeAsString(), raw->revision).ok());
  ASSERT_EQ(StateOf(post->name()), v1::POST_STATE_SCHEDULED);

  auto finished = Revoke(a.name(), "revoke-retry");
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_THAT(finished->cancelled_posts(), ::testing::ElementsAre(post->name()));
  EXPECT_EQ(StateOf(post->name()), v1::POST_STATE_CANCELLED);
}

TEST_F(PlannerPatientConsentTest, BadRevocationsAndLookupsAreRefused) {
  v1::PatientAuthorization a = Authorize("maria-2027");
  const Snapshot before = Take();
  v1::RevokePatientAuthorizationRequest no_reason;
  no_reason.set_name(a.name());
  EXPECT_EQ(planner_->RevokePatientAuthorization(cody_, no_reason).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::RevokePatientAuthorizationRequest missing;
  missing.set_name("patientAuthorizations/nobody");
  missing.set_reason("withdrawn");
  EXPECT_EQ(planner_->RevokePatientAuthorization(cody_, missing).status().code(),
            absl::StatusCode::kNotFound);
  v1::RevokePatientAuthorizationRequest malformed = missing;
  malformed.set_name("contents/story");
  EXPECT_EQ(planner_->RevokePatientAuthorization(cody_, malformed).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::CompleteTakedownTaskRequest task;
  task.set_name("takedownTasks/none");
  task.set_note("done");
  EXPECT_EQ(planner_->CompleteTakedownTask(publisher_, task).status().code(),
            absl::StatusCode::kNotFound);
  v1::ListTakedownTasksRequest bad_state;
  bad_state.set_state(static_cast<v1::TakedownTaskState>(9));
  EXPECT_EQ(planner_->ListTakedownTasks(strategist_, bad_state).status().code(),
            absl::StatusCode::kInvalidArgument);
  ExpectUnchanged(before, "refused revocations");
}

// ---- The reminder before an authorization expires ----

class PlannerConsentExpiryTest : public PlannerPatientConsentTest {
 protected:
  // Moves a stored post to `at` behind the planner's back (a post placed
  // before today's rule, or restored from a backup).
  void SetPublishTime(const std::string& post_name, absl::Time at) {
    auto& bucket = kv_.Bucket(std::string(common::buckets::kPosts));
    const std::string id = post_name.substr(std::string("posts/").size());
    auto raw = bucket.Get(id);
    ASSERT_TRUE(raw.ok()) << raw.status();
    v1::StoredRecord record;
    ASSERT_TRUE(record.ParseFromString(raw->value));
    v1::Post post;
    ASSERT_TRUE(post.ParseFromString(record.value()));
    *post.mutable_publish_time() = ToTs(at);
    record.set_value(post.SerializeAsString());
    ASSERT_TRUE(bucket.Update(id, record.SerializeAsString(), raw->revision).ok());
  }

  double WarningsCounted() {
    const std::string text = prometheus::TextSerializer().Serialize(registry_.Collect());
    const std::string metric = "\ncarecast_planner_consent_expiry_warnings_total ";
    const size_t at = text.find(metric);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + metric.size()));
  }

  v1::PatientAuthorization Read(const std::string& name) {
    v1::GetPatientAuthorizationRequest req;
    req.set_name(name);
    auto resp = planner_->GetPatientAuthorization(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->authorization() : v1::PatientAuthorization();
  }
};

TEST_F(PlannerConsentExpiryTest, APassWarnsOnceWhenPostsStillRelyOnAnAuthorizationAboutToEnd) {
  v1::PatientAuthorization a = Authorize("maria-2027", {v1::NETWORK_X}, absl::Hours(24 * 20));
  // Ends sooner, but nothing relies on it: no warning.
  v1::PatientAuthorization idle = Authorize("idle", {v1::NETWORK_X}, absl::Hours(24 * 10));
  v1::CreateContentRequest x_only = StoryRequest("story", a.name());
  x_only.mutable_content()->mutable_variants()->DeleteSubrange(1, 1);
  auto made = planner_->CreateContent(writer_, x_only);
  ASSERT_TRUE(made.ok()) << made.status();
  v1::Content approved = Approve(Submit(made->content()));
  ASSERT_EQ(approved.state(), v1::CONTENT_STATE_APPROVED);
  ASSERT_TRUE(Schedule(approved, kXAccount, absl::Hours(24 * 10), "soon").ok());
  ASSERT_TRUE(Schedule(approved, kXAccount, absl::Hours(24 * 19), "late").ok());
  ASSERT_TRUE(Schedule(approved, kXAccount, absl::Hours(24 * 12), "dropped").ok());
  v1::CancelPostRequest cancel;
  cancel.set_name("posts/dropped");
  ASSERT_TRUE(planner_->CancelPost(publisher_, cancel).ok());
  // One post sits after the expiry (the publisher would refuse it).
  SetPublishTime("posts/late", FromProto(a.expire_time()) + absl::Hours(6));

  // Twenty days ahead is outside the 14-day window.
  auto none = planner_->WarnExpiringAuthorizations();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, 0);
  EXPECT_TRUE(bus_.Published("carecast.patient_authorization.expiring").empty());
  EXPECT_EQ(WarningsCounted(), 0);

  clock_.Advance(absl::Hours(24 * 7));  // now 13 days before the expiry
  auto warned = planner_->WarnExpiringAuthorizations();
  ASSERT_TRUE(warned.ok()) << warned.status();
  EXPECT_EQ(*warned, 1);
  std::vector<common::Event> events = bus_.Published("carecast.patient_authorization.expiring");
  ASSERT_EQ(events.size(), 1u);
  auto payload =
      common::DecodeCatalogueEvent(common::events::kPatientAuthorizationExpiring, events[0]);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->authorization().name(), a.name());
  EXPECT_THAT(payload->posts(), ::testing::ElementsAre("posts/late", "posts/soon"));
  EXPECT_THAT(payload->posts_after_expiry(), ::testing::ElementsAre("posts/late"));
  EXPECT_EQ(payload->actor(), "carecast-planner");
  EXPECT_EQ(FromProto(Read(a.name()).expiry_warning_time()), clock_.Now());
  EXPECT_FALSE(Read(idle.name()).has_expiry_warning_time());
  EXPECT_EQ(WarningsCounted(), 1);
  v1::ListAuditEntriesRequest audit;
  audit.set_resource(a.name());
  auto entries = planner_->ListAuditEntries(strategist_, audit);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->entries_size(), 2);
  EXPECT_EQ(entries->entries(1).action(), "patient_authorization.warn_expiry");
  EXPECT_THAT(entries->entries(1).detail(), HasSubstr("2 posts"));

  // Once: not on the next pass, nor after a restart.
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(*planner_->WarnExpiringAuthorizations(), 0);
  planner_ = NewPlanner();
  EXPECT_EQ(*planner_->WarnExpiringAuthorizations(), 0);
  EXPECT_EQ(bus_.Published("carecast.patient_authorization.expiring").size(), 1u);
}

TEST_F(PlannerConsentExpiryTest, TheWindowIsAnOptionAndRevokedOrWaitingOnlyAuthorizationsDiffer) {
  options_.consent_expiry_warning = absl::Hours(48);
  planner_ = NewPlanner();
  v1::PatientAuthorization a = Authorize("maria-2027", {v1::NETWORK_X}, absl::Hours(24 * 5));
  v1::PatientAuthorization revoked = Authorize("withdrawn", {v1::NETWORK_X}, absl::Hours(24 * 5));
  v1::CreateContentRequest waiting_req = StoryRequest("waiting", a.name());
  waiting_req.mutable_content()->mutable_variants()->DeleteSubrange(1, 1);
  auto waiting = planner_->CreateContent(writer_, waiting_req);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  // In review: its post waits for approval, and still relies on the consent.
  v1::Content in_review = Submit(waiting->content());
  ASSERT_EQ(in_review.state(), v1::CONTENT_STATE_IN_REVIEW);
  auto awaiting = Schedule(in_review, kXAccount, absl::Hours(24 * 4), "awaiting");
  ASSERT_TRUE(awaiting.ok()) << awaiting.status();
  ASSERT_EQ(awaiting->state(), v1::POST_STATE_AWAITING_APPROVAL);
  v1::CreateContentRequest gone_req = StoryRequest("gone", revoked.name());
  gone_req.mutable_content()->mutable_variants()->DeleteSubrange(1, 1);
  auto gone = planner_->CreateContent(writer_, gone_req);
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_TRUE(Schedule(Approve(Submit(gone->content())), kXAccount, absl::Hours(24 * 4)).ok());
  ASSERT_TRUE(Revoke(revoked.name(), "").ok());

  clock_.Advance(absl::Hours(24 * 2));  // three days left: outside a 48h window
  EXPECT_EQ(*planner_->WarnExpiringAuthorizations(), 0);
  clock_.Advance(absl::Hours(24 + 1));  // under two days left
  EXPECT_EQ(*planner_->WarnExpiringAuthorizations(), 1);
  std::vector<common::Event> events = bus_.Published("carecast.patient_authorization.expiring");
  ASSERT_EQ(events.size(), 1u);
  auto payload =
      common::DecodeCatalogueEvent(common::events::kPatientAuthorizationExpiring, events[0]);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->authorization().name(), a.name());
  EXPECT_THAT(payload->posts(), ::testing::ElementsAre("posts/awaiting"));
  EXPECT_TRUE(payload->posts_after_expiry().empty());
}

}  // namespace
}  // namespace carecast::planner
