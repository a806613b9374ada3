// What the Facebook Page and Instagram adapters share: the Meta Graph API's
// error bodies and their classification into the five channel error kinds, the
// usage headers (X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage) read into
// rate signals, and GraphClient, which sends one Graph call with an account's
// token under its budgets. docs/channels/facebook.md and instagram.md explain
// the choices.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/credentials.h"
#include "services/publisher/channels/http_channel_support.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

// The Graph API's error object: {"error":{"message","type","code",
// "error_subcode","fbtrace_id","is_transient"}}.
struct GraphError {
  std::string message;
  std::string type;
  int64_t code = 0;
  int64_t subcode = 0;  // 0: none given
  std::string fbtrace_id;
  bool is_transient = false;
};

// The error object of an answer body; nullopt when the body is not JSON or has
// no "error" object.
std::optional<GraphError> ParseGraphError(std::string_view body);

// Codes 190 and 102, or subcodes 463 (expired) and 467 (invalid): the token is
// expired or revoked.
bool IsGraphTokenError(const GraphError& error);
// Codes 4, 17, 32, 613 and 80001-80014 (Business Use Case throttling).
bool IsGraphThrottleError(const GraphError& error);
// Code 100 with subcode 33: the object does not exist (or is not visible to the token).
bool IsGraphNotFound(const GraphError& error);

// What one answer's usage headers said, per budget. Unset: nothing to act on.
//   any percentage >= 100, or estimated_time_to_regain_access > 0
//       → blocked until now + that time (at least one minute);
//   any percentage >= 90 → blocked for one minute (slow down before Meta
//       throttles: its windows are rolling, so a short pause lets usage drain).
struct GraphUsage {
  std::optional<RateSignal> app;   // X-App-Usage
  std::optional<RateSignal> page;  // X-Page-Usage and X-Business-Use-Case-Usage
};
GraphUsage ReadGraphUsage(const common::HttpReply& reply, absl::Time now);

// How long a throttle refusal (IsGraphThrottleError) asks us to wait: what its
// usage headers say (at least one minute), else five minutes.
absl::Duration GraphThrottleWait(const common::HttpReply& reply, absl::Time now);

// The budgets of a Graph network ("facebook" or "instagram"): the app's, and
// the page's (or Instagram account's) Business Use Case budget.
RateBucket GraphAppBucket(std::string_view network);
RateBucket GraphPageBucket(std::string_view network, std::string_view account);

// An error answer (status >= 300, or a body with an "error" object) as a channel
// error, `network`'s own codes first:
//   token codes (IsGraphTokenError)   → kAuthExpired "page token expired or
//                                        revoked; reconnect <account>"
//   throttle codes                    → kRateLimited after GraphThrottleWait
//   100/33                            → NOT_FOUND (permanent)
//   506                               → kPermanent "duplicate post"
//   368                               → kPermanent (policy block)
//   10, 100, 200-299                  → kPermanent (parameters, permissions)
//   1, 2, or is_transient             → kRetryable for a read; kOutcomeUnknown
//                                        (answered) for a create
//   anything else                     → HttpAnswerFailure by HTTP status
// The message carries the network's own text and codes, never a token.
absl::Status GraphAnswerFailure(const common::HttpReply& reply, CallKind kind,
                                std::string_view network, std::string_view account, absl::Time now);

// Small readers for Graph JSON answers (nlohmann, no exceptions): a missing or
// mistyped member reads as absent.
const nlohmann::json* GraphMember(const nlohmann::json& value, std::string_view key);
std::string GraphString(const nlohmann::json& value, std::string_view key);
// An integer member, also when Graph sends it as a numeric string; `missing` otherwise.
int64_t GraphInt(const nlohmann::json& value, std::string_view key, int64_t missing = -1);
// `value` as JSON text; invalid UTF-8 is replaced rather than thrown on (callers
// check the text first; this only keeps dump() from throwing).
std::string GraphDump(const nlohmann::json& value);

struct GraphClientOptions {
  // The Graph API root, no trailing slash ("https://graph.facebook.com"); tests
  // and egress proxies point it elsewhere.
  std::string base_url = "https://graph.facebook.com";
  // The Graph API version every URL starts with ("v21.0").
  std::string graph_version = "v21.0";
  // One HTTP call's timeout, shortened to the request's deadline (20s).
  absl::Duration call_timeout = absl::Seconds(20);
};

