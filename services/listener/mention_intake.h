// Accepts mentions: validate, classify, store in the carecast_mentions KV bucket
// together with its carecast.mention.classified event (one durable unit: once
// accepted, the event reaches the bus even if this process dies), then open an
// inbox item when the mention needs an answer. The listener also opens inbox
// items from the classified events (OpenInboxFromEvent), so a crash between the
// two still puts an urgent mention in the inbox. Idempotent on
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
#include "services/common/store/entity_store.h"
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
  MentionIntake(common::EntityStore& mentions, Inbox& inbox, const MentionClassifier& classifier,
                ListenerMetrics& metrics, const common::Clock& clock, common::Logger& logger,
                const ListenerOptions& options);

  // `source` ("grpc" or "webhook") labels the received metric. Errors:
  // INVALID_ARGUMENT (nothing stored, nothing published); UNAVAILABLE when KV
  // or Redis is down. A repeat with the same (network, external_id) finishes
  // whatever the first call could not (events carry deterministic ids).
  absl::StatusOr<CreateMentionResult> Create(const v1::Mention& input, std::string_view source);

  // For the listener's consumer of carecast.mention.classified: opens the inbox
  // item of a mention that needs an answer (idempotent). kRetry while KV or
  // Redis is down.
  common::Disposition OpenInboxFromEvent(const common::Event& event);

  // NOT_FOUND, or INVALID_ARGUMENT when `name` is not "mentions/{id}".
  absl::StatusOr<v1::Mention> Get(std::string_view name);

 private:
  absl::StatusOr<v1::Mention> Load(std::string_view id);
  // The carecast.mention.classified event of a stored mention.
  common::Change ClassifiedChange(const v1::Mention& mention, std::string_view id) const;

  common::EntityStore& mentions_;
  Inbox& inbox_;
  const MentionClassifier& classifier_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
  const ListenerOptions options_;
};

}  // namespace carecast::listener
