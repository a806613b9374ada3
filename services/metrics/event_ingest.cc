#include "services/metrics/event_ingest.h"

#include <algorithm>
#include <utility>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"

namespace carecast::metrics {
namespace {

template <class Message>
absl::StatusOr<Message> Decode(const common::Event& event) {
  Message message;
  if (absl::Status s = common::DecodeEvent(event, &message); !s.ok()) return s;
  return message;
}

}  // namespace

EventIngest::EventIngest(common::EventBus& bus, ProgramFigures& figures,
                         MetricsExposition& exposition, common::Logger& logger,
                         EventIngestOptions options)
    : bus_(bus),
      figures_(figures),
      exposition_(exposition),
      logger_(logger),
      options_(std::move(options)) {}

EventIngest::~EventIngest() { Stop(); }

absl::Status EventIngest::Start() {
  common::ConsumerSpec spec;
  spec.stream = options_.stream;
  spec.durable = "";  // ephemeral: every process replays the whole stream itself
  spec.purpose = "metrics";
  spec.filter_subject = options_.filter_subject;
  spec.deliver_all = true;
  spec.batch_size = options_.batch_size;
  logger_.Info("replay started", {{"stream", options_.stream}});
  absl::StatusOr<std::unique_ptr<common::Subscription>> sub =
      bus_.Subscribe(spec, [this](const common::Event& e) { return Handle(e); });
  if (!sub.ok()) return sub.status();
  {
    std::lock_guard lock(mu_);
    subscription_ = *std::move(sub);
  }
  poller_ = std::thread([this] { PollLoop(); });
  return absl::OkStatus();
}

void EventIngest::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  std::unique_ptr<common::Subscription> sub;
  {
    std::lock_guard lock(mu_);
    sub = std::move(subscription_);
  }
  sub.reset();  // outside mu_: its destructor waits for a handler that may be running
}

absl::StatusOr<bool> EventIngest::Apply(const common::Event& event) {
  const std::string& subject = event.subject;
  absl::StatusOr<ApplyResult> result;
  if (subject == common::subjects::kPostPublished) {
    auto m = Decode<v1::PostPublished>(event);
    if (!m.ok()) return m.status();
    result = figures_.ApplyPostPublished(event.id, event.time, *m);
  } else if (subject == common::subjects::kPostFailed) {
    auto m = Decode<v1::PostFailed>(event);
    if (!m.ok()) return m.status();
    result = figures_.ApplyPostFailed(event.id, event.time, *m);
  } else if (subject == common::subjects::kMentionClassified) {
    auto m = Decode<v1::MentionClassified>(event);
    if (!m.ok()) return m.status();
    result = figures_.ApplyMentionClassified(event.id, event.time, *m);
  } else if (subject == common::subjects::kInboxCreated) {
    auto m = Decode<v1::InboxItemChanged>(event);
    if (!m.ok()) return m.status();
    result = figures_.ApplyInboxCreated(event.id, event.time, *m);
  } else if (subject == common::subjects::kInboxClosed) {
    auto m = Decode<v1::InboxItemChanged>(event);
    if (!m.ok()) return m.status();
    result = figures_.ApplyInboxClosed(event.id, event.time, *m);
  } else if (subject == common::subjects::kObjectiveCreated) {
    auto m = Decode<v1::ObjectiveCreated>(event);
    if (!m.ok()) return m.status();
    result = figures_.ApplyObjectiveCreated(event.id, event.time, *m);
  } else {
    return false;
  }
  if (!result.ok()) return result.status();
  return true;
}

common::Disposition EventIngest::Handle(const common::Event& event) {
  absl::StatusOr<bool> applied = Apply(event);
  if (!applied.ok()) {
    // The same bytes will never decode, so retrying cannot help. Only ids and the
    // subject are logged: payloads may hold mention text.
    ++rejected_;
    exposition_.EventRejected();
    logger_.Warn("event rejected",
                 {{"event_id", event.id},
                  {"subject", event.subject},
                  {"stream_sequence", static_cast<int64_t>(event.stream_sequence)},
                  {"reason", std::string(applied.status().message())}});
    return common::Disposition::kReject;
  }
  exposition_.EventConsumed(event.subject);
  int64_t n = ++handled_;
  if (!caught_up_.load() && options_.progress_every > 0 && n % options_.progress_every == 0) {
    logger_.Info("replay progress",
                 {{"events", n}, {"stream_sequence", static_cast<int64_t>(event.stream_sequence)}});
  }
  return common::Disposition::kAck;
}

void EventIngest::Poll() {
  int64_t pending = -1;
  {
    std::lock_guard lock(mu_);
    if (subscription_ == nullptr) return;
    pending = subscription_->Pending();
  }
  bool done = false;
  if (pending >= 0) {
    exposition_.SetConsumerPending(pending);
    done = pending == 0;
  } else {
    // The bus cannot say (e.g. while reconnecting). Keep the last gauge value and,
    // so readiness cannot hang on it, take a quiet spell as the end of the replay.
    int64_t handled = handled_.load() + rejected_.load();
    auto now = std::chrono::steady_clock::now();
    if (handled != last_seen_handled_) {
      last_seen_handled_ = handled;
      last_progress_ = now;
    }
    done = now - last_progress_ >= absl::ToChronoNanoseconds(options_.quiet_period);
  }
  if (done && !caught_up_.exchange(true)) {
    logger_.Info("replay complete", {{"events", handled_.load()},
                                     {"rejected", rejected_.load()},
                                     {"applied", figures_.events_applied()},
                                     {"pending_known", pending >= 0}});
    { std::lock_guard lock(mu_); }  // a waiter between its check and its wait must see it
    cv_.notify_all();
    if (options_.on_caught_up) options_.on_caught_up();
  }
}

bool EventIngest::WaitCaughtUp(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [this] { return caught_up_.load(); });
}

void EventIngest::PollLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Poll();
    lock.lock();
    // Poll quickly until the replay is done so readiness comes promptly.
    absl::Duration wait = caught_up_.load()
                              ? options_.poll_interval
                              : std::min(options_.poll_interval, absl::Milliseconds(100));
    cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stopping_; });
  }
}

}  // namespace carecast::metrics
