#include "services/publisher/channels/sandbox_channel.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/base/ids.h"

namespace carecast::publisher {
namespace {

// A lookup by idempotency key alone (what the sandbox matches on).
PublishRequest ByKey(std::string key) {
  PublishRequest request;
  request.idempotency_key = std::move(key);
  return request;
}

class SandboxChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("carecast-sandbox-", common::NewId()))
               .string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SandboxChannel> OpenChannel(const std::string& publisher_id) {
    auto channel = SandboxChannel::Open(dir_, publisher_id, clock_);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.ok() ? *std::move(channel) : nullptr;
  }
  static PublishRequest Request(const std::string& post_id, int64_t version = 1) {
    PublishRequest r;
    r.post = "posts/" + post_id;
    r.content_version = version;
    r.idempotency_key = absl::StrCat(post_id, ".v", version);
    r.account = "spokes/s1/accounts/a1";
    r.network = carecast::v1::NETWORK_SANDBOX;
    r.text = "Flu shot clinics open \"Saturday\"\n\xE2\x9C\x93";
    return r;
  }
  std::vector<std::string> Lines() {
    std::ifstream in(std::filesystem::path(dir_) / "deliveries.jsonl");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::string dir_;
  common::FakeClock clock_;
};

TEST_F(SandboxChannelTest, RecordsOneJsonLinePerDelivery) {
  auto channel = OpenChannel("pub-a");
  auto receipt = channel->Publish(Request("p1"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->external_id.substr(0, 4), "sbx-");
  ASSERT_EQ(Lines().size(), 1u);

  auto parsed = DeliveryFromJsonLine(Lines()[0]);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->post, "posts/p1");
  EXPECT_EQ(parsed->content_version, 1);
  EXPECT_EQ(parsed->network, carecast::v1::NETWORK_SANDBOX);
  EXPECT_EQ(parsed->account, "spokes/s1/accounts/a1");
  EXPECT_EQ(parsed->external_id, receipt->external_id);
  EXPECT_EQ(parsed->text, Request("p1").text);
  EXPECT_EQ(parsed->deliver_time, clock_.Now());
  EXPECT_EQ(parsed->publisher_id, "pub-a");
  EXPECT_EQ(parsed->idempotency_key, "p1.v1");
}

TEST_F(SandboxChannelTest, RepeatedKeyReturnsTheFirstReceiptAcrossInstances) {
  auto a = OpenChannel("pub-a");
  auto b = OpenChannel("pub-b");
  auto first = a->Publish(Request("p1"));
  auto second = b->Publish(Request("p1"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->external_id, second->external_id);
  auto other_version = b->Publish(Request("p1", 2));
  ASSERT_TRUE(other_version.ok());
  EXPECT_NE(other_version->external_id, first->external_id);
  EXPECT_EQ(Lines().size(), 2u);
}

TEST_F(SandboxChannelTest, FindByMarkerSeesDeliveriesOfOtherInstances) {
  auto a = OpenChannel("pub-a");
  auto b = OpenChannel("pub-b");
  auto none = b->FindPublished(ByKey("p1.v1"), absl::InfinitePast());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto receipt = a->Publish(Request("p1"));
  auto found = b->FindPublished(ByKey("p1.v1"), absl::InfinitePast());
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, receipt->external_id);
}

TEST_F(SandboxChannelTest, TwoInstancesRacingOnTheSameKeysRecordEachOnce) {
  auto a = OpenChannel("pub-a");
  auto b = OpenChannel("pub-b");
  constexpr int kKeys = 200;
  auto run = [&](SandboxChannel& channel) {
    for (int i = 0; i < kKeys; ++i)
      ASSERT_TRUE(channel.Publish(Request(absl::StrCat("p", i))).ok());
  };
  std::thread ta([&] { run(*a); });
  std::thread tb([&] { run(*b); });
  ta.join();
  tb.join();
  std::set<std::string> keys;
  for (const auto& line : Lines()) keys.insert(DeliveryFromJsonLine(line)->idempotency_key);
  EXPECT_EQ(Lines().size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(keys.size(), static_cast<size_t>(kKeys));
}

TEST_F(SandboxChannelTest, TwoProcessesRacingOnTheSameKeysRecordEachOnce) {
  constexpr int kKeys = 150;
  auto publish_all = [&](const std::string& id) {
    common::SystemClock clock;
    auto channel = SandboxChannel::Open(dir_, id, clock);
    if (!channel.ok()) return false;
    for (int i = 0; i < kKeys; ++i)
      if (!(*channel)->Publish(Request(absl::StrCat("p", i))).ok()) return false;
    return true;
  };
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(publish_all("child") ? 0 : 1);
  bool parent_ok = publish_all("parent");
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(parent_ok);
  std::set<std::string> keys;
  for (const auto& line : Lines()) keys.insert(DeliveryFromJsonLine(line)->idempotency_key);
  EXPECT_EQ(Lines().size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(keys.size(), static_cast<size_t>(kKeys));
}

TEST_F(SandboxChannelTest, TornLastLineDoesNotSwallowTheNextDelivery) {
  {
    auto a = OpenChannel("pub-a");
    ASSERT_TRUE(a->Publish(Request("p1")).ok());
  }
  {
    std::ofstream out(std::filesystem::path(dir_) / "deliveries.jsonl", std::ios::app);
    out << "{\"post\":\"posts/p9\",\"idem";  // a writer died mid-line
  }
  auto b = OpenChannel("pub-b");
  ASSERT_TRUE(b->Publish(Request("p2")).ok());
  auto list = b->ListDeliveries(0, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].post, "posts/p1");
  EXPECT_EQ((*list)[1].post, "posts/p2");
  auto c = OpenChannel("pub-c");
  auto found = c->FindPublished(ByKey("p2.v1"), absl::InfinitePast());
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->has_value());
}

TEST_F(SandboxChannelTest, ListDeliveriesPagesInOrder) {
  auto a = OpenChannel("pub-a");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->Publish(Request(absl::StrCat("p", i))).ok());
  auto page = a->ListDeliveries(3, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].post, "posts/p3");
  EXPECT_EQ((*page)[1].post, "posts/p4");
}

