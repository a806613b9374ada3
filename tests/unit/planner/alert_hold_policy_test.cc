// The automatic publishing hold on alerts: which alerts hold, that the hold is
// the policy principal's and audited like a person's, that a redelivered or
// second alert holds once, and that nothing resumes publishing automatically.
#include "services/planner/alert_hold_policy.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

v1::Alert MakeAlert(v1::AlertSeverity severity, v1::AlertState state = v1::ALERT_STATE_ACTIVE,
                    const std::vector<std::string>& spokes = {}) {
  v1::Alert alert;
  alert.set_name("alerts/crisis-outbreak-20261207t0600");
  alert.set_series("crisis:outbreak");
  alert.set_severity(severity);
  alert.set_state(state);
  alert.set_count(7);
  for (const std::string& spoke : spokes) alert.add_spokes(spoke);
  return alert;
}

common::Event AlertEvent(std::string_view subject, const v1::Alert& alert, std::string id) {
  v1::AlertChanged payload;
  *payload.mutable_alert() = alert;
  return common::MakeEvent(subject, payload, "/carecast/metrics", absl::UnixEpoch(), std::move(id));
}

TEST(AlertHoldDecisionTest, OffNeverHolds) {
  const AlertHoldOptions off{.mode = AlertHoldMode::kOff,
                             .min_severity = v1::ALERT_SEVERITY_WARNING};
  EXPECT_FALSE(ShouldHold(off, MakeAlert(v1::ALERT_SEVERITY_SEVERE)));
  EXPECT_FALSE(ShouldHold(off, MakeAlert(v1::ALERT_SEVERITY_WARNING)));
  EXPECT_FALSE(ShouldHold(AlertHoldOptions{}, MakeAlert(v1::ALERT_SEVERITY_SEVERE)))
      << "the default must be off";
}

TEST(AlertHoldDecisionTest, SevereThresholdHoldsOnlySevereAlerts) {
  const AlertHoldOptions severe{.mode = AlertHoldMode::kGlobal};
  EXPECT_TRUE(ShouldHold(severe, MakeAlert(v1::ALERT_SEVERITY_SEVERE)));
  EXPECT_FALSE(ShouldHold(severe, MakeAlert(v1::ALERT_SEVERITY_WARNING)));
  EXPECT_FALSE(ShouldHold(severe, MakeAlert(v1::ALERT_SEVERITY_UNSPECIFIED)));
}

TEST(AlertHoldDecisionTest, WarningThresholdHoldsWarningAndSevereAlerts) {
  const AlertHoldOptions warning{.mode = AlertHoldMode::kGlobal,
                                 .min_severity = v1::ALERT_SEVERITY_WARNING};
  EXPECT_TRUE(ShouldHold(warning, MakeAlert(v1::ALERT_SEVERITY_SEVERE)));
  EXPECT_TRUE(ShouldHold(warning, MakeAlert(v1::ALERT_SEVERITY_WARNING)));
  EXPECT_FALSE(ShouldHold(warning, MakeAlert(v1::ALERT_SEVERITY_UNSPECIFIED)));
}

TEST(AlertHoldDecisionTest, ResolvedAlertsNeverHold) {
  const AlertHoldOptions warning{.mode = AlertHoldMode::kGlobal,
                                 .min_severity = v1::ALERT_SEVERITY_WARNING};
  EXPECT_FALSE(ShouldHold(warning, MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_RESOLVED)));
}

TEST(AlertHoldDecisionTest, ReasonNamesTheAlertSeriesAndCount) {
  EXPECT_EQ(AlertHoldReason(MakeAlert(v1::ALERT_SEVERITY_SEVERE)),
            "automatic hold: alert alerts/crisis-outbreak-20261207t0600 (crisis:outbreak, 7 "
            "mentions)");
}

TEST(AlertHoldDecisionTest, GlobalHoldsEverywhereEvenWhenTheAlertNamesSpokes) {
  const AlertHoldOptions global{.mode = AlertHoldMode::kGlobal};
  EXPECT_EQ(AlertHoldTargets(global, MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_ACTIVE,
                                               {"spokes/west"})),
            std::vector<std::string>{""});
}

