// Cadences, blackout windows and the queue: content placed into the next free
// slot of each account in its own time zone, never into a blackout, within
// spacing and the daily cap, never two posts in one slot even when callers
// race; the queue listed, reordered and shuffled; bad input changes nothing.
#include <algorithm>
#include <set>
#include <thread>

#include "absl/time/civil_time.h"

#include "services/planner/queue_ledger.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;

constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";
constexpr char kCadence[] = "spokes/st-marys/accounts/x-main/cadence";

absl::Time Chicago(int y, int m, int d, int hh, int mm = 0) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/Chicago", &zone));
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), zone);
}

class PlannerQueueTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    // Friday 2027-03-12, 06:00 in Chicago; daylight saving starts on Sunday the 14th.
    clock_.Set(Chicago(2027, 3, 12, 6));
    MakeSpoke();
    MakeAccount(v1::NETWORK_X, "x-main");
    content_ = ApprovedContent();
  }

  v1::SetCadenceRequest CadenceRequest(const std::vector<std::string>& rrules,
                                       absl::Duration spacing = absl::ZeroDuration(), int cap = 0,
                                       int64_t expected_version = 0) {
    v1::SetCadenceRequest req;
    req.mutable_cadence()->set_name(kCadence);
    for (const std::string& rule : rrules) {
      v1::CadenceSlot* slot = req.mutable_cadence()->add_slots();
      slot->set_rrule(rule);
      slot->set_start_local_time("2027-01-04T09:00:00");
    }
    req.mutable_cadence()->mutable_min_spacing()->set_seconds(absl::ToInt64Seconds(spacing));
    req.mutable_cadence()->set_daily_cap(cap);
    req.set_expected_version(expected_version);
    return req;
  }

  void SetDailyAt(const std::string& hours, int cap = 0) {
    auto set = planner_->SetCadence(
        strategist_,
        CadenceRequest({"FREQ=DAILY;BYHOUR=" + hours + ";BYMINUTE=0"}, absl::ZeroDuration(), cap));
    ASSERT_TRUE(set.ok()) << set.status();
  }

  absl::StatusOr<v1::Post> Queue(const v1::Content& content, const std::string& request_id = "") {
    v1::AddToQueueRequest req;
    req.set_content(content.name());
    req.add_accounts(kAccount);
    req.set_request_id(request_id);
    auto resp = planner_->AddToQueue(publisher_, req);
    if (!resp.ok()) return resp.status();
    const v1::QueuePlacement& placed = resp->placements(0);
    if (placed.code() != 0) {
      return absl::Status(static_cast<absl::StatusCode>(placed.code()), placed.message());
    }
    return placed.post();
  }

  std::vector<v1::Post> ListQueue() {
    v1::ListQueueRequest req;
    req.set_account(kAccount);
    auto resp = planner_->ListQueue(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? std::vector<v1::Post>(resp->posts().begin(), resp->posts().end())
                     : std::vector<v1::Post>{};
  }

  absl::StatusOr<v1::Blackout> Blackout(absl::Time start, absl::Time end,
                                        const std::string& spoke = "") {
    v1::CreateBlackoutRequest req;
    *req.mutable_blackout()->mutable_start_time() = ToTs(start);
    *req.mutable_blackout()->mutable_end_time() = ToTs(end);
    req.mutable_blackout()->set_reason("Crisis dark period");
    req.mutable_blackout()->set_spoke(spoke);
    auto resp = planner_->CreateBlackout(strategist_, req);
    if (!resp.ok()) return resp.status();
    return resp->blackout();
  }

  v1::Content content_;
};

TEST_F(PlannerQueueTest, NineAmStaysNineAmLocalAcrossTheSpringChange) {
  SetDailyAt("9");
  v1::GetCadenceRequest get;
  get.set_name(kCadence);
  get.set_next_slot_count(3);
  auto resp = planner_->GetCadence(strategist_, get);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->cadence().time_zone(), "America/Chicago");
  EXPECT_EQ(resp->cadence().version(), 1);
  ASSERT_EQ(resp->next_free_slots_size(), 3);
  // 09:00 CST is 15:00 UTC; from Sunday, 09:00 CDT is 14:00 UTC.
  EXPECT_EQ(FromProto(resp->next_free_slots(0)), Chicago(2027, 3, 12, 9));
  EXPECT_EQ(FromProto(resp->next_free_slots(1)), Chicago(2027, 3, 13, 9));
  EXPECT_EQ(FromProto(resp->next_free_slots(2)), Chicago(2027, 3, 14, 9));
  EXPECT_EQ(FromProto(resp->next_free_slots(1)) - FromProto(resp->next_free_slots(0)),
            absl::Hours(24));
  EXPECT_EQ(FromProto(resp->next_free_slots(2)) - FromProto(resp->next_free_slots(1)),
            absl::Hours(23));
}

