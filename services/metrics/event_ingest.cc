#include "services/metrics/event_ingest.h"

#include <algorithm>
#include <utility>

#include "carecast/v1/events.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"

namespace carecast::metrics {
namespace {
namespace events = common::events;

// The inbox events other than created and closed, or nullptr.
const common::EventDef<v1::InboxItemChanged>* InboxChangeKind(const common::Event& event) {
  for (const auto* kind : {&events::kInboxAssigned, &events::kInboxWaiting,
                           &events::kInboxNoteAdded, &events::kInboxSlaBreached})
    if (common::IsEventOf(event, *kind)) return kind;
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventIngest>> EventIngest::Create(const EventIngestOptions& options,
                                                                 const EventIngestDeps& deps) {
  if (options.stream.empty() || options.filter_subject.empty()) {
    return absl::InvalidArgumentError("event ingest: stream and filter_subject must be set");
  }
  if (options.batch_size < 1 || options.progress_every < 0) {
    return absl::InvalidArgumentError(
        "event ingest: batch_size must be at least 1 and progress_every not negative");
  }
  return std::unique_ptr<EventIngest>(new EventIngest(options, deps));
}

EventIngest::EventIngest(const EventIngestOptions& options, const EventIngestDeps& deps)
    : bus_(deps.bus),
      figures_(deps.figures),
      exposition_(deps.exposition),
      logger_(deps.logger),
      spikes_(deps.spikes),
      reports_(deps.reports),
      options_(options) {}

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
  // Each kind fixes its payload type, so a branch cannot decode the wrong message.
  absl::StatusOr<ApplyResult> result;
  if (common::IsEventOf(event, events::kPostPublished)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kPostPublished, event));
    result = figures_.ApplyPostPublished(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kPostFailed)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kPostFailed, event));
    result = figures_.ApplyPostFailed(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kPostScheduled)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kPostScheduled, event));
    result = figures_.ApplyPostChanged(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kPostCancelled)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kPostCancelled, event));
    result = figures_.ApplyPostChanged(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kMentionClassified)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kMentionClassified, event));
    result = figures_.ApplyMentionClassified(event.id, event.time, m);
    if (spikes_ != nullptr && result.ok()) spikes_->ObserveMention(m.mention(), event.time);
  } else if (common::IsEventOf(event, events::kAlertRaised)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kAlertRaised, event));
    if (spikes_ != nullptr) spikes_->ObserveAlert(m, event.id);
    return true;
  } else if (common::IsEventOf(event, events::kAlertResolved)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kAlertResolved, event));
    if (spikes_ != nullptr) spikes_->ObserveAlert(m, event.id);
    return true;
  } else if (common::IsEventOf(event, events::kInboxCreated)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kInboxCreated, event));
    result = figures_.ApplyInboxCreated(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kInboxClosed)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kInboxClosed, event));
    result = figures_.ApplyInboxClosed(event.id, event.time, m);
  } else if (const auto* kind = InboxChangeKind(event); kind != nullptr) {
    // Only the item's create and first-response times are read.
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(*kind, event));
    result = figures_.ApplyInboxChanged(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kEngagementObserved)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kEngagementObserved, event));
    result = figures_.ApplyEngagementObserved(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kFollowersObserved)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kFollowersObserved, event));
    result = figures_.ApplyFollowersObserved(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kReportPublished)) {
    if (reports_ != nullptr) reports_->ObserveReport(event.id);
    return true;
  } else if (common::IsEventOf(event, events::kSpokeCreated)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kSpokeCreated, event));
    result = figures_.ApplySpokeCreated(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kAccountCreated)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kAccountCreated, event));
    result = figures_.ApplyAccountCreated(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kCadenceChanged)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kCadenceChanged, event));
    result = figures_.ApplyCadenceChanged(event.id, event.time, m);
  } else if (common::IsEventOf(event, events::kObjectiveCreated)) {
    ASSIGN_OR_RETURN(auto m, common::DecodeCatalogueEvent(events::kObjectiveCreated, event));
    result = figures_.ApplyObjectiveCreated(event.id, event.time, m);
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
  // Only the poll thread sets caught_up_, so the line is written before any waiter can
  // see the flag: a caller of WaitCaughtUp always finds "replay complete" in the log.
  if (done && !caught_up_.load()) {
    logger_.Info("replay complete", {{"events", handled_.load()},
                                     {"rejected", rejected_.load()},
                                     {"applied", figures_.events_applied()},
                                     {"pending_known", pending >= 0}});
    {
      std::lock_guard lock(mu_);  // a waiter between its check and its wait must see it
      caught_up_.store(true);
    }
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
