#include "services/listener/mention_webhook.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

#include "services/common/base/hmac.h"
#include "services/common/base/strings.h"
#include "services/listener/listener_roles.h"
#include "services/listener/webhook_json.h"

namespace carecast::listener {
namespace {

std::string Error(std::string_view reason) { return JsonObject({{"error", reason}}); }
std::string StatusError(const absl::Status& s) { return Error(common::AsStd(s.message())); }

// The token from "Bearer <token>" (scheme case-insensitive, RFC 7235), or empty.
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(common::AsAbsl(header.substr(0, kScheme.size())),
                              common::AsAbsl(kScheme))) {
    return {};
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

// "application/json", optionally with parameters such as "; charset=utf-8".
bool IsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(common::AsAbsl(media)),
                                "application/json");
}

}  // namespace

MentionWebhook::MentionWebhook(Listener& listener, const common::Authenticator& authenticator,
                               const common::RoleTable& roles, ListenerMetrics& metrics,
                               common::Logger& logger, std::string signing_secret)
    : listener_(listener),
      authenticator_(authenticator),
      roles_(roles),
      metrics_(metrics),
      logger_(logger),
      signing_secret_(std::move(signing_secret)) {}

common::HttpResponse MentionWebhook::Answer(int status, std::string_view outcome, std::string body,
                                            std::string_view subject) {
  metrics_.WebhookRequest(outcome);
  logger_.Info("webhook", {{"path", std::string(kWebhookPath)},
                           {"status", static_cast<int64_t>(status)},
                           {"outcome", std::string(outcome)},
                           {"subject", std::string(subject)}});
  common::HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

common::HttpResponse MentionWebhook::Handle(const common::HttpRequest& request) {
  const std::string_view token = BearerToken(request.authorization);
  if (token.empty()) return Answer(401, "unauthenticated", Error("missing bearer token"), "");
  absl::StatusOr<common::Principal> principal = authenticator_.Authenticate(token);
  if (!principal.ok()) {
    return Answer(401, "unauthenticated", StatusError(principal.status()), "");
  }
  if (absl::StatusOr<common::Role> role = roles_.Authorize(*principal, kCreateMentionMethod);
      !role.ok()) {
    return Answer(403, "forbidden", Error("caller has no role allowed to post mentions"),
                  principal->subject);
  }
  if (!signing_secret_.empty()) {
    const std::string signature = request.Header("x-carecast-signature");
    if (signature.empty()) {
      return Answer(401, "missing_signature", Error("missing X-CareCast-Signature"),
                    principal->subject);
    }
    if (!common::VerifySha256SignatureHeader(signing_secret_, request.body, signature)) {
      return Answer(403, "forged", Error("X-CareCast-Signature does not match the body"),
                    principal->subject);
    }
  }
  if (!IsJson(request.content_type)) {
    return Answer(415, "unsupported_media_type", Error("Content-Type must be application/json"),
                  principal->subject);
  }
  std::string reason;
  absl::StatusOr<v1::Mention> mention = ParseWebhookMention(request.body, &reason);
  if (!mention.ok()) {
    metrics_.MentionRejected(reason);
    return Answer(400, "bad_request", StatusError(mention.status()), principal->subject);
  }
  absl::StatusOr<CreateMentionResult> result = listener_.CreateMention(*mention, "webhook");
  if (!result.ok()) {
    const absl::StatusCode code = result.status().code();
    if (code == absl::StatusCode::kInvalidArgument) {
      return Answer(400, "bad_request", StatusError(result.status()), principal->subject);
    }
    if (code == absl::StatusCode::kUnavailable) {
      return Answer(503, "unavailable", StatusError(result.status()), principal->subject);
    }
    // Internal detail stays in the service's own logs.
    logger_.Error("webhook mention failed", {{"code", absl::StatusCodeToString(code)}});
    return Answer(500, "error", Error("internal error"), principal->subject);
  }
  return Answer(result->created ? 201 : 200, result->created ? "created" : "repeated",
                JsonObject({{"name", result->mention.name()}, {"inbox_item", result->inbox_item}}),
                principal->subject);
}

}  // namespace carecast::listener