TEST_F(PlannerQueueTest, AddToQueueFillsTheNextFreeSlotsInOrder) {
  SetDailyAt("9,13,17");
  std::vector<absl::Time> times;
  for (int i = 0; i < 4; ++i) {
    auto post = Queue(content_);
    ASSERT_TRUE(post.ok()) << post.status();
    EXPECT_TRUE(post->queued());
    EXPECT_EQ(post->state(), v1::POST_STATE_SCHEDULED);
    EXPECT_EQ(post->text(), "Flu shots Saturday! #FluFree");  // the X variant
    times.push_back(FromProto(post->publish_time()));
  }
  EXPECT_EQ(times, (std::vector<absl::Time>{Chicago(2027, 3, 12, 9), Chicago(2027, 3, 12, 13),
                                            Chicago(2027, 3, 12, 17), Chicago(2027, 3, 13, 9)}));
  EXPECT_EQ(ListQueue().size(), 4u);
  // Each placement is announced and audited like any scheduled post.
  EXPECT_EQ(bus_.Published(std::string(common::subjects::kPostScheduled)).size(), 4u);
}

TEST_F(PlannerQueueTest, TheDailyCapAndSpacingHoldAroundPostsGivenAnExactTime) {
  auto set = planner_->SetCadence(
      strategist_, CadenceRequest({"FREQ=DAILY;BYHOUR=9,10,11,12;BYMINUTE=0"}, absl::Minutes(90),
                                  /*cap=*/2));
  ASSERT_TRUE(set.ok()) << set.status();
  // A post placed by hand at 10:30 leaves 09:00 and 12:00 free that day
  // (10:00 and 11:00 are 30 minutes from it).
  auto manual = planner_->SchedulePost(
      publisher_, ScheduleRequest(content_, kAccount, Chicago(2027, 3, 12, 10, 30) - clock_.Now()));
  ASSERT_TRUE(manual.ok()) << manual.status();
  auto first = Queue(content_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(FromProto(first->publish_time()), Chicago(2027, 3, 12, 9));
  // Two posts that day already (the cap): the next goes to Saturday 09:00.
  auto second = Queue(content_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(FromProto(second->publish_time()), Chicago(2027, 3, 13, 9));
  auto third = Queue(content_);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(FromProto(third->publish_time()), Chicago(2027, 3, 13, 11));
}

TEST_F(PlannerQueueTest, BlackoutsAreSkippedByTheQueueAndRefusedToSchedulePost) {
  SetDailyAt("9");
  auto b = Blackout(Chicago(2027, 3, 12, 0), Chicago(2027, 3, 14, 0), "spokes/st-marys");
  ASSERT_TRUE(b.ok()) << b.status();
  auto post = Queue(content_);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(FromProto(post->publish_time()), Chicago(2027, 3, 14, 9));

  auto before = Take();
  auto refused = planner_->SchedulePost(
      publisher_, ScheduleRequest(content_, kAccount, Chicago(2027, 3, 13, 12) - clock_.Now()));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(b->name()));
  ExpectUnchanged(before, "SchedulePost into a blackout");

  // Another spoke's window does not apply; deleting ours frees Friday again.
  MakeSpoke("riverside");
  ASSERT_TRUE(Blackout(Chicago(2027, 3, 14, 0), Chicago(2027, 3, 15, 0), "spokes/riverside").ok());
  v1::DeleteBlackoutRequest del;
  del.set_name(b->name());
  ASSERT_TRUE(planner_->DeleteBlackout(strategist_, del).ok());
  auto next = Queue(content_);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(FromProto(next->publish_time()), Chicago(2027, 3, 12, 9));
  v1::ListBlackoutsRequest list;
  list.set_spoke("spokes/st-marys");
  auto listed = planner_->ListBlackouts(strategist_, list);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->blackouts_size(), 0) << "deleted windows and other spokes' are not listed";
}

