// Audiences and campaigns: created, read and listed with their events and
// audit entries; every refusal changes nothing; content joins a campaign under
// one of its pillars (and only content of the campaign's spoke); objectives may
// be scoped to a campaign; posts carry the campaign, and the calendar filters by it.
#include <functional>
#include <tuple>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/planner/validation.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;

constexpr char kCampaign[] = "campaigns/flu-2027";

class PlannerCampaignsTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke("st-marys");
    MakeSpoke("riverside");
    objective_ = MakeObjective("vaccinations");
    audience_ = MakeAudience("parents", "spokes/st-marys");
  }

  v1::Objective MakeObjective(const std::string& id, const std::string& campaign = "",
                              const std::string& spoke = "") {
    auto resp = planner_->CreateObjective(strategist_, ObjectiveRequest(id, campaign, spoke));
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->objective() : v1::Objective();
  }

  v1::CreateObjectiveRequest ObjectiveRequest(const std::string& id, const std::string& campaign,
                                              const std::string& spoke = "") {
    v1::CreateObjectiveRequest req;
    req.set_objective_id(id);
    v1::Objective& o = *req.mutable_objective();
    o.set_display_name("Flu vaccinations booked");
    o.set_kpi(v1::KPI_POSTS_PUBLISHED);
    o.set_target(40);
    *o.mutable_start_time() = In(absl::Hours(1));
    *o.mutable_end_time() = In(absl::Hours(24 * 90));
    o.set_campaign(campaign);
    o.set_spoke(spoke);
    return req;
  }

  v1::CreateAudienceRequest AudienceRequest(const std::string& id, const std::string& spoke) {
    v1::CreateAudienceRequest req;
    req.set_audience_id(id);
    v1::Audience& a = *req.mutable_audience();
    a.set_display_name("Parents of young children");
    a.set_description("Parents and carers of children under five");
    a.add_locations("North county");
    a.add_locations("Riverside district");
    a.add_networks(v1::NETWORK_FACEBOOK);
    a.add_networks(v1::NETWORK_INSTAGRAM);
    a.set_spoke(spoke);
    return req;
  }

  v1::Audience MakeAudience(const std::string& id, const std::string& spoke = "") {
    auto resp = planner_->CreateAudience(strategist_, AudienceRequest(id, spoke));
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->audience() : v1::Audience();
  }

  // A campaign of st-marys with two pillars, pursuing objective_ for audience_.
  v1::CreateCampaignRequest CampaignRequest(const std::string& id = "flu-2027",
                                            const std::string& spoke = "spokes/st-marys") {
    v1::CreateCampaignRequest req;
    req.set_campaign_id(id);
    v1::Campaign& c = *req.mutable_campaign();
    c.set_display_name("Flu season 2027");
    c.set_description("Get families vaccinated before winter.");
    c.add_objectives(objective_.name());
    c.add_audiences(audience_.name());
    v1::ContentPillar* prevention = c.add_pillars();
    prevention->set_id("prevention");
    prevention->set_display_name("Prevention");
    v1::ContentPillar* people = c.add_pillars();
    people->set_id("our-people");
    people->set_display_name("Our people");
    c.add_networks(v1::NETWORK_X);
    c.add_networks(v1::NETWORK_FACEBOOK);
    *c.mutable_start_time() = In(absl::Hours(-24));
    *c.mutable_end_time() = In(absl::Hours(24 * 60));
    c.set_spoke(spoke);
    return req;
  }

  v1::Campaign MakeCampaign(const std::string& id = "flu-2027",
                            const std::string& spoke = "spokes/st-marys") {
    auto resp = planner_->CreateCampaign(strategist_, CampaignRequest(id, spoke));
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->campaign() : v1::Campaign();
  }

  v1::CreateContentRequest ContentRequest(const std::string& campaign, const std::string& pillar,
                                          const std::string& spoke = "spokes/st-marys") {
    v1::CreateContentRequest req;
    v1::Content& c = *req.mutable_content();
    c.set_title("Flu shots");
    c.set_text("Free flu shots this Saturday.");
    v1::ContentVariant* x = c.add_variants();
    x->set_network(v1::NETWORK_X);
    x->set_text("Flu shots Saturday! #FluFree");
    c.set_spoke(spoke);
    c.set_campaign(campaign);
    c.set_pillar(pillar);
    return req;
  }

  absl::StatusOr<v1::Content> CreateContent(const std::string& campaign, const std::string& pillar,
                                            const std::string& spoke = "spokes/st-marys") {
    auto resp = planner_->CreateContent(writer_, ContentRequest(campaign, pillar, spoke));
    if (!resp.ok()) return resp.status();
    return resp->content();
  }

  std::vector<v1::Post> Calendar(const std::string& campaign) {
    v1::ListCalendarRequest req;
    *req.mutable_start_time() = In(absl::ZeroDuration());
    *req.mutable_end_time() = In(absl::Hours(24 * 30));
    req.set_campaign(campaign);
    auto resp = planner_->ListCalendar(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? std::vector<v1::Post>(resp->posts().begin(), resp->posts().end())
                     : std::vector<v1::Post>{};
  }

  v1::Objective objective_;
  v1::Audience audience_;
};

TEST_F(PlannerCampaignsTest, CampaignIsCreatedReadListedAnnouncedAndAudited) {
  v1::Campaign created = MakeCampaign();
  EXPECT_EQ(created.name(), kCampaign);
  EXPECT_EQ(created.version(), 1);
  EXPECT_EQ(created.created_by(), "alice");
  EXPECT_EQ(created.spoke(), "spokes/st-marys");
  ASSERT_EQ(created.pillars_size(), 2);
  EXPECT_EQ(created.pillars(1).id(), "our-people");
  EXPECT_THAT(created.objectives(), ::testing::ElementsAre("objectives/vaccinations"));
  EXPECT_THAT(created.audiences(), ::testing::ElementsAre("audiences/parents"));

  v1::GetCampaignRequest get;
  get.set_name(kCampaign);
  auto got = planner_->GetCampaign(reviewer_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->campaign().SerializeAsString(), created.SerializeAsString());

  auto listed = planner_->ListCampaigns(reviewer_, {});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->campaigns_size(), 1);
  EXPECT_EQ(listed->campaigns(0).name(), kCampaign);

  std::vector<common::Event> events = bus_.Published("carecast.campaign.>");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, "carecast.campaign.created");
  auto payload = common::DecodeCatalogueEvent(common::events::kCampaignCreated, events[0]);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->campaign().name(), kCampaign);
  EXPECT_EQ(payload->actor(), "alice");
  EXPECT_EQ(bus_.Published("carecast.audience.created").size(), 1u);

  v1::ListAuditEntriesRequest audit;
  audit.set_resource(kCampaign);
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->entries_size(), 1);
  EXPECT_EQ(entries->entries(0).action(), "campaign.create");
  EXPECT_EQ(entries->entries(0).actor(), "alice");
}

