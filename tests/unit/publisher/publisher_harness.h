// Builds a Publisher over in-memory fakes and plays the planner's part: approved
// content, scheduled posts (KV + event), cancellations and the hold.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher.h"
#include "services/publisher/publisher_metrics.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/in_memory_sorted_index.h"
#include "tests/unit/publisher/fake_channel.h"

namespace carecast::publisher::testing {

// Reads one series from a registry: the counter/gauge value, or a histogram's count.
inline double MetricValue(prometheus::Registry& registry, const std::string& name,
                          const std::map<std::string, std::string>& labels = {}) {
  double total = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : metric.label)
          if (l.name == k && l.value == v) found = true;
        match = match && found;
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          total += metric.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          total += metric.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          total += static_cast<double>(metric.histogram.sample_count);
          break;
        default:
          break;
      }
    }
  }
  return total;
}

// One publisher "process": its own metrics, logger and id.
struct PublisherUnderTest {
  prometheus::Registry registry;
  PublisherMetrics metrics{registry};
  common::CapturingLogger logger;
  std::unique_ptr<Publisher> publisher;
};

class PublisherHarness {
 public:
  PublisherHarness() {
    posts_ = *kv_.OpenBucket({.name = std::string(common::buckets::kPosts)});
    contents_ = *kv_.OpenBucket({.name = std::string(common::buckets::kContents)});
    control_ = *kv_.OpenBucket({.name = std::string(common::buckets::kControl)});
    outbox_ = *kv_.OpenBucket({.name = std::string(common::kOutboxBucket)});
    (void)channels_.Register(carecast::v1::NETWORK_SANDBOX, channel_);
    // The planner may run first; it ensures the same streams.
    (void)common::EnsureStreams(bus_, {});
  }

  PublisherOptions DefaultOptions(const std::string& id, bool run_loop) {
    PublisherOptions o;
    o.publisher_id = id;
    o.policy.claim_lease = absl::Seconds(60);
    o.policy.max_attempts = 3;
    o.policy.retry_backoff = absl::Seconds(2);
    o.policy.max_retry_backoff = absl::Seconds(60);
    o.poll_interval = absl::Milliseconds(20);
    // One at a time keeps scripted channel answers in the order tests expect;
    // the parallel path has its own tests.
    o.dispatch_concurrency = 1;
    o.run_loop = run_loop;
    return o;
  }

  // Creates (not started) a publisher; `control` overrides the hold bucket.
  PublisherUnderTest& Add(const PublisherOptions& options,
                          common::KeyValueStore* control = nullptr) {
    auto p = std::make_unique<PublisherUnderTest>();
    PublisherDeps deps{
        .bus = bus_,
        .posts = *posts_,
        .contents = *contents_,
        .control = control ? *control : *control_,
        .index = index_,
        .channels = channels_,
        .clock = use_system_clock_ ? static_cast<const common::Clock&>(system_clock_) : clock_,
        .logger = p->logger,
        .metrics = p->metrics,
        .outbox = *outbox_};
    auto created = Publisher::Create(options, deps);
    if (!created.ok()) ADD_FAILURE() << created.status();
    p->publisher = *std::move(created);
    publishers_.push_back(std::move(p));
    return *publishers_.back();
  }
  PublisherUnderTest& AddStarted(const std::string& id = "pub-a", bool run_loop = false) {
    PublisherUnderTest& p = Add(DefaultOptions(id, run_loop));
    absl::Status s = p.publisher->Start();
    if (!s.ok()) ADD_FAILURE() << s;
    return p;
  }

  // Approved content `id` at `version`.
  void PutApprovedContent(const std::string& id, int64_t version = 1) {
    carecast::v1::Content c;
    c.set_name("contents/" + id);
    c.set_title("Flu shots");
    c.set_text("Flu shot clinics open Saturday.");
    c.set_state(carecast::v1::CONTENT_STATE_APPROVED);
    c.set_version(version);
    c.set_content_hash(absl::StrCat("hash-", id, "-", version));
    c.mutable_approval()->set_reviewer("reviewer-1");
    c.mutable_approval()->set_version(version);
    c.mutable_approval()->set_content_hash(c.content_hash());
    (void)contents_->Put(id, c.SerializeAsString());
  }

  // Makes approved content `id` feature a patient under `authorization` (stored
  // as the planner stores it, beside the content), which covers `networks`
  // until `expires` and is revoked when `revoked`.
  void PutConsent(const std::string& id, const std::string& authorization_id,
                  const std::vector<carecast::v1::Network>& networks, absl::Time expires,
                  bool revoked = false) {
    carecast::v1::PatientAuthorization a;
    a.set_name("patientAuthorizations/" + authorization_id);
    a.set_spoke("spokes/stmarys");
    for (carecast::v1::Network n : networks) a.add_networks(n);
    SetTime(expires, a.mutable_expire_time());
    a.set_state(revoked ? carecast::v1::PATIENT_AUTHORIZATION_STATE_REVOKED
                        : carecast::v1::PATIENT_AUTHORIZATION_STATE_ACTIVE);
    (void)contents_->Put("authorizations." + authorization_id, a.SerializeAsString());
    carecast::v1::Content c;
    c.ParseFromString(contents_->Get(id)->value);
    c.set_features_patient(true);
    c.set_patient_authorization(a.name());
    (void)contents_->Put(id, c.SerializeAsString());
  }

