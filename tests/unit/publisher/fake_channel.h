// A Channel for tests: accepts every post unless told otherwise, and keeps every
// accepted request (it does NOT dedupe, so a double publication is visible).
// Failures are scripted per call; "succeed then time out" records the delivery
// and then reports kOutcomeUnknown. Thread-safe.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "services/publisher/channels/channel.h"

namespace carecast::publisher::testing {

class FakeChannel final : public Channel {
 public:
  enum class Step { kSucceed, kFail, kSucceedThenTimeOut };

  // The next Publish call fails with `kind` (calls queue up in order).
  void QueueFailure(ChannelErrorKind kind, absl::Duration retry_after = absl::ZeroDuration()) {
    std::lock_guard lock(mu_);
    script_.push_back({Step::kFail, kind, retry_after});
  }
  // The next Publish call succeeds (to script a failure for a later call).
  void QueueSuccess() {
    std::lock_guard lock(mu_);
    script_.push_back({Step::kSucceed, ChannelErrorKind::kPermanent, {}});
  }
  // The next Publish call delivers the post, then reports a timeout.
  void QueueSucceedThenTimeOut() {
    std::lock_guard lock(mu_);
    script_.push_back({Step::kSucceedThenTimeOut, ChannelErrorKind::kOutcomeUnknown, {}});
  }
  // Every Publish call fails with `kind` until cleared with nullopt.
  void FailAlways(std::optional<ChannelErrorKind> kind) {
    std::lock_guard lock(mu_);
    fail_always_ = kind;
  }
  // FindPublished answers UNAVAILABLE while set.
  void SetFindUnavailable(bool unavailable) {
    std::lock_guard lock(mu_);
    find_unavailable_ = unavailable;
  }
  // Each Publish call takes this long (real time), to widen races.
  void SetPublishDelay(absl::Duration delay) {
    std::lock_guard lock(mu_);
    delay_ = delay;
  }
  // Publish calls for `idempotency_key` take this long instead.
  void SetPublishDelayFor(const std::string& idempotency_key, absl::Duration delay) {
    std::lock_guard lock(mu_);
    key_delays_[idempotency_key] = delay;
  }
  // Records a delivery as if an earlier (dead) publisher had made it.
  void AddDelivery(const PublishRequest& request) {
    std::lock_guard lock(mu_);
    Deliver(request);
  }

  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override {
    absl::Duration delay;
    {
      std::lock_guard lock(mu_);
      peak_in_flight_ = std::max(peak_in_flight_, ++in_flight_);
      call_times_.push_back(absl::Now());
    }
    // Counted as in flight for the whole call, delay included.
    struct Leave {
      FakeChannel* self;
      ~Leave() {
        std::lock_guard lock(self->mu_);
        --self->in_flight_;
      }
    } leave{this};
    {
      std::lock_guard lock(mu_);
      delay = delay_;
      if (auto it = key_delays_.find(request.idempotency_key); it != key_delays_.end())
        delay = it->second;
    }
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    std::lock_guard lock(mu_);
    ++publish_calls_;
    if (fail_always_) return MakeChannelError(*fail_always_, "scripted failure");
    Scripted next{Step::kSucceed, ChannelErrorKind::kPermanent, {}};
    if (!script_.empty()) {
      next = script_.front();
      script_.pop_front();
    }
    switch (next.step) {
      case Step::kSucceed:
        return Deliver(request);
      case Step::kFail:
        // A scripted unknown outcome is a timeout: the request may still be in flight.
        return MakeChannelError(
            next.kind, absl::StrCat("scripted ", std::string(ChannelErrorKindName(next.kind))),
            next.retry_after, next.kind == ChannelErrorKind::kOutcomeUnknown);
      case Step::kSucceedThenTimeOut:
        Deliver(request);
        return MakeChannelError(ChannelErrorKind::kOutcomeUnknown, "timed out after send",
                                absl::ZeroDuration(), /*may_be_in_flight=*/true);
    }
    return absl::InternalError("unreachable");
  }

