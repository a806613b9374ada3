// The inbox workflow on fakes: assign -> waiting -> resolve with their events,
// retries, refusals that change nothing, notes, routing and spoke scoping, SLA
// due times in a spoke's business hours, breach counting, the responder
// guidance of urgent items, and items stored before the workflow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const common::SpokeScope kHub = common::SpokeScope::Hub();

class InboxWorkflowTest : public ListenerFixture {
 protected:
  // Rebuilds the listener over the same stores with the current options_.
  void Recreate() {
    listener_.reset();
    auto listener = Listener::Create(options_, {.buckets = kv_,
                                                .bus = bus_,
                                                .index = index_,
                                                .classifier = classifier_,
                                                .metrics = metrics_,
                                                .clock = clock_,
                                                .logger = logger_});
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
  }

  v1::InboxItem Open(const std::string& external_id, const std::string& text,
                     const std::string& account = "") {
    v1::Mention m = MakeMention(external_id, text);
    m.set_account(account);
    auto result = listener_->CreateMention(m, "grpc");
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->inbox_item.empty()) << text;
    return Stored(result->inbox_item);
  }

  v1::InboxItem Stored(const std::string& name) {
    v1::InboxItem item;
    auto entry = kv_.Bucket("carecast_inbox").Get(name.substr(11));
    EXPECT_TRUE(entry.ok());
    EXPECT_TRUE(item.ParseFromString(common::DecodeRecord(*entry).value));
    return item;
  }

  uint64_t Revision(const std::string& name) {
    return kv_.Bucket("carecast_inbox").Get(name.substr(11)).value().revision;
  }

  std::vector<std::string> Names(v1::InboxItemState state, const common::SpokeScope& scope = kHub) {
    auto page = listener_->ListInboxItems(state, kMaxPageSize, "", scope);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const auto& item : page->items) names.push_back(item.name());
    }
    return names;
  }
};

TEST_F(InboxWorkflowTest, AssignWaitAndResolveEachWriteTheirEvent) {
  const std::string name = Open("w1", "rude").name();
  const std::string id = name.substr(11);
  EXPECT_EQ(Stored(name).state(), v1::INBOX_ITEM_STATE_NEW);
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_NEW), ElementsAre(name));

  clock_.Advance(absl::Minutes(5));
  const uint64_t before_assign = Revision(name);
  auto assigned = listener_->AssignInboxItem(name, "bob", "alice", kHub);
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  EXPECT_EQ(assigned->state(), v1::INBOX_ITEM_STATE_ASSIGNED);
  EXPECT_EQ(assigned->assignee(), "bob");
  EXPECT_EQ(FromTimestamp(assigned->assign_time()), clock_.Now());
  EXPECT_FALSE(assigned->has_first_response_time()) << "assigning is not answering";
  std::vector<common::Event> events = Events("carecast.inbox.assigned");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, absl::StrCat("inbox.", id, ".r", before_assign, ".assigned"));
  v1::InboxItemChanged payload;
  ASSERT_TRUE(common::DecodeEvent(events[0], &payload).ok());
  EXPECT_EQ(payload.actor(), "alice");
  EXPECT_EQ(payload.inbox_item().assignee(), "bob");
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_ASSIGNED), ElementsAre(name));
  EXPECT_TRUE(Names(v1::INBOX_ITEM_STATE_NEW).empty());

  clock_.Advance(absl::Minutes(5));
  auto waiting = listener_->SetInboxItemWaiting(name, "bob", kHub);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->state(), v1::INBOX_ITEM_STATE_WAITING);
  EXPECT_EQ(FromTimestamp(waiting->first_response_time()), clock_.Now());
  EXPECT_EQ(Events("carecast.inbox.waiting").size(), 1u);
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_WAITING), ElementsAre(name));
  // Still unresolved: listed with the open items.
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_UNSPECIFIED), ElementsAre(name));

  // The public answered: taken back, then resolved.
  ASSERT_TRUE(listener_->AssignInboxItem(name, "bob", "bob", kHub).ok());
  EXPECT_EQ(Events("carecast.inbox.assigned").size(), 2u);
  clock_.Advance(absl::Minutes(5));
  auto resolved = listener_->ResolveInboxItem(name, "answered publicly", "bob", kHub);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->state(), v1::INBOX_ITEM_STATE_RESOLVED);
  EXPECT_EQ(resolved->closed_by(), "bob");
  // The first response stays the first.
  EXPECT_EQ(FromTimestamp(resolved->first_response_time()), clock_.Now() - absl::Minutes(5));
  events = Events("carecast.inbox.closed");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, absl::StrCat("inbox.", id, ".closed"));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_RESOLVED), ElementsAre(name));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_CLOSED), ElementsAre(name));
  EXPECT_TRUE(Names(v1::INBOX_ITEM_STATE_OPEN).empty());
  EXPECT_EQ(FromTimestamp(Stored(name).update_time()), clock_.Now());
}

