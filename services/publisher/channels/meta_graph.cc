#include "services/publisher/channels/meta_graph.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;

constexpr size_t kMaxDetail = 300;  // of Meta's own error text in a message
// Meta's windows are rolling (an hour for platform limits): without a stated
// time to regain access, a throttled budget is left alone this long.
constexpr absl::Duration kDefaultThrottleWait = absl::Minutes(5);
constexpr absl::Duration kMinimumBlock = absl::Minutes(1);
constexpr int64_t kSlowDownPercent = 90;
constexpr int64_t kSpentPercent = 100;

// The highest percentage and the longest time to regain access one header stated.
struct Usage {
  int64_t percent = -1;
  absl::Duration regain = absl::ZeroDuration();
};

void AddUsageObject(const json& object, Usage& usage) {
  if (!object.is_object()) return;
  for (const char* key : {"call_count", "total_cputime", "total_time"})
    usage.percent = std::max(usage.percent, GraphInt(object, key));
  int64_t minutes = GraphInt(object, "estimated_time_to_regain_access", 0);
  usage.regain = std::max(usage.regain, absl::Minutes(std::max<int64_t>(minutes, 0)));
}

// X-App-Usage and X-Page-Usage: one object of percentages.
void AddPlainUsage(std::string_view header, Usage& usage) {
  if (header.empty()) return;
  json parsed = json::parse(header, nullptr, false);
  if (!parsed.is_discarded()) AddUsageObject(parsed, usage);
}

// X-Business-Use-Case-Usage: {"<business id>": [{"type", percentages,
// "estimated_time_to_regain_access"}, ...], ...}.
void AddBusinessUsage(std::string_view header, Usage& usage) {
  if (header.empty()) return;
  json parsed = json::parse(header, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return;
  for (const auto& [business, entries] : parsed.items()) {
    if (!entries.is_array()) continue;
    for (const json& entry : entries) AddUsageObject(entry, usage);
  }
}

std::optional<RateSignal> SignalOf(const Usage& usage, absl::Time now) {
  RateSignal signal;
  if (usage.regain > absl::ZeroDuration() || usage.percent >= kSpentPercent) {
    signal.blocked_until = now + std::max(usage.regain, kMinimumBlock);
  } else if (usage.percent >= kSlowDownPercent) {
    signal.blocked_until = now + kMinimumBlock;
  } else {
    return std::nullopt;
  }
  return signal;
}

std::string Detail(const GraphError& error) {
  std::string detail = error.message.substr(0, kMaxDetail);
  absl::StrAppend(&detail, " (code ", error.code);
  if (error.subcode != 0) absl::StrAppend(&detail, ", subcode ", error.subcode);
  if (!error.fbtrace_id.empty()) absl::StrAppend(&detail, ", fbtrace_id ", error.fbtrace_id);
  absl::StrAppend(&detail, ")");
  return detail;
}

bool IsPermissionCode(int64_t code) { return code == 10 || (code >= 200 && code <= 299); }

// Meta's own codes; nullopt when the code says nothing beyond the HTTP status.
std::optional<absl::Status> ClassifyGraphCode(const GraphError& error, CallKind kind,
                                              std::string_view network, std::string_view account,
                                              absl::Duration throttle_wait) {
  std::string detail = absl::StrCat(common::AsAbsl(network), ": ", Detail(error));
  if (IsGraphTokenError(error)) {
    return MakeChannelError(
        ChannelErrorKind::kAuthExpired,
        absl::StrCat(common::AsAbsl(network), ": page token expired or revoked; reconnect ",
                     common::AsAbsl(account), ": ", Detail(error)));
  }
  if (IsGraphThrottleError(error))
    return MakeChannelError(ChannelErrorKind::kRateLimited, detail, throttle_wait);
  if (IsGraphNotFound(error)) return absl::NotFoundError(detail);
  if (error.code == 506)
    return MakeChannelError(ChannelErrorKind::kPermanent, absl::StrCat("duplicate post: ", detail));
  if (error.code == 368) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("blocked by Meta's policies: ", detail));
  }
  if (error.code == 100 || IsPermissionCode(error.code))
    return MakeChannelError(ChannelErrorKind::kPermanent, detail);
  if (error.code == 1 || error.code == 2 || error.is_transient) {
    return MakeChannelError(kind == CallKind::kCreate ? ChannelErrorKind::kOutcomeUnknown
                                                      : ChannelErrorKind::kRetryable,
                            detail);
  }
  return std::nullopt;
}

}  // namespace

