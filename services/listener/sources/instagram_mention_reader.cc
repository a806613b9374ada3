#include "services/listener/sources/instagram_mention_reader.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/listener/sources/polled_source_support.h"

namespace carecast::listener {
namespace {

using json = nlohmann::json;

constexpr std::string_view kNetwork = "instagram";

bool IsGraphId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Graph API times: "2026-12-05T10:00:00+0000" (no colon in the offset).
std::optional<absl::Time> ParseGraphTime(std::string value) {
  if (value.size() > 5 && (value[value.size() - 5] == '+' || value[value.size() - 5] == '-')) {
    value.insert(value.size() - 2, ":");
  }
  return ParseRfc3339(value);
}

// A Graph error's status: {"error": {"code", "message"}}.
absl::Status GraphFailure(const common::HttpReply& reply) {
  const json body = json::parse(reply.body, nullptr, false);
  const json error = body.is_object() && body.contains("error") ? body["error"] : json();
  const int code = error.is_object() && error.contains("code") && error["code"].is_number_integer()
                       ? error["code"].get<int>()
                       : 0;
  const std::string message =
      absl::StrCat("instagram: HTTP ", reply.status, code != 0 ? absl::StrCat(", code ", code) : "",
                   ": ", JsonString(error, "message").substr(0, 200));
  if (code == 100) return absl::NotFoundError(message);
  if (code == 190 || reply.status == 401) return absl::UnauthenticatedError(message);
  if (code == 4 || code == 17 || code == 32 || code == 613 || code == 80002 ||
      reply.status == 429 || reply.status >= 500) {
    return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

}  // namespace

InstagramMentionReader::InstagramMentionReader(InstagramMentionReaderSettings settings,
                                               common::HttpClient& http)
    : settings_([&] {
        settings.graph_url = WithoutTrailingSlash(std::move(settings.graph_url));
        return std::move(settings);
      }()),
      http_(http) {}

absl::StatusOr<v1::Mention> InstagramMentionReader::Read(const InstagramMentionRef& ref) {
  if (!IsGraphId(ref.account_id) || !IsGraphId(ref.media_id) ||
      (!ref.comment_id.empty() && !IsGraphId(ref.comment_id))) {
    return absl::InvalidArgumentError("instagram: a mention needs numeric account and media ids");
  }
  const bool comment = !ref.comment_id.empty();
  const std::string field = comment ? "mentioned_comment" : "mentioned_media";
  const std::string fields = comment ? absl::StrCat("mentioned_comment.comment_id(", ref.comment_id,
                                                    "){id,text,timestamp,username}")
                                     : absl::StrCat("mentioned_media.media_id(", ref.media_id,
                                                    "){id,caption,timestamp,username}");
  common::HttpCall call;
  call.method = "GET";
  call.url = absl::StrCat(settings_.graph_url, "/", ref.account_id, "?fields=", UrlEncode(fields));
  call.headers.emplace_back("Authorization", absl::StrCat("Bearer ", settings_.token));
  call.timeout = settings_.call_timeout;
  absl::StatusOr<common::HttpReply> reply = http_.Send(call);
  if (!reply.ok()) return SourceTransportFailure(kNetwork, reply.status());
  if (reply->status != 200) return GraphFailure(*reply);

  const json body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains(field) ||
      !body[field].is_object()) {
    return absl::InternalError(absl::StrCat("instagram: the answer has no ", field));
  }
  const json& found = body[field];
  v1::Mention mention;
  mention.set_network(v1::NETWORK_INSTAGRAM);
  mention.set_external_id(JsonString(found, "id"));
  if (mention.external_id().empty()) {
    mention.set_external_id(comment ? ref.comment_id : ref.media_id);
  }
  mention.set_author_handle(JsonString(found, "username"));
  mention.set_text(JsonString(found, comment ? "text" : "caption"));
  if (std::optional<absl::Time> when = ParseGraphTime(JsonString(found, "timestamp"))) {
    *mention.mutable_create_time() = ProtoTimestamp(*when);
  }
  return mention;
}

}  // namespace carecast::listener