TEST_F(InboxWorkflowTest, RetriesFindTheChangeMadeAndWriteNothing) {
  const std::string name = Open("w2", "rude").name();
  ASSERT_TRUE(listener_->AssignInboxItem(name, "bob", "alice", kHub).ok());
  const uint64_t revision = Revision(name);
  ASSERT_TRUE(listener_->AssignInboxItem(name, "bob", "alice", kHub).ok());
  EXPECT_EQ(Revision(name), revision);
  ASSERT_TRUE(listener_->SetInboxItemWaiting(name, "bob", kHub).ok());
  const uint64_t waiting_revision = Revision(name);
  ASSERT_TRUE(listener_->SetInboxItemWaiting(name, "bob", kHub).ok());
  EXPECT_EQ(Revision(name), waiting_revision);
  EXPECT_EQ(Events("carecast.inbox.assigned").size(), 1u);
  EXPECT_EQ(Events("carecast.inbox.waiting").size(), 1u);
  // Reassigning is a change.
  ASSERT_TRUE(listener_->AssignInboxItem(name, "carol", "alice", kHub).ok());
  EXPECT_EQ(Stored(name).assignee(), "carol");
}

TEST_F(InboxWorkflowTest, RefusedChangesChangeNothing) {
  const std::string name = Open("w3", "rude").name();
  const uint64_t revision = Revision(name);
  struct Case {
    std::string what;
    absl::Status status;
    absl::StatusCode code;
    std::string message;
  };
  const std::string many(2001, 'n');
  const std::vector<Case> cases = {
      {"wait on NEW", listener_->SetInboxItemWaiting(name, "bob", kHub).status(),
       absl::StatusCode::kFailedPrecondition, "is NEW; only ASSIGNED inbox items can wait"},
      {"empty assignee", listener_->AssignInboxItem(name, "", "alice", kHub).status(),
       absl::StatusCode::kInvalidArgument, "assignee must be a principal id"},
      {"spaced assignee", listener_->AssignInboxItem(name, "bob smith", "alice", kHub).status(),
       absl::StatusCode::kInvalidArgument, "assignee must be a principal id"},
      {"missing", listener_->AssignInboxItem("inboxItems/nope", "bob", "alice", kHub).status(),
       absl::StatusCode::kNotFound, "inbox item nope not found"},
      {"bad name", listener_->SetInboxItemWaiting("mentions/x", "bob", kHub).status(),
       absl::StatusCode::kInvalidArgument, "inboxItems/{inbox_item}"},
      {"empty note", listener_->AddInboxNote(name, "", "", "alice", kHub).status(),
       absl::StatusCode::kInvalidArgument, "text must not be empty"},
      {"long note", listener_->AddInboxNote(name, many, "", "alice", kHub).status(),
       absl::StatusCode::kInvalidArgument, "at most 2000 characters"},
      {"bad utf-8 note", listener_->AddInboxNote(name, "bad \xff", "", "alice", kHub).status(),
       absl::StatusCode::kInvalidArgument, "UTF-8"},
      {"no actor", listener_->AssignInboxItem(name, "bob", "", kHub).status(),
       absl::StatusCode::kInvalidArgument, "no subject"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), c.code) << c.what << ": " << c.status;
    EXPECT_THAT(std::string(c.status.message()), HasSubstr(c.message)) << c.what;
  }
  EXPECT_EQ(Revision(name), revision);

  ASSERT_TRUE(listener_->ResolveInboxItem(name, "done", "alice", kHub).ok());
  const uint64_t resolved = Revision(name);
  EXPECT_EQ(listener_->AssignInboxItem(name, "bob", "alice", kHub).status(),
            absl::FailedPreconditionError(
                absl::StrCat("inbox item ", name.substr(11),
                             " is RESOLVED; only unresolved inbox items can be assigned")));
  EXPECT_EQ(listener_->SetInboxItemWaiting(name, "alice", kHub).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Revision(name), resolved);
  EXPECT_EQ(Events("carecast.inbox.assigned").size(), 0u);
  EXPECT_EQ(Events("carecast.inbox.note_added").size(), 0u);
}

