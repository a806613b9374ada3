// EventBus kept in memory with JetStream's semantics: subject-bound streams,
// Nats-Msg-Id dedupe, expected-last-subject-sequence CAS, durable consumers
// shared by several subscribers (each event goes to one of them), redelivery on
// kRetry up to max_deliver. Thread-safe; each subscription delivers on its own thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "services/common/bus/event_bus.h"

namespace carecast::testing {

class FakeEventBus final : public common::EventBus {
 public:
  FakeEventBus() = default;
  ~FakeEventBus() override;

  absl::Status EnsureStream(const common::StreamSpec& spec) override;
  absl::StatusOr<common::PublishAck> Publish(const common::Event& event,
                                             const common::PublishOptions& options = {}) override;
  absl::StatusOr<absl::Time> StreamCreated(const std::string& stream) override;
  // Deletes `stream` with its events and makes it again at `created` (its
  // spec kept): what an operator deleting and re-creating a stream does.
  void RecreateStream(const std::string& stream, absl::Time created);
  absl::StatusOr<common::Event> GetLastForSubject(const std::string& stream,
                                                  const std::string& subject) override;
  absl::StatusOr<std::vector<common::Event>> Read(const std::string& stream,
                                                  const std::string& subject_filter,
                                                  uint64_t start_sequence, size_t limit) override;
  absl::StatusOr<std::unique_ptr<common::Subscription>> Subscribe(
      const common::ConsumerSpec& spec, common::EventHandler handler) override;

  // Every stored event whose subject matches `filter`, across streams, in order.
  std::vector<common::Event> Published(const std::string& filter = ">");
  // Makes the next `count` publishes fail with `status`.
  void FailNextPublishes(int count, absl::Status status);
  // Waits until every consumer has acknowledged everything it can see; false on timeout.
  bool WaitUntilDrained(absl::Duration timeout);

 private:
  struct Stream {
    common::StreamSpec spec;
    std::vector<common::Event> events;  // events[i].stream_sequence == i + 1
    std::set<std::string> ids;
    absl::Time created = absl::FromUnixSeconds(1'700'000'000);
  };
  struct Consumer {
    common::ConsumerSpec spec;
    uint64_t next_sequence = 1;                           // next never-delivered sequence
    std::deque<std::pair<uint64_t, uint64_t>> redeliver;  // (sequence, deliveries so far)
    int in_flight = 0;
  };
  class FakeSubscription;
  friend class FakeSubscription;

  Stream* FindStreamFor(const std::string& subject);
  // Picks the next event for `consumer`, or nullopt; called with mu_ held.
  std::optional<common::Event> NextFor(Consumer& consumer);
  void Settle(Consumer& consumer, const common::Event& event, common::Disposition d);
  bool Drained();

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Stream> streams_;
  std::map<std::string, std::shared_ptr<Consumer>> consumers_;  // by stream + durable
  int ephemeral_count_ = 0;
  int fail_count_ = 0;
  absl::Status fail_status_;
  uint64_t total_published_ = 0;
};

}  // namespace carecast::testing