TEST_F(PlannerCampaignsTest, AudienceIsCreatedReadAndListedBySpoke) {
  MakeAudience("everyone");
  v1::GetAudienceRequest get;
  get.set_name("audiences/parents");
  auto got = planner_->GetAudience(writer_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->audience().spoke(), "spokes/st-marys");
  EXPECT_THAT(got->audience().locations(),
              ::testing::ElementsAre("North county", "Riverside district"));
  EXPECT_EQ(got->audience().networks_size(), 2);
  EXPECT_EQ(got->audience().created_by(), "alice");

  // Riverside sees the system-wide audience, not st-marys'.
  v1::ListAudiencesRequest list;
  list.set_spoke("spokes/riverside");
  auto riverside = planner_->ListAudiences(writer_, list);
  ASSERT_TRUE(riverside.ok()) << riverside.status();
  ASSERT_EQ(riverside->audiences_size(), 1);
  EXPECT_EQ(riverside->audiences(0).name(), "audiences/everyone");
  list.set_spoke("spokes/st-marys");
  auto st_marys = planner_->ListAudiences(writer_, list);
  ASSERT_TRUE(st_marys.ok()) << st_marys.status();
  EXPECT_EQ(st_marys->audiences_size(), 2);

  get.set_name("audiences/nobody");
  EXPECT_EQ(planner_->GetAudience(writer_, get).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PlannerCampaignsTest, ListCampaignsFiltersBySpokeAndActiveTime) {
  MakeCampaign("flu-2027", "spokes/st-marys");
  MakeCampaign("hub-wide", "");
  v1::CreateCampaignRequest later = CampaignRequest("spring", "spokes/riverside");
  later.mutable_campaign()->clear_audiences();  // st-marys' audience does not fit riverside
  *later.mutable_campaign()->mutable_start_time() = In(absl::Hours(24 * 100));
  *later.mutable_campaign()->mutable_end_time() = In(absl::Hours(24 * 130));
  ASSERT_TRUE(planner_->CreateCampaign(strategist_, later).ok());

  auto names = [&](const v1::ListCampaignsRequest& req) {
    std::vector<std::string> out;
    auto resp = planner_->ListCampaigns(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    if (resp.ok())
      for (const auto& c : resp->campaigns()) out.push_back(c.name());
    return out;
  };
  v1::ListCampaignsRequest req;
  req.set_spoke("spokes/riverside");
  EXPECT_THAT(names(req), ::testing::ElementsAre("campaigns/hub-wide", "campaigns/spring"));
  *req.mutable_active_at() = In(absl::Hours(1));
  EXPECT_THAT(names(req), ::testing::ElementsAre("campaigns/hub-wide"));
  req.clear_spoke();
  EXPECT_THAT(names(req), ::testing::ElementsAre("campaigns/flu-2027", "campaigns/hub-wide"));

  // Pages of one campaign each walk the filtered list, and a token belongs to its filter.
  req.set_page_size(1);
  auto first = planner_->ListCampaigns(writer_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->campaigns_size(), 1);
  ASSERT_FALSE(first->next_page_token().empty());
  v1::ListCampaignsRequest other = req;
  other.set_spoke("spokes/st-marys");
  other.set_page_token(first->next_page_token());
  EXPECT_EQ(planner_->ListCampaigns(writer_, other).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.set_page_token(first->next_page_token());
  auto second = planner_->ListCampaigns(writer_, req);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->campaigns_size(), 1);
  EXPECT_EQ(second->campaigns(0).name(), "campaigns/hub-wide");
}

TEST_F(PlannerCampaignsTest, BadCampaignsAreRefusedWithTheReasonAndChangeNothing) {
  // An objective scoped to another campaign, and one of another spoke.
  MakeCampaign("other", "");
  MakeObjective("scoped-elsewhere", "campaigns/other");
  MakeObjective("riverside-goal", "", "spokes/riverside");
  struct Case {
    std::string what;
    std::function<void(v1::CreateCampaignRequest&)> edit;
    absl::StatusCode code;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"unknown objective",
       [](auto& r) { r.mutable_campaign()->add_objectives("objectives/nope"); },
       absl::StatusCode::kFailedPrecondition, "objectives/nope, which does not exist"},
      {"unknown audience", [](auto& r) { r.mutable_campaign()->add_audiences("audiences/nope"); },
       absl::StatusCode::kFailedPrecondition, "audiences/nope, which does not exist"},
      {"unknown spoke", [](auto& r) { r.mutable_campaign()->set_spoke("spokes/nope"); },
       absl::StatusCode::kFailedPrecondition, "spokes/nope"},
      {"malformed objective", [](auto& r) { r.mutable_campaign()->add_objectives("vaccinations"); },
       absl::StatusCode::kInvalidArgument, "campaign.objectives[1]"},
      {"objective named twice",
       [](auto& r) { r.mutable_campaign()->add_objectives("objectives/vaccinations"); },
       absl::StatusCode::kInvalidArgument, "twice"},
      {"objective of another campaign",
       [](auto& r) { r.mutable_campaign()->add_objectives("objectives/scoped-elsewhere"); },
       absl::StatusCode::kFailedPrecondition, "scoped to campaigns/other"},
      {"objective of another spoke",
       [](auto& r) { r.mutable_campaign()->add_objectives("objectives/riverside-goal"); },
       absl::StatusCode::kFailedPrecondition, "belongs to spokes/riverside"},
      {"audience of another spoke",
       [](auto& r) { r.mutable_campaign()->set_spoke("spokes/riverside"); },
       absl::StatusCode::kFailedPrecondition, "audiences/parents belongs to spokes/st-marys"},
      {"end before start",
       [this](auto& r) { *r.mutable_campaign()->mutable_end_time() = In(absl::Hours(-48)); },
       absl::StatusCode::kInvalidArgument, "start_time must be before end_time"},
      {"no end", [](auto& r) { r.mutable_campaign()->clear_end_time(); },
       absl::StatusCode::kInvalidArgument, "campaign.end_time"},
      {"longer than five years",
       [this](auto& r) {
         *r.mutable_campaign()->mutable_end_time() = In(absl::Hours(24 * 365 * 6));
       },
       absl::StatusCode::kInvalidArgument, "5 years"},
      {"duplicate pillar ids",
       [](auto& r) { r.mutable_campaign()->mutable_pillars(1)->set_id("prevention"); },
       absl::StatusCode::kInvalidArgument, "'prevention' is used by another pillar"},
      {"bad pillar id",
       [](auto& r) { r.mutable_campaign()->mutable_pillars(0)->set_id("Prevention!"); },
       absl::StatusCode::kInvalidArgument, "campaign.pillars[0].id"},
      {"pillar without a name",
       [](auto& r) { r.mutable_campaign()->mutable_pillars(0)->clear_display_name(); },
       absl::StatusCode::kInvalidArgument, "campaign.pillars[0].display_name"},
      {"too many pillars",
       [](auto& r) {
         for (int i = 0; i < 11; ++i) {
           v1::ContentPillar* p = r.mutable_campaign()->add_pillars();
           p->set_id("p" + std::to_string(i));
           p->set_display_name("Pillar");
         }
       },
       absl::StatusCode::kInvalidArgument, "1 to 12 content pillars"},
      {"no pillars", [](auto& r) { r.mutable_campaign()->clear_pillars(); },
       absl::StatusCode::kInvalidArgument, "1 to 12 content pillars"},
      {"network twice", [](auto& r) { r.mutable_campaign()->add_networks(v1::NETWORK_X); },
       absl::StatusCode::kInvalidArgument, "NETWORK_X twice"},
      {"unknown network", [](auto& r) { r.mutable_campaign()->add_networks(v1::Network(99)); },
       absl::StatusCode::kInvalidArgument, "known networks"},
      {"no display name", [](auto& r) { r.mutable_campaign()->clear_display_name(); },
       absl::StatusCode::kInvalidArgument, "campaign.display_name"},
      {"taken id", [](auto& r) { r.set_campaign_id("other"); }, absl::StatusCode::kAlreadyExists,
       "campaigns/other already exists"},
  };
  for (const Case& c : cases) {
    v1::CreateCampaignRequest req = CampaignRequest();
    c.edit(req);
    Snapshot before = Take();
    auto resp = planner_->CreateCampaign(strategist_, req);
    EXPECT_EQ(resp.status().code(), c.code) << c.what << ": " << resp.status();
    EXPECT_THAT(std::string(resp.status().message()), HasSubstr(c.reason)) << c.what;
    ExpectUnchanged(before, c.what);
  }
}

TEST_F(PlannerCampaignsTest, BadAudiencesAreRefusedAndChangeNothing) {
  struct Case {
    std::string what;
    std::function<void(v1::CreateAudienceRequest&)> edit;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"no display name", [](auto& r) { r.mutable_audience()->clear_display_name(); },
       absl::StatusCode::kInvalidArgument},
      {"location twice", [](auto& r) { r.mutable_audience()->add_locations("North county"); },
       absl::StatusCode::kInvalidArgument},
      {"empty location", [](auto& r) { r.mutable_audience()->add_locations(""); },
       absl::StatusCode::kInvalidArgument},
      {"too many locations",
       [](auto& r) {
         for (int i = 0; i < 19; ++i)
           r.mutable_audience()->add_locations("Town " + std::to_string(i));
       },
       absl::StatusCode::kInvalidArgument},
      {"network twice", [](auto& r) { r.mutable_audience()->add_networks(v1::NETWORK_FACEBOOK); },
       absl::StatusCode::kInvalidArgument},
      {"unknown spoke", [](auto& r) { r.mutable_audience()->set_spoke("spokes/nope"); },
       absl::StatusCode::kFailedPrecondition},
      {"malformed spoke", [](auto& r) { r.mutable_audience()->set_spoke("st-marys"); },
       absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    v1::CreateAudienceRequest req = AudienceRequest("new-audience", "");
    c.edit(req);
    Snapshot before = Take();
    EXPECT_EQ(planner_->CreateAudience(strategist_, req).status().code(), c.code) << c.what;
    ExpectUnchanged(before, c.what);
  }
}

TEST_F(PlannerCampaignsTest, ARetriedCreateWithTheSameRequestIdActsOnce) {
  v1::CreateCampaignRequest req = CampaignRequest();
  req.clear_campaign_id();  // the id is derived from the request_id
  req.set_request_id("create-flu-1");
  auto first = planner_->CreateCampaign(strategist_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  const size_t events = bus_.Published("carecast.campaign.>").size();
  auto again = planner_->CreateCampaign(strategist_, req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->campaign().name(), first->campaign().name());
  EXPECT_EQ(bus_.Published("carecast.campaign.>").size(), events);
  auto listed = planner_->ListCampaigns(strategist_, {});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->campaigns_size(), 1);

  v1::CreateAudienceRequest audience = AudienceRequest("", "");
  audience.set_request_id("create-audience-1");
  auto a1 = planner_->CreateAudience(strategist_, audience);
  auto a2 = planner_->CreateAudience(strategist_, audience);
  ASSERT_TRUE(a1.ok() && a2.ok());
  EXPECT_EQ(a1->audience().name(), a2->audience().name());
  EXPECT_EQ(bus_.Published("carecast.audience.created").size(), 2u);  // parents + this one
}

TEST_F(PlannerCampaignsTest, UpdateAddsPillarsAndObjectivesAtTheReadVersion) {
  v1::Campaign campaign = MakeCampaign();
  MakeObjective("reach", kCampaign);
  v1::UpdateCampaignRequest req;
  *req.mutable_campaign() = campaign;
  req.mutable_campaign()->add_objectives("objectives/reach");
  v1::ContentPillar* pillar = req.mutable_campaign()->add_pillars();
  pillar->set_id("myths");
  pillar->set_display_name("Myth busting");
  req.mutable_campaign()->mutable_pillars(0)->set_display_name("Prevention first");
  req.set_expected_version(1);
  auto updated = planner_->UpdateCampaign(strategist_, req);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->campaign().version(), 2);
  EXPECT_EQ(updated->campaign().pillars_size(), 3);
  EXPECT_EQ(updated->campaign().pillars(0).display_name(), "Prevention first");
  EXPECT_EQ(updated->campaign().objectives_size(), 2);
  EXPECT_EQ(updated->campaign().create_time().seconds(), campaign.create_time().seconds());
  EXPECT_EQ(bus_.Published("carecast.campaign.updated").size(), 1u);

  struct Case {
    std::string what;
    std::function<void(v1::UpdateCampaignRequest&)> edit;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"stale version", [](auto& r) { r.set_expected_version(1); }, absl::StatusCode::kAborted},
      {"no version", [](auto& r) { r.set_expected_version(0); },
       absl::StatusCode::kInvalidArgument},
      {"a pillar dropped", [](auto& r) { r.mutable_campaign()->mutable_pillars()->RemoveLast(); },
       absl::StatusCode::kFailedPrecondition},
      {"another spoke", [](auto& r) { r.mutable_campaign()->set_spoke("spokes/riverside"); },
       absl::StatusCode::kInvalidArgument},
      {"unknown audience", [](auto& r) { r.mutable_campaign()->add_audiences("audiences/nope"); },
       absl::StatusCode::kFailedPrecondition},
      {"end before start",
       [this](auto& r) { *r.mutable_campaign()->mutable_end_time() = In(absl::Hours(-48)); },
       absl::StatusCode::kInvalidArgument},
      {"unknown campaign", [](auto& r) { r.mutable_campaign()->set_name("campaigns/nope"); },
       absl::StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    v1::UpdateCampaignRequest bad;
    *bad.mutable_campaign() = updated->campaign();
    bad.set_expected_version(2);
    c.edit(bad);
    Snapshot before = Take();
    EXPECT_EQ(planner_->UpdateCampaign(strategist_, bad).status().code(), c.code) << c.what;
    ExpectUnchanged(before, c.what);
  }
}

