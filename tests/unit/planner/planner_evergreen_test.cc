// The evergreen library: approved items recycled into empty cadence slots,
// anchored to the actual publication of the previous recurrence, within their
// cooldown, repeats, seasons and medical-review expiry; a publisher outage
// never piles up recurrences; bad items change nothing.
#include <map>
#include <set>

#include "absl/time/civil_time.h"

#include "services/planner/evergreen_rules.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;

constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";

absl::Time Chicago(int y, int m, int d, int hh, int mm = 0) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/Chicago", &zone));
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), zone);
}

class PlannerEvergreenTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    clock_.Set(Chicago(2027, 10, 4, 6));  // a Monday in flu season
    MakeSpoke();
    MakeAccount(v1::NETWORK_X, "x-main");
    v1::SetCadenceRequest cadence;
    cadence.mutable_cadence()->set_name(std::string(kAccount) + "/cadence");
    v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
    slot->set_rrule("FREQ=DAILY;BYHOUR=9,13,17;BYMINUTE=0");
    slot->set_start_local_time("2027-01-04T09:00:00");
    ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());
  }

  v1::EvergreenItem ItemFor(const v1::Content& content, absl::Duration cooldown = absl::Hours(48),
                            int max_repeats = 10) {
    v1::EvergreenItem item;
    item.set_content(content.name());
    item.add_accounts(kAccount);
    item.mutable_cooldown()->set_seconds(absl::ToInt64Seconds(cooldown));
    item.set_max_repeats(max_repeats);
    *item.mutable_review_expire_time() = ToTs(clock_.Now() + absl::Hours(24 * 180));
    item.set_on_review_expiry(v1::REVIEW_EXPIRY_ACTION_REVIEW);
    return item;
  }

  absl::StatusOr<v1::EvergreenItem> Create(const v1::EvergreenItem& item) {
    v1::CreateEvergreenItemRequest req;
    *req.mutable_item() = item;
    auto resp = planner_->CreateEvergreenItem(strategist_, req);
    if (!resp.ok()) return resp.status();
    return resp->item();
  }

  std::vector<v1::Post> Recycle() {
    auto resp = planner_->RecycleEvergreen(publisher_, v1::RecycleEvergreenRequest());
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? std::vector<v1::Post>(resp->posts().begin(), resp->posts().end())
                     : std::vector<v1::Post>{};
  }

  v1::EvergreenItem Get(const std::string& name) {
    v1::GetEvergreenItemRequest req;
    req.set_name(name);
    auto resp = planner_->GetEvergreenItem(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->item() : v1::EvergreenItem();
  }
};

TEST_F(PlannerEvergreenTest, EmptySlotsAreFilledAroundQueuedPostsOneRecurrencePerItem) {
  // A queued post holds Monday 09:00; three items fill the next empty slots,
  // one recurrence each (their cooldown keeps them from taking a second).
  v1::AddToQueueRequest queue;
  queue.set_content(ApprovedContent("Our new cardiology wing opens today.").name());
  queue.add_accounts(kAccount);
  auto queued = planner_->AddToQueue(publisher_, queue);
  ASSERT_TRUE(queued.ok() && queued->placements(0).code() == 0);
  std::vector<std::string> names;
  for (const char* text : {"Wash your hands.", "Get your flu shot.", "Know stroke signs: FAST."}) {
    auto item = Create(ItemFor(ApprovedContent(text)));
    ASSERT_TRUE(item.ok()) << item.status();
    names.push_back(item->name());
  }
  // The pass fills the next 24 hours: 13:00 and 17:00 today.
  std::vector<v1::Post> made = Recycle();
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(FromProto(made[0].publish_time()), Chicago(2027, 10, 4, 13));
  EXPECT_EQ(FromProto(made[1].publish_time()), Chicago(2027, 10, 4, 17));
  // Four hours later tomorrow's 09:00 is within reach, for the third item.
  clock_.Advance(absl::Hours(4));
  std::vector<v1::Post> later = Recycle();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(FromProto(later[0].publish_time()), Chicago(2027, 10, 5, 9));
  made.push_back(later[0]);
  std::set<std::string> items;
  for (const v1::Post& p : made) {
    items.insert(p.evergreen_item());
    EXPECT_TRUE(p.queued());
    EXPECT_EQ(p.state(), v1::POST_STATE_SCHEDULED);
    EXPECT_EQ(absl::Seconds(p.late_tolerance().seconds()), absl::Minutes(30));
  }
  EXPECT_EQ(items.size(), 3u) << "each item once";
  EXPECT_TRUE(Recycle().empty()) << "a second pass makes nothing while recurrences are pending";
}

