// Spoke governance: every PlannerService RPC against one spoke's resources,
// called by each role the role table admits, acting for that spoke, for another
// spoke, for no spoke (absent claim) and for every spoke (hub). Another spoke's
// caller is refused (PERMISSION_DENIED when the request names the spoke,
// NOT_FOUND when it finds the resource by an opaque id) or does not see the
// resource in a list, and a refusal changes nothing. A test fails when an RPC
// has no row here.
#include <functional>
#include <set>

#include <google/protobuf/descriptor.h>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/planner/planner_roles.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

constexpr char kOwn[] = "spokes/st-marys";
constexpr char kOther[] = "spokes/lakeside";
constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";

// How a refusal to another spoke's caller shows.
enum class Kind {
  kNamed,    // the request names the spoke: PERMISSION_DENIED
  kOpaque,   // found by id: NOT_FOUND, as if missing
  kListed,   // a list: OK, without the spoke's resource
  kHubOnly,  // hub-wide: PERMISSION_DENIED to every spoke caller, own spoke too
};

// One call; for kListed rows, whether the own spoke's resource was listed.
using Call = std::function<absl::StatusOr<bool>(Planner&, const common::Caller&, int serial)>;

struct Row {
  std::string method;
  Kind kind;
  Call call;
};

template <class Response>
absl::StatusOr<bool> Done(const absl::StatusOr<Response>& response) {
  if (!response.ok()) return response.status();
  return true;
}

class PlannerSpokesTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke("st-marys");
    MakeSpoke("lakeside");
    MakeAccount(v1::NETWORK_X, "x-main", kOwn);
    MakeAccount(v1::NETWORK_X, "x-main", kOther);
    v1::SetCadenceRequest cadence;
    cadence.mutable_cadence()->set_name(std::string(kAccount) + "/cadence");
    v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
    slot->set_rrule("FREQ=DAILY;BYHOUR=9,13,17;BYMINUTE=0");
    slot->set_start_local_time("2026-01-05T09:00:00");
    ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());

    approved_ = Approve(Submit(OwnContent("approved")));
    draft_ = OwnContent("draft");
    in_review_ = Submit(OwnContent("in-review"));
    auto post = Schedule(approved_, kAccount, absl::Hours(30), "own-post");
    ASSERT_TRUE(post.ok()) << post.status();
    post_ = *post;

    v1::CreateObjectiveRequest objective;
    objective.set_objective_id("own-objective");
    objective.mutable_objective()->set_display_name("Flu reach");
    objective.mutable_objective()->set_kpi(v1::KPI_POSTS_PUBLISHED);
    objective.mutable_objective()->set_target(10);
    *objective.mutable_objective()->mutable_start_time() = In(absl::Hours(1));
    *objective.mutable_objective()->mutable_end_time() = In(absl::Hours(24 * 30));
    objective.mutable_objective()->set_spoke(kOwn);
    auto made = planner_->CreateObjective(strategist_, objective);
    ASSERT_TRUE(made.ok()) << made.status();
    objective_ = made->objective();

    v1::CreateBlackoutRequest blackout;
    blackout.set_blackout_id("own-blackout");
    blackout.mutable_blackout()->set_spoke(kOwn);
    *blackout.mutable_blackout()->mutable_start_time() = In(absl::Hours(24 * 10));
    *blackout.mutable_blackout()->mutable_end_time() = In(absl::Hours(24 * 11));
    blackout.mutable_blackout()->set_reason("site move");
    auto dark = planner_->CreateBlackout(strategist_, blackout);
    ASSERT_TRUE(dark.ok()) << dark.status();
    blackout_ = dark->blackout();

    v1::CreateEvergreenItemRequest item;
    item.mutable_item()->set_content(approved_.name());
    item.mutable_item()->add_accounts(kAccount);
    item.mutable_item()->mutable_cooldown()->set_seconds(int64_t{3600} * 48);
    item.mutable_item()->set_max_repeats(5);
    *item.mutable_item()->mutable_review_expire_time() = In(absl::Hours(24 * 90));
    item.mutable_item()->set_on_review_expiry(v1::REVIEW_EXPIRY_ACTION_REVIEW);
    auto evergreen = planner_->CreateEvergreenItem(strategist_, item);
    ASSERT_TRUE(evergreen.ok()) << evergreen.status();
    item_ = evergreen->item();

    v1::CreateAudienceRequest audience;
    audience.set_audience_id("own-audience");
    audience.mutable_audience()->set_display_name("Parents of young children");
    audience.mutable_audience()->set_spoke(kOwn);
    auto people = planner_->CreateAudience(strategist_, audience);
    ASSERT_TRUE(people.ok()) << people.status();
    audience_ = people->audience();

    v1::CreateCampaignRequest campaign;
    campaign.set_campaign_id("own-campaign");
    v1::Campaign& c = *campaign.mutable_campaign();
    c.set_display_name("Flu season");
    c.add_audiences(audience_.name());
    v1::ContentPillar* pillar = c.add_pillars();
    pillar->set_id("prevention");
    pillar->set_display_name("Prevention");
    c.add_networks(v1::NETWORK_X);
    *c.mutable_start_time() = In(absl::Hours(-1));
    *c.mutable_end_time() = In(absl::Hours(24 * 60));
    c.set_spoke(kOwn);
    auto made_campaign = planner_->CreateCampaign(strategist_, campaign);
    ASSERT_TRUE(made_campaign.ok()) << made_campaign.status();
    campaign_ = made_campaign->campaign();

    MakeConsentResources();

    v1::HoldPublishingRequest hold;
    hold.set_spoke(kOwn);
    hold.set_reason("local incident");
    ASSERT_TRUE(planner_->HoldPublishing(strategist_, hold).ok());
  }

  // Two authorizations of the own spoke (one for the revoke rows), and a
  // takedown task raised by revoking a third under which a post went out.
  void MakeConsentResources() {
    auto authorize = [&](const std::string& id) {
      v1::CreatePatientAuthorizationRequest r;
      r.set_authorization_id(id);
      r.mutable_authorization()->set_spoke(kOwn);
      r.mutable_authorization()->set_subject_label("Patient story");
      r.mutable_authorization()->add_networks(v1::NETWORK_X);
      *r.mutable_authorization()->mutable_expire_time() = In(absl::Hours(24 * 90));
      r.mutable_authorization()->set_form_reference("forms/1");
      auto made = planner_->CreatePatientAuthorization(strategist_, r);
      EXPECT_TRUE(made.ok()) << made.status();
      return made.ok() ? made->authorization() : v1::PatientAuthorization();
    };
    authorization_ = authorize("own-consent");
    revocable_ = authorize("revocable-consent");
    v1::PatientAuthorization used = authorize("used-consent");
    v1::CreateContentRequest req;
    req.set_content_id("story");
    req.mutable_content()->set_text("A patient story.");
    req.mutable_content()->set_spoke(kOwn);
    req.mutable_content()->set_features_patient(true);
    req.mutable_content()->set_patient_authorization(used.name());
    auto* v = req.mutable_content()->add_variants();
    v->set_network(v1::NETWORK_X);
    v->set_text("A patient story.");
    auto story = planner_->CreateContent(writer_, req);
    ASSERT_TRUE(story.ok()) << story.status();
    auto sent = Schedule(Approve(Submit(story->content())), kAccount, absl::Hours(20), "sent");
    ASSERT_TRUE(sent.ok()) << sent.status();
    MarkPublished(sent->name(), clock_.Now());
    v1::RevokePatientAuthorizationRequest revoke;
    revoke.set_name(used.name());
    revoke.set_reason("withdrawn");
    auto revoked = planner_->RevokePatientAuthorization(strategist_, revoke);
    ASSERT_TRUE(revoked.ok()) << revoked.status();
    ASSERT_EQ(revoked->takedown_tasks_size(), 1);
    takedown_ = revoked->takedown_tasks(0);
  }

  // Patient authorizations and takedown tasks.
  void AddConsentRows(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    add("CreatePatientAuthorization", Kind::kNamed,
        [&](Planner& p, const common::Caller& c, int n) {
          v1::CreatePatientAuthorizationRequest r;
          *r.mutable_authorization() = authorization_;
          r.set_authorization_id(absl::StrCat("consent-", n));
          return Done(p.CreatePatientAuthorization(c, r));
        });
    add("GetPatientAuthorization", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetPatientAuthorizationRequest r;
      r.set_name(authorization_.name());
      return Done(p.GetPatientAuthorization(c, r));
    });
    add("ListPatientAuthorizations", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto r, p.ListPatientAuthorizations(c, {}));
          for (const auto& a : r.authorizations())
            if (a.name() == authorization_.name()) return true;
          return false;
        });
    add("RevokePatientAuthorization", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::RevokePatientAuthorizationRequest r;
      r.set_name(revocable_.name());
      r.set_reason("withdrawn");
      return Done(p.RevokePatientAuthorization(c, r));
    });
    add("ListTakedownTasks", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto r, p.ListTakedownTasks(c, {}));
          for (const auto& t : r.takedown_tasks())
            if (t.name() == takedown_.name()) return true;
          return false;
        });
    add("CompleteTakedownTask", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::CompleteTakedownTaskRequest r;
      r.set_name(takedown_.name());
      r.set_note("deleted by hand");
      return Done(p.CompleteTakedownTask(c, r));
    });
  }

  v1::Content OwnContent(const std::string& id) { return SpokeContent(id, kOwn); }

  // Rows, part 1.
  void AddRows1(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    add("CreateSpoke", Kind::kHubOnly, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateSpokeRequest r;
      r.mutable_spoke()->set_display_name("New clinic");
      r.set_spoke_id(absl::StrCat("clinic-", n));
      return Done(p.CreateSpoke(c, r));
    });
    add("ListSpokes", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto r, p.ListSpokes(c, {}));
          for (const auto& s : r.spokes())
            if (s.name() == kOwn) return true;
          return false;
        });
    add("CreateAccount", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateAccountRequest r;
      r.set_parent(kOwn);
      r.set_account_id(absl::StrCat("fb-", n));
      r.mutable_account()->set_network(v1::NETWORK_FACEBOOK);
      r.mutable_account()->set_handle("@stmarys");
      r.mutable_account()->set_time_zone("America/Chicago");
      return Done(p.CreateAccount(c, r));
    });
    add("ListAccounts", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::ListAccountsRequest r;
      r.set_parent(kOwn);
      return Done(p.ListAccounts(c, r));
    });
    add("CreateObjective", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateObjectiveRequest r;
      *r.mutable_objective() = objective_;
      r.mutable_objective()->clear_name();
      r.set_objective_id(absl::StrCat("objective-", n));
      return Done(p.CreateObjective(c, r));
    });
    add("GetObjective", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetObjectiveRequest r;
      r.set_name(objective_.name());
      return Done(p.GetObjective(c, r));
    });
    add("ListObjectives", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto r, p.ListObjectives(c, {}));
          for (const auto& o : r.objectives())
            if (o.name() == objective_.name()) return true;
          return false;
        });
    add("CreateAudience", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateAudienceRequest r;
      *r.mutable_audience() = audience_;
      r.mutable_audience()->clear_name();
      r.set_audience_id(absl::StrCat("audience-", n));
      return Done(p.CreateAudience(c, r));
    });
    add("GetAudience", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetAudienceRequest r;
      r.set_name(audience_.name());
      return Done(p.GetAudience(c, r));
    });
  }

  // Rows, part 2.
  void AddRows2(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    add("ListAudiences", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto out, p.ListAudiences(c, {}));
          for (const auto& a : out.audiences())
            if (a.name() == audience_.name()) return true;
          return false;
        });
    add("UpdateAudience", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::UpdateAudienceRequest r;
      *r.mutable_audience() = audience_;
      r.mutable_audience()->set_display_name("Parents of toddlers");
      r.set_expected_version(audience_.version());
      return Done(p.UpdateAudience(c, r));
    });
    // The own campaign names the audience: admitted callers are refused on
    // that precondition, never for the spoke.
    add("DeleteAudience", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::DeleteAudienceRequest r;
      r.set_name(audience_.name());
      return Done(p.DeleteAudience(c, r));
    });
    add("CreateCampaign", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateCampaignRequest r;
      *r.mutable_campaign() = campaign_;
      r.mutable_campaign()->clear_name();
      r.set_campaign_id(absl::StrCat("campaign-", n));
      return Done(p.CreateCampaign(c, r));
    });
    add("GetCampaign", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetCampaignRequest r;
      r.set_name(campaign_.name());
      return Done(p.GetCampaign(c, r));
    });
    add("ListCampaigns", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto out, p.ListCampaigns(c, {}));
          for (const auto& k : out.campaigns())
            if (k.name() == campaign_.name()) return true;
          return false;
        });
    add("UpdateCampaign", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::UpdateCampaignRequest r;
      *r.mutable_campaign() = campaign_;
      r.mutable_campaign()->set_display_name("Flu season (renamed)");
      r.set_expected_version(campaign_.version());
      return Done(p.UpdateCampaign(c, r));
    });
    add("CreateContent", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateContentRequest r;
      r.set_content_id(absl::StrCat("content-", n));
      r.mutable_content()->set_title("Flu shots");
      r.mutable_content()->set_text("Free flu shots this Saturday.");
      r.mutable_content()->set_spoke(kOwn);
      return Done(p.CreateContent(c, r));
    });
    add("GetContent", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetContentRequest r;
      r.set_name(approved_.name());
      return Done(p.GetContent(c, r));
    });
    add("UpdateContent", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::UpdateContentRequest r;
      *r.mutable_content() = draft_;
      r.mutable_content()->set_text("Free flu shots this Sunday.");
      r.set_expected_version(draft_.version());
      return Done(p.UpdateContent(c, r));
    });
    add("SubmitContent", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::SubmitContentRequest r;
      r.set_name(draft_.name());
      return Done(p.SubmitContent(c, r));
    });
  }

  // Rows, part 3.
  void AddRows3(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    auto rid = [](std::string_view method, int serial) {
      return absl::StrCat("matrix-", common::AsAbsl(method), "-", serial);
    };
    add("ApproveContent", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::ApproveContentRequest r;
      r.set_name(in_review_.name());
      r.set_version(in_review_.version());
      return Done(p.ApproveContent(c, r));
    });
    add("RejectContent", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::RejectContentRequest r;
      r.set_name(in_review_.name());
      r.set_version(in_review_.version());
      r.set_reason("not now");
      return Done(p.RejectContent(c, r));
    });
    add("ListContents", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto out, p.ListContents(c, {}));
          for (const auto& content : out.contents())
            if (content.name() == approved_.name()) return true;
          return false;
        });
    add("GetCalendarFeed", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::GetCalendarFeedRequest r;
      r.set_spoke(kOwn);
      return Done(p.GetCalendarFeed(c, r));
    });
    add("RevokeCalendarFeed", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::RevokeCalendarFeedRequest r;
      r.set_spoke(kOwn);
      return Done(p.RevokeCalendarFeed(c, r));
    });
    add("GenerateVariants", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GenerateVariantsRequest r;
      r.set_name(approved_.name());
      r.add_networks(v1::NETWORK_MASTODON);
      return Done(p.GenerateVariants(c, r));
    });
    add("SchedulePost", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      return Done(p.SchedulePost(
          c,
          ScheduleRequest(approved_, kAccount, absl::Hours(40) + absl::Minutes(n), rid("s", n))));
    });
    add("BatchSchedulePosts", Kind::kNamed,
        [&](Planner& p, const common::Caller& c, int n) -> absl::StatusOr<bool> {
          v1::BatchSchedulePostsRequest r;
          *r.add_requests() =
              ScheduleRequest(approved_, kAccount, absl::Hours(50) + absl::Minutes(n), rid("b", n));
          ASSIGN_OR_RETURN(auto out, p.BatchSchedulePosts(c, r));
          const auto& result = out.results(0);
          if (result.code() != 0) {
            return absl::Status(static_cast<absl::StatusCode>(result.code()), result.message());
          }
          return true;
        });
    add("ReschedulePost", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::ReschedulePostRequest r;
      r.set_name(post_.name());
      *r.mutable_publish_time() = In(absl::Hours(70));
      return Done(p.ReschedulePost(c, r));
    });
  }

  // Rows, part 4.
  void AddRows4(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    add("SetReviewPolicy", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::SetReviewPolicyRequest r;
      r.mutable_policy()->set_name(std::string(kOwn) + "/reviewPolicy");
      v1::ReviewStage* stage = r.mutable_policy()->add_stages();
      stage->set_id("clinical");
      stage->set_display_name("Clinical");
      stage->set_role("clinical_reviewer");
      stage->set_rule(v1::REVIEW_RULE_ANY_ONE);
      return Done(p.SetReviewPolicy(c, r));
    });
    add("GetReviewPolicy", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::GetReviewPolicyRequest r;
      r.set_name(std::string(kOwn) + "/reviewPolicy");
      return Done(p.GetReviewPolicy(c, r));
    });
    add("GetPost", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetPostRequest r;
      r.set_name(post_.name());
      return Done(p.GetPost(c, r));
    });
    add("CancelPost", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::CancelPostRequest r;
      r.set_name(post_.name());
      return Done(p.CancelPost(c, r));
    });
    add("ListCalendar", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          v1::ListCalendarRequest r;
          *r.mutable_start_time() = In(absl::Hours(1));
          *r.mutable_end_time() = In(absl::Hours(24 * 7));
          ASSIGN_OR_RETURN(auto out, p.ListCalendar(c, r));
          for (const auto& post : out.posts())
            if (post.name() == post_.name()) return true;
          return false;
        });
    add("SetCadence", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::SetCadenceRequest r;
      r.mutable_cadence()->set_name(std::string(kAccount) + "/cadence");
      v1::CadenceSlot* slot = r.mutable_cadence()->add_slots();
      slot->set_rrule("FREQ=DAILY;BYHOUR=10;BYMINUTE=0");
      slot->set_start_local_time("2026-01-05T10:00:00");
      return Done(p.SetCadence(c, r));
    });
    add("GetCadence", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::GetCadenceRequest r;
      r.set_name(std::string(kAccount) + "/cadence");
      return Done(p.GetCadence(c, r));
    });
    add("CreateBlackout", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::CreateBlackoutRequest r;
      r.set_blackout_id(absl::StrCat("dark-", n));
      r.mutable_blackout()->set_spoke(kOwn);
      *r.mutable_blackout()->mutable_start_time() = In(absl::Hours(24 * 20 + n));
      *r.mutable_blackout()->mutable_end_time() = In(absl::Hours(24 * 20 + n + 1));
      r.mutable_blackout()->set_reason("drill");
      return Done(p.CreateBlackout(c, r));
    });
    add("ListBlackouts", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto out, p.ListBlackouts(c, {}));
          for (const auto& b : out.blackouts())
            if (b.name() == blackout_.name()) return true;
          return false;
        });
  }

  // Rows, part 5.
  void AddRows5(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    auto rid = [](std::string_view method, int serial) {
      return absl::StrCat("matrix-", common::AsAbsl(method), "-", serial);
    };
    add("DeleteBlackout", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::DeleteBlackoutRequest r;
      r.set_name(blackout_.name());
      return Done(p.DeleteBlackout(c, r));
    });
    add("AddToQueue", Kind::kNamed, [&](Planner& p, const common::Caller& c, int n) {
      v1::AddToQueueRequest r;
      r.set_content(approved_.name());
      r.add_accounts(kAccount);
      r.set_request_id(rid("q", n));
      return Done(p.AddToQueue(c, r));
    });
    add("ListQueue", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::ListQueueRequest r;
      r.set_account(kAccount);
      return Done(p.ListQueue(c, r));
    });
    add("ReorderQueue", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::ReorderQueueRequest r;
      r.set_account(kAccount);
      return Done(p.ReorderQueue(c, r));
    });
    add("ShuffleQueue", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::ShuffleQueueRequest r;
      r.set_account(kAccount);
      return Done(p.ShuffleQueue(c, r));
    });
    add("CreateEvergreenItem", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::CreateEvergreenItemRequest r;
      *r.mutable_item() = item_;
      r.mutable_item()->clear_name();
      return Done(p.CreateEvergreenItem(c, r));
    });
    add("GetEvergreenItem", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::GetEvergreenItemRequest r;
      r.set_name(item_.name());
      return Done(p.GetEvergreenItem(c, r));
    });
    add("ListEvergreenItems", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto out, p.ListEvergreenItems(c, {}));
          for (const auto& i : out.items())
            if (i.name() == item_.name()) return true;
          return false;
        });
    add("RetireEvergreenItem", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::RetireEvergreenItemRequest r;
      r.set_name(item_.name());
      return Done(p.RetireEvergreenItem(c, r));
    });
  }

  // Rows, part 6.
  void AddRows6(std::vector<Row>& rows) {
    auto add = [&](std::string method, Kind kind, Call call) {
      rows.push_back({std::move(method), kind, std::move(call)});
    };
    add("RenewEvergreenReview", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::RenewEvergreenReviewRequest r;
      r.set_name(item_.name());
      *r.mutable_review_expire_time() = In(absl::Hours(24 * 200));
      return Done(p.RenewEvergreenReview(c, r));
    });
    add("RecycleEvergreen", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::RecycleEvergreenRequest r;
      r.add_accounts(kAccount);
      return Done(p.RecycleEvergreen(c, r));
    });
    // Before the hold rows, which lift the spoke's hold.
    add("GetPublishingState", Kind::kListed,
        [&](Planner& p, const common::Caller& c, int) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto out, p.GetPublishingState(c, {}));
          for (const auto& h : out.state().spoke_holds())
            if (h.spoke() == kOwn) return true;
          return false;
        });
    add("HoldPublishing", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::HoldPublishingRequest r;
      r.set_spoke(kOwn);
      r.set_reason("drill");
      return Done(p.HoldPublishing(c, r));
    });
    add("ResumePublishing", Kind::kNamed, [&](Planner& p, const common::Caller& c, int) {
      v1::ResumePublishingRequest r;
      r.set_spoke(kOwn);
      return Done(p.ResumePublishing(c, r));
    });
    add("ListAuditEntries", Kind::kOpaque, [&](Planner& p, const common::Caller& c, int) {
      v1::ListAuditEntriesRequest r;
      r.set_resource(approved_.name());
      return Done(p.ListAuditEntries(c, r));
    });
  }

  std::vector<Row> Rows() {
    std::vector<Row> rows;
    AddRows1(rows);
    AddRows2(rows);
    AddRows3(rows);
    AddRows4(rows);
    AddRows5(rows);
    AddRows6(rows);
    AddConsentRows(rows);
    return rows;
  }

  v1::Content approved_, draft_, in_review_;
  v1::Post post_;
  v1::Objective objective_;
  v1::Blackout blackout_;
  v1::EvergreenItem item_;
  v1::Audience audience_;
  v1::Campaign campaign_;
  v1::PatientAuthorization authorization_, revocable_;
  v1::TakedownTask takedown_;
};

