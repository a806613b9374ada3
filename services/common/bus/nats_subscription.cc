#include "services/common/bus/nats_subscription.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/bus/nats_event_headers.h"
#include "services/common/bus/nats_status.h"

namespace carecast::common {
namespace {

// Short enough that a stopping subscription notices within a fraction of a
// second, long enough that an idle consumer costs a few requests per second.
constexpr int64_t kFetchWaitMillis = 250;
constexpr absl::Duration kErrorBackoff = absl::Milliseconds(250);
// How long the server keeps an ephemeral consumer nobody pulls from.
constexpr absl::Duration kEphemeralInactiveThreshold = absl::Minutes(1);
constexpr absl::Duration kPendingTimeout = absl::Seconds(1);
// nats.c 3.4 reports a pull on a consumer that no longer exists as a plain
// timeout, so an idle consumer asks the server this often whether it still has
// it: one consumer-info request per idle consumer, on top of the lag poller's.
constexpr absl::Duration kIdleProbeInterval = absl::Seconds(5);
constexpr absl::Duration kRecreateBackoffMin = absl::Milliseconds(100);
constexpr absl::Duration kRecreateBackoffMax = absl::Seconds(5);

// Whether a failed fetch or consumer-info call (`converted` by LastNatsError)
// says the server no longer has the consumer or its stream. Timeouts, 404 "no
// messages" and connection errors say nothing about that.
bool SaysConsumerGone(natsStatus status, int js_error_code, const absl::Status& converted) {
  if (js_error_code == JSConsumerNotFoundErr || js_error_code == JSStreamNotFoundErr) return true;
  // A pull waiting while its consumer (or the consumer's stream) is deleted gets
  // a 409 "Consumer Deleted" status, which nats.c returns as NATS_ERR.
  return status == NATS_ERR &&
         absl::StrContains(absl::AsciiStrToLower(converted.message()), "consumer deleted");
}

jsConsumerConfig ConsumerConfigFor(const ConsumerSpec& spec) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = spec.durable.empty() ? nullptr : spec.durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = spec.deliver_all ? js_DeliverAll : js_DeliverNew;
  cc.AckWait = absl::ToInt64Nanoseconds(spec.ack_wait);
  cc.MaxDeliver = spec.max_deliver > 0 ? spec.max_deliver : -1;
  cc.FilterSubject = spec.filter_subject.c_str();
  if (spec.durable.empty()) {
    cc.InactiveThreshold = absl::ToInt64Nanoseconds(kEphemeralInactiveThreshold);
  }
  return cc;
}

// Creates the durable consumer, or brings an existing one to `spec`. A durable
// created here outlives every subscription: only an operator deletes it.
absl::Status EnsureDurableConsumer(NatsCore& core, const ConsumerSpec& spec) {
  jsConsumerConfig cc = ConsumerConfigFor(spec);
  jsOptions jo = core.CallOptions();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, core.js, spec.stream.c_str(), &cc, &jo, &jerr);
  jsConsumerInfo_Destroy(ci);
  if (s == NATS_OK) return absl::OkStatus();
  absl::Status added = LastNatsError(s, jerr, absl::StrCat("creating consumer ", spec.durable));
  ci = nullptr;
  jerr = static_cast<jsErrCode>(0);
  s = js_GetConsumerInfo(&ci, core.js, spec.stream.c_str(), spec.durable.c_str(), &jo, &jerr);
  jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) return added;  // it does not exist: the add failure stands
  ci = nullptr;
  jerr = static_cast<jsErrCode>(0);
  s = js_UpdateConsumer(&ci, core.js, spec.stream.c_str(), &cc, &jo, &jerr);
  jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) {
    // The server refuses some changes (e.g. the filter on 2.9); keep consuming
    // with the existing configuration rather than not at all.
    absl::Status updated = LastNatsError(s, jerr, "updating consumer");
    core.logger.Warn("bus: existing consumer kept its configuration",
                     {{"stream", spec.stream},
                      {"consumer", spec.durable},
                      {"error", std::string(updated.message())}});
  }
  return absl::OkStatus();
}

