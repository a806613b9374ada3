// The calendar people use: the review queue (ListContents) and a spoke's or a
// campaign's iCalendar feed over HTTP with a token, parsed back with libical:
// its slots, posts and blackouts round-trip, other spokes' (and, for a
// campaign, other campaigns' posts and other networks' slots) stay out, a
// revoked or foreign token opens nothing.
#include <memory>
#include <set>

#include <libical/ical.h>

#include "services/planner/calendar_feed_http.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";
constexpr char kMaster[] = "Free flu shots this Saturday at the main entrance.";

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

class PlannerFeedTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    auto tokens =
        common::cadence::FeedTokens::Create({{.id = "k1", .secret = std::string(32, 'a')},
                                             {.id = "k2", .secret = std::string(40, 'b')}},
                                            "k2");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    options_.feed_tokens = std::make_shared<const common::cadence::FeedTokens>(*std::move(tokens));
    options_.feed_base_url = "https://carecast.example.org";
    options_.feed_uid_domain = "feeds.example.org";
    planner_ = NewPlanner();

    MakeSpoke("st-marys");
    MakeSpoke("lakeside");
    MakeAccount(v1::NETWORK_X, "x-main", "spokes/st-marys");
    MakeAccount(v1::NETWORK_X, "x-main", "spokes/lakeside");
    v1::SetCadenceRequest cadence;
    cadence.mutable_cadence()->set_name(std::string(kAccount) + "/cadence");
    for (const char* rule : {"FREQ=DAILY;BYHOUR=9;BYMINUTE=0", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=11"}) {
      v1::CadenceSlot* slot = cadence.mutable_cadence()->add_slots();
      slot->set_rrule(rule);
      slot->set_start_local_time("2026-01-05T09:00:00");
    }
    ASSERT_TRUE(planner_->SetCadence(strategist_, cadence).ok());
    approved_ = Approve(Submit(SpokeContent("flu", "spokes/st-marys", kMaster)));
    auto own = Schedule(approved_, kAccount, absl::Hours(30), "own-post");
    ASSERT_TRUE(own.ok()) << own.status();
    own_post_ = *own;
    v1::Content other = Approve(Submit(SpokeContent("other", "spokes/lakeside", kMaster)));
    ASSERT_TRUE(
        Schedule(other, "spokes/lakeside/accounts/x-main", absl::Hours(31), "other-post").ok());
    for (const char* spoke : {"spokes/st-marys", "spokes/lakeside"}) {
      v1::CreateBlackoutRequest b;
      b.set_blackout_id(std::string("dark-") + (spoke[7] == 's' ? "own" : "other"));
      b.mutable_blackout()->set_spoke(spoke);
      *b.mutable_blackout()->mutable_start_time() = In(absl::Hours(24 * 5));
      *b.mutable_blackout()->mutable_end_time() = In(absl::Hours(24 * 6));
      b.mutable_blackout()->set_reason("site move");
      ASSERT_TRUE(planner_->CreateBlackout(strategist_, b).ok());
    }
  }

  std::string TokenFor(const std::string& spoke) {
    v1::GetCalendarFeedRequest req;
    req.set_spoke(spoke);
    auto resp = planner_->GetCalendarFeed(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->token() : "";
  }

  common::HttpResponse Fetch(const std::string& path, const std::string& token,
                             const std::string& if_none_match = "") {
    common::HttpRequest request;
    request.method = "GET";
    request.path = path;
    if (!token.empty()) request.query["token"] = token;
    request.if_none_match = if_none_match;
    return ServeCalendarFeed(*planner_, request);
  }

  static std::string Header(const common::HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "";
  }

  v1::Content approved_;
  v1::Post own_post_;
};

