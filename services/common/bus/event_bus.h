// The event bus: durable streams of facts with deduplicated publish and
// explicitly acknowledged consumers. NatsEventBus is the JetStream adapter;
// FakeEventBus keeps everything in memory for unit tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/bus/event.h"

namespace carecast::common {

struct StreamSpec {
  std::string name;
  std::vector<std::string> subjects;
  absl::Duration max_age = absl::ZeroDuration();  // zero: keep forever
  absl::Duration duplicate_window = absl::Minutes(2);
  bool deny_delete = false;  // the audit stream sets both
  bool deny_purge = false;
  int replicas = 1;
  bool memory_storage = false;
};

struct PublishOptions {
  // Compare-and-set on the subject: the publish fails with ABORTED unless the last
  // message on this subject has this stream sequence (0: there must be none).
  std::optional<uint64_t> expected_last_subject_sequence;
};

struct PublishAck {
  uint64_t sequence = 0;
  // True when the stream already held an event with this id (deduplicated).
  bool duplicate = false;
};

// What a handler wants done with a delivered event.
enum class Disposition {
  kAck,     // done; never deliver again
  kRetry,   // deliver again after the consumer's backoff
  kReject,  // poison: never deliver again, logged by the bus
};

using EventHandler = std::function<Disposition(const Event&)>;

struct ConsumerSpec {
  std::string stream;
  // Durable name shared by all replicas of a service (work is split between them).
  // Empty: an ephemeral consumer private to this process.
  std::string durable;
  // One subject filter, wildcards allowed (nats-server 2.9 takes only one).
  std::string filter_subject;
  // Where a new consumer starts: every retained event, or only new ones.
  bool deliver_all = true;
  absl::Duration ack_wait = absl::Seconds(30);
  // Deliveries of one event at most; 0 or less: no limit.
  int max_deliver = 10;
  int batch_size = 64;
  // What an ephemeral consumer is for ("metrics", "hold"): its metrics label is
  // "ephemeral-<purpose>". Ignored for durables, which are labelled by name.
  std::string purpose;
};

// A running consumer. Destroying it stops deliveries; the handler is not called
// after the destructor returns.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Events delivered but not yet acknowledged plus those waiting on the server,
  // for the consumer-lag metric. -1 when unknown.
  virtual int64_t Pending() const = 0;
};

// Thread-safe. Every method may block on the network; errors come back as
// UNAVAILABLE (retry later), ABORTED (a compare-and-set lost) or INVALID_ARGUMENT.
class EventBus {
 public:
  virtual ~EventBus() = default;

  // Creates the stream, or updates it to `spec` when it exists. Idempotent.
  virtual absl::Status EnsureStream(const StreamSpec& spec) = 0;

  virtual absl::StatusOr<PublishAck> Publish(const Event& event,
                                             const PublishOptions& options = {}) = 0;

  // When `stream` was created (a stream deleted and made again has a new time);
  // NOT_FOUND when it does not exist.
  virtual absl::StatusOr<absl::Time> StreamCreated(const std::string& stream) = 0;

  // The last event stored on `subject` in `stream`; NOT_FOUND when there is none.
  virtual absl::StatusOr<Event> GetLastForSubject(const std::string& stream,
                                                  const std::string& subject) = 0;

  // Events of `stream` whose subject matches `subject_filter`, in stream order,
  // from sequence `start_sequence`, at most `limit` of them.
  virtual absl::StatusOr<std::vector<Event>> Read(const std::string& stream,
                                                  const std::string& subject_filter,
                                                  uint64_t start_sequence, size_t limit) = 0;

  // Starts delivering events to `handler` on a bus-owned thread, one at a time,
  // until the returned Subscription is destroyed.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const ConsumerSpec& spec,
                                                                  EventHandler handler) = 0;
};

}  // namespace carecast::common