// Creates the durable (or brings it to `spec`) and binds to it, or creates the
// ephemeral consumer: the pull subscription to deliver from.
absl::StatusOr<natsSubscription*> PullSubscribe(NatsCore& core, const ConsumerSpec& spec) {
  if (!spec.durable.empty()) RETURN_IF_ERROR(EnsureDurableConsumer(core, spec));
  jsOptions jo = core.CallOptions();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = spec.stream.c_str();
  if (spec.durable.empty()) {
    so.Config = ConsumerConfigFor(spec);
  } else {
    so.Consumer = spec.durable.c_str();  // bind, so unsubscribing keeps it
  }
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s =
      js_PullSubscribe(&sub, core.js, spec.filter_subject.c_str(), nullptr, &jo, &so, &jerr);
  if (s != NATS_OK) return LastNatsError(s, jerr, absl::StrCat("subscribing to ", spec.stream));
  return sub;
}

class NatsSubscription final : public Subscription, public NatsDeliveryLoop {
 public:
  NatsSubscription(std::shared_ptr<NatsCore> core, ConsumerSpec spec, EventHandler handler,
                   natsSubscription* sub)
      : core_(std::move(core)),
        spec_(std::move(spec)),
        label_(ConsumerLabel(spec_)),
        handler_(std::move(handler)),
        sub_(sub) {}

  ~NatsSubscription() override {
    core_->Unregister(this);
    StopDelivery();
    natsSubscription_Destroy(sub_);
  }

  void Start() {
    if (core_->observer != nullptr) core_->observer->ConsumerStarted(spec_.stream, label_);
    thread_ = std::thread([this] { Run(); });
    if (!core_->Register(this)) StopDelivery();
  }

  void StopDelivery() override {
    std::lock_guard lock(stop_mu_);
    if (stopped_) return;
    {
      std::lock_guard wait_lock(wait_mu_);
      stop_.store(true);
    }
    wait_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Removes our interest; nats.c deletes the consumer only when it created it,
    // i.e. for ephemerals, since durables are created beforehand and bound to.
    natsSubscription_Unsubscribe(sub_);
    stopped_ = true;
  }

  int64_t Pending() const override {
    std::optional<ConsumerBacklog> backlog = Backlog();
    if (!backlog) return -1;
    return backlog->pending + backlog->ack_pending;
  }

  // -1 when the backlog cannot be read, so the gauges never keep a stale figure.
  void ReportLag() override {
    if (core_->observer == nullptr) return;
    std::optional<ConsumerBacklog> backlog = Backlog();
    core_->observer->ConsumerLag(spec_.stream, label_, backlog ? backlog->pending : -1,
                                 backlog ? backlog->ack_pending : -1);
  }

 private:
  struct ConsumerBacklog {
    int64_t pending = 0;      // on the server, not yet delivered
    int64_t ack_pending = 0;  // delivered, not yet acknowledged
  };

  // One consumer-info request with a short timeout; nullopt when the server
  // cannot answer (e.g. while reconnecting) or no longer has the consumer, in
  // which case the delivery loop is told to re-create it.
  std::optional<ConsumerBacklog> Backlog() const {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = std::min(core_->TimeoutMillis(), absl::ToInt64Milliseconds(kPendingTimeout));
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    // Held across the request so the answer is about the current subscription,
    // never one the delivery loop has just replaced.
    std::lock_guard lock(sub_mu_);
    // nats.c 3.4.1 keeps no consumer name on a subscription bound to an existing
    // consumer, so a durable is looked up by name.
    natsStatus s = spec_.durable.empty() ? natsSubscription_GetConsumerInfo(&ci, sub_, &jo, &jerr)
                                         : js_GetConsumerInfo(&ci, core_->js, spec_.stream.c_str(),
                                                              spec_.durable.c_str(), &jo, &jerr);
    if (s != NATS_OK) {
      absl::Status status = LastNatsError(s, jerr, "reading consumer info");
      if (SaysConsumerGone(s, jerr, status)) {
        MarkMissingLocked(std::string(status.message()));
      }
      return std::nullopt;
    }
    ConsumerBacklog backlog{static_cast<int64_t>(ci->NumPending),
                            static_cast<int64_t>(ci->NumAckPending)};
    jsConsumerInfo_Destroy(ci);
    return backlog;
  }

  void MarkMissing(std::string reason) const {
    std::lock_guard lock(sub_mu_);
    MarkMissingLocked(std::move(reason));
  }
  void MarkMissingLocked(std::string reason) const {
    if (missing_.load()) return;  // the first reason stands
    missing_reason_ = std::move(reason);
    missing_.store(true);
  }

