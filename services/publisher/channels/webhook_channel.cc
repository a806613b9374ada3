#include "services/publisher/channels/webhook_channel.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/hmac.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

using json = nlohmann::json;
using common::AsAbsl;

constexpr std::string_view kNetwork = "webhook";

std::optional<json> ParseJson(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::string StringField(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

int64_t CountField(const json& object, const char* name) {
  if (!object.is_object()) return -1;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return -1;
  return it->get<int64_t>();
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The receiver's {"error": "..."} text, cut short.
std::string ErrorDetail(const common::HttpReply& reply) {
  std::optional<json> body = ParseJson(reply.body);
  std::string detail = body ? StringField(*body, "error") : "";
  if (detail.size() > 200) detail.resize(200);
  return detail;
}

// The path and query of `url` as they go on the request line.
std::string RequestTarget(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = url.find_first_of("/?", scheme == std::string_view::npos ? 0 : scheme + 3);
  if (start == std::string_view::npos) return "/";
  std::string target(url.substr(start));
  return target[0] == '?' ? absl::StrCat("/", target) : target;
}

// A time as the receiver lists it: RFC 3339 text or Unix seconds.
std::optional<absl::Time> TimeField(const json& item, const char* name) {
  auto it = item.find(name);
  if (it == item.end()) return std::nullopt;
  if (it->is_number_integer()) return absl::FromUnixSeconds(it->get<int64_t>());
  if (it->is_string()) return ParseIsoTime(it->get<std::string>());
  return std::nullopt;
}

std::optional<RemotePost> ToRemotePost(const json& item) {
  if (!item.is_object()) return std::nullopt;
  std::optional<absl::Time> created = TimeField(item, "created_at");
  std::string id = StringField(item, "id");
  if (id.empty() || !created) return std::nullopt;
  RemotePost post;
  post.external_id = std::move(id);
  post.url = StringField(item, "url");
  post.text = StringField(item, "text");
  post.create_time = *created;
  post.in_reply_to = StringField(item, "in_reply_to");
  return post;
}

json DeliveryBody(const PublishRequest& request, absl::Time now) {
  json media = json::array();
  for (const MediaRef& ref : request.media) {
    media.push_back({{"url", ref.url}, {"alt_text", ref.alt_text}, {"mime_type", ref.mime_type}});
  }
  return json{
      {"id", request.idempotency_key},
      {"post", request.post},
      {"account", request.account},
      {"content_version", request.content_version},
      {"text", request.text},
      {"in_reply_to", request.in_reply_to.empty() ? json(nullptr) : json(request.in_reply_to)},
      {"media", std::move(media)},
      {"sent_at", absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())}};
}

}  // namespace

std::string WebhookStringToSign(std::string_view timestamp, std::string_view method,
                                std::string_view target, std::string_view body) {
  if (!body.empty()) return absl::StrCat(AsAbsl(timestamp), ".", AsAbsl(body));
  return absl::StrCat(AsAbsl(timestamp), ".", AsAbsl(method), " ", AsAbsl(target));
}

std::string WebhookSignature(std::string_view secret, std::string_view string_to_sign) {
  return common::Sha256SignatureHeader(secret, string_to_sign);
}

WebhookChannel::WebhookChannel(WebhookChannelOptions options, common::HttpClient& http,
                               CredentialSource& credentials, RateLimiter& limiter,
                               const common::Clock& clock)
    : options_(std::move(options)),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

RateBucket WebhookChannel::Bucket(std::string_view account) const {
  return RateBucket{std::string(kNetwork), "account", std::string(account)};
}

absl::StatusOr<common::HttpReply> WebhookChannel::Call(std::string_view account,
                                                       const ApiCall& call) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  std::string secret = credential->Field("secret");
  if (secret.empty()) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("webhook: no shared secret for ", AsAbsl(account)));
  }
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(account, secret, call));
  if (reply.status != 401 && reply.status != 403) return reply;
  // The receiver verifies before acting, so a refused signature created
  // nothing. The webhook signs with a shared HMAC secret and sends no bearer
  // token, so there is no token to refresh: CredentialSource::Refresh compares
  // access tokens, would mark the account disconnected on every refusal (also
  // a receiver's clock more than five minutes off) and could never hand out a
  // rotated secret. The credentials are read again instead: a secret rotated
  // meanwhile gets one more try.
  absl::StatusOr<Credential> current = credentials_.Get(account);
  if (!current.ok()) return CredentialFailure(kNetwork, current.status(), account);
  std::string new_secret = current->Field("secret");
  if (!new_secret.empty() && new_secret != secret) {
    ASSIGN_OR_RETURN(reply, SendOnce(account, new_secret, call));
    if (reply.status != 401 && reply.status != 403) return reply;
  }
  std::string detail = ErrorDetail(reply);
  return MakeChannelError(
      ChannelErrorKind::kAuthExpired,
      absl::StrCat("webhook: the receiver refused the signature of ", AsAbsl(account), " (HTTP ",
                   reply.status, detail.empty() ? "" : ": ", detail,
                   "): check the shared secret and the clocks"));
}