  // What the planner does on UpdateContent: a new version, back to DRAFT, the
  // approval voided.
  void EditContent(const std::string& id) {
    carecast::v1::Content c;
    c.ParseFromString(contents_->Get(id)->value);
    c.set_version(c.version() + 1);
    c.set_state(carecast::v1::CONTENT_STATE_DRAFT);
    c.set_content_hash("hash-edited");
    c.clear_approval();
    (void)contents_->Put(id, c.SerializeAsString());
  }

  // What the planner does on SchedulePost: KV entry then the event.
  carecast::v1::Post SchedulePost(const std::string& id, absl::Time publish_time,
                                  carecast::v1::Network network = carecast::v1::NETWORK_SANDBOX,
                                  bool emit_event = true,
                                  const std::string& account = "spokes/stmarys/accounts/main") {
    std::string content_id = "c-" + id;
    PutApprovedContent(content_id);
    carecast::v1::Post p;
    p.set_name("posts/" + id);
    p.set_content("contents/" + content_id);
    p.set_account(account);
    p.set_network(network);
    SetTime(publish_time, p.mutable_publish_time());
    p.set_content_version(1);
    p.set_content_hash(absl::StrCat("hash-", content_id, "-1"));
    p.set_text("Flu shot clinics open Saturday. #" + id);
    p.set_state(carecast::v1::POST_STATE_SCHEDULED);
    p.set_scheduled_by("publisher-user");
    SetTime(clock_.Now(), p.mutable_create_time());
    SetTime(clock_.Now(), p.mutable_update_time());
    (void)posts_->Put(id, p.SerializeAsString());
    if (emit_event) EmitPostChanged(common::subjects::kPostScheduled, p);
    return p;
  }

  void EmitPostChanged(std::string_view subject, const carecast::v1::Post& post) {
    carecast::v1::PostChanged payload;
    *payload.mutable_post() = post;
    payload.set_actor("planner-user");
    auto ack = bus_.Publish(common::MakeEvent(subject, payload, "/carecast/planner", clock_.Now()));
    if (!ack.ok()) ADD_FAILURE() << ack.status();
  }

  // Sets a stored post's state without an event.
  void SetPostState(const std::string& id, carecast::v1::PostState state) {
    PostRecord r = GetPost(id);
    r.post.set_state(state);
    (void)posts_->Update(id, r.post.SerializeAsString(), r.revision);
  }

  void CancelPost(const std::string& id, bool emit_event = true) {
    PostRecord r = GetPost(id);
    r.post.set_state(carecast::v1::POST_STATE_CANCELLED);
    (void)posts_->Update(id, r.post.SerializeAsString(), r.revision);
    if (emit_event) EmitPostChanged(common::subjects::kPostCancelled, r.post);
  }

  // What the planner does on Hold/Resume: KV entry then the event.
  // `held_spokes` are the spokes held on their own ("spokes/{spoke}").
  void SetHold(bool held, bool emit_event = true,
               const std::vector<std::string>& held_spokes = {}) {
    carecast::v1::PublishingState state;
    state.set_held(held);
    for (const std::string& spoke : held_spokes) state.add_spoke_holds()->set_spoke(spoke);
    state.set_reason(held ? "crisis" : "");
    state.set_changed_by("strategist-1");
    SetTime(clock_.Now(), state.mutable_change_time());
    (void)control_->Put("publishing", state.SerializeAsString());
    if (!emit_event) return;
    carecast::v1::PublishingChanged payload;
    *payload.mutable_state() = state;
    auto ack = bus_.Publish(common::MakeEvent(
        held ? common::subjects::kPublishingHeld : common::subjects::kPublishingResumed, payload,
        "/carecast/planner", clock_.Now()));
    if (!ack.ok()) ADD_FAILURE() << ack.status();
  }

  PostRecord GetPost(const std::string& id) {
    absl::StatusOr<PostRecord> r = ReadPost(*posts_, id);
    if (!r.ok()) ADD_FAILURE() << r.status();
    return r.ok() ? *r : PostRecord{};
  }
  carecast::v1::PostState StateOf(const std::string& id) { return GetPost(id).post.state(); }

  bool Drain() { return bus_.WaitUntilDrained(absl::Seconds(5)); }

  // Polls `pred` until true or `timeout` passes (real time).
  template <class Pred>
  static bool WaitFor(Pred pred, absl::Duration timeout = absl::Seconds(10)) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return pred();
  }

  std::vector<common::Event> Events(const std::string& filter) { return bus_.Published(filter); }

  carecast::testing::FakeEventBus bus_;
  carecast::testing::InMemoryKeyValueStoreFactory kv_;
  carecast::testing::InMemorySortedIndex index_;
  common::FakeClock clock_;
  // Publishers added while set read the real clock (tests of the loop's timing).
  bool use_system_clock_ = false;
  common::SystemClock system_clock_;
  FakeChannel channel_;
  ChannelRegistry channels_;
  std::unique_ptr<common::KeyValueStore> posts_;
  std::unique_ptr<common::KeyValueStore> contents_;
  std::unique_ptr<common::KeyValueStore> control_;
  std::unique_ptr<common::KeyValueStore> outbox_;
  std::vector<std::unique_ptr<PublisherUnderTest>> publishers_;
};

}  // namespace carecast::publisher::testing
