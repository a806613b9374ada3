// Automatic takedown: when a patient revokes their authorization the planner
// raises one TakedownTask per post that is (or may be) on a network
// ("takedowns.<post id>" in the organisation bucket, event
// carecast.takedown.raised). Takedowns removes such a post through its
// channel's Delete (a thread's later parts first, from the post's
// channel_progress "thread.<i>"), then marks the task DONE with a
// compare-and-set through the entity store, which announces
// carecast.takedown.completed (and its audit entry) in the same write.
//
// Idempotent: a DONE task does nothing, and Delete's NOT_FOUND counts as
// removed, so a crash between the delete and the DONE write is healed by the
// redelivered event. A rate-limited or retryable failure is recorded on the
// task (attempts, last_error, retry_time) and tried again; an expired token, a
// refusal, a network that cannot delete, or one that cannot tell whether a post
// of unknown outcome is there leaves the task OPEN with awaits_person and the
// reason. Logs name tasks, posts, networks and external ids, never post text.
// Thread-safe; references must outlive it.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

// Who completes a task the publisher removed (TakedownTask.completed_by and
// the audit entry's actor).
inline constexpr std::string_view kTakedownActor = "service:publisher";
// The fault point between the network's delete and the DONE write.
inline constexpr std::string_view kTakedownDeletedFaultPoint = "publisher.takedown.deleted";

struct TakedownOptions {
  // Remove posts automatically (CARECAST_PUBLISHER_AUTO_TAKEDOWN, default on: a
  // withdrawn consent should be honoured as fast as the network allows). Off:
  // the publisher does not consume carecast.takedown.raised and people remove
  // every post and complete its task, as before.
  bool automatic = true;
  // Wait after the first retryable failure of a task, doubled per attempt and
  // capped; a network's own Retry-After wins when it is longer.
  absl::Duration retry_backoff = absl::Seconds(2);
  absl::Duration max_retry_backoff = absl::Minutes(5);
  // Deadline of the search for a post whose outcome is unknown (FindPublished).
  absl::Duration find_deadline = absl::Seconds(30);
  // Tries of a task whose search fails retryably (UNAVAILABLE: the network
  // cannot tell now) before it is left for a person.
  int find_attempts = 5;

  // backoff * 2^(attempt-1), capped.
  absl::Duration Backoff(int attempt) const;
};

// What one run did with a task.
enum class TakedownOutcome {
  kDone,           // removed (or not on the network): the task is DONE now
  kAlreadyDone,    // the task was DONE already (a person, another replica)
  kNoTask,         // no such task
  kRetryLater,     // recorded on the task; run again at or after retry_time
  kLeftForPerson,  // recorded on the task (awaits_person): a person removes it
};

// "done", "already_done", "no_task", "retry_later", "left_for_person".
std::string_view TakedownOutcomeName(TakedownOutcome outcome);

class Takedowns {
 public:
  // `organisation` holds the tasks, `posts` the posts (both entity stores
  // sharing the publisher's outbox).
  Takedowns(common::EntityStore& organisation, common::EntityStore& posts,
            ChannelRegistry& channels, const common::Clock& clock, common::Logger& logger,
            PublisherMetrics& metrics, TakedownOptions options);

  // Handles carecast.takedown.raised (other subjects are acknowledged and
  // ignored): kAck once the task is DONE or left for a person, kRetry while a
  // retry is planned or the stores cannot be reached, kReject for a payload
  // that does not parse.
  common::Disposition OnEvent(const common::Event& event);

  // Works the task of post `post_id` once. Errors: the task or post could not be
  // read or written (UNAVAILABLE, ABORTED, DATA_LOSS): nothing was recorded,
  // run again. A task whose retry_time is still ahead returns kRetryLater
  // without calling the network.
  absl::StatusOr<TakedownOutcome> Run(std::string_view post_id);

 private:
  struct Attempt;
  // Finds what to delete and deletes it, filling `attempt`.
  void Remove(const carecast::v1::TakedownTask& task, Attempt& attempt);
  absl::StatusOr<TakedownOutcome> MarkDone(std::string_view post_id, const Attempt& attempt);
  absl::StatusOr<TakedownOutcome> RecordFailure(std::string_view post_id, const Attempt& attempt);

  common::EntityStore& organisation_;
  common::EntityStore& posts_;
  ChannelRegistry& channels_;
  const common::Clock& clock_;
  common::Logger& logger_;
  PublisherMetrics& metrics_;
  const TakedownOptions options_;
};

}  // namespace carecast::publisher
