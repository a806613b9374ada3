// The audit verifier: intact chains pass; an altered entry, a broken link, a
// chain that starts after lost entries and a stream that starts late are each
// reported with the chain and the sequence.
#include "tools/carecastctl/audit_verify.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/common/bus/topology.h"
#include "services/common/store/audit_chain.h"
#include "services/common/store/audit_stream_identity.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/in_memory_key_value_store.h"

namespace carecast::ctl {
namespace {

// A chain of `n` entries for `resource`, hashed and linked as the planner writes them.
std::vector<v1::AuditEntry> Chain(const std::string& resource, int n) {
  std::vector<v1::AuditEntry> out;
  std::string previous;
  for (int i = 0; i < n; ++i) {
    v1::AuditEntry e;
    e.set_actor("rita");
    e.set_action("content.approve");
    e.set_resource(resource);
    e.set_version(i + 1);
    e.set_previous_hash(previous);
    e.set_entry_hash(common::AuditEntryHash(e));
    previous = e.entry_hash();
    out.push_back(e);
  }
  return out;
}

common::Event EventOf(const v1::AuditEntry& entry, uint64_t sequence) {
  v1::AuditRecorded recorded;
  *recorded.mutable_entry() = entry;
  common::Event event =
      common::MakeEvent(absl::StrCat("carecast.audit.", entry.resource()), recorded,
                        "/carecast/planner", absl::FromUnixSeconds(1'800'000'000));
  event.stream_sequence = sequence;
  return event;
}

// Two chains interleaved in one stream from sequence `first`.
std::vector<common::Event> Stream(const std::vector<v1::AuditEntry>& a,
                                  const std::vector<v1::AuditEntry>& b, uint64_t first = 1) {
  std::vector<common::Event> out;
  uint64_t seq = first;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) out.push_back(EventOf(a[i], seq++));
    if (i < b.size()) out.push_back(EventOf(b[i], seq++));
  }
  return out;
}

AuditVerifier Verify(const std::vector<common::Event>& events) {
  AuditVerifier v;
  for (const common::Event& e : events) v.Add(e);
  return v;
}

TEST(AuditVerifierTest, IntactChainsPass) {
  AuditVerifier v = Verify(Stream(Chain("contents.a", 3), Chain("posts.b", 2)));
  EXPECT_EQ(v.chains(), 2);
  EXPECT_EQ(v.entries(), 5);
  EXPECT_TRUE(v.problems().empty());
}

TEST(AuditVerifierTest, AnAlteredEntryIsReported) {
  std::vector<v1::AuditEntry> a = Chain("contents.a", 3);
  a[1].set_actor("mallory");  // the hash no longer matches
  AuditVerifier v = Verify(Stream(a, Chain("posts.b", 2)));
  ASSERT_EQ(v.problems().size(), 1u);
  EXPECT_EQ(v.problems()[0].subject, "carecast.audit.contents.a");
  EXPECT_EQ(v.problems()[0].sequence, 3u);
  EXPECT_NE(v.problems()[0].problem.find("does not match"), std::string::npos);
}

TEST(AuditVerifierTest, AMissingEntryBreaksTheLink) {
  std::vector<v1::AuditEntry> a = Chain("contents.a", 3);
  a.erase(a.begin() + 1);
  AuditVerifier v = Verify(Stream(a, {}));
  ASSERT_EQ(v.problems().size(), 1u);
  EXPECT_NE(v.problems()[0].problem.find("does not link"), std::string::npos);
}

TEST(AuditVerifierTest, AChainThatStartsAfterLostEntriesIsReported) {
  // The stream was deleted and re-created: the next entry links to a lost one.
  std::vector<v1::AuditEntry> a = Chain("contents.a", 3);
  a.erase(a.begin(), a.begin() + 2);
  AuditVerifier v = Verify(Stream(a, Chain("posts.b", 1)));
  ASSERT_EQ(v.problems().size(), 1u);
  EXPECT_EQ(v.problems()[0].subject, "carecast.audit.contents.a");
  EXPECT_NE(v.problems()[0].problem.find("starts after entries that are gone"), std::string::npos);
}

TEST(AuditVerifierTest, AStreamThatStartsLateIsReported) {
  AuditVerifier v = Verify(Stream(Chain("contents.a", 1), Chain("posts.b", 1), /*first=*/40));
  ASSERT_EQ(v.problems().size(), 1u);
  EXPECT_TRUE(v.problems()[0].subject.empty());
  EXPECT_EQ(v.problems()[0].sequence, 40u);
}

}  // namespace
}  // namespace carecast::ctl

namespace carecast::ctl {
namespace {

// The stream read whole from a bus, and the identity on record in the control
// bucket: a re-created stream whose chains all hold is still reported, until
// acknowledged.
class AuditStreamVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(common::EnsureStreams(bus_, {}).ok());
    control_ = *kv_.OpenBucket({.name = std::string(common::buckets::kControl)});
  }
  void Append(const std::vector<v1::AuditEntry>& chain) {
    for (const v1::AuditEntry& entry : chain) ASSERT_TRUE(bus_.Publish(EventOf(entry, 0)).ok());
  }
  absl::Status Verify(std::string* printed) {
    std::ostringstream out;
    std::ostringstream err;
    absl::Status s = VerifyAuditStream(bus_, out, err, control_.get());
    *printed = out.str();
    return s;
  }

  testing::FakeEventBus bus_;
  testing::InMemoryKeyValueStoreFactory kv_;
  std::unique_ptr<common::KeyValueStore> control_;
};

TEST_F(AuditStreamVerifyTest, ARecreatedStreamIsReportedUntilAcknowledged) {
  Append(Chain("contents.a", 3));
  std::string printed;
  ASSERT_TRUE(Verify(&printed).ok()) << printed;  // the first look records the stream
  EXPECT_NE(printed.find("3 entries in 1 chains, 0 problems"), std::string::npos) << printed;

  // Deleted and made again; the services go on writing fresh chains.
  bus_.RecreateStream(std::string(common::streams::kAudit), absl::FromUnixSeconds(1'800'000'000));
  Append(Chain("contents.a", 2));
  absl::Status s = Verify(&printed);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << printed;
  EXPECT_NE(printed.find("PROBLEM (the stream): it was made again"), std::string::npos) << printed;

  absl::StatusOr<common::AuditStreamIdentity> identity =
      common::CheckAuditStreamIdentity(bus_, *control_);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->verdict, common::AuditStreamIdentity::Verdict::kRecreated);
  ASSERT_TRUE(common::AcknowledgeAuditStream(bus_, *control_).ok());
  EXPECT_TRUE(Verify(&printed).ok()) << printed;
}

}  // namespace
}  // namespace carecast::ctl