TEST_F(InboxWorkflowTest, NotesAreAppendedWithAuthorAndTimeAndNeverLogged) {
  const std::string name = Open("w4", "rude").name();
  const std::string secret = "Caller said her MRN is 1234567, call back";
  auto first = listener_->AddInboxNote(name, secret, "req-1", "alice", kHub);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Minutes(1));
  auto second = listener_->AddInboxNote(name, "Called back, left a message", "", "bob", kHub);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->notes_size(), 2);
  EXPECT_EQ(second->notes(0).id(), "req-1");
  EXPECT_EQ(second->notes(0).author(), "alice");
  EXPECT_EQ(second->notes(0).text(), secret);
  EXPECT_EQ(FromTimestamp(second->notes(0).create_time()), clock_.Now() - absl::Minutes(1));
  EXPECT_EQ(second->notes(1).author(), "bob");
  EXPECT_FALSE(second->notes(1).id().empty());
  // A note changes no state.
  EXPECT_EQ(second->state(), v1::INBOX_ITEM_STATE_NEW);

  // A retry of the first request adds nothing.
  const uint64_t revision = Revision(name);
  auto retry = listener_->AddInboxNote(name, secret, "req-1", "alice", kHub);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->notes_size(), 2);
  EXPECT_EQ(Revision(name), revision);
  EXPECT_EQ(Events("carecast.inbox.note_added").size(), 2u);

  // Notes may follow the resolution.
  ASSERT_TRUE(listener_->ResolveInboxItem(name, "done", "bob", kHub).ok());
  EXPECT_TRUE(listener_->AddInboxNote(name, "Follow-up letter sent", "", "bob", kHub).ok());

  for (const auto& line : logger_.lines()) {
    EXPECT_THAT(line.message, ::testing::Not(HasSubstr("MRN")));
    for (const auto& [key, value] : line.fields) {
      if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_THAT(*s, ::testing::Not(HasSubstr("1234567"))) << key;
      }
    }
  }
}

TEST_F(InboxWorkflowTest, ItemsAreRoutedByAccountThenTopicRule) {
  options_.topic_routes = {{"billing", "spokes/central-billing"}};
  Recreate();
  EXPECT_EQ(Open("r1", "rude bill", "spokes/north/accounts/main").spoke(), "spokes/north");
  const v1::InboxItem by_topic = Open("r2", "rude bill");
  EXPECT_EQ(by_topic.spoke(), "spokes/central-billing");
  EXPECT_EQ(Open("r3", "rude").spoke(), "");
  EXPECT_EQ(Open("r1b", "rude", "spokes/north/accounts/main").account(),
            "spokes/north/accounts/main");
}

TEST_F(InboxWorkflowTest, AMentionedAccountMustBeAnAccountName) {
  for (const std::string bad : {"north", "spokes/north", "spokes/North/accounts/main",
                                "spokes/north/accounts/", "spokes/north/accounts/main/x"}) {
    v1::Mention m = MakeMention("acct-" + std::to_string(bad.size()), "rude");
    m.set_account(bad);
    auto result = listener_->CreateMention(m, "grpc");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("mention.account")) << bad;
  }
  EXPECT_EQ(metrics_.RejectedCount("account"), 5);
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
}