TEST_F(PlannerQueueTest, CreateBlackoutNamesThePostsAlreadyScheduledInside) {
  SetDailyAt("9");
  auto post = Queue(content_);
  ASSERT_TRUE(post.ok());
  v1::CreateBlackoutRequest req;
  *req.mutable_blackout()->mutable_start_time() = ToTs(Chicago(2027, 3, 12, 8));
  *req.mutable_blackout()->mutable_end_time() = ToTs(Chicago(2027, 3, 12, 20));
  req.mutable_blackout()->set_reason("Incident at the main campus");
  auto resp = planner_->CreateBlackout(strategist_, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->scheduled_posts_size(), 1);
  EXPECT_EQ(resp->scheduled_posts(0), post->name());
}

TEST_F(PlannerQueueTest, RacingCallersNeverShareASlot) {
  SetDailyAt("7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22");
  constexpr int kCallers = 8;
  constexpr int kEach = 5;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<absl::Time> times;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        v1::AddToQueueRequest req;
        req.set_content(content_.name());
        req.add_accounts(kAccount);
        req.set_request_id("r-" + std::to_string(t) + "-" + std::to_string(i));
        auto resp = planner_->AddToQueue(publisher_, req);
        ASSERT_TRUE(resp.ok()) << resp.status();
        ASSERT_EQ(resp->placements(0).code(), 0) << resp->placements(0).message();
        std::lock_guard lock(mu);
        times.push_back(FromProto(resp->placements(0).post().publish_time()));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(times.size(), static_cast<size_t>(kCallers * kEach));
  EXPECT_EQ(std::set<absl::Time>(times.begin(), times.end()).size(), times.size());
  // And they are the 40 earliest slots: no gap was left by a lost race.
  std::sort(times.begin(), times.end());
  EXPECT_EQ(times.front(), Chicago(2027, 3, 12, 7));
  EXPECT_EQ(times.back(), Chicago(2027, 3, 14, 14));
}

TEST_F(PlannerQueueTest, ARetryWithTheSameRequestIdPlacesNothingTwice) {
  SetDailyAt("9");
  auto first = Queue(content_, "campaign-import-1");
  auto again = Queue(content_, "campaign-import-1");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->name(), again->name());
  EXPECT_EQ(ListQueue().size(), 1u);
}