TEST_F(SandboxChannelTest, RequestWithoutKeyIsRefusedPermanently) {
  auto a = OpenChannel("pub-a");
  PublishRequest r = Request("p1");
  r.idempotency_key.clear();
  auto receipt = a->Publish(r);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(ClassifyChannelError(receipt.status()).kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(Lines().empty());
  std::vector<SandboxCall> calls = ReadSandboxCalls(dir_).value();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].result, "refused");
}

std::vector<SandboxCall> Calls(const std::string& dir) {
  auto calls = ReadSandboxCalls(dir);
  EXPECT_TRUE(calls.ok()) << calls.status();
  return calls.ok() ? *std::move(calls) : std::vector<SandboxCall>();
}

TEST_F(SandboxChannelTest, EveryCallIsCountedAndARepeatIsMarked) {
  auto a = OpenChannel("pub-a");
  auto b = OpenChannel("pub-b");
  EXPECT_TRUE(Calls(dir_).empty());
  clock_.Advance(absl::Seconds(3));
  ASSERT_TRUE(a->Publish(Request("p1")).ok());
  ASSERT_TRUE(b->Publish(Request("p1")).ok());  // deduped, and still counted
  ASSERT_TRUE(b->Publish(Request("p2")).ok());
  std::vector<SandboxCall> calls = Calls(dir_);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].idempotency_key, "p1.v1");
  EXPECT_EQ(calls[0].post, "posts/p1");
  EXPECT_EQ(calls[0].publisher_id, "pub-a");
  EXPECT_EQ(calls[0].time, clock_.Now());
  EXPECT_FALSE(calls[0].repeat);
  EXPECT_EQ(calls[0].result, "delivered");
  EXPECT_EQ(calls[1].idempotency_key, "p1.v1");
  EXPECT_EQ(calls[1].publisher_id, "pub-b");
  EXPECT_TRUE(calls[1].repeat);
  EXPECT_EQ(calls[1].result, "repeat");
  EXPECT_EQ(calls[2].idempotency_key, "p2.v1");
  EXPECT_FALSE(calls[2].repeat);
  EXPECT_EQ(Lines().size(), 2u) << "the dedupe still records a key once";
}

TEST_F(SandboxChannelTest, CallsOfTwoProcessesAreAllCounted) {
  constexpr int kKeys = 40;
  auto publish_all = [&](const std::string& id) {
    common::SystemClock clock;
    auto channel = SandboxChannel::Open(dir_, id, clock);
    if (!channel.ok()) return false;
    for (int i = 0; i < kKeys; ++i)
      if (!(*channel)->Publish(Request(absl::StrCat("p", i))).ok()) return false;
    return true;
  };
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(publish_all("child") ? 0 : 1);
  bool parent_ok = publish_all("parent");
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(parent_ok);
  std::map<std::string, int> delivered, repeated;
  for (const SandboxCall& call : Calls(dir_))
    ++(call.repeat ? repeated : delivered)[call.idempotency_key];
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, n] : delivered) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(repeated.size(), static_cast<size_t>(kKeys)) << "each key was repeated once";
}