TEST_F(PlannerFeedTest, FeedRoundTripsSlotsPostsAndBlackoutsThroughLibical) {
  v1::GetCalendarFeedRequest req;
  req.set_spoke("spokes/st-marys");
  auto feed_url = planner_->GetCalendarFeed(strategist_, req);
  ASSERT_TRUE(feed_url.ok()) << feed_url.status();
  EXPECT_EQ(feed_url->url(),
            "https://carecast.example.org/feeds/spokes/st-marys.ics?token=" + feed_url->token());
  EXPECT_TRUE(feed_url->token().starts_with("k2."));  // the current key signs

  common::HttpResponse r = Fetch("/feeds/spokes/st-marys.ics", feed_url->token());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/calendar; charset=utf-8");
  const std::string etag = Header(r, "ETag");
  EXPECT_FALSE(etag.empty());

  Component root(icalparser_parse_string(r.body.c_str()));
  ASSERT_NE(root, nullptr);
  ASSERT_EQ(icalcomponent_isa(root.get()), ICAL_VCALENDAR_COMPONENT);
  int rules = 0;
  std::set<std::string> uids;
  for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root.get(), ICAL_VEVENT_COMPONENT)) {
    uids.insert(icalcomponent_get_uid(c));
    if (icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY) != nullptr) {
      ++rules;
      // The slot's wall-clock start in the account's zone.
      icaltimetype start = icalcomponent_get_dtstart(c);
      EXPECT_EQ(start.hour, 9);
      EXPECT_STREQ(icaltime_get_tzid(start), "America/Chicago");
    }
    if (std::string(icalcomponent_get_uid(c)) == "posts/own-post@feeds.example.org") {
      icaltimetype start = icalcomponent_get_dtstart(c);
      EXPECT_EQ(icaltime_as_timet(start), own_post_.publish_time().seconds());
    }
  }
  EXPECT_EQ(rules, 2);
  EXPECT_TRUE(uids.contains("posts/own-post@feeds.example.org"));
  EXPECT_FALSE(uids.contains("posts/other-post@feeds.example.org"));
  EXPECT_TRUE(uids.contains("blackouts/dark-own@feeds.example.org"));
  EXPECT_FALSE(uids.contains("blackouts/dark-other@feeds.example.org"));

  // Unchanged calendar: same bytes, same tag, 304 for a client that has it.
  common::HttpResponse again = Fetch("/feeds/spokes/st-marys.ics", feed_url->token(), etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  // A change to the calendar changes the tag.
  ASSERT_TRUE(Schedule(approved_, kAccount, absl::Hours(40), "later-post").ok());
  EXPECT_NE(Header(Fetch("/feeds/spokes/st-marys.ics", feed_url->token()), "ETag"), etag);
}

