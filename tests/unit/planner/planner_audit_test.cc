// The audit trail: one entry per change, hash-chained per resource, linear even
// when several planner replicas append at once.
#include <thread>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/common/store/outbox.h"
#include "services/planner/audit_trail.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

class PlannerAuditTest : public PlannerFixture {
 protected:
  std::vector<v1::AuditEntry> Entries(const std::string& resource) {
    std::vector<v1::AuditEntry> out;
    v1::ListAuditEntriesRequest req;
    req.set_resource(resource);
    req.set_page_size(2);  // exercises paging too
    while (true) {
      auto page = planner_->ListAuditEntries(writer_, req);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      for (const auto& e : page->entries()) out.push_back(e);
      if (page->next_page_token().empty()) return out;
      req.set_page_token(page->next_page_token());
    }
  }

  static void ExpectChained(const std::vector<v1::AuditEntry>& entries) {
    for (size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(entries[i].entry_hash(), AuditEntryHash(entries[i])) << "entry " << i;
      EXPECT_EQ(entries[i].entry_hash().size(), 64u);
      EXPECT_EQ(entries[i].previous_hash(), i == 0 ? "" : entries[i - 1].entry_hash())
          << "entry " << i << " does not link to its predecessor";
    }
  }
};

TEST_F(PlannerAuditTest, EveryContentChangeIsOneLinkedEntryWithActorRoleAndVersion) {
  v1::Content draft = DraftContent("Free flu shots this Saturday.");
  v1::Content approved = Approve(Submit(draft));
  v1::UpdateContentRequest update;
  *update.mutable_content() = approved;
  update.mutable_content()->set_text("Now on Sunday too.");
  update.set_expected_version(1);
  update.set_request_id("edit-7");
  auto updated = planner_->UpdateContent(writer_, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  v1::Content resubmitted = Submit(updated->content());
  v1::RejectContentRequest reject;
  reject.set_name(draft.name());
  reject.set_version(2);
  reject.set_reason("too vague");
  ASSERT_TRUE(planner_->RejectContent(reviewer_, reject).ok());

  std::vector<v1::AuditEntry> entries = Entries(draft.name());
  ASSERT_EQ(entries.size(), 6u);
  const std::vector<std::string> actions = {"content.create", "content.submit", "content.approve",
                                            "content.update", "content.submit", "content.reject"};
  const std::vector<std::string> actors = {"wendy", "wendy", "rita", "wendy", "wendy", "rita"};
  const std::vector<int64_t> versions = {1, 1, 1, 2, 2, 2};
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].action(), actions[i]);
    EXPECT_EQ(entries[i].actor(), actors[i]);
    EXPECT_EQ(entries[i].version(), versions[i]);
    EXPECT_EQ(entries[i].resource(), draft.name());
  }
  EXPECT_EQ(entries[2].role(), "clinical_reviewer");
  EXPECT_EQ(entries[0].role(), "content_developer");
  EXPECT_EQ(entries[2].content_hash(), draft.content_hash());
  EXPECT_EQ(entries[3].content_hash(), updated->content().content_hash());
  EXPECT_EQ(entries[3].request_id(), "edit-7");
  EXPECT_EQ(entries[3].detail(), "new version; approval voided");
  EXPECT_EQ(entries[5].detail(), "too vague");
  ExpectChained(entries);

  // Other resources have chains of their own.
  EXPECT_TRUE(Entries("contents/other").empty());
  // And audit entries live on the audit stream, one subject per resource.
  auto stored = bus_.Published("carecast.audit.contents." + draft.name().substr(9));
  EXPECT_EQ(stored.size(), 6u);
}

