#include "services/listener/meta_webhook.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/hmac.h"
#include "services/common/base/strings.h"
#include "services/listener/meta_webhook_json.h"
#include "services/listener/webhook_json.h"

namespace carecast::listener {
namespace {

constexpr size_t kMaxChallengeBytes = 256;

std::string Error(std::string_view reason) { return JsonObject({{"error", reason}}); }

std::string QueryValue(const common::HttpRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

// Meta sends a number; anything else is not echoed back, so the endpoint
// cannot be used to reflect arbitrary content.
bool IsPlainChallenge(std::string_view challenge) {
  if (challenge.empty() || challenge.size() > kMaxChallengeBytes) return false;
  for (char c : challenge) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

MetaWebhook::MetaWebhook(Listener& listener, MetaWebhookSecrets secrets, ListenerMetrics& metrics,
                         common::Logger& logger, InstagramMentionReader* instagram)
    : listener_(listener),
      secrets_(std::move(secrets)),
      metrics_(metrics),
      logger_(logger),
      instagram_(instagram) {}

absl::Status MetaWebhook::ReadInstagramMentions(MetaDelivery& delivery) {
  for (const InstagramMentionRef& ref : delivery.instagram_mentions) {
    if (instagram_ == nullptr) {
      ++delivery.ignored;
      continue;
    }
    absl::StatusOr<v1::Mention> mention = instagram_->Read(ref);
    if (mention.ok()) {
      delivery.mentions.push_back(*std::move(mention));
      continue;
    }
    const absl::Status& error = mention.status();
    if (absl::IsUnavailable(error) || absl::IsUnauthenticated(error)) {
      logger_.Warn("instagram mention not read; Meta will deliver it again",
                   {{"code", absl::StatusCodeToString(error.code())},
                    {"error", std::string(error.message())}});
      return absl::UnavailableError("an Instagram mention cannot be read now");
    }
    // Deleted since, or refused for good: delivering again would not help.
    if (!absl::IsNotFound(error)) {
      logger_.Error("instagram mention unreadable",
                    {{"code", absl::StatusCodeToString(error.code())},
                     {"error", std::string(error.message())}});
    }
    ++delivery.ignored;
  }
  delivery.instagram_mentions.clear();
  return absl::OkStatus();
}

common::HttpResponse MetaWebhook::Answer(int status, std::string_view outcome, std::string body,
                                         std::string_view content_type) {
  metrics_.MetaWebhookRequest(outcome);
  logger_.Info("meta webhook", {{"path", std::string(kMetaWebhookPath)},
                                {"status", static_cast<int64_t>(status)},
                                {"outcome", std::string(outcome)}});
  common::HttpResponse response;
  response.status = status;
  response.content_type = std::string(content_type);
  response.body = std::move(body);
  return response;
}

common::HttpResponse MetaWebhook::Verify(const common::HttpRequest& request) {
  const std::string challenge = QueryValue(request, "hub.challenge");
  if (QueryValue(request, "hub.mode") != "subscribe" ||
      !common::ConstantTimeEquals(QueryValue(request, "hub.verify_token"), secrets_.verify_token) ||
      !IsPlainChallenge(challenge)) {
    return Answer(403, "verify_refused", Error("verification refused"));
  }
  return Answer(200, "verified", challenge, "text/plain");
}

common::HttpResponse MetaWebhook::Receive(const common::HttpRequest& request) {
  const std::string signature = request.Header("x-hub-signature-256");
  if (signature.empty()) {
    return Answer(401, "missing_signature", Error("missing X-Hub-Signature-256"));
  }
  if (!common::VerifySha256SignatureHeader(secrets_.app_secret, request.body, signature)) {
    return Answer(403, "forged", Error("X-Hub-Signature-256 does not match the body"));
  }
  absl::StatusOr<MetaDelivery> delivery = ParseMetaDelivery(request.body);
  if (!delivery.ok())
    return Answer(400, "bad_request", Error(common::AsStd(delivery.status().message())));

  if (!ReadInstagramMentions(*delivery).ok()) {
    return Answer(503, "unavailable",
                  Error("an Instagram mention cannot be read now; deliver again"));
  }
  int created = 0;
  int repeated = 0;
  int refused = 0;
  for (const v1::Mention& mention : delivery->mentions) {
    absl::StatusOr<CreateMentionResult> result = listener_.CreateMention(mention, "meta_webhook");
    if (result.ok()) {
      ++(result->created ? created : repeated);
      continue;
    }
    switch (result.status().code()) {
      case absl::StatusCode::kInvalidArgument:
        // One unusable mention (too long, say) must not make Meta resend the
        // batch forever; the rejection metric counts it by reason.
        ++refused;
        break;
      case absl::StatusCode::kUnavailable:
        return Answer(503, "unavailable", Error("mentions cannot be stored now; deliver again"));
      default:
        logger_.Error("meta webhook mention failed",
                      {{"code", absl::StatusCodeToString(result.status().code())}});
        return Answer(500, "error", Error("internal error"));
    }
  }
  const std::string body =
      absl::StrCat("{\"received\":", delivery->mentions.size(), ",\"created\":", created,
                   ",\"repeated\":", repeated, ",\"ignored\":", delivery->ignored,
                   ",\"refused\":", refused, "}");
  return Answer(200, "accepted", body);
}

}  // namespace carecast::listener