  // How the fake claims to dedupe (kNone by default: the strictest rules).
  void SetIdempotency(IdempotencyModel model) {
    std::lock_guard lock(mu_);
    idempotency_ = model;
  }
  IdempotencyModel idempotency() const override {
    std::lock_guard lock(mu_);
    return idempotency_;
  }

  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time /*since*/) override {
    std::lock_guard lock(mu_);
    ++find_calls_;
    if (find_unavailable_) return absl::UnavailableError("channel cannot search now");
    for (const auto& d : deliveries_)
      if (d.first.idempotency_key == request.idempotency_key)
        return std::optional<Receipt>(d.second);
    return std::optional<Receipt>();
  }
  // The next Delete call fails with `kind` (calls queue up in order).
  void QueueDeleteFailure(ChannelErrorKind kind,
                          absl::Duration retry_after = absl::ZeroDuration()) {
    std::lock_guard lock(mu_);
    delete_script_.push_back({Step::kFail, kind, retry_after});
  }
  // Removes a delivery (NOT_FOUND, as Channel::Delete documents, when there is none).
  absl::Status Delete(std::string_view /*account*/, std::string_view external_id) override {
    std::lock_guard lock(mu_);
    ++delete_calls_;
    if (!delete_script_.empty()) {
      Scripted next = delete_script_.front();
      delete_script_.pop_front();
      return MakeChannelError(
          next.kind, absl::StrCat("scripted ", std::string(ChannelErrorKindName(next.kind))),
          next.retry_after);
    }
    for (auto it = deliveries_.begin(); it != deliveries_.end(); ++it) {
      if (it->second.external_id == external_id) {
        deleted_.push_back(std::string(external_id));
        deliveries_.erase(it);
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("no such post");
  }
  int delete_calls() const {
    std::lock_guard lock(mu_);
    return delete_calls_;
  }
  // External ids removed by Delete, in order.
  std::vector<std::string> Deleted() const {
    std::lock_guard lock(mu_);
    return deleted_;
  }
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time /*since*/,
                                                     int limit) override {
    std::lock_guard lock(mu_);
    std::vector<RemotePost> out;
    for (const auto& d : deliveries_) {
      if (d.first.account == account && static_cast<int>(out.size()) < limit)
        out.push_back(RemotePost{d.second.external_id, d.second.url, d.first.text, {}, {}});
    }
    return out;
  }
  absl::StatusOr<Engagement> ReadEngagement(std::string_view /*account*/,
                                            std::string_view /*external_id*/) override {
    return Engagement{};
  }

  // The most Publish calls that were running at the same time.
  int peak_in_flight() const {
    std::lock_guard lock(mu_);
    return peak_in_flight_;
  }
  // When each Publish call began (real time), in order.
  std::vector<absl::Time> CallTimes() const {
    std::lock_guard lock(mu_);
    return call_times_;
  }
  int publish_calls() const {
    std::lock_guard lock(mu_);
    return publish_calls_;
  }
  int find_calls() const {
    std::lock_guard lock(mu_);
    return find_calls_;
  }
  // Accepted deliveries per idempotency key.
  std::map<std::string, int> DeliveriesByKey() const {
    std::lock_guard lock(mu_);
    std::map<std::string, int> out;
    for (const auto& d : deliveries_) ++out[d.first.idempotency_key];
    return out;
  }
  std::vector<PublishRequest> Delivered() const {
    std::lock_guard lock(mu_);
    std::vector<PublishRequest> out;
    for (const auto& d : deliveries_) out.push_back(d.first);
    return out;
  }
  size_t delivery_count() const {
    std::lock_guard lock(mu_);
    return deliveries_.size();
  }

 private:
  struct Scripted {
    Step step;
    ChannelErrorKind kind;
    absl::Duration retry_after;
  };
  Receipt Deliver(const PublishRequest& request) {
    Receipt receipt{absl::StrCat("fake-", deliveries_.size() + 1),
                    absl::StrCat("https://fake.example/", deliveries_.size() + 1)};
    deliveries_.emplace_back(request, receipt);
    return receipt;
  }

  std::map<std::string, absl::Duration> key_delays_;  // guarded by mu_
  int in_flight_ = 0;                                 // guarded by mu_
  int peak_in_flight_ = 0;                            // guarded by mu_
  std::vector<absl::Time> call_times_;
  mutable std::mutex mu_;
  std::deque<Scripted> script_;
  std::optional<ChannelErrorKind> fail_always_;
  bool find_unavailable_ = false;
  IdempotencyModel idempotency_ = IdempotencyModel::kNone;
  absl::Duration delay_ = absl::ZeroDuration();
  int publish_calls_ = 0;
  int delete_calls_ = 0;
  std::deque<Scripted> delete_script_;
  std::vector<std::string> deleted_;
  int find_calls_ = 0;
  std::vector<std::pair<PublishRequest, Receipt>> deliveries_;
};

}  // namespace carecast::publisher::testing