TEST_F(PlannerCampaignsTest, ContentJoinsACampaignUnderOneOfItsPillars) {
  MakeCampaign();
  auto content = CreateContent(kCampaign, "prevention");
  ASSERT_TRUE(content.ok()) << content.status();
  EXPECT_EQ(content->campaign(), kCampaign);
  EXPECT_EQ(content->pillar(), "prevention");

  // An edit may move it to another pillar of the campaign.
  v1::UpdateContentRequest update;
  *update.mutable_content() = *content;
  update.mutable_content()->set_pillar("our-people");
  update.set_expected_version(content->version());
  auto moved = planner_->UpdateContent(writer_, update);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->content().pillar(), "our-people");
  EXPECT_EQ(moved->content().campaign(), kCampaign);
}

TEST_F(PlannerCampaignsTest, ContentThatDoesNotFitItsCampaignIsRefusedAndChangesNothing) {
  MakeCampaign();
  struct Case {
    std::string what;
    std::string campaign;
    std::string pillar;
    std::string spoke;
    absl::StatusCode code;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"pillar not in the campaign", kCampaign, "recipes", "spokes/st-marys",
       absl::StatusCode::kFailedPrecondition, "'recipes' is not a pillar of campaigns/flu-2027"},
      {"content of another spoke", kCampaign, "prevention", "spokes/riverside",
       absl::StatusCode::kFailedPrecondition, "belongs to spokes/st-marys"},
      {"system-wide content in a spoke's campaign", kCampaign, "prevention", "",
       absl::StatusCode::kFailedPrecondition, "belongs to spokes/st-marys"},
      {"unknown campaign", "campaigns/nope", "prevention", "spokes/st-marys",
       absl::StatusCode::kFailedPrecondition, "campaigns/nope, which does not exist"},
      {"malformed campaign", "flu-2027", "prevention", "spokes/st-marys",
       absl::StatusCode::kInvalidArgument, "content.campaign"},
      {"campaign without pillar", kCampaign, "", "spokes/st-marys",
       absl::StatusCode::kInvalidArgument, "content.pillar is required"},
      {"pillar without campaign", "", "prevention", "spokes/st-marys",
       absl::StatusCode::kInvalidArgument, "without a content.campaign"},
  };
  for (const Case& c : cases) {
    Snapshot before = Take();
    auto resp = planner_->CreateContent(writer_, ContentRequest(c.campaign, c.pillar, c.spoke));
    EXPECT_EQ(resp.status().code(), c.code) << c.what << ": " << resp.status();
    EXPECT_THAT(std::string(resp.status().message()), HasSubstr(c.reason)) << c.what;
    ExpectUnchanged(before, c.what);
  }

  // The same checks on an edit.
  auto content = CreateContent(kCampaign, "prevention");
  ASSERT_TRUE(content.ok()) << content.status();
  v1::UpdateContentRequest update;
  *update.mutable_content() = *content;
  update.mutable_content()->set_pillar("recipes");
  update.set_expected_version(content->version());
  Snapshot before = Take();
  EXPECT_EQ(planner_->UpdateContent(writer_, update).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ExpectUnchanged(before, "update to a pillar not in the campaign");
}