TEST_F(PlannerFeedTest, TokensOpenOnlyTheirSpokeAndRevocationClosesThem) {
  const std::string token = TokenFor("spokes/st-marys");
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", "").status, 401);
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", token + "x").status, 401);
  EXPECT_EQ(Fetch("/feeds/spokes/lakeside.ics", token).status, 401);  // another spoke
  EXPECT_EQ(Fetch("/feeds/spokes/nowhere.ics", token).status, 401);   // as if a bad token
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.txt", token).status, 404);

  v1::RevokeCalendarFeedRequest revoke;
  revoke.set_spoke("spokes/st-marys");
  auto revoked = planner_->RevokeCalendarFeed(strategist_, revoke);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->spoke().feed_generation(), 1);
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", token).status, 401);
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", TokenFor("spokes/st-marys")).status, 200);
  EXPECT_EQ(Subjects("carecast.spoke.feed_revoked").size(), 1u);

  // Only the spoke's own people (or the hub) get its URL.
  const common::Caller lakeside = MakeCaller("lee", common::Role::kStrategist, {"lakeside"});
  v1::GetCalendarFeedRequest req;
  req.set_spoke("spokes/st-marys");
  EXPECT_EQ(planner_->GetCalendarFeed(lakeside, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(PlannerFeedTest, ACampaignFeedShowsItsPostsAndItsNetworksSlotsOnly) {
  // A campaign of st-marys on X, one post in it; the Facebook account's slots
  // and the spoke's post outside the campaign stay out of its feed.
  MakeAccount(v1::NETWORK_FACEBOOK, "fb-main", "spokes/st-marys");
  v1::SetCadenceRequest fb;
  fb.mutable_cadence()->set_name("spokes/st-marys/accounts/fb-main/cadence");
  fb.mutable_cadence()->add_slots()->set_rrule("FREQ=DAILY;BYHOUR=12;BYMINUTE=0");
  fb.mutable_cadence()->mutable_slots(0)->set_start_local_time("2026-01-05T12:00:00");
  ASSERT_TRUE(planner_->SetCadence(strategist_, fb).ok());
  v1::CreateCampaignRequest campaign;
  campaign.set_campaign_id("flu-2027");
  v1::Campaign& c = *campaign.mutable_campaign();
  c.set_display_name("Flu season");
  v1::ContentPillar* pillar = c.add_pillars();
  pillar->set_id("prevention");
  pillar->set_display_name("Prevention");
  c.add_networks(v1::NETWORK_X);
  *c.mutable_start_time() = In(-absl::Hours(1));
  *c.mutable_end_time() = In(absl::Hours(24 * 60));
  c.set_spoke("spokes/st-marys");
  ASSERT_TRUE(planner_->CreateCampaign(strategist_, campaign).ok());
  v1::CreateContentRequest content;
  content.set_content_id("in-campaign");
  content.mutable_content()->set_text("Wash your hands: flu season is here.");
  content.mutable_content()->set_spoke("spokes/st-marys");
  content.mutable_content()->set_campaign("campaigns/flu-2027");
  content.mutable_content()->set_pillar("prevention");
  auto* v = content.mutable_content()->add_variants();
  v->set_network(v1::NETWORK_X);
  v->set_text("Wash your hands: flu season is here.");
  auto made = planner_->CreateContent(writer_, content);
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_TRUE(
      Schedule(Approve(Submit(made->content())), kAccount, absl::Hours(20), "campaign-post").ok());

  v1::GetCalendarFeedRequest req;
  req.set_campaign("campaigns/flu-2027");
  auto url = planner_->GetCalendarFeed(strategist_, req);
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->url(),
            "https://carecast.example.org/feeds/campaigns/flu-2027.ics?token=" + url->token());
  common::HttpResponse r = Fetch("/feeds/campaigns/flu-2027.ics", url->token());
  ASSERT_EQ(r.status, 200) << r.body;
  Component root(icalparser_parse_string(r.body.c_str()));
  ASSERT_NE(root, nullptr);
  std::set<std::string> uids;
  for (icalcomponent* e = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
       e != nullptr; e = icalcomponent_get_next_component(root.get(), ICAL_VEVENT_COMPONENT)) {
    uids.insert(icalcomponent_get_uid(e));
  }
  EXPECT_TRUE(uids.contains("posts/campaign-post@feeds.example.org"));
  EXPECT_FALSE(uids.contains("posts/own-post@feeds.example.org"));
  EXPECT_TRUE(uids.contains("spokes/st-marys/accounts/x-main/cadence/slots/0@feeds.example.org"));
  EXPECT_FALSE(uids.contains("spokes/st-marys/accounts/fb-main/cadence/slots/0@feeds.example.org"));
  EXPECT_TRUE(uids.contains("blackouts/dark-own@feeds.example.org"));
  EXPECT_FALSE(uids.contains("blackouts/dark-other@feeds.example.org"));

  // A spoke's token does not open a campaign's feed, nor the reverse.
  EXPECT_EQ(Fetch("/feeds/campaigns/flu-2027.ics", TokenFor("spokes/st-marys")).status, 401);
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", url->token()).status, 401);
  EXPECT_EQ(Fetch("/feeds/campaigns/nowhere.ics", url->token()).status, 401);

  // Revoking the campaign's feed closes its URLs, not the spoke's.
  const std::string spoke_token = TokenFor("spokes/st-marys");
  v1::RevokeCalendarFeedRequest revoke;
  revoke.set_campaign("campaigns/flu-2027");
  auto revoked = planner_->RevokeCalendarFeed(strategist_, revoke);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->campaign().feed_generation(), 1);
  EXPECT_EQ(Fetch("/feeds/campaigns/flu-2027.ics", url->token()).status, 401);
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", spoke_token).status, 200);
  EXPECT_EQ(Subjects("carecast.campaign.feed_revoked").size(), 1u);

  // Another spoke's strategist cannot find it; a request names one feed.
  const common::Caller lakeside = MakeCaller("lee", common::Role::kStrategist, {"lakeside"});
  EXPECT_EQ(planner_->GetCalendarFeed(lakeside, req).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(planner_->RevokeCalendarFeed(lakeside, revoke).status().code(),
            absl::StatusCode::kNotFound);
  v1::GetCalendarFeedRequest both = req;
  both.set_spoke("spokes/st-marys");
  EXPECT_EQ(planner_->GetCalendarFeed(strategist_, both).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(planner_->GetCalendarFeed(strategist_, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PlannerFeedTest, FeedsAreOffWithoutKeys) {
  options_.feed_tokens = nullptr;
  planner_ = NewPlanner();
  v1::GetCalendarFeedRequest req;
  req.set_spoke("spokes/st-marys");
  EXPECT_EQ(planner_->GetCalendarFeed(strategist_, req).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Fetch("/feeds/spokes/st-marys.ics", "k2.anything").status, 404);
}

TEST_F(PlannerFeedTest, ReviewQueueListsWaitingContentOldestFirstWithinTheCallersSpokes) {
  v1::Content first = Submit(SpokeContent("first", "spokes/st-marys", kMaster));
  clock_.Advance(absl::Minutes(5));
  v1::Content second = Submit(SpokeContent("second", "spokes/st-marys", kMaster));
  SpokeContent("draft", "spokes/st-marys", kMaster);
  Submit(SpokeContent("theirs", "spokes/lakeside", kMaster));

  v1::ListContentsRequest queue;
  queue.set_spoke("spokes/st-marys");
  queue.add_states(v1::CONTENT_STATE_IN_REVIEW);
  auto listed = planner_->ListContents(reviewer_, queue);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->contents_size(), 2);
  EXPECT_EQ(listed->contents(0).name(), first.name());
  EXPECT_EQ(listed->contents(1).name(), second.name());

  // Pages of one.
  queue.set_page_size(1);
  auto page = planner_->ListContents(reviewer_, queue);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->contents_size(), 1);
  queue.set_page_token(page->next_page_token());
  auto next = planner_->ListContents(reviewer_, queue);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->contents_size(), 1);
  EXPECT_EQ(next->contents(0).name(), second.name());
  EXPECT_TRUE(next->next_page_token().empty());

  // A lakeside reviewer sees lakeside's queue only, and cannot ask for another.
  const common::Caller lakeside = MakeCaller("lee", common::Role::kClinicalReviewer, {"lakeside"});
  v1::ListContentsRequest mine;
  mine.add_states(v1::CONTENT_STATE_IN_REVIEW);
  auto theirs = planner_->ListContents(lakeside, mine);
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs->contents_size(), 1);
  EXPECT_EQ(theirs->contents(0).name(), "contents/theirs");
  mine.set_spoke("spokes/st-marys");
  EXPECT_EQ(planner_->ListContents(lakeside, mine).status().code(),
            absl::StatusCode::kPermissionDenied);

  v1::ListContentsRequest bad;
  bad.add_states(static_cast<v1::ContentState>(99));
  EXPECT_EQ(planner_->ListContents(reviewer_, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::planner