TEST_F(InboxWorkflowTest, SpokeCallersSeeAndChangeOnlyTheirSpokesItems) {
  const std::string north = Open("s1", "rude", "spokes/north/accounts/main").name();
  const std::string south = Open("s2", "rude", "spokes/south/accounts/main").name();
  const std::string hub = Open("s3", "rude").name();
  const common::SpokeScope north_only = common::SpokeScope::Only({"spokes/north"});

  // Listing: its spoke's items and the unrouted ones.
  std::vector<std::string> seen = Names(v1::INBOX_ITEM_STATE_OPEN, north_only);
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre(north, hub));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN), ::testing::UnorderedElementsAre(north, south, hub));

  // Another spoke's item looks missing; an unrouted one is the hub's to change.
  const uint64_t revision = Revision(south);
  EXPECT_EQ(listener_->AssignInboxItem(south, "bob", "alice", north_only).status(),
            absl::NotFoundError(absl::StrCat("inbox item ", south.substr(11), " not found")));
  EXPECT_EQ(listener_->AddInboxNote(south, "x", "", "alice", north_only).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(listener_->ResolveInboxItem(south, "", "alice", north_only).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Revision(south), revision);
  EXPECT_EQ(listener_->AssignInboxItem(hub, "bob", "alice", north_only).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Its own spoke's item it works.
  EXPECT_TRUE(listener_->AssignInboxItem(north, "bob", "alice", north_only).ok());
  EXPECT_TRUE(listener_->CloseInboxItem(north, "done", "bob", north_only).ok());
  // No spokes at all: nothing of any spoke.
  const common::SpokeScope none = common::SpokeScope::Only({});
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_OPEN, none), ElementsAre(hub));
}

TEST_F(InboxWorkflowTest, DueTimesFollowThePriorityTargetInTheSpokesBusinessHours) {
  options_.sla = SlaTargets{};  // urgent 15m, high 4bh, normal 1bd, low 3bd
  options_.business_hours.spokes.emplace(
      "spokes/north", *ParseBusinessHours("America/Chicago Mon-Fri 08:00-17:00"));
  Recreate();
  const absl::TimeZone chicago = options_.business_hours.For("spokes/north").zone;
  // Friday 2026-03-06, 18:00 in Chicago: after hours before a weekend.
  clock_.Set(absl::FromCivil(absl::CivilMinute(2026, 3, 6, 18, 0), chicago));
  const absl::Time friday = clock_.Now();
  auto local = [&](int day, int hour) {
    return absl::FromCivil(absl::CivilMinute(2026, 3, day, hour, 0), chicago);
  };
  const std::string account = "spokes/north/accounts/main";
  const v1::InboxItem urgent = Open("d1", "a gun in the lobby", account);
  EXPECT_EQ(FromTimestamp(urgent.due_time()), friday + absl::Minutes(15)) << "around the clock";
  EXPECT_EQ(FromTimestamp(Open("d2", "rude", account).due_time()), local(9, 12));
  EXPECT_EQ(FromTimestamp(Open("d3", "parking?", account).due_time()), local(9, 17));
  EXPECT_EQ(FromTimestamp(Open("d4", "thank you! open sunday?", account).due_time()),
            local(11, 17));
  // An unrouted item keeps the organisation's hours (UTC weekdays 09:00-17:00):
  // Friday 18:00 CST is Saturday 00:00 UTC, so four business hours end Monday 13:00 UTC.
  EXPECT_EQ(FromTimestamp(Open("d5", "rude").due_time()),
            absl::FromCivil(absl::CivilMinute(2026, 3, 9, 13, 0), absl::UTCTimeZone()));
  // Listed with it, soonest first.
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 10, "", kHub);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 5u);
  EXPECT_EQ(page->items[0].name(), urgent.name());
  EXPECT_TRUE(page->items[0].has_due_time());
}