absl::StatusOr<common::HttpReply> WebhookChannel::SendOnce(std::string_view account,
                                                           const std::string& secret,
                                                           const ApiCall& call) {
  absl::StatusOr<absl::Duration> wait = limiter_.Acquire(Bucket(account));
  if (!wait.ok()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat("webhook: rate limiter: ", wait.status().message()));
  }
  if (*wait > absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRateLimited,
                            "webhook: the receiver's rate budget is spent", *wait);
  }
  absl::Time now = clock_.Now();
  absl::Duration timeout = CallTimeout(options_.call_timeout, call.deadline, now);
  if (timeout <= absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "webhook: the deadline passed before the call was sent");
  }
  common::HttpCall http_call;
  http_call.method = call.method;
  http_call.url = absl::StrCat(options_.base_url, call.target);
  http_call.body = call.body;
  http_call.timeout = timeout;
  std::string timestamp = absl::StrCat(absl::ToUnixSeconds(now));
  std::string to_sign =
      WebhookStringToSign(timestamp, call.method, RequestTarget(http_call.url), call.body);
  http_call.headers = {{"Accept", "application/json"},
                       {"X-CareCast-Timestamp", timestamp},
                       {"X-CareCast-Signature", WebhookSignature(secret, to_sign)}};
  if (!call.body.empty()) http_call.headers.emplace_back("Content-Type", "application/json");
  if (!call.delivery.empty()) http_call.headers.emplace_back("X-CareCast-Delivery", call.delivery);
  absl::StatusOr<common::HttpReply> reply = http_.Send(http_call);
  if (!reply.ok()) return TransportFailure(reply.status(), call.kind, kNetwork);
  ObserveRate(account, *reply);
  return reply;
}

void WebhookChannel::ObserveRate(std::string_view account, const common::HttpReply& reply) {
  RateSignal signal;
  signal.limit = ParseInt(reply.Header("x-ratelimit-limit"));
  signal.remaining = ParseInt(reply.Header("x-ratelimit-remaining"));
  signal.reset = ParseUnixSeconds(reply.Header("x-ratelimit-reset"));
  if (reply.status == 429) {
    absl::Time now = clock_.Now();
    std::optional<absl::Duration> retry_after = ParseRetryAfter(reply.Header("retry-after"), now);
    signal.blocked_until = now + std::max(retry_after.value_or(absl::Minutes(1)), absl::Seconds(1));
  }
  if (signal.limit || signal.remaining || signal.reset || signal.blocked_until)
    limiter_.Observe(Bucket(account), signal);
}