std::optional<GraphError> ParseGraphError(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  const json* error = GraphMember(parsed, "error");
  if (error == nullptr || !error->is_object()) return std::nullopt;
  GraphError out;
  out.message = GraphString(*error, "message");
  out.type = GraphString(*error, "type");
  out.code = GraphInt(*error, "code", 0);
  out.subcode = GraphInt(*error, "error_subcode", 0);
  out.fbtrace_id = GraphString(*error, "fbtrace_id");
  const json* transient = GraphMember(*error, "is_transient");
  out.is_transient = transient != nullptr && transient->is_boolean() && transient->get<bool>();
  return out;
}

bool IsGraphTokenError(const GraphError& error) {
  return error.code == 190 || error.code == 102 || error.subcode == 463 || error.subcode == 467;
}

bool IsGraphThrottleError(const GraphError& error) {
  return error.code == 4 || error.code == 17 || error.code == 32 || error.code == 613 ||
         (error.code >= 80001 && error.code <= 80014);
}

bool IsGraphNotFound(const GraphError& error) { return error.code == 100 && error.subcode == 33; }

GraphUsage ReadGraphUsage(const common::HttpReply& reply, absl::Time now) {
  Usage app;
  AddPlainUsage(reply.Header("x-app-usage"), app);
  Usage page;
  AddPlainUsage(reply.Header("x-page-usage"), page);
  AddBusinessUsage(reply.Header("x-business-use-case-usage"), page);
  return GraphUsage{SignalOf(app, now), SignalOf(page, now)};
}

absl::Duration GraphThrottleWait(const common::HttpReply& reply, absl::Time now) {
  GraphUsage usage = ReadGraphUsage(reply, now);
  absl::Time until = absl::InfinitePast();
  for (const std::optional<RateSignal>& signal : {usage.app, usage.page}) {
    if (signal && signal->blocked_until) until = std::max(until, *signal->blocked_until);
  }
  if (until == absl::InfinitePast()) return kDefaultThrottleWait;
  return std::max(until - now, kMinimumBlock);
}

RateBucket GraphAppBucket(std::string_view network) {
  return RateBucket{std::string(network), "app", ""};
}

RateBucket GraphPageBucket(std::string_view network, std::string_view account) {
  return RateBucket{std::string(network), "page", std::string(account)};
}

absl::Status GraphAnswerFailure(const common::HttpReply& reply, CallKind kind,
                                std::string_view network, std::string_view account,
                                absl::Time now) {
  std::optional<GraphError> error = ParseGraphError(reply.body);
  if (error) {
    std::optional<absl::Status> known =
        ClassifyGraphCode(*error, kind, network, account, GraphThrottleWait(reply, now));
    if (known) return *std::move(known);
  }
  absl::Duration wait = absl::ZeroDuration();
  if (reply.status == 429) {
    wait =
        ParseRetryAfter(reply.Header("retry-after"), now).value_or(GraphThrottleWait(reply, now));
  }
  // A Graph error inside a 2xx answer is still a refusal.
  int status = reply.status < 300 ? 400 : reply.status;
  return HttpAnswerFailure(status, error ? Detail(*error) : std::string(), kind, network, wait);
}