bool IsHubRole(common::Role role) {
  return role == common::Role::kAdmin || role == common::Role::kService;
}

TEST_F(PlannerSpokesTest, EveryRpcHasARow) {
  std::set<std::string> covered;
  for (const Row& row : Rows()) covered.insert(row.method);
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "carecast.v1.PlannerService");
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(covered.contains(service->method(i)->name()))
        << service->method(i)->name() << " has no row in the spoke matrix";
  }
}

// Every row, every role the table admits to it, every spoke position.
TEST_F(PlannerSpokesTest, MatrixOfRpcRoleAndSpoke) {
  const common::RoleTable table = PlannerRoleTable();
  int serial = 0;
  int refusals = 0;
  int admitted = 0;
  for (const Row& row : Rows()) {
    const std::string method = "/carecast.v1.PlannerService/" + row.method;
    for (common::Role role : table.RolesFor(method)) {
      const std::string who =
          absl::StrCat(row.method, " as ", common::AsAbsl(common::RoleName(role)));
      // Refusals first: each must leave everything as it was.
      for (const std::vector<std::string>& spokes :
           {std::vector<std::string>{"lakeside"}, std::vector<std::string>{}}) {
        const common::Caller caller = MakeCaller("mallory", role, spokes);
        const std::string where = absl::StrCat(who, spokes.empty() ? " (no claim)" : " (other)");
        const Snapshot before = Take();
        absl::StatusOr<bool> got = row.call(*planner_, caller, ++serial);
        if (IsHubRole(role)) continue;  // admin and service act for every spoke
        ++refusals;
        switch (row.kind) {
          case Kind::kNamed:
          case Kind::kHubOnly:
            EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied)
                << where << ": " << got.status();
            break;
          case Kind::kOpaque:
            EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound)
                << where << ": " << got.status();
            break;
          case Kind::kListed:
            ASSERT_TRUE(got.ok()) << where << ": " << got.status();
            EXPECT_FALSE(*got) << where << ": listed another spoke's resource";
            break;
        }
        ExpectUnchanged(before, where);
      }
      // Own spoke and hub: admitted past governance (the call may still fail
      // on the resource's state, never for the spoke).
      for (const std::vector<std::string>& spokes :
           {std::vector<std::string>{"st-marys"}, std::vector<std::string>{"*"}}) {
        const common::Caller caller = MakeCaller(absl::StrCat("reviewer-", serial), role, spokes);
        const bool hub = spokes.front() == "*" || IsHubRole(role);
        const std::string where = absl::StrCat(who, hub ? " (hub)" : " (own spoke)");
        absl::StatusOr<bool> got = row.call(*planner_, caller, ++serial);
        ++admitted;
        if (row.kind == Kind::kHubOnly && !hub) {
          EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied) << where;
          continue;
        }
        EXPECT_NE(got.status().code(), absl::StatusCode::kPermissionDenied)
            << where << ": " << got.status();
        EXPECT_NE(got.status().code(), absl::StatusCode::kNotFound)
            << where << ": " << got.status();
        if (row.kind == Kind::kListed && got.ok()) {
          EXPECT_TRUE(*got) << where << ": its own spoke's resource is missing from the list";
        }
      }
    }
  }
  EXPECT_GT(refusals, 60);
  EXPECT_GT(admitted, 60);
}