TEST_F(PlannerAuditTest, TwoReplicasKeepOneLinearChain) {
  std::unique_ptr<Planner> second = NewPlanner();
  v1::Content c = DraftContent("Free flu shots this Saturday.");
  // Alternate replicas for successive changes.
  v1::SubmitContentRequest submit;
  submit.set_name(c.name());
  ASSERT_TRUE(second->SubmitContent(writer_, submit).ok());
  v1::RejectContentRequest reject;
  reject.set_name(c.name());
  reject.set_version(1);
  reject.set_reason("no");
  ASSERT_TRUE(planner_->RejectContent(reviewer_, reject).ok());
  ASSERT_TRUE(second->SubmitContent(writer_, submit).ok());
  std::vector<v1::AuditEntry> entries = Entries(c.name());
  ASSERT_EQ(entries.size(), 4u);
  ExpectChained(entries);
}

TEST_F(PlannerAuditTest, ConcurrentAppendsOnOneSubjectStayLinked) {
  // Several threads record changes of one resource at once; compare-and-set on
  // the last subject sequence forces them into one chain.
  testing::InMemoryKeyValueStore markers;
  common::Outbox a(bus_, markers, clock_, logger_, common::NullOutboxObserver(), "a");
  common::Outbox b(bus_, markers, clock_, logger_, common::NullOutboxObserver(), "b");
  common::Caller caller = MakeCaller("alice", common::Role::kStrategist);
  v1::PublishingChanged payload;
  auto run = [&](common::Outbox& trail, int offset) {
    for (int i = 0; i < 20; ++i) {
      ChangeFacts facts{.resource = "publishing",
                        .base_revision = static_cast<uint64_t>(offset + i),
                        .fact = "held",
                        .subject = common::subjects::kPublishingHeld,
                        .payload = &payload,
                        .action = "publishing.hold",
                        .version = 1};
      EXPECT_TRUE(trail
                      .Flush("test", common::ToOutboxItems(
                                         {MakeChange(facts, caller, "", "/test", clock_.Now())}))
                      .ok());
    }
  };
  std::thread t1(run, std::ref(a), 1000);
  std::thread t2(run, std::ref(b), 2000);
  t1.join();
  t2.join();
  std::vector<v1::AuditEntry> entries = Entries("publishing");
  ASSERT_EQ(entries.size(), 40u);
  ExpectChained(entries);
}

TEST_F(PlannerAuditTest, RecordingTheSameChangeTwiceAppendsOnce) {
  testing::InMemoryKeyValueStore markers;
  common::Outbox trail(bus_, markers, clock_, logger_, common::NullOutboxObserver(), "t");
  common::Caller caller = MakeCaller("alice", common::Role::kStrategist);
  v1::PublishingChanged payload;
  ChangeFacts facts{.resource = "publishing",
                    .base_revision = 5,
                    .fact = "held",
                    .subject = common::subjects::kPublishingHeld,
                    .payload = &payload,
                    .action = "publishing.hold",
                    .version = 1};
  Change change = MakeChange(facts, caller, "", "/test", clock_.Now());
  ASSERT_TRUE(trail.Flush("test", common::ToOutboxItems({change})).ok());
  ASSERT_TRUE(trail.Flush("test", common::ToOutboxItems({change})).ok());
  EXPECT_EQ(Entries("publishing").size(), 1u);
  EXPECT_EQ(bus_.Published("carecast.publishing.held").size(), 1u);
  EXPECT_EQ(change.event.id, "control.publishing.b5.held");
}

TEST_F(PlannerAuditTest, ATamperedEntryNoLongerMatchesItsHash) {
  DraftContent("Free flu shots this Saturday.");
  auto events = bus_.Published("carecast.audit.>");
  ASSERT_EQ(events.size(), 1u);
  v1::AuditRecorded recorded;
  ASSERT_TRUE(common::DecodeEvent(events[0], &recorded).ok());
  v1::AuditEntry entry = recorded.entry();
  EXPECT_EQ(AuditEntryHash(entry), entry.entry_hash());
  entry.set_actor("mallory");
  EXPECT_NE(AuditEntryHash(entry), entry.entry_hash());
}

}  // namespace
}  // namespace carecast::planner