const json* GraphMember(const json& value, std::string_view key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

std::string GraphString(const json& value, std::string_view key) {
  const json* member = GraphMember(value, key);
  return member != nullptr && member->is_string() ? member->get<std::string>() : std::string();
}

int64_t GraphInt(const json& value, std::string_view key, int64_t missing) {
  const json* member = GraphMember(value, key);
  if (member == nullptr) return missing;
  if (member->is_number_integer()) return member->get<int64_t>();
  if (member->is_number_float()) return static_cast<int64_t>(member->get<double>());
  if (member->is_string()) return ParseInt(member->get<std::string>()).value_or(missing);
  return missing;
}

std::string GraphDump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

GraphClient::GraphClient(std::string network, GraphClientOptions options, common::HttpClient& http,
                         CredentialSource& credentials, RateLimiter& limiter,
                         const common::Clock& clock)
    : network_(std::move(network)),
      options_(std::move(options)),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

absl::StatusOr<Credential> GraphClient::CredentialsOf(std::string_view account,
                                                      std::string_view id_field) const {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(network_, credential.status(), account);
  if (credential->Field(id_field).empty()) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat(network_, ": the credentials of ", common::AsAbsl(account),
                                         " have no ", common::AsAbsl(id_field)));
  }
  return credential;
}

absl::Status GraphClient::CheckBudgets(const GraphRequest& request) const {
  for (const RateBucket& bucket :
       {GraphAppBucket(network_), GraphPageBucket(network_, request.account)}) {
    absl::StatusOr<absl::Duration> wait = limiter_.Acquire(bucket);
    if (!wait.ok()) {
      return MakeChannelError(
          ChannelErrorKind::kRetryable,
          absl::StrCat(network_, ": rate budget unavailable, not sent: ", wait.status().message()));
    }
    if (*wait > absl::ZeroDuration()) {
      return MakeChannelError(
          ChannelErrorKind::kRateLimited,
          absl::StrCat(network_, ": rate budget ", bucket.Key(), " is spent, not sent"), *wait);
    }
  }
  return absl::OkStatus();
}

void GraphClient::ObserveRate(const GraphRequest& request, const common::HttpReply& reply) const {
  absl::Time now = clock_.Now();
  GraphUsage usage = ReadGraphUsage(reply, now);
  RateBucket app = GraphAppBucket(network_);
  RateBucket page = GraphPageBucket(network_, request.account);
  if (usage.app) limiter_.Observe(app, *usage.app);
  if (usage.page) limiter_.Observe(page, *usage.page);
  if (reply.status < 300) return;
  std::optional<GraphError> error = ParseGraphError(reply.body);
  bool throttled = error && IsGraphThrottleError(*error);
  if (!throttled && reply.status != 429) return;
  // Code 4 is the app's own limit; every other throttle is the page's (or the
  // Instagram account's) Business Use Case budget.
  RateSignal blocked;
  blocked.blocked_until = now + (throttled ? GraphThrottleWait(reply, now) : kMinimumBlock);
  limiter_.Observe(error && error->code == 4 ? app : page, blocked);
}

absl::StatusOr<common::HttpReply> GraphClient::SendOnce(const GraphRequest& request,
                                                        const Credential& credential) const {
  RETURN_IF_ERROR(CheckBudgets(request));
  common::HttpCall call;
  call.timeout = CallTimeout(options_.call_timeout, request.deadline, clock_.Now());
  if (call.timeout <= absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat(network_, ": the deadline has passed, not sent"));
  }
  call.method = request.method;
  call.url = absl::StrCat(options_.base_url, "/", options_.graph_version, request.path);
  call.headers.emplace_back("Authorization", "Bearer " + credential.access_token);
  if (!request.body.empty()) {
    call.headers.emplace_back("Content-Type", "application/json");
    call.body = request.body;
  }
  absl::StatusOr<common::HttpReply> reply = http_.Send(call);
  if (!reply.ok()) return TransportFailure(reply.status(), request.kind, network_);
  ObserveRate(request, *reply);
  // Error texts end up in status messages: never let one carry the token back.
  if (reply->status >= 300 && !credential.access_token.empty())
    absl::StrReplaceAll({{credential.access_token, "[token]"}}, &reply->body);
  return reply;
}