TEST(AlertHoldDecisionTest, SpokeHoldsTheAlertsSpokesOrEverywhereWhenItNamesNone) {
  const AlertHoldOptions spoke{.mode = AlertHoldMode::kSpoke};
  EXPECT_EQ(AlertHoldTargets(spoke, MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_ACTIVE,
                                              {"spokes/west", "spokes/east", "spokes/west"})),
            (std::vector<std::string>{"spokes/east", "spokes/west"}));
  EXPECT_EQ(AlertHoldTargets(spoke, MakeAlert(v1::ALERT_SEVERITY_SEVERE)),
            std::vector<std::string>{""});
  EXPECT_EQ(
      AlertHoldTargets(spoke, MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_ACTIVE, {""})),
      std::vector<std::string>{""});
}

TEST(AlertHoldDecisionTest, RequestIdIsDerivedFromTheEventAndBounded) {
  EXPECT_NE(AlertHoldRequestId("ev-1"), AlertHoldRequestId("ev-1", "spokes/west"));
  EXPECT_NE(AlertHoldRequestId("ev-1", "spokes/east"), AlertHoldRequestId("ev-1", "spokes/west"));
  EXPECT_LE(AlertHoldRequestId(std::string(100, 'e'), "spokes/" + std::string(63, 's')).size(),
            128u);
  EXPECT_EQ(AlertHoldRequestId("ev-1"), AlertHoldRequestId("ev-1"));
  EXPECT_NE(AlertHoldRequestId("ev-1"), AlertHoldRequestId("ev-2"));
  const std::string long_id(400, 'x');
  EXPECT_LE(AlertHoldRequestId(long_id).size(), 128u);
  EXPECT_NE(AlertHoldRequestId(long_id), AlertHoldRequestId(std::string(401, 'x')));
}

class AlertHoldPolicyTest : public PlannerFixture {
 protected:
  std::unique_ptr<AlertHoldPolicy> Policy(const AlertHoldOptions& options) {
    return std::make_unique<AlertHoldPolicy>(
        options, AlertHoldDeps{.planner = *planner_, .bus = bus_, .logger = logger_});
  }

  v1::PublishingState State() {
    auto state = planner_->GetPublishingState(admin_, {});
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? state->state() : v1::PublishingState{};
  }

  std::vector<v1::AuditEntry> Trail() {
    v1::ListAuditEntriesRequest request;
    request.set_resource("publishing");
    auto page = planner_->ListAuditEntries(admin_, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return {};
    return {page->entries().begin(), page->entries().end()};
  }

  const common::Caller admin_ = MakeCaller("ada", common::Role::kAdmin);
  const AlertHoldOptions global_{.mode = AlertHoldMode::kGlobal};
};

TEST_F(AlertHoldPolicyTest, SevereAlertHoldsEverywhereAsThePolicyPrincipalAudited) {
  auto policy = Policy(global_);
  const common::Event event = AlertEvent(common::subjects::kAlertRaised,
                                         MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1");
  EXPECT_EQ(policy->OnEvent(event), common::Disposition::kAck);

  const v1::PublishingState state = State();
  EXPECT_TRUE(state.held());
  EXPECT_EQ(state.changed_by(), "carecast-alert-policy");
  EXPECT_EQ(state.reason(), AlertHoldReason(MakeAlert(v1::ALERT_SEVERITY_SEVERE)));
  EXPECT_EQ(state.spoke_holds_size(), 0);

  const std::vector<v1::AuditEntry> trail = Trail();
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].action(), "publishing.hold");
  EXPECT_EQ(trail[0].actor(), "carecast-alert-policy");
  EXPECT_EQ(trail[0].role(), "service");
  EXPECT_EQ(trail[0].request_id(), AlertHoldRequestId("alert-ev-1"));
  EXPECT_EQ(trail[0].detail(), state.reason());
  EXPECT_EQ(bus_.Published("carecast.publishing.held").size(), 1u);
}