TEST_F(PlannerEvergreenTest, TheCooldownCountsFromTheActualPublication) {
  auto item = Create(ItemFor(ApprovedContent("Get your flu shot."), absl::Hours(48)));
  ASSERT_TRUE(item.ok()) << item.status();
  std::vector<v1::Post> first = Recycle();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(FromProto(first[0].publish_time()), Chicago(2027, 10, 4, 9));
  // It went out 40 minutes late (a retry); the cooldown starts then.
  clock_.Set(Chicago(2027, 10, 4, 10));
  MarkPublished(first[0].name(), Chicago(2027, 10, 4, 9, 40));
  clock_.Set(Chicago(2027, 10, 5, 14));
  std::vector<v1::Post> second = Recycle();
  ASSERT_EQ(second.size(), 1u);
  // 09:40 + 48 h = Wednesday 09:40, so Wednesday 13:00, not 09:00.
  EXPECT_EQ(FromProto(second[0].publish_time()), Chicago(2027, 10, 6, 13));
  v1::EvergreenItem now = Get(item->name());
  EXPECT_EQ(now.account_states().at(kAccount).repeats(), 1);
  EXPECT_EQ(FromProto(now.account_states().at(kAccount).last_publish_time()),
            Chicago(2027, 10, 4, 9, 40));
}

TEST_F(PlannerEvergreenTest, AnItemStopsAtItsMaximumRepeats) {
  auto item = Create(ItemFor(ApprovedContent("Get your flu shot."), absl::Hours(1), 2));
  ASSERT_TRUE(item.ok());
  for (int i = 0; i < 2; ++i) {
    std::vector<v1::Post> made = Recycle();
    ASSERT_EQ(made.size(), 1u) << "round " << i;
    clock_.Set(FromProto(made[0].publish_time()) + absl::Minutes(1));
    MarkPublished(made[0].name(), clock_.Now());
  }
  EXPECT_TRUE(Recycle().empty());
  EXPECT_EQ(Get(item->name()).account_states().at(kAccount).repeats(), 2);
}

TEST_F(PlannerEvergreenTest, SeasonsAreReadInTheAccountsTimeZone) {
  // Flu season from November: nothing in October...
  v1::EvergreenItem flu = ItemFor(ApprovedContent("Flu season is here."));
  v1::SeasonalWindow* season = flu.add_seasons();
  season->set_start_month(11);
  season->set_start_day(1);
  season->set_end_month(3);
  season->set_end_day(31);
  ASSERT_TRUE(Create(flu).ok());
  EXPECT_TRUE(Recycle().empty());
  // ...and from 09:00 Chicago on 1 November, though it is already November in
  // UTC the evening before.
  clock_.Set(Chicago(2027, 10, 31, 20));
  std::vector<v1::Post> made = Recycle();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(FromProto(made[0].publish_time()), Chicago(2027, 11, 1, 9));
}

TEST_F(PlannerEvergreenTest, AnExpiredMedicalReviewStopsRecyclingUntilRenewed) {
  v1::EvergreenItem item = ItemFor(ApprovedContent("Know stroke signs."));
  *item.mutable_review_expire_time() = ToTs(Chicago(2027, 10, 4, 12));
  auto created = Create(item);
  ASSERT_TRUE(created.ok()) << created.status();
  // The 09:00 slot is before the expiry: that one recurrence is allowed.
  std::vector<v1::Post> made = Recycle();
  ASSERT_EQ(made.size(), 1u);
  clock_.Set(Chicago(2027, 10, 4, 9, 5));
  MarkPublished(made[0].name(), clock_.Now());
  clock_.Set(Chicago(2027, 10, 6, 12));
  EXPECT_TRUE(Recycle().empty());
  EXPECT_EQ(Get(created->name()).state(), v1::EVERGREEN_STATE_REVIEW_DUE);
  EXPECT_EQ(bus_.Published(std::string(common::subjects::kEvergreenReviewDue)).size(), 1u)
      << ::testing::PrintToString(Subjects());

  v1::RenewEvergreenReviewRequest renew;
  renew.set_name(created->name());
  *renew.mutable_review_expire_time() = ToTs(clock_.Now() + absl::Hours(24 * 365));
  ASSERT_TRUE(planner_->RenewEvergreenReview(reviewer_, renew).ok());
  EXPECT_EQ(Recycle().size(), 1u);
}