absl::Status WebhookChannel::Failure(const common::HttpReply& reply, CallKind kind) const {
  std::string detail = ErrorDetail(reply);
  if (reply.status == 401 || reply.status == 403) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            "webhook: signature rejected: check the shared secret");
  }
  if (reply.status == 409) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("webhook: the receiver refused a duplicate: ", detail));
  }
  absl::Duration wait = absl::ZeroDuration();
  if (reply.status == 429) {
    wait = std::max(
        ParseRetryAfter(reply.Header("retry-after"), clock_.Now()).value_or(absl::Minutes(1)),
        absl::Seconds(1));
  }
  return HttpAnswerFailure(reply.status, detail, kind, kNetwork, wait);
}

absl::StatusOr<Receipt> WebhookChannel::Publish(const PublishRequest& request) {
  ApiCall call;
  call.method = "POST";
  call.body = Dump(DeliveryBody(request, clock_.Now()));
  call.delivery = request.idempotency_key;
  call.kind = CallKind::kCreate;
  call.deadline = request.deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(request.account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kCreate);
  std::optional<json> body = ParseJson(reply.body);
  std::string id = body ? StringField(*body, "id") : "";
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "webhook: the receiver accepted the delivery but gave no id");
  }
  return Receipt{id, StringField(*body, "url")};
}

absl::StatusOr<std::optional<Receipt>> WebhookChannel::FindPublished(const PublishRequest& request,
                                                                     absl::Time /*since*/) {
  ApiCall call;
  call.target = absl::StrCat("/", UrlEncode(request.idempotency_key));
  call.deadline = request.deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(request.account, call));
  if (reply.status == 404) return std::nullopt;
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  std::string id = body ? StringField(*body, "id") : "";
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "webhook: the receiver's delivery answer has no id");
  }
  return Receipt{id, StringField(*body, "url")};
}

absl::Status WebhookChannel::Delete(std::string_view account, std::string_view external_id) {
  ApiCall call;
  call.method = "DELETE";
  call.target = absl::StrCat("/items/", UrlEncode(external_id));
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status == 404)
    return absl::NotFoundError(absl::StrCat("webhook: no item ", AsAbsl(external_id)));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RemotePost>> WebhookChannel::ListRecent(std::string_view account,
                                                                   absl::Time since, int limit) {
  if (limit <= 0) return std::vector<RemotePost>{};
  ApiCall call;
  call.target = absl::StrCat("?since=", absl::ToUnixSeconds(since), "&limit=", limit);
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  if (!body || !body->is_object() || !body->contains("items") || !(*body)["items"].is_array()) {
    return MakeChannelError(ChannelErrorKind::kRetryable, "webhook: the item list is unreadable");
  }
  std::vector<RemotePost> posts;
  for (const json& item : (*body)["items"]) {
    std::optional<RemotePost> post = ToRemotePost(item);
    if (post && post->create_time >= since) posts.push_back(std::move(*post));
  }
  // The contract does not fix the receiver's order.
  std::stable_sort(posts.begin(), posts.end(), [](const RemotePost& a, const RemotePost& b) {
    return a.create_time > b.create_time;
  });
  if (posts.size() > static_cast<size_t>(limit)) posts.resize(static_cast<size_t>(limit));
  return posts;
}

absl::StatusOr<Engagement> WebhookChannel::ReadEngagement(std::string_view account,
                                                          std::string_view external_id) {
  ApiCall call;
  call.target = absl::StrCat("/items/", UrlEncode(external_id), "/engagement");
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status == 404) return Engagement{};
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  if (!body || !body->is_object()) {
    return MakeChannelError(ChannelErrorKind::kRetryable, "webhook: engagement is unreadable");
  }
  Engagement engagement;
  engagement.likes = CountField(*body, "likes");
  engagement.shares = CountField(*body, "shares");
  engagement.replies = CountField(*body, "replies");
  engagement.impressions = CountField(*body, "impressions");
  engagement.clicks = CountField(*body, "clicks");
  return engagement;
}

}  // namespace carecast::publisher