TEST_F(PlannerSpokesTest, SpokeScopeReadsTheClaim) {
  using common::SpokeScope;
  common::Caller writer = MakeCaller("w", common::Role::kContentDeveloper, {"st-marys"});
  SpokeScope scope = SpokeScope::For(writer);
  EXPECT_FALSE(scope.hub());
  EXPECT_TRUE(scope.MayChange(kOwn));
  EXPECT_FALSE(scope.MayChange(kOther));
  EXPECT_FALSE(scope.MayChange(""));  // hub-wide: read, not change
  EXPECT_TRUE(scope.MaySee(""));
  // Names work as well as ids in the claim.
  EXPECT_TRUE(SpokeScope::For(MakeCaller("w", common::Role::kPublisher, {"spokes/lakeside"}))
                  .MayChange(kOther));
  // Absent claim: nothing, for every spoke role.
  EXPECT_FALSE(SpokeScope::For(MakeCaller("w", common::Role::kStrategist, {})).MayChange(kOwn));
  // Admin and service are hub roles whatever the claim says.
  EXPECT_TRUE(SpokeScope::For(MakeCaller("a", common::Role::kAdmin, {})).hub());
  EXPECT_TRUE(SpokeScope::For(MakeCaller("s", common::Role::kService, {"st-marys"})).hub());
  EXPECT_EQ(common::SpokeOfResource("spokes/st-marys/accounts/x"), "spokes/st-marys");
  EXPECT_EQ(common::SpokeOfResource("spokes/st-marys"), "spokes/st-marys");
  EXPECT_EQ(common::SpokeOfResource("contents/c"), "");
  EXPECT_EQ(common::SpokeOfResource("spokes//accounts/x"), "");
}