TEST_F(PlannerQueueTest, EachAccountIsPlacedOrRefusedOnItsOwn) {
  SetDailyAt("9");
  MakeAccount(v1::NETWORK_MASTODON, "masto");  // no cadence, no variant
  v1::AddToQueueRequest req;
  req.set_content(content_.name());
  req.add_accounts(kAccount);
  req.add_accounts("spokes/st-marys/accounts/masto");
  auto resp = planner_->AddToQueue(publisher_, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->placements_size(), 2);
  EXPECT_EQ(resp->placements(0).code(), 0);
  EXPECT_EQ(resp->placements(1).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(resp->placements(1).message(), HasSubstr("no cadence"));
}

TEST_F(PlannerQueueTest, ReorderGivesTheSameSlotsInTheNewOrder) {
  SetDailyAt("9,13,17");
  std::vector<v1::Post> posts;
  for (int i = 0; i < 3; ++i) posts.push_back(*Queue(content_));
  v1::ReorderQueueRequest req;
  req.set_account(kAccount);
  req.add_posts(posts[2].name());
  req.add_posts(posts[0].name());
  req.add_posts(posts[1].name());
  const size_t events_before = bus_.Published().size();
  auto resp = planner_->ReorderQueue(publisher_, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->posts_size(), 3);
  EXPECT_EQ(resp->posts(0).name(), posts[2].name());
  EXPECT_EQ(FromProto(resp->posts(0).publish_time()), Chicago(2027, 3, 12, 9));
  EXPECT_EQ(resp->posts(1).name(), posts[0].name());
  EXPECT_EQ(FromProto(resp->posts(1).publish_time()), Chicago(2027, 3, 12, 13));
  EXPECT_EQ(resp->posts(2).name(), posts[1].name());
  // Every moved post is re-announced so the publishers re-index it.
  EXPECT_EQ(bus_.Published(std::string(common::subjects::kPostScheduled)).size(), 6u);
  EXPECT_GT(bus_.Published().size(), events_before);
  v1::GetPostRequest get;
  get.set_name(posts[2].name());
  EXPECT_EQ(FromProto(planner_->GetPost(strategist_, get)->post().publish_time()),
            Chicago(2027, 3, 12, 9));

  // A list that is not the queue's current set changes nothing.
  auto before = Take();
  v1::ReorderQueueRequest stale;
  stale.set_account(kAccount);
  stale.add_posts(posts[0].name());
  stale.add_posts(posts[1].name());
  EXPECT_EQ(planner_->ReorderQueue(publisher_, stale).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ExpectUnchanged(before, "a reorder naming part of the queue");
}

TEST_F(PlannerQueueTest, ShuffleKeepsTheSlotsAndARetryGivesTheSameOrder) {
  SetDailyAt("9,13,17");
  std::vector<absl::Time> slots;
  for (int i = 0; i < 6; ++i) slots.push_back(FromProto(Queue(content_)->publish_time()));
  v1::ShuffleQueueRequest req;
  req.set_account(kAccount);
  req.set_request_id("shuffle-1");
  auto first = planner_->ShuffleQueue(publisher_, req);
  auto retry = planner_->ShuffleQueue(publisher_, req);
  ASSERT_TRUE(first.ok() && retry.ok()) << first.status();
  ASSERT_EQ(first->posts_size(), 6);
  std::vector<absl::Time> after;
  for (int i = 0; i < 6; ++i) {
    after.push_back(FromProto(first->posts(i).publish_time()));
    EXPECT_EQ(first->posts(i).name(), retry->posts(i).name());
  }
  EXPECT_EQ(after, slots) << "the same slots, each used once";
}

TEST_F(PlannerQueueTest, ACancelledPostGivesItsSlotBack) {
  SetDailyAt("9");
  auto first = Queue(content_);
  ASSERT_TRUE(first.ok());
  v1::CancelPostRequest cancel;
  cancel.set_name(first->name());
  ASSERT_TRUE(planner_->CancelPost(publisher_, cancel).ok());
  auto next = Queue(content_);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(FromProto(next->publish_time()), Chicago(2027, 3, 12, 9));
}

TEST_F(PlannerQueueTest, AReorderCutShortIsFinishedByTheNextListing) {
  SetDailyAt("9,13");
  v1::Post a = *Queue(content_);
  v1::Post b = *Queue(content_);
  // The ledger was rewritten with the new order, and the process died before
  // moving the posts.
  auto& bucket = kv_.Bucket(std::string(common::buckets::kOrganisation));
  const std::string key = QueueKey({"st-marys", "x-main"});
  auto ledger = planner_->ListQueue(strategist_, [] {
    v1::ListQueueRequest r;
    r.set_account(kAccount);
    return r;
  }());
  ASSERT_TRUE(ledger.ok());
  auto raw = bucket.Get(key);
  ASSERT_TRUE(raw.ok());
  v1::StoredRecord record;
  ASSERT_TRUE(record.ParseFromString(raw->value));
  v1::QueueLedger plan;
  ASSERT_TRUE(plan.ParseFromString(record.value()));
  Reserve(plan, a.name(), Chicago(2027, 3, 12, 13), true, clock_.Now());
  Reserve(plan, b.name(), Chicago(2027, 3, 12, 9), true, clock_.Now());
  record.set_value(plan.SerializeAsString());
  ASSERT_TRUE(bucket.Update(key, record.SerializeAsString(), raw->revision).ok());

  std::vector<v1::Post> listed = ListQueue();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name(), b.name());
  EXPECT_EQ(FromProto(listed[0].publish_time()), Chicago(2027, 3, 12, 9));
  EXPECT_EQ(listed[1].name(), a.name());
  EXPECT_EQ(FromProto(listed[1].publish_time()), Chicago(2027, 3, 12, 13));
}

TEST_F(PlannerQueueTest, BadCadencesAreRefusedAndChangeNothing) {
  struct Case {
    std::string what;
    v1::SetCadenceRequest request;
    absl::StatusCode code;
    std::string says;
  };
  std::vector<Case> cases;
  cases.push_back({"an invalid RRULE", CadenceRequest({"FREQ=SOMETIMES"}),
                   absl::StatusCode::kInvalidArgument, "cadence.slots[0].rrule"});
  cases.push_back({"no slots", CadenceRequest({}), absl::StatusCode::kInvalidArgument, "slots"});
  cases.push_back({"a cap over the maximum",
                   CadenceRequest({"FREQ=DAILY;BYHOUR=9"}, absl::ZeroDuration(), 1000),
                   absl::StatusCode::kInvalidArgument, "daily_cap"});
  cases.push_back({"slots every minute", CadenceRequest({"FREQ=MINUTELY"}),
                   absl::StatusCode::kInvalidArgument, "cadence.slots[0]"});
  {
    v1::SetCadenceRequest r = CadenceRequest({"FREQ=DAILY;BYHOUR=9"});
    r.mutable_cadence()->mutable_slots(0)->set_start_local_time("2027-01-04T09:00:00-05:00");
    cases.push_back(
        {"a start time with an offset", r, absl::StatusCode::kInvalidArgument, "start_local_time"});
  }
  {
    v1::SetCadenceRequest r = CadenceRequest({"FREQ=DAILY;BYHOUR=9"});
    r.mutable_cadence()->set_name("spokes/st-marys/accounts/nobody/cadence");
    cases.push_back({"an unknown account", r, absl::StatusCode::kNotFound, "nobody"});
  }
  cases.push_back({"a stale version",
                   CadenceRequest({"FREQ=DAILY;BYHOUR=9"}, absl::ZeroDuration(), 0, 3),
                   absl::StatusCode::kAborted, "version"});
  for (const Case& c : cases) {
    auto before = Take();
    auto resp = planner_->SetCadence(strategist_, c.request);
    EXPECT_EQ(resp.status().code(), c.code) << c.what << ": " << resp.status();
    EXPECT_THAT(resp.status().message(), HasSubstr(c.says)) << c.what;
    ExpectUnchanged(before, c.what);
  }
}

TEST_F(PlannerQueueTest, BadBlackoutsAndQueueRequestsAreRefusedAndChangeNothing) {
  SetDailyAt("9");
  const absl::Time now = clock_.Now();
  struct Case {
    std::string what;
    absl::Status status;
  };
  auto before = Take();
  std::vector<Case> cases = {
      {"a window that ends before it starts",
       Blackout(now + absl::Hours(5), now + absl::Hours(1)).status()},
      {"a window over 90 days", Blackout(now, now + absl::Hours(24 * 91)).status()},
      {"a window in the past", Blackout(now - absl::Hours(5), now - absl::Hours(1)).status()},
      {"an unknown spoke", Blackout(now, now + absl::Hours(1), "spokes/nowhere").status()},
  };
  v1::AddToQueueRequest twice;
  twice.set_content(content_.name());
  twice.add_accounts(kAccount);
  twice.add_accounts(kAccount);
  cases.push_back({"an account named twice", planner_->AddToQueue(publisher_, twice).status()});
  v1::AddToQueueRequest none;
  none.set_content(content_.name());
  cases.push_back({"no account", planner_->AddToQueue(publisher_, none).status()});
  for (const Case& c : cases) {
    EXPECT_TRUE(absl::IsInvalidArgument(c.status) || absl::IsNotFound(c.status))
        << c.what << ": " << c.status;
  }
  ExpectUnchanged(before, "bad blackouts and queue requests");
}

TEST_F(PlannerQueueTest, ListCalendarFiltersByAccountAndState) {
  SetDailyAt("9,13");
  MakeAccount(v1::NETWORK_FACEBOOK, "fb");
  v1::Post queued = *Queue(content_);
  auto fb = Schedule(content_, "spokes/st-marys/accounts/fb", absl::Hours(2));
  ASSERT_TRUE(fb.ok()) << fb.status();
  v1::ListCalendarRequest req;
  *req.mutable_start_time() = ToTs(clock_.Now());
  *req.mutable_end_time() = ToTs(clock_.Now() + absl::Hours(48));
  req.set_account(kAccount);
  auto resp = planner_->ListCalendar(strategist_, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->posts_size(), 1);
  EXPECT_EQ(resp->posts(0).name(), queued.name());
  req.clear_account();
  req.add_states(v1::POST_STATE_CANCELLED);
  resp = planner_->ListCalendar(strategist_, req);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->posts_size(), 0);
  req.set_account("not-an-account");
  EXPECT_EQ(planner_->ListCalendar(strategist_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::planner
