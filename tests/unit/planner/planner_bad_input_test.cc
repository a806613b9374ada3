// Every kind of bad input to every PlannerService method gets the right code and
// a reason, and changes nothing: no KV write, no event, no audit entry.
#include <cmath>
#include <functional>
#include <limits>

#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using Code = absl::StatusCode;

struct Case {
  std::string name;
  std::function<absl::Status()> call;
  Code code;
  std::string reason;  // a substring of the message
};

class PlannerBadInputTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke();
    x_ = MakeAccount(v1::NETWORK_X, "x-main");
    draft_ = DraftContent("Draft text");
    in_review_ = Submit(DraftContent("In review text"));
    approved_ = ApprovedContent();
    auto post = Schedule(approved_, x_.name(), absl::Hours(1), "scheduled");
    ASSERT_TRUE(post.ok()) << post.status();
    post_ = *post;
    auto cancelled = Schedule(approved_, x_.name(), absl::Hours(2), "cancelled");
    ASSERT_TRUE(cancelled.ok());
    v1::CancelPostRequest cancel;
    cancel.set_name("posts/cancelled");
    ASSERT_TRUE(planner_->CancelPost(publisher_, cancel).ok());
  }

  void RunAll(const std::vector<Case>& cases) {
    Snapshot before = Take();
    for (const Case& c : cases) {
      absl::Status status = c.call();
      EXPECT_EQ(status.code(), c.code) << c.name << ": " << status;
      EXPECT_FALSE(status.message().empty()) << c.name;
      EXPECT_NE(std::string(status.message()).find(c.reason), std::string::npos)
          << c.name << ": \"" << status.message() << "\" lacks \"" << c.reason << "\"";
      ExpectUnchanged(before, c.name);
    }
  }

  template <class Response>
  static absl::Status S(const absl::StatusOr<Response>& r) {
    return r.status();
  }

  v1::CreateContentRequest ContentWith(const std::string& text,
                                       v1::Network network = v1::NETWORK_UNSPECIFIED,
                                       const std::string& variant = "") {
    v1::CreateContentRequest req;
    req.mutable_content()->set_text(text);
    if (network != v1::NETWORK_UNSPECIFIED || !variant.empty()) {
      auto* v = req.mutable_content()->add_variants();
      v->set_network(network);
      v->set_text(variant);
    }
    return req;
  }

  v1::Account x_;
  v1::Content draft_, in_review_, approved_;
  v1::Post post_;
};

const std::string kBadUtf8 = "caf\xC3\x28";
const std::string kLongRequestId(129, 'r');

