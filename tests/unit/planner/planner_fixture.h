// A Planner wired to in-memory fakes, with people in each role and helpers that
// build the usual resources.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/store.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/networks/channel_settings.h"
#include "services/planner/engine_guard.h"
#include "services/planner/planner.h"
#include "services/planner/planner_metrics.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/in_memory_sorted_index.h"
#include "tests/support/shared_text_engine.h"

namespace carecast::planner {

// A caller admitted under `role`, acting for `spokes` (by default every spoke:
// a hub user, as most tests are not about spokes).
inline common::Caller MakeCaller(std::string subject, common::Role role,
                                 std::vector<std::string> spokes = {"*"}) {
  common::Caller caller;
  caller.principal.subject = std::move(subject);
  caller.principal.roles = {role};
  caller.principal.spokes = std::move(spokes);
  caller.role = role;
  return caller;
}

// Every network's adapter configured, as in a deployment that sets every
// CARECAST_CHANNEL_<NET>_BASE_URL; tests of the refusal build their own.
inline common::networks::ChannelSettings AllChannels() {
  common::networks::ChannelSettings settings;
  for (v1::Network network : common::networks::AdapterNetworks()) {
    settings.endpoints[network] = {.base_url = "https://api.example"};
  }
  return settings;
}

inline PlannerOptions OptionsWithAllChannels() {
  PlannerOptions options;
  options.channels = AllChannels();
  return options;
}

inline std::vector<std::string_view> AllBuckets() {
  namespace b = common::buckets;
  return {b::kOrganisation, b::kObjectives, b::kContents,         b::kPosts,
          b::kControl,      b::kRequests,   common::kOutboxBucket};
}

class PlannerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(common::EnsureStreams(bus_, {}).ok());
    planner_ = NewPlanner();
  }

  std::unique_ptr<Planner> NewPlanner() {
    auto planner = Planner::Create(options_, {.buckets = kv_,
                                              .bus = bus_,
                                              .index = index_,
                                              .clock = clock_,
                                              .guard = guard_,
                                              .metrics = metrics_,
                                              .logger = logger_});
    EXPECT_TRUE(planner.ok()) << planner.status();
    return std::move(*planner);
  }

  // Everything the planner could change: every KV entry (with revision) and every
  // stored event.
  struct Snapshot {
    std::map<std::string, std::string> kv;
    size_t events = 0;
  };
  Snapshot Take() {
    Snapshot s;
    for (std::string_view name : AllBuckets()) {
      auto& bucket = kv_.Bucket(std::string(name));
      const std::vector<std::string> keys = *bucket.Keys("");
      for (const std::string& key : keys) {
        auto entry = bucket.Get(key);
        if (entry.ok()) {
          s.kv[std::string(name) + "/" + key] =
              std::to_string(entry->revision) + ":" + entry->value;
        }
      }
    }
    s.events = bus_.Published().size();
    return s;
  }
  void ExpectUnchanged(const Snapshot& before, const std::string& what) {
    Snapshot after = Take();
    EXPECT_EQ(after.events, before.events) << what << ": an event was published";
    EXPECT_TRUE(after.kv == before.kv) << what << ": the KV state changed";
  }

  std::vector<std::string> Subjects(const std::string& filter = "carecast.>") {
    std::vector<std::string> out;
    for (const auto& e : bus_.Published(filter)) out.push_back(e.subject);
    return out;
  }

  google::protobuf::Timestamp In(absl::Duration d) { return ToTs(clock_.Now() + d); }
  static google::protobuf::Timestamp ToTs(absl::Time t) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(absl::ToUnixSeconds(t));
    ts.set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(ts.seconds()))));
    return ts;
  }

  v1::Spoke MakeSpoke(const std::string& id = "st-marys") {
    v1::CreateSpokeRequest req;
    req.mutable_spoke()->set_display_name("St Mary's Hospital");
    req.set_spoke_id(id);
    auto resp = planner_->CreateSpoke(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->spoke() : v1::Spoke();
  }

  v1::Account MakeAccount(v1::Network network, const std::string& id,
                          const std::string& spoke = "spokes/st-marys") {
    v1::CreateAccountRequest req;
    req.set_parent(spoke);
    req.set_account_id(id);
    req.mutable_account()->set_network(network);
    req.mutable_account()->set_handle("@stmarys");
    req.mutable_account()->set_time_zone("America/Chicago");
    req.mutable_account()->set_credentials_secret("carecast-x-credentials");
    auto resp = planner_->CreateAccount(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->account() : v1::Account();
  }

  v1::Content DraftContent(const std::string& master,
                           const std::vector<std::pair<v1::Network, std::string>>& variants = {
                               {v1::NETWORK_X, "Flu shots Saturday! #FluFree"},
                               {v1::NETWORK_FACEBOOK, "Free flu shots this Saturday at St Mary's."},
                               {v1::NETWORK_LINKEDIN,
                                "St Mary's offers free flu shots on Saturday."}}) {
    v1::CreateContentRequest req;
    req.mutable_content()->set_title("Flu shots");
    req.mutable_content()->set_text(master);
    for (const auto& [network, text] : variants) {
      auto* v = req.mutable_content()->add_variants();
      v->set_network(network);
      v->set_text(text);
    }
    auto resp = planner_->CreateContent(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->content() : v1::Content();
  }

  v1::Content Submit(const v1::Content& c) {
    v1::SubmitContentRequest req;
    req.set_name(c.name());
    auto resp = planner_->SubmitContent(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->content() : v1::Content();
  }

  // The reviewer's approval of `c` at the version read, as ApproveContent answers it.
  absl::StatusOr<v1::Content> TryApprove(const v1::Content& c) {
    v1::ApproveContentRequest req;
    req.set_name(c.name());
    req.set_version(c.version());
    auto resp = planner_->ApproveContent(reviewer_, req);
    if (!resp.ok()) return resp.status();
    return resp->content();
  }

  v1::Content Approve(const v1::Content& c) {
    absl::StatusOr<v1::Content> approved = TryApprove(c);
    EXPECT_TRUE(approved.ok()) << approved.status();
    return approved.ok() ? *approved : v1::Content();
  }

  // A draft `contents/{id}` of `spoke` with `master` and one X variant.
  v1::Content SpokeContent(const std::string& id, const std::string& spoke,
                           const std::string& master = "Free flu shots this Saturday.") {
    v1::CreateContentRequest req;
    req.set_content_id(id);
    req.mutable_content()->set_title("Flu shots");
    req.mutable_content()->set_text(master);
    req.mutable_content()->set_spoke(spoke);
    auto* v = req.mutable_content()->add_variants();
    v->set_network(v1::NETWORK_X);
    v->set_text("Flu shots Saturday! #FluFree");
    auto resp = planner_->CreateContent(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->content() : v1::Content();
  }

  v1::Content ApprovedContent(const std::string& master = "Free flu shots this Saturday.") {
    return Approve(Submit(DraftContent(master)));
  }

  // A SchedulePost request for `c` on `account`, `ahead` from now.
  v1::SchedulePostRequest ScheduleRequest(const v1::Content& c, const std::string& account,
                                          absl::Duration ahead, const std::string& request_id = "",
                                          const std::string& post_id = "") {
    v1::SchedulePostRequest req;
    req.set_content(c.name());
    req.set_account(account);
    *req.mutable_publish_time() = In(ahead);
    req.set_request_id(request_id);
    req.set_post_id(post_id);
    return req;
  }

  absl::StatusOr<v1::Post> Schedule(const v1::Content& c, const std::string& account,
                                    absl::Duration ahead, const std::string& post_id = "") {
    auto resp = planner_->SchedulePost(publisher_, ScheduleRequest(c, account, ahead, "", post_id));
    if (!resp.ok()) return resp.status();
    return resp->post();
  }

  // What a publisher does when the network accepts the post (with `state`
  // NEEDS_HUMAN: when it cannot tell whether the network did).
  void MarkPublished(const std::string& post_name, absl::Time at,
                     v1::PostState state = v1::POST_STATE_PUBLISHED) {
    auto& bucket = kv_.Bucket(std::string(common::buckets::kPosts));
    const std::string id = post_name.substr(std::string("posts/").size());
    auto raw = bucket.Get(id);
    ASSERT_TRUE(raw.ok()) << raw.status();
    v1::StoredRecord record;
    ASSERT_TRUE(record.ParseFromString(raw->value));
    v1::Post post;
    ASSERT_TRUE(post.ParseFromString(record.value()));
    post.set_state(state);
    if (state == v1::POST_STATE_PUBLISHED) {
      *post.mutable_published_time() = ToTs(at);
      post.set_external_id(absl::StrCat("ext-", id));
      post.set_url(absl::StrCat("https://network.example/p/", id));
    }
    record.set_value(post.SerializeAsString());
    ASSERT_TRUE(bucket.Update(id, record.SerializeAsString(), raw->revision).ok());
  }

  PlannerOptions options_ = OptionsWithAllChannels();
  common::FakeClock clock_;
  testing::InMemoryKeyValueStoreFactory kv_;
  testing::FakeEventBus bus_;
  testing::InMemorySortedIndex index_;
  EngineGuard guard_{testing::SharedTextEngine()};
  prometheus::Registry registry_;
  PlannerMetrics metrics_{registry_};
  common::CapturingLogger logger_;
  std::unique_ptr<Planner> planner_;

  common::Caller strategist_ = MakeCaller("alice", common::Role::kStrategist);
  common::Caller writer_ = MakeCaller("wendy", common::Role::kContentDeveloper);
  common::Caller reviewer_ = MakeCaller("rita", common::Role::kClinicalReviewer);
  common::Caller publisher_ = MakeCaller("paul", common::Role::kPublisher);
};

}  // namespace carecast::planner
