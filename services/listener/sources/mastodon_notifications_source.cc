#include "services/listener/sources/mastodon_notifications_source.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/strings.h"
#include "services/listener/sources/html_text.h"
#include "services/listener/sources/polled_source_support.h"

namespace carecast::listener {
namespace {

using json = nlohmann::json;
using common::AsAbsl;

constexpr std::string_view kNetwork = "mastodon";

// Mastodon's own error text ({"error": "..."}); it never holds a token.
std::string ErrorDetail(const common::HttpReply& reply) {
  json body = json::parse(reply.body, nullptr, false);
  return body.is_discarded() ? "" : JsonString(body, "error");
}

// A notification of type "mention" as a Mention; nullopt for anything else
// (another type, or a mention whose status is gone or malformed).
std::optional<v1::Mention> ToMention(const json& notification, const std::string& account) {
  if (JsonString(notification, "type") != "mention") return std::nullopt;
  auto status = notification.find("status");
  if (status == notification.end() || !status->is_object()) return std::nullopt;
  std::string id = JsonString(*status, "id");
  std::optional<absl::Time> created = ParseRfc3339(JsonString(*status, "created_at"));
  auto author = status->find("account");
  if (id.empty() || !created || author == status->end()) return std::nullopt;
  v1::Mention mention;
  mention.set_network(v1::NETWORK_MASTODON);
  // The status, not the notification: a reply goes in_reply_to the status.
  mention.set_external_id(std::move(id));
  mention.set_author_handle(JsonString(*author, "acct"));
  mention.set_text(HtmlToPlainText(JsonString(*status, "content")));
  *mention.mutable_create_time() = ProtoTimestamp(*created);
  mention.set_account(account);
  return mention;
}

}  // namespace

MastodonNotificationsSource::MastodonNotificationsSource(MastodonNotificationsSettings settings,
                                                         common::HttpClient& http,
                                                         const common::Clock& clock)
    : settings_([&] {
        settings.base_url = WithoutTrailingSlash(std::move(settings.base_url));
        return std::move(settings);
      }()),
      http_(http),
      clock_(clock) {}

absl::StatusOr<SourcePage> MastodonNotificationsSource::Fetch(std::string_view checkpoint) {
  common::HttpCall call;
  call.method = "GET";
  call.url = absl::StrCat(settings_.base_url,
                          "/api/v1/notifications?types%5B%5D=mention&limit=", settings_.page_size);
  if (!checkpoint.empty()) absl::StrAppend(&call.url, "&min_id=", UrlEncode(checkpoint));
  call.headers.emplace_back("Authorization", absl::StrCat("Bearer ", settings_.token));
  call.headers.emplace_back("Accept", "application/json");
  call.timeout = settings_.call_timeout;

  absl::StatusOr<common::HttpReply> reply = http_.Send(call);
  if (!reply.ok()) return SourceTransportFailure(kNetwork, reply.status());

  if (reply->status == 429) {
    return RateLimitedPage(checkpoint, ParseRfc3339(reply->Header("x-ratelimit-reset")),
                           clock_.Now());
  }
  SourcePage page;
  page.next_checkpoint = std::string(checkpoint);
  if (reply->status < 200 || reply->status > 299) {
    return SourceHttpFailure(kNetwork, reply->status, ErrorDetail(*reply));
  }

  json body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded() || !body.is_array()) {
    return absl::InternalError("mastodon: notifications answer is not a JSON array");
  }
  // Newest first as sent; the checkpoint moves past every notification read,
  // including any the source skips, so a page of them is never read again.
  std::vector<std::pair<std::string, v1::Mention>> read;
  for (const json& notification : body) {
    std::string id = JsonString(notification, "id");
    if (id.empty()) return absl::InternalError("mastodon: a notification has no id");
    if (page.next_checkpoint.empty() || IdLess(page.next_checkpoint, id)) {
      page.next_checkpoint = id;
    }
    if (std::optional<v1::Mention> mention = ToMention(notification, settings_.account)) {
      read.emplace_back(std::move(id), *std::move(mention));
    }
  }
  std::sort(read.begin(), read.end(),
            [](const auto& a, const auto& b) { return IdLess(a.first, b.first); });
  page.mentions.reserve(read.size());
  for (auto& [id, mention] : read) page.mentions.push_back(std::move(mention));
  // An empty checkpoint reads the newest page only, never further back.
  page.more = !checkpoint.empty() && static_cast<int>(body.size()) >= settings_.page_size;
  return page;
}

}  // namespace carecast::listener
