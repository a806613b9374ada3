#include "services/listener/meta_webhook_json.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include <google/protobuf/timestamp.pb.h>
#include <nlohmann/json.hpp>

namespace carecast::listener {
namespace {

using nlohmann::json;

// The string member `key` of `object`, or empty (absent, null or not a string).
std::string Str(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A number member (Meta sends integers; some fields arrive as numeric strings).
std::optional<int64_t> Int(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    int64_t value = 0;
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 18) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    return value;
  }
  return std::nullopt;
}

const json& Member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

v1::Mention MakeMention(v1::Network network, std::string external_id, std::string author,
                        std::string text, std::optional<absl::Time> when) {
  v1::Mention m;
  m.set_network(network);
  m.set_external_id(std::move(external_id));
  m.set_author_handle(std::move(author));
  m.set_text(std::move(text));
  if (when) SetTime(*when, m.mutable_create_time());
  return m;
}

// A Page feed change: a new comment or visitor post.
std::optional<v1::Mention> FromFeed(const json& value, const std::string& page_id,
                                    std::optional<absl::Time> entry_time) {
  const std::string item = Str(value, "item");
  if (Str(value, "verb") != "add" || (item != "comment" && item != "post")) return std::nullopt;
  const json& from = Member(value, "from");
  const std::string from_id = Str(from, "id");
  if (!from_id.empty() && from_id == page_id) return std::nullopt;  // the page itself
  std::string id = item == "comment" ? Str(value, "comment_id") : Str(value, "post_id");
  std::string text = Str(value, "message");
  if (id.empty() || text.empty()) return std::nullopt;
  std::string author = Str(from, "name");
  if (author.empty()) author = from_id;
  std::optional<int64_t> created = Int(value, "created_time");
  return MakeMention(v1::NETWORK_FACEBOOK, std::move(id), std::move(author), std::move(text),
                     created ? std::optional(absl::FromUnixSeconds(*created)) : entry_time);
}

// An Instagram comment (or live comment) on the account's media.
std::optional<v1::Mention> FromInstagramComment(const json& value, const std::string& account_id,
                                                std::optional<absl::Time> entry_time) {
  const json& from = Member(value, "from");
  const std::string from_id = Str(from, "id");
  if (!from_id.empty() && from_id == account_id) return std::nullopt;  // the account itself
  std::string id = Str(value, "id");
  std::string text = Str(value, "text");
  if (id.empty() || text.empty()) return std::nullopt;
  std::string author = Str(from, "username");
  if (author.empty()) author = from_id;
  return MakeMention(v1::NETWORK_INSTAGRAM, std::move(id), std::move(author), std::move(text),
                     entry_time);
}

// A private message sent to the page or account (never an echo of our own).
std::optional<v1::Mention> FromMessage(const json& event, v1::Network network,
                                       const std::string& own_id) {
  const json& message = Member(event, "message");
  const json& echo = Member(message, "is_echo");
  if (echo.is_boolean() && echo.get<bool>()) return std::nullopt;
  const std::string sender = Str(Member(event, "sender"), "id");
  if (sender.empty() || sender == own_id) return std::nullopt;
  std::string id = Str(message, "mid");
  std::string text = Str(message, "text");
  if (id.empty() || text.empty()) return std::nullopt;
  std::optional<int64_t> ms = Int(event, "timestamp");
  return MakeMention(network, std::move(id), sender, std::move(text),
                     ms ? std::optional(absl::FromUnixMillis(*ms)) : std::nullopt);
}

void ReadEntry(const json& entry, bool page, MetaDelivery& out) {
  const std::string own_id = Str(entry, "id");
  std::optional<int64_t> time = Int(entry, "time");
  const std::optional<absl::Time> entry_time =
      time ? std::optional(absl::FromUnixSeconds(*time)) : std::nullopt;
  auto keep = [&out](std::optional<v1::Mention> mention) {
    if (mention) {
      out.mentions.push_back(*std::move(mention));
    } else {
      ++out.ignored;
    }
  };
  if (const json& changes = Member(entry, "changes"); changes.is_array()) {
    for (const json& change : changes) {
      const std::string field = Str(change, "field");
      const json& value = Member(change, "value");
      if (page && field == "feed") {
        keep(FromFeed(value, own_id, entry_time));
      } else if (!page && (field == "comments" || field == "live_comments")) {
        keep(FromInstagramComment(value, own_id, entry_time));
      } else if (!page && field == "mentions" && !own_id.empty() &&
                 !Str(value, "media_id").empty()) {
        out.instagram_mentions.push_back(
            InstagramMentionRef{.account_id = own_id,
                                .media_id = Str(value, "media_id"),
                                .comment_id = Str(value, "comment_id")});
      } else {
        ++out.ignored;
      }
    }
  }
  if (const json& messaging = Member(entry, "messaging"); messaging.is_array()) {
    const v1::Network network = page ? v1::NETWORK_FACEBOOK : v1::NETWORK_INSTAGRAM;
    for (const json& event : messaging) keep(FromMessage(event, network, own_id));
  }
}

}  // namespace

absl::StatusOr<MetaDelivery> ParseMetaDelivery(std::string_view body) {
  json doc = json::parse(body.begin(), body.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("body is not a JSON object");
  }
  const std::string object = Str(doc, "object");
  if (object != "page" && object != "instagram") {
    return absl::InvalidArgumentError("\"object\" must be \"page\" or \"instagram\"");
  }
  const json& entries = Member(doc, "entry");
  if (!entries.is_array()) return absl::InvalidArgumentError("\"entry\" must be an array");
  MetaDelivery out;
  for (const json& entry : entries) ReadEntry(entry, object == "page", out);
  return out;
}

}  // namespace carecast::listener