TEST_F(PlannerCampaignsTest, AnArchivedCampaignTakesNoNewContentButKeepsWhatItHas) {
  v1::Campaign campaign = MakeCampaign();
  auto content = CreateContent(kCampaign, "prevention");
  ASSERT_TRUE(content.ok()) << content.status();
  v1::UpdateCampaignRequest archive;
  *archive.mutable_campaign() = campaign;
  archive.mutable_campaign()->set_archived(true);
  archive.set_expected_version(1);
  ASSERT_TRUE(planner_->UpdateCampaign(strategist_, archive).ok());

  Snapshot before = Take();
  auto refused = CreateContent(kCampaign, "prevention");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("archived"));
  ExpectUnchanged(before, "content into an archived campaign");

  v1::UpdateContentRequest edit;
  *edit.mutable_content() = *content;
  edit.mutable_content()->set_text("Free flu shots this Saturday and Sunday.");
  edit.set_expected_version(content->version());
  auto edited = planner_->UpdateContent(writer_, edit);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->content().campaign(), kCampaign);

  v1::ListCampaignsRequest active;
  *active.mutable_active_at() = In(absl::Hours(1));
  auto listed = planner_->ListCampaigns(strategist_, active);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->campaigns_size(), 0);
}

TEST_F(PlannerCampaignsTest, AnObjectiveMayBeScopedToAnExistingCampaign) {
  MakeCampaign();
  v1::Objective scoped = MakeObjective("bookings", kCampaign);
  EXPECT_EQ(scoped.campaign(), kCampaign);
  v1::GetObjectiveRequest get;
  get.set_name(scoped.name());
  auto got = planner_->GetObjective(writer_, get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->objective().campaign(), kCampaign);

  for (const auto& [what, req, code] :
       std::vector<std::tuple<std::string, v1::CreateObjectiveRequest, absl::StatusCode>>{
           {"unknown campaign", ObjectiveRequest("a", "campaigns/nope"),
            absl::StatusCode::kFailedPrecondition},
           {"malformed campaign", ObjectiveRequest("b", "flu-2027"),
            absl::StatusCode::kInvalidArgument},
           {"another spoke's objective", ObjectiveRequest("c", kCampaign, "spokes/riverside"),
            absl::StatusCode::kFailedPrecondition}}) {
    Snapshot before = Take();
    EXPECT_EQ(planner_->CreateObjective(strategist_, req).status().code(), code) << what;
    ExpectUnchanged(before, what);
  }
}