TEST_F(SandboxChannelTest, TornCallLineDoesNotSwallowTheNextCall) {
  auto a = OpenChannel("pub-a");
  ASSERT_TRUE(a->Publish(Request("p1")).ok());
  {
    std::ofstream out(std::filesystem::path(dir_) / "calls.jsonl", std::ios::app);
    out << "{\"idempotency_key\":\"p9";  // a writer died mid-line
  }
  EXPECT_EQ(Calls(dir_).size(), 1u);
  ASSERT_TRUE(a->Publish(Request("p2")).ok());
  std::vector<SandboxCall> calls = Calls(dir_);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].idempotency_key, "p2.v1");
}

TEST_F(SandboxChannelTest, RefuseTriggerFailsPermanentlyAndDeliversNothing) {
  auto a = OpenChannel("pub-a");
  PublishRequest r = Request("p1");
  r.text = "Flu clinic moved [sandbox:refuse] to Monday";
  auto receipt = a->Publish(r);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(ClassifyChannelError(receipt.status()).kind, ChannelErrorKind::kPermanent);
  EXPECT_TRUE(Lines().empty());
  auto found = a->FindPublished(ByKey("p1.v1"), absl::InfinitePast());
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  std::vector<SandboxCall> calls = Calls(dir_);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].result, "refused");
}

TEST_F(SandboxChannelTest, UnknownTriggerLeavesNothingForFindByMarker) {
  auto a = OpenChannel("pub-a");
  PublishRequest r = Request("p1");
  r.text = "Flu clinic [sandbox:unknown]";
  auto receipt = a->Publish(r);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(ClassifyChannelError(receipt.status()).kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_TRUE(Lines().empty());
  auto found = OpenChannel("pub-b")->FindPublished(ByKey("p1.v1"), absl::InfinitePast());
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  std::vector<SandboxCall> calls = Calls(dir_);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].result, "unknown");
  EXPECT_FALSE(calls[0].repeat);
}

TEST_F(SandboxChannelTest, LostReceiptTriggerDeliversButReportsUnknown) {
  auto a = OpenChannel("pub-a");
  PublishRequest r = Request("p1");
  r.text = "Flu clinic [sandbox:lost-receipt]";
  auto receipt = a->Publish(r);
  ASSERT_FALSE(receipt.ok());
  EXPECT_EQ(ClassifyChannelError(receipt.status()).kind, ChannelErrorKind::kOutcomeUnknown);
  ASSERT_EQ(Lines().size(), 1u);
  auto found = OpenChannel("pub-b")->FindPublished(ByKey("p1.v1"), absl::InfinitePast());
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->external_id, DeliveryFromJsonLine(Lines()[0])->external_id);
  // A retry with the same key is a repeat: it returns the first receipt.
  auto again = a->Publish(r);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->external_id, (*found)->external_id);
  std::vector<SandboxCall> calls = Calls(dir_);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].result, "lost_receipt");
  EXPECT_EQ(calls[1].result, "repeat");
  EXPECT_TRUE(calls[1].repeat);
}

TEST(SandboxCallJsonTest, RoundTripsAndRejectsMalformedLines) {
  SandboxCall call;
  call.idempotency_key = "p1.v2";
  call.post = "posts/p1";
  call.publisher_id = "pub-a";
  call.time = absl::FromUnixMillis(1'700'000'000'123);
  call.repeat = true;
  call.result = "repeat";
  auto parsed = SandboxCallFromJsonLine(SandboxCallToJsonLine(call));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->idempotency_key, call.idempotency_key);
  EXPECT_EQ(parsed->post, call.post);
  EXPECT_EQ(parsed->publisher_id, call.publisher_id);
  EXPECT_EQ(parsed->time, call.time);
  EXPECT_TRUE(parsed->repeat);
  EXPECT_EQ(parsed->result, "repeat");
  EXPECT_EQ(SandboxCallFromJsonLine("nope").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SandboxCallFromJsonLine("{\"time\":5}").status().code(), absl::StatusCode::kDataLoss);
}

TEST(DeliveryJsonTest, MalformedLinesAreDataLoss) {
  EXPECT_EQ(DeliveryFromJsonLine("not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DeliveryFromJsonLine("[1,2]").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DeliveryFromJsonLine("{\"post\":5}").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DeliveryFromJsonLine("{\"post\":\"posts/a\"}").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace carecast::publisher