TEST_F(PlannerBadInputTest, Organisation) {
  std::vector<Case> cases;
  auto spoke = [&](const std::function<void(v1::CreateSpokeRequest&)>& edit) {
    return [this, edit] {
      v1::CreateSpokeRequest req;
      req.mutable_spoke()->set_display_name("A clinic");
      edit(req);
      return S(planner_->CreateSpoke(strategist_, req));
    };
  };
  cases.push_back({"spoke without display_name",
                   spoke([](auto& r) { r.mutable_spoke()->clear_display_name(); }),
                   Code::kInvalidArgument, "spoke.display_name is required"});
  cases.push_back({"spoke with invalid UTF-8",
                   spoke([](auto& r) { r.mutable_spoke()->set_display_name(kBadUtf8); }),
                   Code::kInvalidArgument, "not valid UTF-8"});
  cases.push_back({"spoke with oversized name", spoke([](auto& r) {
                     r.mutable_spoke()->set_display_name(std::string(201, 'a'));
                   }),
                   Code::kInvalidArgument, "longer than 200"});
  cases.push_back({"spoke with malformed id", spoke([](auto& r) { r.set_spoke_id("Bad_Id"); }),
                   Code::kInvalidArgument, "spoke_id"});
  cases.push_back({"spoke id taken", spoke([](auto& r) { r.set_spoke_id("st-marys"); }),
                   Code::kAlreadyExists, "already exists"});
  cases.push_back({"oversized request_id", spoke([](auto& r) { r.set_request_id(kLongRequestId); }),
                   Code::kInvalidArgument, "request_id"});
  cases.push_back({"request_id with invalid UTF-8",
                   spoke([](auto& r) { r.set_request_id(kBadUtf8); }), Code::kInvalidArgument,
                   "request_id"});

  auto account = [&](const std::function<void(v1::CreateAccountRequest&)>& edit) {
    return [this, edit] {
      v1::CreateAccountRequest req;
      req.set_parent("spokes/st-marys");
      req.mutable_account()->set_network(v1::NETWORK_X);
      req.mutable_account()->set_handle("@clinic");
      req.mutable_account()->set_time_zone("Europe/London");
      edit(req);
      return S(planner_->CreateAccount(strategist_, req));
    };
  };
  cases.push_back({"account with malformed parent",
                   account([](auto& r) { r.set_parent("spoke/x"); }), Code::kInvalidArgument,
                   "parent must look like spokes/{spoke}"});
  cases.push_back({"account with missing parent", account([](auto& r) { r.clear_parent(); }),
                   Code::kInvalidArgument, "parent"});
  cases.push_back({"account under unknown spoke",
                   account([](auto& r) { r.set_parent("spokes/nowhere"); }), Code::kNotFound,
                   "spokes/nowhere not found"});
  cases.push_back({"account without network",
                   account([](auto& r) { r.mutable_account()->clear_network(); }),
                   Code::kInvalidArgument, "account.network"});
  cases.push_back({"account with unknown network", account([](auto& r) {
                     r.mutable_account()->set_network(static_cast<v1::Network>(77));
                   }),
                   Code::kInvalidArgument, "account.network"});
  cases.push_back({"account without handle",
                   account([](auto& r) { r.mutable_account()->clear_handle(); }),
                   Code::kInvalidArgument, "account.handle is required"});
  cases.push_back({"account without time zone",
                   account([](auto& r) { r.mutable_account()->clear_time_zone(); }),
                   Code::kInvalidArgument, "account.time_zone is required"});
  cases.push_back({"account with unknown time zone", account([](auto& r) {
                     r.mutable_account()->set_time_zone("Mars/Olympus_Mons");
                   }),
                   Code::kInvalidArgument, "IANA time zone"});
  cases.push_back({"account with a credential instead of a secret name", account([](auto& r) {
                     r.mutable_account()->set_credentials_secret("Bearer abc def");
                   }),
                   Code::kInvalidArgument, "credentials_secret"});

  v1::ListAccountsRequest list_unknown;
  list_unknown.set_parent("spokes/nowhere");
  cases.push_back({"list accounts of unknown spoke",
                   [&] { return S(planner_->ListAccounts(writer_, list_unknown)); },
                   Code::kNotFound, "not found"});
  v1::ListAccountsRequest list_bad;
  list_bad.set_parent("spokes/");
  cases.push_back({"list accounts of malformed parent",
                   [&] { return S(planner_->ListAccounts(writer_, list_bad)); },
                   Code::kInvalidArgument, "parent"});
  v1::ListSpokesRequest spokes_bad;
  spokes_bad.set_page_token("garbage");
  cases.push_back({"list spokes with bad token",
                   [&] { return S(planner_->ListSpokes(writer_, spokes_bad)); },
                   Code::kInvalidArgument, "page_token"});
  v1::ListSpokesRequest spokes_negative;
  spokes_negative.set_page_size(-5);
  cases.push_back({"list spokes with negative page size",
                   [&] { return S(planner_->ListSpokes(writer_, spokes_negative)); },
                   Code::kInvalidArgument, "page_size"});
  RunAll(cases);
}