TEST_F(PlannerCampaignsTest, AKpiNotValidForTheScopeIsRefusedAndChangesNothing) {
  MakeCampaign();
  const auto with = [&](const std::string& id, v1::Kpi kpi, double target,
                        const std::string& campaign) {
    v1::CreateObjectiveRequest req = ObjectiveRequest(id, campaign);
    req.mutable_objective()->set_kpi(kpi);
    req.mutable_objective()->set_target(target);
    return req;
  };
  for (const auto& [what, req] : std::vector<std::pair<std::string, v1::CreateObjectiveRequest>>{
           {"follower growth of a campaign", with("a", v1::KPI_FOLLOWER_GROWTH, 100, kCampaign)},
           {"inbox first response of a campaign",
            with("b", v1::KPI_INBOX_FIRST_RESPONSE_SECONDS, 3600, kCampaign)},
           {"inbox items closed of a campaign",
            with("c", v1::KPI_INBOX_ITEMS_CLOSED, 10, kCampaign)},
           {"positive mention share of a campaign",
            with("d", v1::KPI_POSITIVE_MENTION_RATIO, 0.5, kCampaign)},
           {"an engagement rate over 1", with("e", v1::KPI_ENGAGEMENT_RATE, 5, "")},
           {"a negative share over 1", with("f", v1::KPI_NEGATIVE_MENTION_RATIO, 20, "")}}) {
    Snapshot before = Take();
    EXPECT_EQ(planner_->CreateObjective(strategist_, req).status().code(),
              absl::StatusCode::kInvalidArgument)
        << what;
    ExpectUnchanged(before, what);
  }
  // The same KPIs where they can be measured are accepted.
  EXPECT_TRUE(
      planner_->CreateObjective(strategist_, with("g", v1::KPI_FOLLOWER_GROWTH, 100, "")).ok());
  EXPECT_TRUE(
      planner_->CreateObjective(strategist_, with("h", v1::KPI_ENGAGEMENT_RATE, 0.04, kCampaign))
          .ok());
}

TEST_F(PlannerCampaignsTest, PostsCarryTheCampaignAndTheCalendarFiltersByIt) {
  MakeCampaign();
  MakeAccount(v1::NETWORK_X, "x-main");
  auto in_campaign = CreateContent(kCampaign, "prevention");
  ASSERT_TRUE(in_campaign.ok()) << in_campaign.status();
  auto outside = CreateContent("", "");
  ASSERT_TRUE(outside.ok()) << outside.status();
  v1::Content approved_in = Approve(Submit(*in_campaign));
  v1::Content approved_out = Approve(Submit(*outside));

  auto p1 = Schedule(approved_in, "spokes/st-marys/accounts/x-main", absl::Hours(2));
  auto p2 = Schedule(approved_out, "spokes/st-marys/accounts/x-main", absl::Hours(3));
  auto p3 = Schedule(approved_in, "spokes/st-marys/accounts/x-main", absl::Hours(4));
  ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok());
  EXPECT_EQ(p1->campaign(), kCampaign);
  EXPECT_EQ(p2->campaign(), "");

  std::vector<v1::Post> posts = Calendar(kCampaign);
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].name(), p1->name());
  EXPECT_EQ(posts[1].name(), p3->name());
  EXPECT_TRUE(Calendar("campaigns/other").empty());
  EXPECT_EQ(Calendar("").size(), 3u);

  v1::ListCalendarRequest bad;
  *bad.mutable_start_time() = In(absl::ZeroDuration());
  *bad.mutable_end_time() = In(absl::Hours(24));
  bad.set_campaign("flu-2027");
  EXPECT_EQ(planner_->ListCalendar(strategist_, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PlannerCampaignsTest, QueuePlacedPostsCarryTheCampaign) {
  MakeCampaign();
  MakeAccount(v1::NETWORK_X, "x-main");
  v1::SetCadenceRequest cadence;
  cadence.mutable_cadence()->set_name("spokes/st-marys/accounts/x-main/cadence");
  v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
  slot->set_rrule("FREQ=DAILY;BYHOUR=9,15;BYMINUTE=0");
  slot->set_start_local_time("2027-01-04T09:00:00");
  ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());
  auto content = CreateContent(kCampaign, "our-people");
  ASSERT_TRUE(content.ok()) << content.status();
  v1::Content approved = Approve(Submit(*content));

  v1::AddToQueueRequest queue;
  queue.set_content(approved.name());
  queue.add_accounts("spokes/st-marys/accounts/x-main");
  auto placed = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(placed.ok()) << placed.status();
  ASSERT_EQ(placed->placements(0).code(), 0) << placed->placements(0).message();
  const v1::Post& post = placed->placements(0).post();
  EXPECT_TRUE(post.queued());
  EXPECT_EQ(post.campaign(), kCampaign);
  v1::GetPostRequest get;
  get.set_name(post.name());
  auto stored = planner_->GetPost(strategist_, get);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->post().campaign(), kCampaign);
}

// ---- Editing and deleting audiences ----

TEST_F(PlannerCampaignsTest, AnAudienceIsUpdatedAtTheReadVersionAnnouncedAndAuditedOnce) {
  EXPECT_EQ(audience_.version(), 1);
  v1::UpdateAudienceRequest req;
  *req.mutable_audience() = audience_;
  req.mutable_audience()->set_display_name("Parents of toddlers");
  req.mutable_audience()->clear_locations();
  req.mutable_audience()->add_locations("South county");
  req.mutable_audience()->add_networks(v1::NETWORK_X);
  req.set_expected_version(1);
  req.set_request_id("rename-parents");
  auto updated = planner_->UpdateAudience(strategist_, req);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->audience().version(), 2);
  EXPECT_EQ(updated->audience().display_name(), "Parents of toddlers");
  EXPECT_THAT(updated->audience().locations(), ::testing::ElementsAre("South county"));
  EXPECT_EQ(updated->audience().networks_size(), 3);
  EXPECT_EQ(updated->audience().updated_by(), "alice");
  EXPECT_EQ(updated->audience().created_by(), "alice");
  EXPECT_EQ(updated->audience().spoke(), "spokes/st-marys");

  // The retry answers the first result and writes nothing.
  const Snapshot before_retry = Take();
  auto retried = planner_->UpdateAudience(strategist_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->audience().SerializeAsString(), updated->audience().SerializeAsString());
  ExpectUnchanged(before_retry, "a retried UpdateAudience");

  // The same edit without the request_id is stale now.
  req.clear_request_id();
  const Snapshot before = Take();
  auto stale = planner_->UpdateAudience(strategist_, req);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
  EXPECT_THAT(stale.status().message(), HasSubstr("version 2"));
  ExpectUnchanged(before, "a stale UpdateAudience");

  v1::GetAudienceRequest get;
  get.set_name(audience_.name());
  auto got = planner_->GetAudience(writer_, get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->audience().display_name(), "Parents of toddlers");

  std::vector<common::Event> events = bus_.Published("carecast.audience.updated");
  ASSERT_EQ(events.size(), 1u);
  auto payload = common::DecodeCatalogueEvent(common::events::kAudienceUpdated, events[0]);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->audience().version(), 2);
  EXPECT_EQ(payload->actor(), "alice");
  v1::ListAuditEntriesRequest audit;
  audit.set_resource(audience_.name());
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->entries_size(), 2);
  EXPECT_EQ(entries->entries(1).action(), "audience.update");
}