TEST_F(AlertHoldPolicyTest, RedeliveryAndASecondAlertHoldOnce) {
  auto policy = Policy(global_);
  const common::Event first = AlertEvent(common::subjects::kAlertRaised,
                                         MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1");
  ASSERT_EQ(policy->OnEvent(first), common::Disposition::kAck);
  const Snapshot after_first = Take();

  common::Event again = first;
  again.delivery_count = 2;
  EXPECT_EQ(policy->OnEvent(again), common::Disposition::kAck);
  // A second planner replica handling the same event replays the same request.
  EXPECT_EQ(Policy(global_)->OnEvent(first), common::Disposition::kAck);
  ExpectUnchanged(after_first, "the same alert delivered again");

  // Another alert while held: already held, nothing new on record.
  const common::Event second = AlertEvent(common::subjects::kAlertRaised,
                                          MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-2");
  EXPECT_EQ(policy->OnEvent(second), common::Disposition::kAck);
  EXPECT_EQ(Trail().size(), 1u);
  EXPECT_EQ(bus_.Published("carecast.publishing.held").size(), 1u);
}

TEST_F(AlertHoldPolicyTest, ARedeliveryAfterAPersonResumedDoesNotHoldAgain) {
  auto policy = Policy(global_);
  const common::Event event = AlertEvent(common::subjects::kAlertRaised,
                                         MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1");
  ASSERT_EQ(policy->OnEvent(event), common::Disposition::kAck);
  ASSERT_TRUE(planner_->ResumePublishing(admin_, {}).ok());
  // The same alert event delivered late (ack lost, the other replica): the
  // request_id replays the first hold instead of overriding the person's resume.
  common::Event late = event;
  late.delivery_count = 3;
  EXPECT_EQ(policy->OnEvent(late), common::Disposition::kAck);
  EXPECT_FALSE(State().held());
  EXPECT_EQ(bus_.Published("carecast.publishing.held").size(), 1u);
  // A new alert does hold again.
  EXPECT_EQ(policy->OnEvent(AlertEvent(common::subjects::kAlertRaised,
                                       MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-2")),
            common::Disposition::kAck);
  EXPECT_TRUE(State().held());
}

TEST_F(AlertHoldPolicyTest, SpokePolicyHoldsOnlyTheAlertsSpokesOnceEach) {
  MakeSpoke("west");
  MakeSpoke("east");
  MakeSpoke("north");
  auto policy = Policy({.mode = AlertHoldMode::kSpoke});
  const common::Event event = AlertEvent(
      common::subjects::kAlertRaised,
      MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_ACTIVE, {"spokes/west", "spokes/east"}),
      "alert-ev-1");
  EXPECT_EQ(policy->OnEvent(event), common::Disposition::kAck);
  const v1::PublishingState state = State();
  EXPECT_FALSE(state.held()) << "a spoke alert must not hold everywhere";
  ASSERT_EQ(state.spoke_holds_size(), 2);
  EXPECT_EQ(state.spoke_holds(0).spoke(), "spokes/east");
  EXPECT_EQ(state.spoke_holds(1).spoke(), "spokes/west");
  for (const v1::SpokeHold& hold : state.spoke_holds()) {
    EXPECT_EQ(hold.changed_by(), "carecast-alert-policy");
    EXPECT_EQ(hold.reason(), AlertHoldReason(MakeAlert(v1::ALERT_SEVERITY_SEVERE)));
  }
  const std::vector<v1::AuditEntry> trail = Trail();
  ASSERT_EQ(trail.size(), 2u);
  for (const v1::AuditEntry& entry : trail) {
    EXPECT_EQ(entry.actor(), "carecast-alert-policy");
    EXPECT_EQ(entry.role(), "service");
  }
  const Snapshot after = Take();
  EXPECT_EQ(policy->OnEvent(event), common::Disposition::kAck);
  ExpectUnchanged(after, "the same spoke alert delivered again");
}

TEST_F(AlertHoldPolicyTest, SpokePolicyHoldsEverywhereWhenTheAlertNamesNoSpoke) {
  auto policy = Policy({.mode = AlertHoldMode::kSpoke});
  EXPECT_EQ(policy->OnEvent(AlertEvent(common::subjects::kAlertRaised,
                                       MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1")),
            common::Disposition::kAck);
  EXPECT_TRUE(State().held());
  EXPECT_EQ(State().spoke_holds_size(), 0);
}

TEST_F(AlertHoldPolicyTest, SpokePolicyHoldsEverywhereWhenASpokeIsUnknown) {
  MakeSpoke("west");
  auto policy = Policy({.mode = AlertHoldMode::kSpoke});
  EXPECT_EQ(policy->OnEvent(AlertEvent(common::subjects::kAlertRaised,
                                       MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_ACTIVE,
                                                 {"spokes/west", "spokes/gone"}),
                                       "alert-ev-1")),
            common::Disposition::kAck);
  const v1::PublishingState state = State();
  EXPECT_TRUE(state.held());
  ASSERT_EQ(state.spoke_holds_size(), 1);
  EXPECT_EQ(state.spoke_holds(0).spoke(), "spokes/west");
}

TEST_F(AlertHoldPolicyTest, WarningBelowTheThresholdAndResolvedAlertsChangeNothing) {
  auto policy = Policy(global_);
  const Snapshot before = Take();
  EXPECT_EQ(policy->OnEvent(AlertEvent(common::subjects::kAlertRaised,
                                       MakeAlert(v1::ALERT_SEVERITY_WARNING), "warn-1")),
            common::Disposition::kAck);
  EXPECT_EQ(policy->OnEvent(AlertEvent(
                common::subjects::kAlertResolved,
                MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_RESOLVED), "resolved-1")),
            common::Disposition::kAck);
  ExpectUnchanged(before, "a warning under the severe threshold, then a resolved alert");
  EXPECT_FALSE(State().held());
}

TEST_F(AlertHoldPolicyTest, OffChangesNothingEvenForASevereAlert) {
  auto policy = Policy(AlertHoldOptions{});
  ASSERT_TRUE(policy->Start().ok());
  const Snapshot before = Take();
  EXPECT_EQ(policy->OnEvent(AlertEvent(common::subjects::kAlertRaised,
                                       MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1")),
            common::Disposition::kAck);
  ExpectUnchanged(before, "a severe alert with the policy off");
}

TEST_F(AlertHoldPolicyTest, AResolvedAlertNeverResumesPublishing) {
  auto policy = Policy(global_);
  ASSERT_EQ(policy->OnEvent(AlertEvent(common::subjects::kAlertRaised,
                                       MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1")),
            common::Disposition::kAck);
  policy->OnEvent(AlertEvent(common::subjects::kAlertResolved,
                             MakeAlert(v1::ALERT_SEVERITY_SEVERE, v1::ALERT_STATE_RESOLVED),
                             "resolved-1"));
  EXPECT_TRUE(State().held());
  EXPECT_TRUE(bus_.Published("carecast.publishing.resumed").empty());
}

TEST_F(AlertHoldPolicyTest, AnUnreadableAlertIsRejectedNotHeld) {
  auto policy = Policy(global_);
  common::Event garbage = AlertEvent(common::subjects::kAlertRaised,
                                     MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1");
  garbage.data = "\xff\xff not a protobuf";
  EXPECT_EQ(policy->OnEvent(garbage), common::Disposition::kReject);
  EXPECT_FALSE(State().held());
}

TEST_F(AlertHoldPolicyTest, StartedPolicyHoldsOnAnAlertPublishedOnTheBus) {
  auto policy = Policy(global_);
  ASSERT_TRUE(policy->Start().ok());
  ASSERT_TRUE(bus_.Publish(AlertEvent(common::subjects::kAlertRaised,
                                      MakeAlert(v1::ALERT_SEVERITY_SEVERE), "alert-ev-1"))
                  .ok());
  ASSERT_TRUE(bus_.WaitUntilDrained(absl::Seconds(10)));
  EXPECT_TRUE(State().held());
  EXPECT_EQ(State().changed_by(), "carecast-alert-policy");
}

}  // namespace
}  // namespace carecast::planner
