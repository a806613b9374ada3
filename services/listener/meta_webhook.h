// /webhooks/meta: the Graph API webhook of a Facebook Page and an Instagram
// professional account (meta_webhook_json.h says what becomes a mention).
//   GET  ?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<c>: the
//        subscription handshake. 200 text/plain <c> when the token matches the
//        configured verify token (compared in constant time), else 403.
//   POST with X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256(app secret, raw
//        body). The signature is checked, in constant time, before the body is
//        parsed: 401 without it, 403 when it does not match, and nothing is
//        read or stored. Then 400 for a body that is not a Meta delivery; 503
//        when a mention cannot be stored yet (Meta delivers again, and what was
//        stored counts as a repeat: mentions are keyed by network and id); else
//        200 {"received", "created", "repeated", "ignored", "refused"}.
// Instagram mentions (ids only) are read through the Graph API first when a
// reader is configured: a mention deleted since counts as ignored, and 503
// when the Graph API cannot answer now or refuses the token (Meta delivers
// again for hours, so nothing is lost while it is fixed). Without a reader
// they count as ignored.
// Meta's own requests carry no bearer token: the signature is the credential.
#pragma once

#include <string>
#include <string_view>

#include "services/common/base/logger.h"
#include "services/common/rpc/http_server.h"
#include "services/listener/listener.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/meta_webhook_json.h"
#include "services/listener/sources/instagram_mention_reader.h"

namespace carecast::listener {

inline constexpr std::string_view kMetaWebhookPath = "/webhooks/meta";

// The secrets Meta shares with the hospital's app.
struct MetaWebhookSecrets {
  std::string app_secret;    // keys X-Hub-Signature-256
  std::string verify_token;  // answers the subscription handshake
};

// Thread-safe. References must outlive it.
class MetaWebhook {
 public:
  // `instagram` may be null (Instagram mentions are then ignored).
  MetaWebhook(Listener& listener, MetaWebhookSecrets secrets, ListenerMetrics& metrics,
              common::Logger& logger, InstagramMentionReader* instagram = nullptr);

  common::HttpResponse Verify(const common::HttpRequest& request);
  common::HttpResponse Receive(const common::HttpRequest& request);

 private:
  common::HttpResponse Answer(int status, std::string_view outcome, std::string body,
                              std::string_view content_type = "application/json");
  // Reads the delivery's Instagram mentions into `delivery.mentions` (the
  // ones gone since into `delivery.ignored`); UNAVAILABLE when a read must be
  // tried again (Meta redelivers on a 503).
  absl::Status ReadInstagramMentions(MetaDelivery& delivery);

  Listener& listener_;
  const MetaWebhookSecrets secrets_;
  ListenerMetrics& metrics_;
  common::Logger& logger_;
  InstagramMentionReader* const instagram_;
};

}  // namespace carecast::listener
