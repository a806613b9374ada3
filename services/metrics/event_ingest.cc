#include "services/metrics/event_ingest.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"

namespace carecast::metrics {
namespace {
namespace events = common::events;

// The facts the figures read; each fixes its payload type.
enum class Fact {
  kPostPublished,
  kPostFailed,
  kPostChanged,  // scheduled or cancelled
  kMentionClassified,
  kAlertChanged,  // raised or resolved
  kInboxCreated,
  kInboxClosed,
  kInboxChanged,  // assigned, waiting, note added, SLA breached
  kEngagementObserved,
  kFollowersObserved,
  kReportPublished,
  kSpokeCreated,
  kAccountCreated,
  kCadenceChanged,
  kObjectiveCreated,
};

// The fact an event of `subject` states; nullopt for subjects the figures do not
// use. One hash lookup per event rather than a comparison per kind.
std::optional<Fact> FactOf(std::string_view subject) {
  static const auto* const kBySubject = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, Fact>;
    const auto add = [m](const common::EventKind& kind, Fact fact) {
      m->emplace(common::AsAbsl(kind.subject), fact);
    };
    add(events::kPostPublished, Fact::kPostPublished);
    add(events::kPostFailed, Fact::kPostFailed);
    add(events::kPostScheduled, Fact::kPostChanged);
    add(events::kPostCancelled, Fact::kPostChanged);
    add(events::kMentionClassified, Fact::kMentionClassified);
    add(events::kAlertRaised, Fact::kAlertChanged);
    add(events::kAlertResolved, Fact::kAlertChanged);
    add(events::kInboxCreated, Fact::kInboxCreated);
    add(events::kInboxClosed, Fact::kInboxClosed);
    for (const auto* kind : {&events::kInboxAssigned, &events::kInboxWaiting,
                             &events::kInboxNoteAdded, &events::kInboxSlaBreached})
      add(*kind, Fact::kInboxChanged);
    add(events::kEngagementObserved, Fact::kEngagementObserved);
    add(events::kFollowersObserved, Fact::kFollowersObserved);
    add(events::kReportPublished, Fact::kReportPublished);
    add(events::kSpokeCreated, Fact::kSpokeCreated);
    add(events::kAccountCreated, Fact::kAccountCreated);
    add(events::kCadenceChanged, Fact::kCadenceChanged);
    add(events::kObjectiveCreated, Fact::kObjectiveCreated);
    return m;
  }();
  auto it = kBySubject->find(common::AsAbsl(subject));
  if (it == kBySubject->end()) return std::nullopt;
  return it->second;
}

// The event's payload, parsed into a message this thread reuses, so its strings
// and sub-messages stay allocated from one event to the next. Valid until the
// thread decodes the next event of the same payload type.
template <class Payload>
absl::StatusOr<const Payload*> Decode(const common::Event& event) {
  thread_local Payload payload;
  RETURN_IF_ERROR(common::DecodeEvent(event, &payload));
  return &payload;
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
  const int64_t pending = (*sub)->Pending();  // -1 when the bus cannot say
  {
    std::lock_guard lock(mu_);
    subscription_ = *std::move(sub);
  }
  ExpectEvents(pending);
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
  const std::optional<Fact> fact = FactOf(event.subject);
  if (!fact) return false;
  absl::StatusOr<ApplyResult> result;
  switch (*fact) {
    case Fact::kPostPublished: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::PostPublished>(event));
      result = figures_.ApplyPostPublished(event.id, event.time, *m);
      break;
    }
    case Fact::kPostFailed: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::PostFailed>(event));
      result = figures_.ApplyPostFailed(event.id, event.time, *m);
      break;
    }
    case Fact::kPostChanged: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::PostChanged>(event));
      result = figures_.ApplyPostChanged(event.id, event.time, *m);
      break;
    }
    case Fact::kMentionClassified: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::MentionClassified>(event));
      result = figures_.ApplyMentionClassified(event.id, event.time, *m);
      if (spikes_ != nullptr && result.ok()) spikes_->ObserveMention(m->mention(), event.time);
      break;
    }
    case Fact::kAlertChanged: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::AlertChanged>(event));
      if (spikes_ != nullptr) spikes_->ObserveAlert(*m, event.id);
      return true;
    }
    case Fact::kInboxCreated: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::InboxItemChanged>(event));
      result = figures_.ApplyInboxCreated(event.id, event.time, *m);
      break;
    }
    case Fact::kInboxClosed: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::InboxItemChanged>(event));
      result = figures_.ApplyInboxClosed(event.id, event.time, *m);
      break;
    }
    case Fact::kInboxChanged: {
      // Only the item's create and first-response times are read.
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::InboxItemChanged>(event));
      result = figures_.ApplyInboxChanged(event.id, event.time, *m);
      break;
    }
    case Fact::kEngagementObserved: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::EngagementObserved>(event));
      result = figures_.ApplyEngagementObserved(event.id, event.time, *m);
      break;
    }
    case Fact::kFollowersObserved: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::FollowersObserved>(event));
      result = figures_.ApplyFollowersObserved(event.id, event.time, *m);
      break;
    }
    case Fact::kReportPublished:
      if (reports_ != nullptr) reports_->ObserveReport(event.id);
      return true;
    case Fact::kSpokeCreated: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::SpokeCreated>(event));
      result = figures_.ApplySpokeCreated(event.id, event.time, *m);
      break;
    }
    case Fact::kAccountCreated: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::AccountCreated>(event));
      result = figures_.ApplyAccountCreated(event.id, event.time, *m);
      break;
    }
    case Fact::kCadenceChanged: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::CadenceChanged>(event));
      result = figures_.ApplyCadenceChanged(event.id, event.time, *m);
      break;
    }
    case Fact::kObjectiveCreated: {
      ASSIGN_OR_RETURN(const auto* m, Decode<v1::ObjectiveCreated>(event));
      result = figures_.ApplyObjectiveCreated(event.id, event.time, *m);
      break;
    }
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
