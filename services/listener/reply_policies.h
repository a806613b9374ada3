// Each spoke's reply policy (docs/replies.md): whether a reply needs a second
// responder's approval, and the approved "take it offline" templates offered
// when the guard refuses a draft. Policies live in the carecast_replies bucket
// under "policy.<spoke id>" and "policy.hub"; a spoke without its own uses the
// hub's, and without either the built-in default (no approval, one template).
// Every change is one write with carecast.reply.policy_set and its audit entry.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/entity_store.h"
#include "services/listener/mention_classifier.h"

namespace carecast::listener {

inline constexpr int kMaxReplyTemplates = 20;
inline constexpr size_t kMaxReplyChars = 2000;

// The guard's verdict on outgoing text: its findings at or above the text
// engine's guard threshold (PHI, patient confirmation, medical advice). Empty
// means the text may go out.
std::vector<v1::GuardFinding> GuardOutgoing(const MentionClassifier& classifier,
                                            std::string_view text);

// The policy used when neither the spoke nor the hub has set one.
v1::ReplyPolicy DefaultReplyPolicy();

// Thread-safe (state is in KV). References must outlive it.
class ReplyPolicies {
 public:
  ReplyPolicies(common::EntityStore& store, const MentionClassifier& classifier,
                const common::Clock& clock, common::Logger& logger);

  // The policy that applies to `spoke` ("spokes/{spoke}", or empty for the hub):
  // its own, else the hub's, else DefaultReplyPolicy(). `spoke` in the answer
  // is the one asked about. INVALID_ARGUMENT for a malformed spoke name.
  absl::StatusOr<v1::ReplyPolicy> Effective(std::string_view spoke);

  // Sets policy.spoke()'s own policy. INVALID_ARGUMENT: a malformed spoke, more
  // than 20 templates, a template id not [a-z0-9_-]{1,40} or repeated, a template
  // text empty, over 2000 characters or refused by the guard (the finding's kind
  // is named). PERMISSION_DENIED: the hub's policy by a spoke caller, or another
  // spoke's. Setting what is already stored writes nothing.
  absl::StatusOr<v1::ReplyPolicy> Set(const v1::ReplyPolicy& policy, std::string_view request_id,
                                      const common::Caller& caller,
                                      const common::SpokeScope& scope);

 private:
  absl::StatusOr<std::optional<common::Stored<v1::ReplyPolicy>>> Load(std::string_view key);

  common::EntityStore& store_;
  const MentionClassifier& classifier_;
  const common::Clock& clock_;
  common::Logger& logger_;
};

}  // namespace carecast::listener