TEST_F(PlannerCampaignsTest, BadAudienceUpdatesAreRefusedAndChangeNothing) {
  MakeAudience("everyone");
  auto update = [&](const std::function<void(v1::UpdateAudienceRequest&)>& edit) {
    v1::UpdateAudienceRequest req;
    *req.mutable_audience() = audience_;
    req.set_expected_version(1);
    edit(req);
    return req;
  };
  const std::vector<std::tuple<std::string, v1::UpdateAudienceRequest, absl::StatusCode>> cases = {
      {"no expected_version", update([](auto& r) { r.set_expected_version(0); }),
       absl::StatusCode::kInvalidArgument},
      {"no display name", update([](auto& r) { r.mutable_audience()->clear_display_name(); }),
       absl::StatusCode::kInvalidArgument},
      {"a place named twice",
       update([](auto& r) { r.mutable_audience()->add_locations("North county"); }),
       absl::StatusCode::kInvalidArgument},
      {"a network named twice",
       update([](auto& r) { r.mutable_audience()->add_networks(v1::NETWORK_FACEBOOK); }),
       absl::StatusCode::kInvalidArgument},
      {"another spoke",
       update([](auto& r) { r.mutable_audience()->set_spoke("spokes/riverside"); }),
       absl::StatusCode::kInvalidArgument},
      {"a malformed name", update([](auto& r) { r.mutable_audience()->set_name("parents"); }),
       absl::StatusCode::kInvalidArgument},
      {"an unknown audience",
       update([](auto& r) { r.mutable_audience()->set_name("audiences/nobody"); }),
       absl::StatusCode::kNotFound},
      {"a stale version", update([](auto& r) { r.set_expected_version(7); }),
       absl::StatusCode::kAborted},
  };
  for (const auto& [what, req, code] : cases) {
    const Snapshot before = Take();
    auto got = planner_->UpdateAudience(strategist_, req);
    EXPECT_EQ(got.status().code(), code) << what << ": " << got.status();
    ExpectUnchanged(before, what);
  }
  // A writer may not edit audiences at all (the role table), nor another
  // spoke's strategist this one.
  const Snapshot before = Take();
  auto foreign = planner_->UpdateAudience(
      MakeCaller("ralph", common::Role::kStrategist, {"riverside"}), update([](auto&) {}));
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound) << foreign.status();
  ExpectUnchanged(before, "another spoke's strategist");
}

TEST_F(PlannerCampaignsTest, AnAudienceNamedByACampaignIsNotDeletedAndOneNoLongerNamedIs) {
  v1::Campaign campaign = MakeCampaign();
  v1::CreateCampaignRequest archived = CampaignRequest("old-flu");
  archived.mutable_campaign()->set_archived(true);
  ASSERT_TRUE(planner_->CreateCampaign(strategist_, archived).ok());

  v1::DeleteAudienceRequest del;
  del.set_name(audience_.name());
  del.set_request_id("drop-parents");
  Snapshot before = Take();
  auto refused = planner_->DeleteAudience(strategist_, del);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("campaigns/flu-2027"));
  EXPECT_THAT(refused.status().message(), HasSubstr("campaigns/old-flu"));
  ExpectUnchanged(before, "deleting an audience two campaigns name");

  // Both campaigns let it go.
  for (const std::string& name : {std::string(kCampaign), std::string("campaigns/old-flu")}) {
    v1::GetCampaignRequest get;
    get.set_name(name);
    auto current = planner_->GetCampaign(strategist_, get);
    ASSERT_TRUE(current.ok());
    v1::UpdateCampaignRequest update;
    *update.mutable_campaign() = current->campaign();
    update.mutable_campaign()->clear_audiences();
    update.set_expected_version(current->campaign().version());
    ASSERT_TRUE(planner_->UpdateCampaign(strategist_, update).ok()) << name;
  }
  // A stale expected_version is refused.
  del.set_expected_version(5);
  del.set_request_id("drop-parents-stale");
  before = Take();
  EXPECT_EQ(planner_->DeleteAudience(strategist_, del).status().code(), absl::StatusCode::kAborted);
  ExpectUnchanged(before, "a stale DeleteAudience");

  del.set_expected_version(1);
  del.set_request_id("drop-parents-2");
  auto deleted = planner_->DeleteAudience(strategist_, del);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->audience().deleted_by(), "alice");
  EXPECT_TRUE(deleted->audience().has_delete_time());
  // Retried: the same answer, nothing written.
  before = Take();
  auto again = planner_->DeleteAudience(strategist_, del);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectUnchanged(before, "a retried DeleteAudience");

  v1::GetAudienceRequest get;
  get.set_name(audience_.name());
  EXPECT_EQ(planner_->GetAudience(writer_, get).status().code(), absl::StatusCode::kNotFound);
  auto listed = planner_->ListAudiences(writer_, {});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->audiences_size(), 0);
  del.clear_request_id();
  del.set_expected_version(0);
  EXPECT_EQ(planner_->DeleteAudience(strategist_, del).status().code(),
            absl::StatusCode::kNotFound);
  v1::UpdateAudienceRequest update;
  *update.mutable_audience() = audience_;
  update.set_expected_version(2);
  EXPECT_EQ(planner_->UpdateAudience(strategist_, update).status().code(),
            absl::StatusCode::kNotFound);
  // A campaign cannot name it any more, nor can its id be taken again.
  v1::CreateCampaignRequest naming = CampaignRequest("spring");
  EXPECT_EQ(planner_->CreateCampaign(strategist_, naming).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(planner_->CreateAudience(strategist_, AudienceRequest("parents", "spokes/st-marys"))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);

  std::vector<common::Event> events = bus_.Published("carecast.audience.deleted");
  ASSERT_EQ(events.size(), 1u);
  auto payload = common::DecodeCatalogueEvent(common::events::kAudienceDeleted, events[0]);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->audience().name(), audience_.name());
  v1::ListAuditEntriesRequest audit;
  audit.set_resource(audience_.name());
  auto entries = planner_->ListAuditEntries(reviewer_, audit);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->entries_size(), 2);
  EXPECT_EQ(entries->entries(1).action(), "audience.delete");
  (void)campaign;
}