absl::StatusOr<common::HttpReply> GraphClient::Send(const GraphRequest& request,
                                                    Credential& credential) const {
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(request, credential));
  std::optional<GraphError> error = ParseGraphError(reply.body);
  if (!error || !IsGraphTokenError(*error)) return reply;
  // Meta refuses the token before acting, so nothing was created: the call may
  // go once more, a create too, with newer credentials.
  absl::StatusOr<Credential> refreshed =
      credentials_.Refresh(request.account, credential.access_token);
  if (!refreshed.ok()) return CredentialFailure(network_, refreshed.status(), request.account);
  // The same token again: repeating the call cannot help (Failure reports it).
  if (refreshed->access_token.empty() || refreshed->access_token == credential.access_token)
    return reply;
  credential = *std::move(refreshed);
  return SendOnce(request, credential);
}

absl::Status GraphClient::Failure(const GraphRequest& request,
                                  const common::HttpReply& reply) const {
  return GraphAnswerFailure(reply, request.kind, network_, request.account, clock_.Now());
}

absl::StatusOr<json> GraphClient::Call(const GraphRequest& request, Credential& credential) const {
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(request, credential));
  json body = json::parse(reply.body, nullptr, false);
  bool error_body = !body.is_discarded() && GraphMember(body, "error") != nullptr;
  if (reply.status < 200 || reply.status >= 300 || error_body) return Failure(request, reply);
  if (body.is_discarded() || !body.is_object()) {
    std::string message =
        absl::StrCat(network_, " answered HTTP ", reply.status, " with an unreadable body");
    // A create was accepted; only a later look at the account can say what it made.
    return MakeChannelError(request.kind == CallKind::kCreate ? ChannelErrorKind::kOutcomeUnknown
                                                              : ChannelErrorKind::kRetryable,
                            message);
  }
  return body;
}

absl::StatusOr<int64_t> GraphClient::ReadFollowersCount(std::string_view account,
                                                        std::string_view id_field) const {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account, id_field));
  GraphRequest read{
      std::string(account),
      "GET",
      absl::StrCat("/", UrlEncode(credential.Field(id_field)), "?fields=followers_count"),
      "",
      CallKind::kRead,
      absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(nlohmann::json body, Call(read, credential));
  const int64_t followers = GraphInt(body, "followers_count");
  if (followers < 0) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat(network_, ": ", common::AsAbsl(account), " answered without followers_count"));
  }
  return followers;
}

absl::StatusOr<std::map<std::string, int64_t>> GraphClient::ReadInsights(
    std::string_view account, Credential& credential, std::string_view object_id,
    std::string_view metrics) const {
  GraphRequest read{std::string(account),
                    "GET",
                    absl::StrCat("/", UrlEncode(object_id), "/insights?metric=", UrlEncode(metrics),
                                 "&period=lifetime"),
                    "",
                    CallKind::kRead,
                    absl::InfiniteFuture()};
  absl::StatusOr<nlohmann::json> body = Call(read, credential);
  std::map<std::string, int64_t> values;
  if (!body.ok()) {
    if (ClassifyChannelError(body.status()).kind == ChannelErrorKind::kPermanent) return values;
    return body.status();
  }
  // {"data":[{"name":"post_impressions","period":"lifetime","values":[{"value":123}]}]}
  const nlohmann::json* data = GraphMember(*body, "data");
  if (data == nullptr || !data->is_array()) return values;
  for (const nlohmann::json& metric : *data) {
    const std::string name = GraphString(metric, "name");
    const nlohmann::json* series = GraphMember(metric, "values");
    if (name.empty() || series == nullptr || !series->is_array() || series->empty()) continue;
    const int64_t value = GraphInt(series->back(), "value");
    if (value >= 0) values[name] = value;
  }
  return values;
}

}  // namespace carecast::publisher