TEST_F(PlannerEvergreenTest, AThreeDayPublisherOutageLeavesAtMostOneRecurrencePerItem) {
  // 20 items with an hour's cooldown; the pass runs every five minutes through
  // a three-day outage in which nothing is published.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        Create(ItemFor(ApprovedContent("Tip number " + std::to_string(i)), absl::Hours(1))).ok());
  }
  std::map<std::string, int> per_item;
  const absl::Time end = clock_.Now() + absl::Hours(72);
  int made = 0;
  while (clock_.Now() < end) {
    for (const v1::Post& p : Recycle()) {
      ++per_item[p.evergreen_item()];
      ++made;
    }
    clock_.Advance(absl::Minutes(5));
  }
  // One recurrence per slot up to a day past the outage (3 a day for 4 days),
  // each by a different item and still pending (never published): no item
  // makes a second while its first waits, so nothing piles up to fire when the
  // publishers return, and each waiting post is refused as late by then.
  EXPECT_EQ(made, 12);
  for (const auto& [item, count] : per_item) EXPECT_EQ(count, 1) << item;
}

TEST_F(PlannerEvergreenTest, BadItemsAreRefusedAndChangeNothing) {
  v1::Content approved = ApprovedContent("Get your flu shot.");
  v1::Content draft = DraftContent("Not reviewed yet.");
  MakeAccount(v1::NETWORK_FACEBOOK, "no-cadence");
  struct Case {
    std::string what;
    v1::EvergreenItem item;
    absl::StatusCode code;
    std::string says;
  };
  std::vector<Case> cases;
  cases.push_back({"a cooldown of zero", ItemFor(approved, absl::ZeroDuration()),
                   absl::StatusCode::kInvalidArgument, "item.cooldown"});
  cases.push_back({"no repeats", ItemFor(approved, absl::Hours(24), 0),
                   absl::StatusCode::kInvalidArgument, "item.max_repeats"});
  {
    v1::EvergreenItem item = ItemFor(approved);
    v1::SeasonalWindow* w = item.add_seasons();
    w->set_start_month(2);
    w->set_start_day(30);
    w->set_end_month(3);
    w->set_end_day(1);
    cases.push_back(
        {"a season on 30 February", item, absl::StatusCode::kInvalidArgument, "item.seasons[0]"});
  }
  {
    v1::EvergreenItem item = ItemFor(approved);
    *item.mutable_review_expire_time() = ToTs(clock_.Now() - absl::Hours(1));
    cases.push_back(
        {"an expired review", item, absl::StatusCode::kInvalidArgument, "review_expire_time"});
  }
  cases.push_back({"content not approved", ItemFor(draft), absl::StatusCode::kFailedPrecondition,
                   "not approved"});
  {
    v1::EvergreenItem item = ItemFor(approved);
    item.add_accounts("spokes/st-marys/accounts/no-cadence");
    cases.push_back({"an account without a cadence", item, absl::StatusCode::kFailedPrecondition,
                     "no cadence"});
  }
  for (const Case& c : cases) {
    auto before = Take();
    auto resp = Create(c.item);
    EXPECT_EQ(resp.status().code(), c.code) << c.what << ": " << resp.status();
    EXPECT_THAT(resp.status().message(), HasSubstr(c.says)) << c.what;
    ExpectUnchanged(before, c.what);
  }
}

TEST(EvergreenRulesTest, SeasonsWrapTheNewYear) {
  google::protobuf::RepeatedPtrField<v1::SeasonalWindow> seasons;
  v1::SeasonalWindow* w = seasons.Add();
  w->set_start_month(10);
  w->set_start_day(1);
  w->set_end_month(3);
  w->set_end_day(31);
  EXPECT_TRUE(InSeason(seasons, absl::CivilDay(2027, 10, 1)));
  EXPECT_TRUE(InSeason(seasons, absl::CivilDay(2028, 1, 15)));
  EXPECT_TRUE(InSeason(seasons, absl::CivilDay(2028, 3, 31)));
  EXPECT_FALSE(InSeason(seasons, absl::CivilDay(2028, 4, 1)));
  EXPECT_FALSE(InSeason(seasons, absl::CivilDay(2027, 9, 30)));
  EXPECT_TRUE(InSeason({}, absl::CivilDay(2027, 7, 4)));
}

