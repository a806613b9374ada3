// The signed webhook: posts delivered as HMAC-signed JSON to a hospital's own
// CMS or intranet, which implements the receiver contract in
// docs/channels/webhook.md. Exactly once through the delivery id: the receiver
// keeps it and answers a repeat with its first answer, and FindPublished asks
// the receiver for the delivery by that id.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/credentials.h"
#include "services/publisher/channels/http_channel_support.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct WebhookChannelOptions {
  // The receiver's endpoint, e.g. "https://cms.hospital.example/carecast" (no
  // trailing slash). No default: required.
  std::string base_url;
  // The longest one HTTP call may take; a request's deadline can shorten it (20s).
  absl::Duration call_timeout = absl::Seconds(20);
};

// Every request carries X-CareCast-Timestamp (Unix seconds) and
// X-CareCast-Signature: "sha256=" + lowercase hex HMAC-SHA256, keyed with the
// account's secret, of WebhookStringToSign. A delivery also carries
// X-CareCast-Delivery (the idempotency key).
//
// Credential: field "secret" (the HMAC key shared with the receiver); the
// access token is not used. Rate bucket: {"webhook", "account", <account>}, fed
// by the optional X-RateLimit-* headers and 429 with Retry-After.
//
// Thread-safe. The HTTP client, credential source, rate limiter and clock are
// not owned and must outlive the channel. Errors are channel errors; no message
// carries the secret or a signature.
class WebhookChannel final : public Channel {
 public:
  WebhookChannel(WebhookChannelOptions options, common::HttpClient& http,
                 CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kNativeKey; }
  // POST <base_url> with the post as JSON; the answer's {"id", "url"} is the receipt.
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // GET <base_url>/<delivery id>: 200 found, 404 absent.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  // DELETE <base_url>/items/<id>.
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  // GET <base_url>?since=<unix>&limit=<limit>.
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // GET <base_url>/items/<id>/engagement; a receiver that answers 404 reports
  // none (all -1).
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;

 private:
  // One HTTP exchange with the receiver.
  struct ApiCall {
    std::string method = "GET";
    std::string target;  // appended to base_url: "", "/items/...", "?since=..."
    std::string body;
    std::string delivery;  // X-CareCast-Delivery when not empty
    CallKind kind = CallKind::kRead;
    absl::Time deadline = absl::InfiniteFuture();
  };

  RateBucket Bucket(std::string_view account) const;
  // Signs and sends `call`; on 401/403 reads the account's credentials again
  // and, when the secret changed meanwhile (rotated), sends once more; a
  // refusal that remains is kAuthExpired naming the account. Never calls
  // CredentialSource::Refresh: there is no bearer token to refresh.
  absl::StatusOr<common::HttpReply> Call(std::string_view account, const ApiCall& call);
  absl::StatusOr<common::HttpReply> SendOnce(std::string_view account, const std::string& secret,
                                             const ApiCall& call);
  void ObserveRate(std::string_view account, const common::HttpReply& reply);
  absl::Status Failure(const common::HttpReply& reply, CallKind kind) const;

  const WebhookChannelOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;
};

// What is signed: "<timestamp>.<raw body>" for a request with a body (POST);
// "<timestamp>.<METHOD> <request target>" for one without (GET, DELETE), the
// target being the path and query exactly as sent, so a signed read or delete
// cannot be replayed against another item.
std::string WebhookStringToSign(std::string_view timestamp, std::string_view method,
                                std::string_view target, std::string_view body);

// "sha256=" + lowercase hex HMAC-SHA256(secret, string_to_sign).
std::string WebhookSignature(std::string_view secret, std::string_view string_to_sign);

}  // namespace carecast::publisher