  void Run() {
    bool failing = false;
    const int batch = std::max(1, spec_.batch_size);
    // When the server last showed the consumer exists: a delivery or an answer.
    absl::Time last_seen = absl::Now();
    while (!stop_.load()) {
      if (missing_.load()) {
        Recreate();
        failing = false;
        last_seen = absl::Now();
        continue;
      }
      natsMsgList list{};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = natsSubscription_Fetch(&list, sub_, batch, kFetchWaitMillis, &jerr);
      if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) {
        // Nothing new, or no consumer at all: only the server can tell which.
        // At most one probe per interval, even when the server does not answer.
        if (absl::Now() - last_seen >= kIdleProbeInterval && core_->Connected()) {
          Backlog();  // marks the consumer missing when the server says so
          last_seen = absl::Now();
        }
        continue;
      }
      if (s != NATS_OK) {
        absl::Status status = LastNatsError(s, jerr, "fetching");
        if (SaysConsumerGone(s, jerr, status)) {
          MarkMissing(std::string(status.message()));
          continue;
        }
        if (!failing) {
          core_->logger.Warn("bus: consumer cannot fetch, retrying",
                             {{"stream", spec_.stream},
                              {"consumer", label_},
                              {"error", std::string(status.message())}});
          failing = true;
        }
        WaitForStop(kErrorBackoff);
        continue;
      }
      last_seen = absl::Now();
      if (failing) {
        core_->logger.Info("bus: consumer fetching again",
                           {{"stream", spec_.stream}, {"consumer", label_}});
        failing = false;
      }
      const absl::Time fetched = absl::Now();
      for (int i = 0; i < list.Count; ++i) {
        if (stop_.load()) {
          // Hand the rest back now rather than after ack_wait.
          natsMsg_Nak(list.Msgs[i], nullptr);
          continue;
        }
        Deliver(list.Msgs[i], fetched);
      }
      natsMsgList_Destroy(&list);
    }
  }

  void Deliver(natsMsg* msg, absl::Time fetched) {
    jsMsgMetaData* meta = nullptr;
    absl::StatusOr<Event> event = EventFromMsg(msg);
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) meta = nullptr;
    const int64_t sequence = meta == nullptr ? 0 : static_cast<int64_t>(meta->Sequence.Stream);
    if (!event.ok()) {
      natsMsg_Term(msg, nullptr);
      core_->logger.Warn("bus: malformed event terminated",
                         {{"stream", spec_.stream},
                          {"consumer", label_},
                          {"sequence", sequence},
                          {"error", std::string(event.status().message())}});
      jsMsgMetaData_Destroy(meta);
      return;
    }
    if (meta != nullptr) {
      event->stream_sequence = meta->Sequence.Stream;
      event->delivery_count = meta->NumDelivered;
      if (meta->NumDelivered > 1 && core_->observer != nullptr) {
        core_->observer->Redelivered(spec_.stream, label_);
      }
    }
    jsMsgMetaData_Destroy(meta);
    // Later messages of a batch may wait behind slow handlers: keep them ours.
    if (absl::Now() - fetched > spec_.ack_wait / 2) natsMsg_InProgress(msg, nullptr);

    Disposition disposition = Disposition::kRetry;
    try {
      disposition = handler_(*event);
    } catch (const std::exception& e) {
      core_->logger.Error("bus: handler threw, event will be retried",
                          {{"stream", spec_.stream},
                           {"consumer", label_},
                           {"sequence", sequence},
                           {"error", std::string(e.what())}});
    }
    switch (disposition) {
      case Disposition::kAck:
        natsMsg_Ack(msg, nullptr);
        return;
      case Disposition::kRetry:
        natsMsg_NakWithDelay(
            msg, absl::ToInt64Milliseconds(RetryDelay(event->delivery_count, spec_.ack_wait)),
            nullptr);
        return;
      case Disposition::kReject:
        natsMsg_Term(msg, nullptr);
        core_->logger.Warn("bus: event rejected by handler", {{"stream", spec_.stream},
                                                              {"consumer", label_},
                                                              {"subject", event->subject},
                                                              {"id", event->id},
                                                              {"sequence", sequence}});
        return;
    }
  }

  // Subscribes again, re-creating the consumer, until that works or delivery
  // stops; backs off between attempts so a server that is down is not hammered.
  void Recreate() {
    std::string reason;
    {
      std::lock_guard lock(sub_mu_);
      reason = missing_reason_;
    }
    const absl::Time lost = absl::Now();
    if (core_->observer != nullptr) {
      core_->observer->ConsumerHealthChanged(spec_.stream, label_, false);
      core_->observer->ConsumerLag(spec_.stream, label_, -1, -1);
    }
    bool warned = false;
    for (int attempt = 1;; ++attempt) {
      // Waiting first also lets a stream deletion, whose consumers go first,
      // finish before the consumer is put back.
      WaitForStop(RecreateBackoff(attempt));
      if (stop_.load()) return;
      absl::StatusOr<natsSubscription*> sub = core_->Connected()
                                                  ? PullSubscribe(*core_, spec_)
                                                  : absl::UnavailableError("not connected to NATS");
      if (!sub.ok()) {
        if (!warned) {
          core_->logger.Warn("bus: consumer missing on the server, cannot re-create it yet",
                             {{"stream", spec_.stream},
                              {"consumer", label_},
                              {"reason", reason},
                              {"error", std::string(sub.status().message())}});
          warned = true;
        }
        continue;
      }
      natsSubscription* old = nullptr;
      {
        std::lock_guard lock(sub_mu_);
        old = sub_;
        sub_ = *sub;
        missing_reason_.clear();
        missing_.store(false);
      }
      // Its consumer is gone: this only drops our interest in its inbox.
      natsSubscription_Unsubscribe(old);
      natsSubscription_Destroy(old);
      core_->logger.Warn("bus: consumer re-created",
                         {{"stream", spec_.stream},
                          {"consumer", label_},
                          {"reason", reason},
                          {"attempts", static_cast<int64_t>(attempt)},
                          {"missing_ms", absl::ToInt64Milliseconds(absl::Now() - lost)}});
      if (core_->observer != nullptr) {
        core_->observer->ConsumerRecreated(spec_.stream, label_);
        core_->observer->ConsumerHealthChanged(spec_.stream, label_, true);
      }
      return;
    }
  }

  void WaitForStop(absl::Duration d) {
    std::unique_lock lock(wait_mu_);
    wait_cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return stop_.load(); });
  }

  const std::shared_ptr<NatsCore> core_;
  const ConsumerSpec spec_;
  const std::string label_;  // ConsumerLabel(spec_)
  const EventHandler handler_;
  // Replaced only by the delivery thread (which reads it without the lock), under
  // sub_mu_; other threads read it under sub_mu_. Mutable with missing_ and
  // missing_reason_: a const lag read may be the one to learn the consumer is gone.
  mutable std::mutex sub_mu_;
  natsSubscription* sub_;
  mutable std::atomic<bool> missing_{false};  // set under sub_mu_
  mutable std::string missing_reason_;        // guarded by sub_mu_
  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace

absl::Duration RetryDelay(uint64_t delivery_count, absl::Duration ack_wait) {
  absl::Duration delay = absl::Milliseconds(100);
  for (uint64_t i = 1; i < delivery_count && delay < absl::Seconds(10); ++i) delay *= 2;
  delay = std::min(delay, absl::Seconds(10));
  if (ack_wait > absl::ZeroDuration()) delay = std::min(delay, ack_wait);
  return delay;
}

absl::Duration RecreateBackoff(int attempt) {
  absl::Duration delay = kRecreateBackoffMin;
  for (int i = 1; i < attempt && delay < kRecreateBackoffMax; ++i) delay *= 2;
  return std::min(delay, kRecreateBackoffMax);
}

absl::StatusOr<std::unique_ptr<Subscription>> StartNatsSubscription(std::shared_ptr<NatsCore> core,
                                                                    const ConsumerSpec& spec,
                                                                    EventHandler handler) {
  if (spec.stream.empty()) return absl::InvalidArgumentError("consumer needs a stream");
  if (spec.filter_subject.empty()) return absl::InvalidArgumentError("consumer needs a filter");
  if (spec.durable.find_first_of(".*> ") != std::string::npos) {
    return absl::InvalidArgumentError("durable name cannot contain '.', '*', '>' or spaces");
  }
  if (!core->Connected()) return absl::UnavailableError("not connected to NATS");
  ASSIGN_OR_RETURN(natsSubscription * sub, PullSubscribe(*core, spec));
  auto subscription =
      std::make_unique<NatsSubscription>(std::move(core), spec, std::move(handler), sub);
  subscription->Start();
  return std::unique_ptr<Subscription>(std::move(subscription));
}

}  // namespace carecast::common