TEST(EvergreenRulesTest, TheLongestUnpublishedItemGoesFirst) {
  v1::EvergreenItem a, b, c;
  a.set_name("evergreenItems/a");
  b.set_name("evergreenItems/b");
  c.set_name("evergreenItems/c");
  *(*a.mutable_account_states())[kAccount].mutable_last_publish_time() =
      ToProto(absl::FromUnixSeconds(2000));
  *(*b.mutable_account_states())[kAccount].mutable_last_publish_time() =
      ToProto(absl::FromUnixSeconds(1000));
  EXPECT_EQ(ChooseItem({&a, &b, &c}, kAccount), &c) << "never published first";
  EXPECT_EQ(ChooseItem({&a, &b}, kAccount), &b);
  EXPECT_EQ(ChooseItem({}, kAccount), nullptr);
}

// Recycling drafts every recurrence through DraftPost, so a campaign item only
// takes slots inside its campaign's dates and on its networks: slots before
// its campaign are skipped, and an item off its campaign's networks sits out.
TEST_F(PlannerEvergreenTest, ACampaignItemIsRecycledOnlyInsideItsCampaign) {
  auto campaign = [&](const std::string& id, v1::Network network) {
    v1::CreateCampaignRequest req;
    req.set_campaign_id(id);
    v1::Campaign& c = *req.mutable_campaign();
    c.set_display_name("Flu week");
    v1::ContentPillar* pillar = c.add_pillars();
    pillar->set_id("prevention");
    pillar->set_display_name("Prevention");
    c.add_networks(network);
    *c.mutable_start_time() = ToTs(Chicago(2027, 10, 4, 15));  // after 13:00, before 17:00
    *c.mutable_end_time() = ToTs(Chicago(2027, 10, 11, 0));
    c.set_spoke("spokes/st-marys");
    auto made = planner_->CreateCampaign(strategist_, req);
    ASSERT_TRUE(made.ok()) << made.status();
  };
  campaign("flu-week", v1::NETWORK_X);
  campaign("facebook-only", v1::NETWORK_FACEBOOK);
  auto content_in = [&](const std::string& campaign_name, const std::string& text) {
    v1::CreateContentRequest req;
    req.mutable_content()->set_title("Flu");
    req.mutable_content()->set_text(text);
    req.mutable_content()->set_spoke("spokes/st-marys");
    req.mutable_content()->set_campaign(campaign_name);
    req.mutable_content()->set_pillar("prevention");
    v1::ContentVariant* v = req.mutable_content()->add_variants();
    v->set_network(v1::NETWORK_X);
    v->set_text(text);
    auto made = planner_->CreateContent(writer_, req);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? Approve(Submit(made->content())) : v1::Content();
  };
  auto item = Create(ItemFor(content_in("campaigns/flu-week", "Get your flu shot.")));
  ASSERT_TRUE(item.ok()) << item.status();
  auto off_network = Create(ItemFor(content_in("campaigns/facebook-only", "Wash your hands.")));
  ASSERT_TRUE(off_network.ok()) << off_network.status();

  // 09:00 and 13:00 come before the campaign: they are skipped, and the item
  // takes 17:00, the first slot inside it.
  std::vector<v1::Post> made = Recycle();
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(FromProto(made[0].publish_time()), Chicago(2027, 10, 4, 17));
  EXPECT_EQ(made[0].evergreen_item(), item->name());
  EXPECT_EQ(made[0].campaign(), "campaigns/flu-week");
  // Nothing went into the earlier slots: the next pass still has them free
  // and nothing eligible for them.
  EXPECT_TRUE(Recycle().empty());
  // The item on a Facebook-only campaign never takes an X slot.
  clock_.Set(Chicago(2027, 10, 6, 6));
  for (const v1::Post& p : Recycle()) EXPECT_NE(p.evergreen_item(), off_network->name());
}

}  // namespace
}  // namespace carecast::planner