// One Graph API call on behalf of one account.
struct GraphRequest {
  std::string account;  // `spokes/{spoke}/accounts/{account}`: budgets and messages
  std::string method = "GET";
  // After the version, with its query: "/123/feed?fields=id". Ids in it are
  // UrlEncoded by the caller. Never a token (the token goes in a header).
  std::string path;
  std::string body;  // JSON; empty: none
  CallKind kind = CallKind::kRead;
  absl::Time deadline = absl::InfiniteFuture();
};

// Sends Graph API calls for one network. Every call: the app and page budgets
// are asked first (a wait → kRateLimited, nothing sent); the HTTP timeout is
// CallTimeout(call_timeout, deadline) (spent → kRetryable, nothing sent); the
// token goes in "Authorization: Bearer", never in a URL; every answer's usage
// headers (and a throttle refusal) are reported to the limiter. A token refusal
// (IsGraphTokenError) is followed by CredentialSource::Refresh(account, the
// refused token): Page and Instagram tokens are not OAuth-refreshable, so that
// costs no network call, but it marks the account disconnected (a person must
// reconnect it) or hands out the newer token an operator put in the token
// file. With a newer token the same call is sent once more (Meta checks the
// token before acting, so a refusal created nothing: safe for creates too);
// a refused refresh is CredentialFailure (kAuthExpired naming the account, or
// kRetryable when the source is transiently unavailable).
//
// Thread-safe (no state of its own). The client, credentials, limiter and clock
// are not owned and must outlive it.
class GraphClient {
 public:
  GraphClient(std::string network, GraphClientOptions options, common::HttpClient& http,
              CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  // The account's credentials with a non-empty fields[id_field] ("page_id",
  // "ig_user_id"). A failure of the source → CredentialFailure (NOT_FOUND:
  // kAuthExpired naming the account); no id field → kPermanent.
  absl::StatusOr<Credential> CredentialsOf(std::string_view account,
                                           std::string_view id_field) const;

  // Sends `request`; the answer whatever its status (an error body has any
  // token it echoed removed). On a token refusal, refreshes and sends once
  // more (see above); `credential` then holds the refreshed credentials, for
  // the caller's next calls. A refusal of the refreshed token is the answer
  // (Failure: kAuthExpired naming the account). Errors are channel errors
  // (not sent, the transport failed: TransportFailure, or the refresh
  // failed: CredentialFailure).
  absl::StatusOr<common::HttpReply> Send(const GraphRequest& request, Credential& credential) const;

  // Send, then: a 2xx answer with a JSON object body → that object; an error
  // answer → GraphAnswerFailure; a 2xx answer that is not a JSON object →
  // kRetryable for a read, kOutcomeUnknown (answered) for a create.
  absl::StatusOr<nlohmann::json> Call(const GraphRequest& request, Credential& credential) const;

  // The followers_count of the object whose id is the account's fields[id_field]
  // (a Page's "page_id", an Instagram account's "ig_user_id"): one read. An
  // answer without the figure is kRetryable.
  absl::StatusOr<int64_t> ReadFollowersCount(std::string_view account,
                                             std::string_view id_field) const;

  // The lifetime values of `metrics` ("post_impressions,post_clicks") from
  // GET /{object_id}/insights, by metric name. A refusal the token cannot get
  // past (no read_insights / instagram_manage_insights permission, a metric the
  // object does not have: kPermanent) answers an empty map, so the caller
  // reports those figures as unknown and keeps the rest of the reading; rate
  // limits, expired tokens and transient failures are errors as for any read.
  absl::StatusOr<std::map<std::string, int64_t>> ReadInsights(std::string_view account,
                                                              Credential& credential,
                                                              std::string_view object_id,
                                                              std::string_view metrics) const;

  // The failure of an error answer to `request` (GraphAnswerFailure).
  absl::Status Failure(const GraphRequest& request, const common::HttpReply& reply) const;

  std::string_view network() const { return network_; }
  const common::Clock& clock() const { return clock_; }
  RateLimiter& limiter() const { return limiter_; }

 private:
  absl::Status CheckBudgets(const GraphRequest& request) const;
  // One HTTP call with `credential`'s token, no refresh.
  absl::StatusOr<common::HttpReply> SendOnce(const GraphRequest& request,
                                             const Credential& credential) const;
  void ObserveRate(const GraphRequest& request, const common::HttpReply& reply) const;

  const std::string network_;
  const GraphClientOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;
};

}  // namespace carecast::publisher
