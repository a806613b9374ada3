// POST /v1/mentions: the HTTP way in for mentions (JSON contract in
// webhook_json.h). Bearer JWT with the same authenticator and role table entry
// as CreateMention. Answers 201 (new) or 200 (repeat) with
// {"name": "mentions/..", "inbox_item": "inboxItems/.." or ""}; errors as
// {"error": reason}: 400 bad body, 401 missing/bad token, 403 role, 415 not
// application/json, 503 bus/KV/Redis unavailable (retry the same request).
// 413 for oversized bodies comes from HttpServer before this handler. With a
// signing secret, X-CareCast-Signature ("sha256=" + hex HMAC-SHA256 of the raw
// body) is required too and checked, in constant time, before the body is
// parsed: 401 without it, 403 when it does not match.
#pragma once

#include <string>

#include "services/common/base/logger.h"
#include "services/common/rpc/authenticator.h"
#include "services/common/rpc/http_server.h"
#include "services/common/rpc/role_table.h"
#include "services/listener/listener.h"
#include "services/listener/listener_metrics.h"

namespace carecast::listener {

inline constexpr std::string_view kWebhookPath = "/v1/mentions";

// Thread-safe. References must outlive it.
class MentionWebhook {
 public:
  // `signing_secret` empty: no signature required (the bearer token alone).
  MentionWebhook(Listener& listener, const common::Authenticator& authenticator,
                 const common::RoleTable& roles, ListenerMetrics& metrics, common::Logger& logger,
                 std::string signing_secret = "");

  common::HttpResponse Handle(const common::HttpRequest& request);

 private:
  common::HttpResponse Answer(int status, std::string_view outcome, std::string body,
                              std::string_view subject);

  Listener& listener_;
  const common::Authenticator& authenticator_;
  const common::RoleTable& roles_;
  ListenerMetrics& metrics_;
  common::Logger& logger_;
  const std::string signing_secret_;
};

}  // namespace carecast::listener
