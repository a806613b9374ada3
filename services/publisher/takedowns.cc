#include "services/publisher/takedowns.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/store/entity_change.h"
#include "services/common/store/fault_points.h"
#include "services/publisher/outcomes.h"
#include "services/publisher/post_records.h"

namespace carecast::publisher {
namespace {

namespace v1 = carecast::v1;
using common::AsAbsl;

constexpr std::string_view kTaskKeyPrefix = "takedowns.";
constexpr std::string_view kTaskNamePrefix = "takedownTasks/";
constexpr std::string_view kThreadPartPrefix = "thread.";
// The longest error text kept on a task (a network's message can be long).
constexpr size_t kMaxErrorChars = 300;

std::string TaskKey(std::string_view post_id) {
  return absl::StrCat(AsAbsl(kTaskKeyPrefix), AsAbsl(post_id));
}

// "takedownTasks/abc" -> "abc"; empty when it is not a task name.
std::string PostIdOfTask(std::string_view name) {
  if (!absl::StartsWith(AsAbsl(name), AsAbsl(kTaskNamePrefix))) return {};
  std::string_view id = name.substr(kTaskNamePrefix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return {};
  return std::string(id);
}

// A thread's parts after the first, last part first: channel_progress
// "thread.<i>" (i >= 1) holds part i's external id.
std::vector<std::string> LaterThreadParts(const v1::Post& post) {
  std::vector<std::pair<int, std::string>> parts;
  for (const auto& [key, value] : post.channel_progress()) {
    if (!absl::StartsWith(key, AsAbsl(kThreadPartPrefix)) || value.empty()) continue;
    int index = 0;
    if (!absl::SimpleAtoi(AsAbsl(std::string_view(key).substr(kThreadPartPrefix.size())), &index) ||
        index < 1) {
      continue;
    }
    parts.emplace_back(index, value);
  }
  std::sort(parts.begin(), parts.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  out.reserve(parts.size());
  for (auto& part : parts) out.push_back(std::move(part.second));
  return out;
}

std::string Clip(std::string_view text) {
  return std::string(text.substr(0, std::min(text.size(), kMaxErrorChars)));
}

}  // namespace

absl::Duration TakedownOptions::Backoff(int attempt) const {
  absl::Duration wait = retry_backoff;
  for (int i = 1; i < attempt && wait < max_retry_backoff; ++i) wait *= 2;
  return std::min(wait, max_retry_backoff);
}

std::string_view TakedownOutcomeName(TakedownOutcome outcome) {
  switch (outcome) {
    case TakedownOutcome::kDone:
      return "done";
    case TakedownOutcome::kAlreadyDone:
      return "already_done";
    case TakedownOutcome::kNoTask:
      return "no_task";
    case TakedownOutcome::kRetryLater:
      return "retry_later";
    case TakedownOutcome::kLeftForPerson:
      return "left_for_person";
  }
  return "unknown";
}

// What one run found and did.
struct Takedowns::Attempt {
  enum class Result { kRemoved, kRetry, kPerson };
  Result result = Result::kRemoved;
  // kRetry: the network's wait, when it named one.
  absl::Duration retry_after = absl::ZeroDuration();
  // kRetry / kPerson: "<error kind>: <message>".
  std::string error;
  // kRemoved: what was deleted now, what was gone already, and whether the post
  // was never on the network at all.
  std::vector<std::string> deleted;
  std::vector<std::string> already_gone;
  bool never_on_network = false;
  std::string why_not_on_network;
};

Takedowns::Takedowns(common::EntityStore& organisation, common::EntityStore& posts,
                     ChannelRegistry& channels, const common::Clock& clock, common::Logger& logger,
                     PublisherMetrics& metrics, TakedownOptions options)
    : organisation_(organisation),
      posts_(posts),
      channels_(channels),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      options_(options) {}

common::Disposition Takedowns::OnEvent(const common::Event& event) {
  if (event.subject != common::subjects::kTakedownRaised) return common::Disposition::kAck;
  v1::TakedownTaskChanged payload;
  if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
  const std::string post_id = PostIdOfTask(payload.takedown_task().name());
  if (post_id.empty()) return common::Disposition::kReject;
  absl::StatusOr<TakedownOutcome> outcome = Run(post_id);
  if (!outcome.ok()) {
    logger_.Warn("takedown not recorded; will retry",
                 {{"task", payload.takedown_task().name()},
                  {"error", std::string(outcome.status().message())}});
    return common::Disposition::kRetry;
  }
  switch (*outcome) {
    case TakedownOutcome::kDone:
    case TakedownOutcome::kAlreadyDone:
    case TakedownOutcome::kNoTask:
    case TakedownOutcome::kLeftForPerson:
      return common::Disposition::kAck;
    case TakedownOutcome::kRetryLater:
      // The consumer redelivers within seconds; Run waits for retry_time itself.
      return common::Disposition::kRetry;
  }
  return common::Disposition::kRetry;
}

absl::StatusOr<TakedownOutcome> Takedowns::Run(std::string_view post_id) {
  absl::StatusOr<common::Stored<v1::TakedownTask>> stored =
      organisation_.Get<v1::TakedownTask>(TaskKey(post_id));
  if (absl::IsNotFound(stored.status())) {
    logger_.Warn("takedown task not found", {{"post", std::string(post_id)}});
    return TakedownOutcome::kNoTask;
  }
  if (!stored.ok()) return stored.status();
  const v1::TakedownTask& task = stored->value;
  if (task.state() != v1::TAKEDOWN_TASK_STATE_OPEN) return TakedownOutcome::kAlreadyDone;
  if (task.awaits_person()) return TakedownOutcome::kLeftForPerson;
  if (task.has_retry_time() && ToTime(task.retry_time()) > clock_.Now()) {
    return TakedownOutcome::kRetryLater;
  }
  Attempt attempt;
  Remove(task, attempt);
  switch (attempt.result) {
    case Attempt::Result::kRemoved:
      // A crash here is healed by the redelivery: Delete again is NOT_FOUND.
      common::FaultPoint(kTakedownDeletedFaultPoint);
      return MarkDone(post_id, attempt);
    case Attempt::Result::kRetry:
    case Attempt::Result::kPerson:
      return RecordFailure(post_id, attempt);
  }
  return absl::InternalError("unreachable");
}

void Takedowns::Remove(const v1::TakedownTask& task, Attempt& attempt) {
  const std::string post_id = PostIdOfTask(task.name());
  auto fail = [&](const ChannelFailure& failure, std::string_view what) {
    attempt.error = absl::StrCat(AsAbsl(ChannelErrorKindName(failure.kind)), ": ", AsAbsl(what),
                                 ": ", Clip(failure.message));
    switch (failure.kind) {
      case ChannelErrorKind::kRetryable:
      case ChannelErrorKind::kRateLimited:
      // A delete is safe to repeat: an unknown outcome is tried again.
      case ChannelErrorKind::kOutcomeUnknown:
        attempt.result = Attempt::Result::kRetry;
        attempt.retry_after = failure.retry_after;
        return;
      case ChannelErrorKind::kAuthExpired:
      case ChannelErrorKind::kPermanent:
        attempt.result = Attempt::Result::kPerson;
        return;
    }
  };
  absl::StatusOr<Channel*> channel = channels_.Find(task.network());
  if (!channel.ok()) {
    fail({.kind = ChannelErrorKind::kPermanent, .message = std::string(channel.status().message())},
         "no adapter for the network here");
    return;
  }

  // The post record says most: an external id recorded after the task was
  // raised, and a thread's later parts.
  std::optional<v1::Post> post;
  if (absl::StatusOr<PostRecord> record = ReadPost(posts_, post_id); record.ok()) {
    post = std::move(record->post);
  } else if (!absl::IsNotFound(record.status())) {
    fail({.kind = ChannelErrorKind::kRetryable, .message = std::string(record.status().message())},
         "cannot read the post");
    return;
  }
  if (post && post->state() == v1::POST_STATE_PUBLISHING) {
    // A claim is in flight (or was abandoned and will be reconciled): what is on
    // the network is known once it ends.
    fail({.kind = ChannelErrorKind::kRetryable, .message = "the post is being published"},
         "waiting for the publication in flight");
    return;
  }
  std::string first = post ? post->external_id() : std::string();
  if (first.empty()) first = task.external_id();
  std::vector<std::string> targets = post ? LaterThreadParts(*post) : std::vector<std::string>();

  if (first.empty()) {
    if (!post || !post->has_send_time()) {
      // The create call never went out (MarkSending records send_time first).
      attempt.never_on_network = targets.empty();
      attempt.why_not_on_network = "it was never sent";
    } else {
      PublishRequest request = RequestFor(*post, clock_.Now() + options_.find_deadline);
      absl::StatusOr<std::optional<Receipt>> found =
          (*channel)->FindPublished(request, ToTime(post->send_time()));
      if (!found.ok()) {
        ChannelFailure failure = ClassifyChannelError(found.status());
        const bool transient = failure.kind == ChannelErrorKind::kRetryable ||
                               failure.kind == ChannelErrorKind::kRateLimited;
        if (transient && task.attempts() + 1 < options_.find_attempts) {
          fail(failure, "looking for the post");
        } else {
          // The network cannot tell whether it has the post: a person looks.
          fail({.kind = failure.kind == ChannelErrorKind::kAuthExpired
                            ? ChannelErrorKind::kAuthExpired
                            : ChannelErrorKind::kPermanent,
                .message = failure.message},
               "the network cannot tell whether it has the post");
        }
        return;
      }
      if (found->has_value()) {
        first = (*found)->external_id;
      } else {
        attempt.never_on_network = targets.empty();
        attempt.why_not_on_network = "the network does not have it";
      }
    }
  }
  if (!first.empty()) targets.push_back(first);  // the first part last

  for (const std::string& external_id : targets) {
    absl::Status deleted = (*channel)->Delete(task.account(), external_id);
    if (deleted.ok()) {
      attempt.deleted.push_back(external_id);
      continue;
    }
    if (absl::IsNotFound(deleted)) {
      attempt.already_gone.push_back(external_id);
      continue;
    }
    fail(ClassifyChannelError(deleted), absl::StrCat("deleting ", external_id));
    return;
  }
  attempt.result = Attempt::Result::kRemoved;
}

absl::StatusOr<TakedownOutcome> Takedowns::MarkDone(std::string_view post_id,
                                                    const Attempt& attempt) {
  const absl::Time now = clock_.Now();
  std::string note;
  if (attempt.deleted.empty() && attempt.already_gone.empty()) {
    note = absl::StrCat("Nothing to remove: ", attempt.why_not_on_network, " (checked by ",
                        AsAbsl(kTakedownActor), ").");
  } else {
    note = absl::StrCat("Removed automatically by ", AsAbsl(kTakedownActor), ": deleted ",
                        attempt.deleted.size(), " post(s)");
    if (!attempt.deleted.empty())
      absl::StrAppend(&note, " [", absl::StrJoin(attempt.deleted, ", "), "]");
    if (!attempt.already_gone.empty()) {
      absl::StrAppend(&note, "; already gone: [", absl::StrJoin(attempt.already_gone, ", "), "]");
    }
    absl::StrAppend(&note, ".");
  }
  bool already = false;
  std::string network;
  absl::StatusOr<common::Stored<v1::TakedownTask>> written =
      organisation_.ReadModifyWrite<v1::TakedownTask>(
          TaskKey(post_id),
          [&](v1::TakedownTask& task) -> absl::Status {
            if (task.state() != v1::TAKEDOWN_TASK_STATE_OPEN) {
              already = true;
              return absl::CancelledError("done already");
            }
            task.set_state(v1::TAKEDOWN_TASK_STATE_DONE);
            task.set_note(note);
            task.set_completed_by(std::string(kTakedownActor));
            SetTime(now, task.mutable_complete_time());
            task.set_attempts(task.attempts() + 1);
            task.clear_retry_time();
            task.set_awaits_person(false);
            network = std::string(NetworkLabel(task.network()));
            return absl::OkStatus();
          },
          [&](const v1::TakedownTask& after, uint64_t base) {
            v1::TakedownTaskChanged payload;
            *payload.mutable_takedown_task() = after;
            payload.set_actor(std::string(kTakedownActor));
            // The planner's names for the same resource: one event id per
            // change, whichever service writes it.
            const std::string stem = absl::StrCat("takedownTasks.", AsAbsl(post_id));
            common::Change change;
            change.event = common::MakeCatalogueEvent(
                common::events::kTakedownCompleted, payload, kPublisherSource, now,
                common::ChangeEventId(stem, base, "completed"));
            common::AuditRecord& audit = change.audit.emplace();
            audit.subject = absl::StrCat(AsAbsl(common::subjects::kAuditPrefix), stem);
            audit.id = absl::StrCat("audit.", change.event.id);
            v1::AuditEntry& entry = audit.entry;
            entry.set_actor(std::string(kTakedownActor));
            entry.set_role("publisher");
            entry.set_action("takedown.complete");
            entry.set_resource(after.name());
            entry.set_version(2);
            SetTime(now, entry.mutable_time());
            entry.set_detail(after.note());
            return std::vector<common::Change>{std::move(change)};
          });
  if (already) return TakedownOutcome::kAlreadyDone;
  if (absl::IsNotFound(written.status())) return TakedownOutcome::kNoTask;
  if (!written.ok()) return written.status();
  const std::string_view result =
      attempt.deleted.empty() ? (attempt.already_gone.empty() ? "not_on_network" : "already_gone")
                              : "removed";
  metrics_.Takedown(network, result);
  logger_.Info("takedown done", {{"task", written->value.name()},
                                 {"post", std::string(post_id)},
                                 {"network", network},
                                 {"result", std::string(result)},
                                 {"deleted", absl::StrJoin(attempt.deleted, ",")},
                                 {"already_gone", absl::StrJoin(attempt.already_gone, ",")}});
  return TakedownOutcome::kDone;
}

absl::StatusOr<TakedownOutcome> Takedowns::RecordFailure(std::string_view post_id,
                                                         const Attempt& attempt) {
  const absl::Time now = clock_.Now();
  const bool person = attempt.result == Attempt::Result::kPerson;
  bool already = false;
  absl::Time retry_at = absl::InfinitePast();
  std::string network;
  absl::StatusOr<common::Stored<v1::TakedownTask>> written =
      organisation_.ReadModifyWrite<v1::TakedownTask>(
          TaskKey(post_id),
          [&](v1::TakedownTask& task) -> absl::Status {
            if (task.state() != v1::TAKEDOWN_TASK_STATE_OPEN) {
              already = true;
              return absl::CancelledError("done already");
            }
            task.set_attempts(task.attempts() + 1);
            task.set_last_error(attempt.error);
            network = std::string(NetworkLabel(task.network()));
            if (person) {
              task.set_awaits_person(true);
              task.clear_retry_time();
            } else {
              retry_at = now + std::max(options_.Backoff(task.attempts()), attempt.retry_after);
              SetTime(retry_at, task.mutable_retry_time());
            }
            return absl::OkStatus();
          },
          // Not a state change: nothing to announce.
          [](const v1::TakedownTask&, uint64_t) { return std::vector<common::Change>{}; });
  if (already) return TakedownOutcome::kAlreadyDone;
  if (absl::IsNotFound(written.status())) return TakedownOutcome::kNoTask;
  if (!written.ok()) return written.status();
  metrics_.Takedown(network, person ? "left_for_person" : "retry");
  common::LogFields fields = {{"task", written->value.name()},
                              {"post", std::string(post_id)},
                              {"network", network},
                              {"attempts", static_cast<int64_t>(written->value.attempts())},
                              {"error", attempt.error}};
  if (person) {
    logger_.Warn("takedown needs a person", fields);
    return TakedownOutcome::kLeftForPerson;
  }
  fields.push_back({"retry_in_ms", absl::ToInt64Milliseconds(retry_at - now)});
  logger_.Info("takedown will be retried", fields);
  return TakedownOutcome::kRetryLater;
}

}  // namespace carecast::publisher