TEST_F(PlannerCampaignsTest, BadAudienceDeletesAreRefusedAndChangeNothing) {
  const std::vector<std::tuple<std::string, std::string, absl::StatusCode>> cases = {
      {"a malformed name", "parents", absl::StatusCode::kInvalidArgument},
      {"an empty name", "", absl::StatusCode::kInvalidArgument},
      {"an unknown audience", "audiences/nobody", absl::StatusCode::kNotFound},
  };
  for (const auto& [what, name, code] : cases) {
    v1::DeleteAudienceRequest req;
    req.set_name(name);
    const Snapshot before = Take();
    EXPECT_EQ(planner_->DeleteAudience(strategist_, req).status().code(), code) << what;
    ExpectUnchanged(before, what);
  }
  v1::DeleteAudienceRequest negative;
  negative.set_name(audience_.name());
  negative.set_expected_version(-1);
  const Snapshot before = Take();
  EXPECT_EQ(planner_->DeleteAudience(strategist_, negative).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::DeleteAudienceRequest foreign;
  foreign.set_name(audience_.name());
  EXPECT_EQ(
      planner_
          ->DeleteAudience(MakeCaller("ralph", common::Role::kStrategist, {"riverside"}), foreign)
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  ExpectUnchanged(before, "a negative version and another spoke's strategist");
}

// ---- A post's network and date against its campaign ----

class PlannerCampaignFitTest : public PlannerCampaignsTest {
 protected:
  void SetUp() override {
    PlannerCampaignsTest::SetUp();
    MakeAccount(v1::NETWORK_X, "x-main");
    MakeAccount(v1::NETWORK_MASTODON, "masto");
  }

  // Approved content of the campaign with X and Mastodon variants.
  v1::Content CampaignContent() {
    v1::CreateContentRequest req = ContentRequest(kCampaign, "prevention");
    v1::ContentVariant* m = req.mutable_content()->add_variants();
    m->set_network(v1::NETWORK_MASTODON);
    m->set_text("Free flu shots this Saturday at St Mary's.");
    auto made = planner_->CreateContent(writer_, req);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? Approve(Submit(made->content())) : v1::Content();
  }

  // A campaign on X and Facebook from `start` to `end` (from now).
  void CampaignFor(absl::Duration start, absl::Duration end) {
    v1::CreateCampaignRequest req = CampaignRequest();
    *req.mutable_campaign()->mutable_start_time() = In(start);
    *req.mutable_campaign()->mutable_end_time() = In(end);
    auto made = planner_->CreateCampaign(strategist_, req);
    ASSERT_TRUE(made.ok()) << made.status();
    campaign_ = made->campaign();
  }

  void SetDailyCadence(const std::string& account) {
    v1::SetCadenceRequest cadence;
    cadence.mutable_cadence()->set_name(account + "/cadence");
    v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
    slot->set_rrule("FREQ=DAILY;BYHOUR=9;BYMINUTE=0");
    slot->set_start_local_time("2026-01-05T09:00:00");
    ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());
  }

  v1::Campaign campaign_;
  const std::string x_ = "spokes/st-marys/accounts/x-main";
  const std::string masto_ = "spokes/st-marys/accounts/masto";
};

TEST_F(PlannerCampaignFitTest, SchedulingIsRefusedOffTheCampaignsNetworksOrDates) {
  CampaignFor(absl::Hours(24), absl::Hours(24 * 10));
  v1::Content content = CampaignContent();
  ASSERT_EQ(content.state(), v1::CONTENT_STATE_APPROVED);
  struct Case {
    std::string what;
    std::string account;
    absl::Duration ahead;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"a network the campaign does not use", masto_, absl::Hours(48), "not one of the networks"},
      {"before the campaign starts", x_, absl::Hours(23), "outside campaign"},
      {"exactly at its end (exclusive)", x_, absl::Hours(24 * 10), "outside campaign"},
      {"after it ends", x_, absl::Hours(24 * 11), "outside campaign"},
  };
  for (const Case& c : cases) {
    const Snapshot before = Take();
    auto got = Schedule(content, c.account, c.ahead);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition)
        << c.what << ": " << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr(c.reason)) << c.what;
    ExpectUnchanged(before, c.what);
  }
  // The first instant and the last second are in.
  EXPECT_TRUE(Schedule(content, x_, absl::Hours(24)).ok());
  EXPECT_TRUE(Schedule(content, x_, absl::Hours(24 * 10) - absl::Seconds(1)).ok());

  // The batch import applies the same rule entry by entry.
  v1::BatchSchedulePostsRequest batch;
  *batch.add_requests() = ScheduleRequest(content, x_, absl::Hours(48));
  *batch.add_requests() = ScheduleRequest(content, x_, absl::Hours(24 * 12));
  *batch.add_requests() = ScheduleRequest(content, masto_, absl::Hours(48));
  auto imported = planner_->BatchSchedulePosts(publisher_, batch);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->results(0).code(), 0) << imported->results(0).message();
  EXPECT_EQ(imported->results(1).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(imported->results(1).message(), HasSubstr("outside campaign"));
  EXPECT_EQ(imported->results(2).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(imported->results(2).message(), HasSubstr("not one of the networks"));

  // Content outside any campaign is not bound.
  auto free_content = CreateContent("", "");
  ASSERT_TRUE(free_content.ok());
  EXPECT_TRUE(Schedule(Approve(Submit(*free_content)), x_, absl::Hours(24 * 30)).ok());
}

TEST_F(PlannerCampaignFitTest, TheQueueSkipsSlotsBeforeTheCampaignAndRefusesAfterIt) {
  // Starts in three days and a half: the daily 09:00 slots of the first three
  // days are skipped, not refused.
  CampaignFor(absl::Hours(84), absl::Hours(24 * 5));
  SetDailyCadence(x_);
  SetDailyCadence(masto_);
  v1::Content content = CampaignContent();
  v1::AddToQueueRequest queue;
  queue.set_content(content.name());
  queue.add_accounts(x_);
  queue.add_accounts(masto_);
  auto placed = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(placed.ok()) << placed.status();
  ASSERT_EQ(placed->placements(0).code(), 0) << placed->placements(0).message();
  const absl::Time slot = FromProto(placed->placements(0).post().publish_time());
  EXPECT_GE(slot, FromProto(campaign_.start_time()));
  EXPECT_LT(slot - FromProto(campaign_.start_time()), absl::Hours(24));
  EXPECT_LT(slot, FromProto(campaign_.end_time()));
  // Mastodon is not one of the campaign's networks.
  EXPECT_EQ(placed->placements(1).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(placed->placements(1).message(), HasSubstr("not one of the networks"));

  // The campaign's slots run out (one a day, its last day ends it): the queue
  // says so rather than place a post after the campaign.
  queue.clear_accounts();
  queue.add_accounts(x_);
  int placed_count = 1;
  for (int i = 0; i < 4; ++i) {
    auto more = planner_->AddToQueue(publisher_, queue);
    ASSERT_TRUE(more.ok()) << more.status();
    if (more->placements(0).code() == 0) {
      ++placed_count;
      EXPECT_LT(FromProto(more->placements(0).post().publish_time()),
                FromProto(campaign_.end_time()));
      continue;
    }
    EXPECT_EQ(more->placements(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(more->placements(0).message(), HasSubstr("campaign"));
  }
  EXPECT_LE(placed_count, 2);
}

TEST_F(PlannerCampaignFitTest, AnEndedCampaignGivesTheQueueNothing) {
  CampaignFor(absl::Hours(-48), absl::Minutes(30));
  SetDailyCadence(x_);
  v1::Content content = CampaignContent();
  v1::AddToQueueRequest queue;
  queue.set_content(content.name());
  queue.add_accounts(x_);
  clock_.Advance(absl::Hours(1));  // the campaign has ended
  const Snapshot before = Take();
  auto placed = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->placements(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(placed->placements(0).message(), HasSubstr("campaign"));
  ExpectUnchanged(before, "queueing after the campaign ended");
}

TEST_F(PlannerCampaignFitTest, NarrowingACampaignListsItsPostsOutsideAndCancelsThemWhenAsked) {
  CampaignFor(absl::Hours(-1), absl::Hours(24 * 30));
  v1::Content content = CampaignContent();
  auto early = Schedule(content, x_, absl::Hours(24 * 2), "early");
  auto late = Schedule(content, x_, absl::Hours(24 * 20), "late");
  ASSERT_TRUE(early.ok() && late.ok());

  // Shortened to ten days: the late post is listed, and stays.
  v1::UpdateCampaignRequest update;
  *update.mutable_campaign() = campaign_;
  *update.mutable_campaign()->mutable_end_time() = In(absl::Hours(24 * 10));
  update.set_expected_version(1);
  auto shortened = planner_->UpdateCampaign(strategist_, update);
  ASSERT_TRUE(shortened.ok()) << shortened.status();
  EXPECT_THAT(shortened->posts_outside(), ::testing::ElementsAre("posts/late"));
  EXPECT_TRUE(shortened->cancelled_posts().empty());
  v1::GetPostRequest get;
  get.set_name("posts/late");
  EXPECT_EQ(planner_->GetPost(strategist_, get)->post().state(), v1::POST_STATE_SCHEDULED);
  EXPECT_TRUE(bus_.Published("carecast.post.cancelled").empty());

  // X dropped, and asked to cancel: both posts go.
  *update.mutable_campaign() = shortened->campaign();
  update.mutable_campaign()->clear_networks();
  update.mutable_campaign()->add_networks(v1::NETWORK_FACEBOOK);
  update.set_expected_version(2);
  update.set_cancel_posts_outside(true);
  auto narrowed = planner_->UpdateCampaign(strategist_, update);
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_THAT(narrowed->cancelled_posts(), ::testing::ElementsAre("posts/early", "posts/late"));
  EXPECT_TRUE(narrowed->posts_outside().empty());
  for (const char* name : {"posts/early", "posts/late"}) {
    get.set_name(name);
    EXPECT_EQ(planner_->GetPost(strategist_, get)->post().state(), v1::POST_STATE_CANCELLED)
        << name;
  }
  EXPECT_EQ(bus_.Published("carecast.post.cancelled").size(), 2u);

  // A refused update lists and cancels nothing.
  const Snapshot before = Take();
  update.set_expected_version(1);
  EXPECT_EQ(planner_->UpdateCampaign(strategist_, update).status().code(),
            absl::StatusCode::kAborted);
  ExpectUnchanged(before, "a stale UpdateCampaign");
}

TEST_F(PlannerCampaignFitTest, AReschedulingAfterALateApprovalStaysInsideTheCampaign) {
  CampaignFor(absl::Hours(-1), absl::Hours(24 * 3));
  v1::CreateContentRequest req = ContentRequest(kCampaign, "prevention");
  auto made = planner_->CreateContent(writer_, req);
  ASSERT_TRUE(made.ok()) << made.status();
  v1::Content in_review = Submit(made->content());
  auto waiting = Schedule(in_review, x_, absl::Hours(2), "waiting");
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  clock_.Advance(absl::Hours(3));
  Approve(in_review);
  v1::GetPostRequest get;
  get.set_name("posts/waiting");
  ASSERT_EQ(planner_->GetPost(strategist_, get)->post().state(), v1::POST_STATE_NEEDS_RESCHEDULE);

  v1::ReschedulePostRequest late;
  late.set_name("posts/waiting");
  *late.mutable_publish_time() = In(absl::Hours(24 * 4));  // after the campaign ends
  const Snapshot before = Take();
  auto refused = planner_->ReschedulePost(publisher_, late);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("outside campaign"));
  ExpectUnchanged(before, "rescheduling after the campaign");
  *late.mutable_publish_time() = In(absl::Hours(24));
  auto moved = planner_->ReschedulePost(publisher_, late);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->post().state(), v1::POST_STATE_SCHEDULED);
}

TEST_F(PlannerCampaignFitTest, ReorderingAndShufflingKeepCampaignPostsInsideTheirCampaign) {
  CampaignFor(absl::Hours(-1), absl::Hours(24 * 30));
  SetDailyCadence(x_);
  v1::Content in_campaign = CampaignContent();
  auto free_content = CreateContent("", "");
  ASSERT_TRUE(free_content.ok());
  v1::Content free_approved = Approve(Submit(*free_content));
  auto queue = [&](const v1::Content& c) {
    v1::AddToQueueRequest req;
    req.set_content(c.name());
    req.add_accounts(x_);
    auto placed = planner_->AddToQueue(publisher_, req);
    EXPECT_TRUE(placed.ok() && placed->placements(0).code() == 0);
    return placed.ok() ? placed->placements(0).post() : v1::Post();
  };
  const v1::Post a = queue(in_campaign);    // the first daily slot
  const v1::Post b = queue(free_approved);  // the next day's
  ASSERT_LT(FromProto(a.publish_time()), FromProto(b.publish_time()));
  // The campaign now ends an hour after its post's slot.
  v1::UpdateCampaignRequest narrow;
  *narrow.mutable_campaign() = campaign_;
  *narrow.mutable_campaign()->mutable_end_time() =
      ToTs(FromProto(a.publish_time()) + absl::Hours(1));
  narrow.set_expected_version(1);
  auto narrowed = planner_->UpdateCampaign(strategist_, narrow);
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_TRUE(narrowed->posts_outside().empty());

  v1::ReorderQueueRequest swap;
  swap.set_account(x_);
  swap.add_posts(b.name());
  swap.add_posts(a.name());
  const Snapshot before = Take();
  auto refused = planner_->ReorderQueue(strategist_, swap);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr(a.name()));
  EXPECT_THAT(refused.status().message(), HasSubstr("outside campaign"));
  ExpectUnchanged(before, "a reorder that moves a post past its campaign");

  // A shuffle only draws orders that fit: the campaign post keeps its slot.
  for (int i = 0; i < 5; ++i) {
    v1::ShuffleQueueRequest shuffle;
    shuffle.set_account(x_);
    shuffle.set_request_id(absl::StrCat("shuffle-", i));
    auto shuffled = planner_->ShuffleQueue(strategist_, shuffle);
    ASSERT_TRUE(shuffled.ok()) << shuffled.status();
    v1::GetPostRequest get;
    get.set_name(a.name());
    EXPECT_EQ(FromProto(planner_->GetPost(strategist_, get)->post().publish_time()),
              FromProto(a.publish_time()));
  }
}

}  // namespace
}  // namespace carecast::planner