TEST_F(PlannerBadInputTest, Objectives) {
  std::vector<Case> cases;
  auto objective = [&](const std::function<void(v1::CreateObjectiveRequest&)>& edit) {
    return [this, edit] {
      v1::CreateObjectiveRequest req;
      auto* o = req.mutable_objective();
      o->set_display_name("Reach");
      o->set_kpi(v1::KPI_REACH);
      o->set_target(10);
      *o->mutable_start_time() = In(absl::ZeroDuration());
      *o->mutable_end_time() = In(absl::Hours(1));
      edit(req);
      return S(planner_->CreateObjective(strategist_, req));
    };
  };
  cases.push_back({"no display name",
                   objective([](auto& r) { r.mutable_objective()->clear_display_name(); }),
                   Code::kInvalidArgument, "objective.display_name is required"});
  cases.push_back({"no kpi", objective([](auto& r) { r.mutable_objective()->clear_kpi(); }),
                   Code::kInvalidArgument, "objective.kpi"});
  cases.push_back({"zero target", objective([](auto& r) { r.mutable_objective()->set_target(0); }),
                   Code::kInvalidArgument, "objective.target"});
  cases.push_back({"negative target",
                   objective([](auto& r) { r.mutable_objective()->set_target(-1); }),
                   Code::kInvalidArgument, "objective.target"});
  cases.push_back({"NaN target", objective([](auto& r) {
                     r.mutable_objective()->set_target(std::numeric_limits<double>::quiet_NaN());
                   }),
                   Code::kInvalidArgument, "objective.target"});
  cases.push_back({"no start",
                   objective([](auto& r) { r.mutable_objective()->clear_start_time(); }),
                   Code::kInvalidArgument, "objective.start_time is required"});
  cases.push_back({"no end", objective([](auto& r) { r.mutable_objective()->clear_end_time(); }),
                   Code::kInvalidArgument, "objective.end_time is required"});
  cases.push_back({"end before start", objective([this](auto& r) {
                     *r.mutable_objective()->mutable_end_time() = In(-absl::Hours(1));
                   }),
                   Code::kInvalidArgument, "before end_time"});
  cases.push_back({"invalid nanos", objective([](auto& r) {
                     r.mutable_objective()->mutable_end_time()->set_nanos(2'000'000'000);
                   }),
                   Code::kInvalidArgument, "not a valid timestamp"});
  cases.push_back({"unknown spoke",
                   objective([](auto& r) { r.mutable_objective()->set_spoke("spokes/none"); }),
                   Code::kNotFound, "spokes/none not found"});
  cases.push_back({"malformed spoke",
                   objective([](auto& r) { r.mutable_objective()->set_spoke("st-marys"); }),
                   Code::kInvalidArgument, "objective.spoke"});
  cases.push_back({"unknown network", objective([](auto& r) {
                     r.mutable_objective()->set_network(static_cast<v1::Network>(99));
                   }),
                   Code::kInvalidArgument, "objective.network"});
  v1::GetObjectiveRequest malformed;
  malformed.set_name("objectives/");
  cases.push_back({"get malformed", [&] { return S(planner_->GetObjective(writer_, malformed)); },
                   Code::kInvalidArgument, "objectives/{objective}"});
  v1::GetObjectiveRequest unknown;
  unknown.set_name("objectives/nope");
  cases.push_back({"get unknown", [&] { return S(planner_->GetObjective(writer_, unknown)); },
                   Code::kNotFound, "objectives/nope not found"});
  RunAll(cases);
}

TEST_F(PlannerBadInputTest, Content) {
  std::vector<Case> cases;
  auto create = [&](const v1::CreateContentRequest& req) {
    return [this, req] { return S(planner_->CreateContent(writer_, req)); };
  };
  cases.push_back(
      {"no text", create(ContentWith("")), Code::kInvalidArgument, "content.text is required"});
  cases.push_back({"invalid UTF-8 text", create(ContentWith(kBadUtf8)), Code::kInvalidArgument,
                   "content.text is not valid UTF-8"});
  cases.push_back({"oversized text", create(ContentWith(std::string(64 * 1024 + 1, 'a'))),
                   Code::kInvalidArgument, "larger than 65536 bytes"});
  cases.push_back({"X variant over 280",
                   create(ContentWith("ok", v1::NETWORK_X, std::string(281, 'a'))),
                   Code::kInvalidArgument, "x allows at most 280"});
  std::string cjk;
  for (int i = 0; i < 141; ++i) cjk += "健";
  cases.push_back({"X variant of 141 CJK characters", create(ContentWith("ok", v1::NETWORK_X, cjk)),
                   Code::kInvalidArgument, "x allows at most 280"});
  cases.push_back({"Mastodon variant over 500",
                   create(ContentWith("ok", v1::NETWORK_MASTODON, std::string(501, 'a'))),
                   Code::kInvalidArgument, "mastodon allows at most 500"});
  cases.push_back({"variant without network",
                   create(ContentWith("ok", v1::NETWORK_UNSPECIFIED, "a")), Code::kInvalidArgument,
                   "network"});
  cases.push_back({"variant with invalid UTF-8",
                   create(ContentWith("ok", v1::NETWORK_FACEBOOK, kBadUtf8)),
                   Code::kInvalidArgument, "not valid UTF-8"});
  cases.push_back({"empty variant", create(ContentWith("ok", v1::NETWORK_FACEBOOK, "")),
                   Code::kInvalidArgument, "text is required"});
  v1::CreateContentRequest twice = ContentWith("ok", v1::NETWORK_X, "a");
  twice.mutable_content()->add_variants()->CopyFrom(twice.content().variants(0));
  cases.push_back({"two variants for one network", create(twice), Code::kInvalidArgument,
                   "at most one per network"});
  v1::CreateContentRequest unknown_objective = ContentWith("ok");
  unknown_objective.mutable_content()->add_objectives("objectives/none");
  cases.push_back({"unknown objective", create(unknown_objective), Code::kNotFound,
                   "objectives/none not found"});
  v1::CreateContentRequest bad_objective = ContentWith("ok");
  bad_objective.mutable_content()->add_objectives("none");
  cases.push_back({"malformed objective", create(bad_objective), Code::kInvalidArgument,
                   "content.objectives[]"});
  v1::CreateContentRequest unknown_spoke = ContentWith("ok");
  unknown_spoke.mutable_content()->set_spoke("spokes/none");
  cases.push_back({"unknown spoke", create(unknown_spoke), Code::kNotFound, "not found"});
  v1::CreateContentRequest bad_id = ContentWith("ok");
  bad_id.set_content_id("UPPER");
  cases.push_back({"malformed content_id", create(bad_id), Code::kInvalidArgument, "content_id"});
  v1::CreateContentRequest taken = ContentWith("ok");
  taken.set_content_id(draft_.name().substr(9));
  cases.push_back({"content_id taken", create(taken), Code::kAlreadyExists, "already exists"});

  v1::GetContentRequest get_bad;
  get_bad.set_name("contents/../x");
  cases.push_back({"get malformed", [&] { return S(planner_->GetContent(writer_, get_bad)); },
                   Code::kInvalidArgument, "contents/{content}"});
  v1::GetContentRequest get_unknown;
  get_unknown.set_name("contents/nope");
  cases.push_back({"get unknown", [&] { return S(planner_->GetContent(writer_, get_unknown)); },
                   Code::kNotFound, "contents/nope not found"});

  auto update = [&](const std::function<void(v1::UpdateContentRequest&)>& edit) {
    return [this, edit] {
      v1::UpdateContentRequest req;
      *req.mutable_content() = draft_;
      req.mutable_content()->set_text("edited");
      req.set_expected_version(draft_.version());
      edit(req);
      return S(planner_->UpdateContent(writer_, req));
    };
  };
  cases.push_back({"update malformed name",
                   update([](auto& r) { r.mutable_content()->set_name("contents"); }),
                   Code::kInvalidArgument, "content.name"});
  cases.push_back({"update unknown",
                   update([](auto& r) { r.mutable_content()->set_name("contents/nope"); }),
                   Code::kNotFound, "contents/nope not found"});
  cases.push_back({"update without expected_version",
                   update([](auto& r) { r.clear_expected_version(); }), Code::kInvalidArgument,
                   "expected_version is required"});
  cases.push_back({"update from a stale version",
                   update([](auto& r) { r.set_expected_version(7); }), Code::kAborted,
                   "is at version 1, not 7"});
  cases.push_back({"update with invalid UTF-8",
                   update([](auto& r) { r.mutable_content()->set_text(kBadUtf8); }),
                   Code::kInvalidArgument, "not valid UTF-8"});
  cases.push_back({"update with an oversized X variant", update([](auto& r) {
                     auto* v = r.mutable_content()->add_variants();
                     v->set_network(v1::NETWORK_INSTAGRAM);
                     v->set_text(std::string(2201, 'i'));
                   }),
                   Code::kInvalidArgument, "instagram allows at most 2200"});

  v1::SubmitContentRequest submit_in_review;
  submit_in_review.set_name(in_review_.name());
  cases.push_back({"submit content already in review",
                   [&] { return S(planner_->SubmitContent(writer_, submit_in_review)); },
                   Code::kFailedPrecondition, "only DRAFT or REJECTED"});
  v1::SubmitContentRequest submit_approved;
  submit_approved.set_name(approved_.name());
  cases.push_back({"submit approved content",
                   [&] { return S(planner_->SubmitContent(writer_, submit_approved)); },
                   Code::kFailedPrecondition, "is APPROVED"});
  v1::SubmitContentRequest submit_unknown;
  submit_unknown.set_name("contents/nope");
  cases.push_back({"submit unknown",
                   [&] { return S(planner_->SubmitContent(writer_, submit_unknown)); },
                   Code::kNotFound, "not found"});
  v1::SubmitContentRequest submit_empty;
  cases.push_back({"submit without name",
                   [&] { return S(planner_->SubmitContent(writer_, submit_empty)); },
                   Code::kInvalidArgument, "name must look like"});

  auto approve = [&](const std::string& name, int64_t version) {
    return [this, name, version] {
      v1::ApproveContentRequest req;
      req.set_name(name);
      req.set_version(version);
      return S(planner_->ApproveContent(reviewer_, req));
    };
  };
  cases.push_back({"approve a draft", approve(draft_.name(), 1), Code::kFailedPrecondition,
                   "only IN_REVIEW content can be approved"});
  cases.push_back(
      {"approve twice", approve(approved_.name(), 1), Code::kFailedPrecondition, "is APPROVED"});
  cases.push_back(
      {"approve a stale version", approve(in_review_.name(), 2), Code::kAborted, "read it again"});
  cases.push_back({"approve without version", approve(in_review_.name(), 0), Code::kInvalidArgument,
                   "version is required"});
  cases.push_back({"approve unknown", approve("contents/nope", 1), Code::kNotFound, "not found"});
  cases.push_back({"approve malformed", approve("nope", 1), Code::kInvalidArgument, "name"});

  auto reject = [&](const std::string& name, int64_t version, const std::string& reason) {
    return [this, name, version, reason] {
      v1::RejectContentRequest req;
      req.set_name(name);
      req.set_version(version);
      req.set_reason(reason);
      return S(planner_->RejectContent(reviewer_, req));
    };
  };
  cases.push_back({"reject without reason", reject(in_review_.name(), 1, ""),
                   Code::kInvalidArgument, "reason is required"});
  cases.push_back({"reject with invalid UTF-8 reason", reject(in_review_.name(), 1, kBadUtf8),
                   Code::kInvalidArgument, "reason is not valid UTF-8"});
  cases.push_back({"reject with oversized reason",
                   reject(in_review_.name(), 1, std::string(1001, 'r')), Code::kInvalidArgument,
                   "longer than 1000"});
  cases.push_back({"reject a draft", reject(draft_.name(), 1, "no"), Code::kFailedPrecondition,
                   "only IN_REVIEW"});
  cases.push_back({"reject a stale version", reject(in_review_.name(), 3, "no"), Code::kAborted,
                   "read it again"});
  RunAll(cases);
}

TEST_F(PlannerBadInputTest, Posts) {
  std::vector<Case> cases;
  auto schedule = [&](const std::function<void(v1::SchedulePostRequest&)>& edit) {
    return [this, edit] {
      v1::SchedulePostRequest req;
      req.set_content(approved_.name());
      req.set_account(x_.name());
      *req.mutable_publish_time() = In(absl::Hours(1));
      edit(req);
      return S(planner_->SchedulePost(publisher_, req));
    };
  };
  cases.push_back({"publish_time in the past",
                   schedule([this](auto& r) { *r.mutable_publish_time() = In(-absl::Minutes(5)); }),
                   Code::kInvalidArgument, "publish_time is in the past"});
  cases.push_back({"publish_time now", schedule([this](auto& r) {
                     *r.mutable_publish_time() = In(absl::ZeroDuration());
                   }),
                   Code::kInvalidArgument, "publish_time is in the past"});
  cases.push_back({"publish_time missing", schedule([](auto& r) { r.clear_publish_time(); }),
                   Code::kInvalidArgument, "publish_time is required"});
  cases.push_back({"publish_time beyond the horizon", schedule([this](auto& r) {
                     *r.mutable_publish_time() = In(absl::Hours(24 * 366));
                   }),
                   Code::kInvalidArgument, "ahead"});
  cases.push_back({"publish_time with bad nanos",
                   schedule([](auto& r) { r.mutable_publish_time()->set_nanos(-1); }),
                   Code::kInvalidArgument, "not a valid timestamp"});
  // Content IN_REVIEW may be scheduled ahead of approval (it waits); a draft not.
  cases.push_back({"content not approved",
                   schedule([this](auto& r) { r.set_content(draft_.name()); }),
                   Code::kFailedPrecondition, "can be scheduled"});
  cases.push_back({"unknown content", schedule([](auto& r) { r.set_content("contents/nope"); }),
                   Code::kNotFound, "contents/nope not found"});
  cases.push_back({"malformed content", schedule([](auto& r) { r.set_content("nope"); }),
                   Code::kInvalidArgument, "content must look like"});
  cases.push_back({"unknown account",
                   schedule([](auto& r) { r.set_account("spokes/st-marys/accounts/none"); }),
                   Code::kNotFound, "not found"});
  cases.push_back({"malformed account", schedule([](auto& r) { r.set_account("accounts/x-main"); }),
                   Code::kInvalidArgument, "account must look like"});
  cases.push_back({"post id taken", schedule([](auto& r) { r.set_post_id("scheduled"); }),
                   Code::kAlreadyExists, "already exists"});
  cases.push_back({"malformed post id", schedule([](auto& r) { r.set_post_id("a.b"); }),
                   Code::kInvalidArgument, "post_id"});

  auto cancel = [&](const std::string& name, const std::string& reason) {
    return [this, name, reason] {
      v1::CancelPostRequest req;
      req.set_name(name);
      req.set_reason(reason);
      return S(planner_->CancelPost(publisher_, req));
    };
  };
  cases.push_back({"cancel a cancelled post", cancel("posts/cancelled", ""),
                   Code::kFailedPrecondition,
                   "only SCHEDULED, NEEDS_HUMAN, AWAITING_APPROVAL or NEEDS_RESCHEDULE posts"});
  cases.push_back({"cancel unknown", cancel("posts/nope", ""), Code::kNotFound, "not found"});
  cases.push_back(
      {"cancel malformed", cancel("contents/x", ""), Code::kInvalidArgument, "posts/{post}"});
  cases.push_back({"cancel with invalid UTF-8 reason", cancel(post_.name(), kBadUtf8),
                   Code::kInvalidArgument, "reason"});
  v1::GetPostRequest get;
  get.set_name("posts/nope");
  cases.push_back({"get unknown", [&] { return S(planner_->GetPost(writer_, get)); },
                   Code::kNotFound, "posts/nope not found"});

  auto calendar = [&](const std::function<void(v1::ListCalendarRequest&)>& edit) {
    return [this, edit] {
      v1::ListCalendarRequest req;
      *req.mutable_start_time() = In(absl::ZeroDuration());
      *req.mutable_end_time() = In(absl::Hours(24));
      edit(req);
      return S(planner_->ListCalendar(writer_, req));
    };
  };
  cases.push_back({"calendar without start", calendar([](auto& r) { r.clear_start_time(); }),
                   Code::kInvalidArgument, "start_time is required"});
  cases.push_back({"calendar without end", calendar([](auto& r) { r.clear_end_time(); }),
                   Code::kInvalidArgument, "end_time is required"});
  cases.push_back({"calendar with end before start",
                   calendar([this](auto& r) { *r.mutable_end_time() = In(-absl::Hours(1)); }),
                   Code::kInvalidArgument, "start_time must be before end_time"});
  cases.push_back({"calendar with negative page size",
                   calendar([](auto& r) { r.set_page_size(-1); }), Code::kInvalidArgument,
                   "page_size"});
  cases.push_back({"calendar with a forged token",
                   calendar([](auto& r) { r.set_page_token("AAAA"); }), Code::kInvalidArgument,
                   "page_token"});
  RunAll(cases);
}

TEST_F(PlannerBadInputTest, HoldAndAudit) {
  std::vector<Case> cases;
  v1::HoldPublishingRequest hold;
  hold.set_reason(kBadUtf8);
  cases.push_back({"hold with invalid UTF-8 reason",
                   [&] { return S(planner_->HoldPublishing(strategist_, hold)); },
                   Code::kInvalidArgument, "reason is not valid UTF-8"});
  v1::HoldPublishingRequest hold_long;
  hold_long.set_reason(std::string(5000, 'h'));
  cases.push_back({"hold with oversized reason",
                   [&] { return S(planner_->HoldPublishing(strategist_, hold_long)); },
                   Code::kInvalidArgument, "longer than"});
  v1::ResumePublishingRequest resume;
  resume.set_request_id(kLongRequestId);
  cases.push_back({"resume with oversized request_id",
                   [&] { return S(planner_->ResumePublishing(strategist_, resume)); },
                   Code::kInvalidArgument, "request_id"});
  for (const char* resource :
       {"", "contents", "contents/*", "carecast.audit.>", "things/x", "spokes/s/accounts"}) {
    v1::ListAuditEntriesRequest req;
    req.set_resource(resource);
    cases.push_back({std::string("audit of \"") + resource + "\"",
                     [this, req] { return S(planner_->ListAuditEntries(writer_, req)); },
                     Code::kInvalidArgument, "resource"});
  }
  v1::ListAuditEntriesRequest bad_token;
  bad_token.set_resource(draft_.name());
  bad_token.set_page_token("x");
  cases.push_back({"audit with bad token",
                   [&] { return S(planner_->ListAuditEntries(writer_, bad_token)); },
                   Code::kInvalidArgument, "page_token"});
  RunAll(cases);
}

}  // namespace
}  // namespace carecast::planner