TEST_F(InboxWorkflowTest, TheSlaCheckCountsEachBreachOnceAndTracksOverdueItems) {
  const std::string urgent = Open("b1", "there is a gun in the lobby").name();  // due in 15m
  const std::string high = Open("b2", "rude").name();                           // due in 1h
  clock_.Advance(absl::Minutes(10));
  auto report = listener_->CheckInboxSla();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->breaches_recorded, 0);
  EXPECT_EQ(metrics_.SlaOverdue("urgent"), 0);

  clock_.Advance(absl::Minutes(10));
  report = listener_->CheckInboxSla();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->breaches_recorded, 1);
  EXPECT_EQ(metrics_.SlaBreachCount("urgent"), 1);
  EXPECT_EQ(metrics_.SlaOverdue("urgent"), 1);
  EXPECT_EQ(metrics_.SlaOverdue("high"), 0);
  EXPECT_EQ(FromTimestamp(Stored(urgent).sla_breach_time()), clock_.Now());
  std::vector<common::Event> breached = Events("carecast.inbox.sla_breached");
  ASSERT_EQ(breached.size(), 1u);
  EXPECT_EQ(breached[0].id, "inbox." + urgent.substr(11) + ".sla_breached");

  // Again: still overdue, not breached twice.
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(listener_->CheckInboxSla().ok());
  EXPECT_EQ(metrics_.SlaBreachCount("urgent"), 1);
  EXPECT_EQ(metrics_.SlaOverdue("urgent"), 1);

  // Answered: no longer overdue; the breach stays counted.
  ASSERT_TRUE(listener_->AssignInboxItem(urgent, "bob", "alice", kHub).ok());
  ASSERT_TRUE(listener_->SetInboxItemWaiting(urgent, "bob", kHub).ok());
  ASSERT_TRUE(listener_->CheckInboxSla().ok());
  EXPECT_EQ(metrics_.SlaOverdue("urgent"), 0);
  EXPECT_EQ(metrics_.SlaBreachCount("urgent"), 1);
  EXPECT_EQ(Events("carecast.inbox.sla_breached").size(), 1u);

  // A late first response between checks records its breach in the same write.
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(listener_->ResolveInboxItem(high, "answered late", "bob", kHub).ok());
  EXPECT_EQ(metrics_.SlaBreachCount("high"), 1);
  EXPECT_TRUE(Stored(high).has_sla_breach_time());
  EXPECT_EQ(Events("carecast.inbox.sla_breached").size(), 2u);
  ASSERT_TRUE(listener_->CheckInboxSla().ok());
  EXPECT_EQ(metrics_.SlaBreachCount("high"), 1);
  EXPECT_EQ(metrics_.SlaOverdue("high"), 0);
}

TEST_F(InboxWorkflowTest, UrgentItemsCarryTheResponderGuidance) {
  const v1::InboxItem urgent = Open("g1", "someone has a gun in the ER");
  EXPECT_EQ(urgent.priority(), v1::PRIORITY_URGENT);
  EXPECT_THAT(urgent.responder_guidance(),
              ElementsAre(std::string(testing::FakeMentionClassifier::kUrgentGuidance)));
  EXPECT_TRUE(Open("g2", "rude").responder_guidance().empty());
}

TEST_F(InboxWorkflowTest, ItemsStoredBeforeTheWorkflowReadAsNewAndResolved) {
  const std::string open = Open("l1", "rude").name();
  const std::string closed = Open("l2", "rude").name();
  // Rewrite them as the older listener stored them: OPEN and CLOSED.
  for (const auto& [name, state] : {std::pair{open, v1::INBOX_ITEM_STATE_OPEN},
                                    std::pair{closed, v1::INBOX_ITEM_STATE_CLOSED}}) {
    v1::InboxItem item = Stored(name);
    item.set_state(state);
    if (state == v1::INBOX_ITEM_STATE_CLOSED) {
      *item.mutable_close_time() = ToTimestamp(clock_.Now());
      item.set_closed_by("alice");
    }
    ASSERT_TRUE(kv_.Bucket("carecast_inbox").Put(name.substr(11), item.SerializeAsString()).ok());
  }
  ASSERT_TRUE(listener_->ReconcileInboxIndex().ok());
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_NEW), ElementsAre(open));
  EXPECT_THAT(Names(v1::INBOX_ITEM_STATE_RESOLVED), ElementsAre(closed));
  auto page = listener_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 10, "", kHub);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].state(), v1::INBOX_ITEM_STATE_NEW);
  // The next write stores the new value.
  ASSERT_TRUE(listener_->AssignInboxItem(open, "bob", "alice", kHub).ok());
  EXPECT_EQ(Stored(open).state(), v1::INBOX_ITEM_STATE_ASSIGNED);
  EXPECT_EQ(listener_->ResolveInboxItem(closed, "again", "bob", kHub).status(),
            absl::FailedPreconditionError(
                absl::StrCat("inbox item ", closed.substr(11), " is already resolved")));
}

}  // namespace
}  // namespace carecast::listener
