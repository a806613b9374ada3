// Accepts mentions: validate, classify, store in the carecast_mentions KV bucket
// (durable acceptance), then announce carecast.mention.classified and open an
// inbox item when the mention needs an answer. Idempotent on
// (network, external_id): the mention id is derived from them.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/listener/inbox.h"
#include "services/listener/listener_config.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/mention_classifier.h"

namespace carecast::listener {

struct CreateMentionResult {
  v1::Mention mention;
  // "inboxItems/{id}" when the mention needs a response, else empty.
  std::string inbox_item;
  // True when this call stored the mention; false for a repeat.
  bool created = false;
};

// The id of the mention with this network and external id.
std::string MentionId(v1::Network network, std::string_view external_id);

// Thread-safe. References must outlive it.
class MentionIntake {
 public:
  MentionIntake(common::KeyValueStore& mentions, common::EventBus& bus, Inbox& inbox,
                const MentionClassifier& classifier, ListenerMetrics& metrics,
                const common::Clock& clock, common::Logger& logger, const ListenerOptions& options);

  // `source` ("grpc" or "webhook") labels the received metric. Errors:
  // INVALID_ARGUMENT (nothing stored, nothing published); UNAVAILABLE when KV,
  // Redis or the bus is down. A mention stored before such a failure is
  // completed by the next call with the same (network, external_id): events
  // carry deterministic ids, so JetStream drops the copies a retry sends.
  absl::StatusOr<CreateMentionResult> Create(const v1::Mention& input, std::string_view source);

  // NOT_FOUND, or INVALID_ARGUMENT when `name` is not "mentions/{id}".
  absl::StatusOr<v1::Mention> Get(std::string_view name);

 private:
  absl::StatusOr<v1::Mention> Load(std::string_view id);
  // Publishes and opens the inbox item, then records that it is all done.
  absl::Status Announce(const v1::Mention& mention, std::string_view id);

  common::KeyValueStore& mentions_;
  common::EventBus& bus_;
  Inbox& inbox_;
  const MentionClassifier& classifier_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
  const ListenerOptions options_;
};

}  // namespace carecast::listener