// A spoke's own hold leaves the global switch alone and is visible only to
// that spoke's callers and the hub; resuming it leaves other holds standing.
TEST_F(PlannerSpokesTest, SpokeHoldsAreSeparateFromTheGlobalSwitch) {
  const common::Caller own = MakeCaller("sam", common::Role::kStrategist, {"st-marys"});
  const common::Caller other = MakeCaller("lee", common::Role::kStrategist, {"lakeside"});
  v1::HoldPublishingRequest hold;
  hold.set_spoke(kOther);
  ASSERT_TRUE(planner_->HoldPublishing(other, hold).ok());

  auto hub_view = planner_->GetPublishingState(strategist_, {});
  ASSERT_TRUE(hub_view.ok());
  EXPECT_FALSE(hub_view->state().held());
  ASSERT_EQ(hub_view->state().spoke_holds_size(), 2);
  EXPECT_EQ(hub_view->state().spoke_holds(0).spoke(), kOther);  // sorted
  EXPECT_EQ(hub_view->state().spoke_holds(1).spoke(), kOwn);
  EXPECT_EQ(hub_view->state().spoke_holds(1).reason(), "local incident");

  auto own_view = planner_->GetPublishingState(own, {});
  ASSERT_TRUE(own_view.ok());
  ASSERT_EQ(own_view->state().spoke_holds_size(), 1);
  EXPECT_EQ(own_view->state().spoke_holds(0).spoke(), kOwn);

  // A spoke caller cannot touch the global switch.
  EXPECT_EQ(planner_->HoldPublishing(own, {}).status().code(), absl::StatusCode::kPermissionDenied);
  v1::ResumePublishingRequest resume;
  resume.set_spoke(kOwn);
  ASSERT_TRUE(planner_->ResumePublishing(own, resume).ok());
  auto after = planner_->GetPublishingState(strategist_, {});
  ASSERT_EQ(after->state().spoke_holds_size(), 1);
  EXPECT_EQ(after->state().spoke_holds(0).spoke(), kOther);

  // The event names the spoke and carries every switch.
  auto events = bus_.Published("carecast.publishing.>");
  ASSERT_FALSE(events.empty());
  v1::PublishingChanged last;
  ASSERT_TRUE(common::DecodeEvent(events.back(), &last).ok());
  EXPECT_EQ(last.spoke(), kOwn);
  EXPECT_EQ(last.state().spoke_holds_size(), 1);

  // Holding a spoke that does not exist is NOT_FOUND and changes nothing.
  const Snapshot before = Take();
  v1::HoldPublishingRequest ghost;
  ghost.set_spoke("spokes/nowhere");
  EXPECT_EQ(planner_->HoldPublishing(strategist_, ghost).status().code(),
            absl::StatusCode::kNotFound);
  ExpectUnchanged(before, "hold of an unknown spoke");
}

// Content of one spoke can be scheduled only by callers of that spoke; its
// posts stay invisible to other spokes' calendars.
TEST_F(PlannerSpokesTest, AnotherSpokesContentCannotBePostedOnOwnAccounts) {
  const common::Caller lakeside = MakeCaller("lee", common::Role::kPublisher, {"lakeside"});
  auto scheduled = planner_->SchedulePost(
      lakeside, ScheduleRequest(approved_, "spokes/lakeside/accounts/x-main", absl::Hours(60)));
  EXPECT_EQ(scheduled.status().code(), absl::StatusCode::kNotFound) << scheduled.status();
}

}  // namespace
}  // namespace carecast::planner
