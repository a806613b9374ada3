#include "services/listener/sources/x_recent_search_source.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/strings.h"
#include "services/listener/sources/polled_source_support.h"

namespace carecast::listener {
namespace {

using json = nlohmann::json;
using common::AsAbsl;

constexpr std::string_view kNetwork = "x";

// The checkpoint's fields (x_recent_search_source.h).
struct Walk {
  std::string since;   // empty: nothing read yet
  std::string newest;  // with next: the newest post when the walk began
  std::string next;    // X's next_token of the page still to read
};

bool IsId(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// `next` is last and runs to the end, so a token is never cut at a ';'.
std::optional<Walk> ParseCheckpoint(std::string_view checkpoint) {
  Walk walk;
  if (checkpoint.empty()) return walk;
  constexpr std::string_view kSince = "since=";
  constexpr std::string_view kNewest = ";newest=";
  constexpr std::string_view kNext = ";next=";
  if (!checkpoint.starts_with(kSince)) return std::nullopt;
  checkpoint.remove_prefix(kSince.size());
  size_t end = std::min(checkpoint.find(';'), checkpoint.size());
  walk.since = std::string(checkpoint.substr(0, end));
  checkpoint.remove_prefix(end);
  if (!IsId(walk.since)) return std::nullopt;
  if (checkpoint.empty()) return walk;
  if (!checkpoint.starts_with(kNewest)) return std::nullopt;
  checkpoint.remove_prefix(kNewest.size());
  end = std::min(checkpoint.find(';'), checkpoint.size());
  walk.newest = std::string(checkpoint.substr(0, end));
  checkpoint.remove_prefix(end);
  if (!IsId(walk.newest) || !checkpoint.starts_with(kNext)) return std::nullopt;
  walk.next = std::string(checkpoint.substr(kNext.size()));
  if (walk.next.empty()) return std::nullopt;
  return walk;
}

std::string SinceCheckpoint(std::string_view since) {
  return absl::StrCat("since=", AsAbsl(since));
}

std::string WalkCheckpoint(std::string_view since, std::string_view newest, std::string_view next) {
  return absl::StrCat("since=", AsAbsl(since), ";newest=", AsAbsl(newest), ";next=", AsAbsl(next));
}

// X's own error text: a problem's detail or title, or the first error's
// message. It may quote the query, never a token or a post.
std::string ErrorDetail(const common::HttpReply& reply) {
  json body = json::parse(reply.body, nullptr, false);
  if (body.is_discarded()) return "";
  if (auto errors = body.find("errors");
      errors != body.end() && errors->is_array() && !errors->empty()) {
    if (std::string message = JsonString(errors->front(), "message"); !message.empty()) {
      return message;
    }
  }
  std::string detail = JsonString(body, "detail");
  return detail.empty() ? JsonString(body, "title") : detail;
}

// includes.users: author id → username.
std::map<std::string, std::string> Usernames(const json& body) {
  std::map<std::string, std::string> usernames;
  auto includes = body.find("includes");
  if (includes == body.end() || !includes->is_object()) return usernames;
  auto users = includes->find("users");
  if (users == includes->end() || !users->is_array()) return usernames;
  for (const json& user : *users) {
    std::string id = JsonString(user, "id");
    std::string username = JsonString(user, "username");
    if (!id.empty() && !username.empty()) usernames[id] = std::move(username);
  }
  return usernames;
}

}  // namespace

XRecentSearchSource::XRecentSearchSource(XRecentSearchSettings settings, common::HttpClient& http,
                                         const common::Clock& clock)
    : settings_([&] {
        settings.base_url = WithoutTrailingSlash(std::move(settings.base_url));
        return std::move(settings);
      }()),
      http_(http),
      clock_(clock) {}

absl::StatusOr<SourcePage> XRecentSearchSource::Fetch(std::string_view checkpoint) {
  std::optional<Walk> walk = ParseCheckpoint(checkpoint);
  if (!walk) return absl::FailedPreconditionError("x: the stored checkpoint is not one of mine");
  const bool walking = !walk->next.empty();

  common::HttpCall call;
  call.method = "GET";
  call.url =
      absl::StrCat(settings_.base_url, "/2/tweets/search/recent?query=", UrlEncode(settings_.query),
                   "&max_results=", settings_.max_results);
  if (!walk->since.empty()) absl::StrAppend(&call.url, "&since_id=", walk->since);
  if (walking) absl::StrAppend(&call.url, "&pagination_token=", UrlEncode(walk->next));
  absl::StrAppend(&call.url,
                  "&tweet.fields=created_at%2Cauthor_id%2Cconversation_id"
                  "&expansions=author_id&user.fields=username");
  call.headers.emplace_back("Authorization", absl::StrCat("Bearer ", settings_.token));
  call.timeout = settings_.call_timeout;

  absl::StatusOr<common::HttpReply> reply = http_.Send(call);
  if (!reply.ok()) return SourceTransportFailure(kNetwork, reply.status());

  if (reply->status == 429) {
    int64_t reset = 0;
    return RateLimitedPage(checkpoint,
                           absl::SimpleAtoi(AsAbsl(reply->Header("x-rate-limit-reset")), &reset)
                               ? std::optional(absl::FromUnixSeconds(reset))
                               : std::nullopt,
                           clock_.Now());
  }
  SourcePage page;
  page.next_checkpoint = std::string(checkpoint);
  if (reply->status < 200 || reply->status > 299) {
    return SourceHttpFailure(kNetwork, reply->status, ErrorDetail(*reply));
  }

  json body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InternalError("x: search answer is not a JSON object");
  }
  auto meta = body.find("meta");
  if (meta == body.end() || !meta->is_object()) {
    return absl::InternalError("x: search answer has no meta");
  }
  const std::string next_token = JsonString(*meta, "next_token");
  std::string newest = JsonString(*meta, "newest_id");

  std::vector<std::pair<std::string, v1::Mention>> read;
  if (auto data = body.find("data"); data != body.end()) {
    if (!data->is_array()) return absl::InternalError("x: search answer's data is not a list");
    const std::map<std::string, std::string> usernames = Usernames(body);
    for (const json& tweet : *data) {
      std::string id = JsonString(tweet, "id");
      std::optional<absl::Time> created = ParseRfc3339(JsonString(tweet, "created_at"));
      if (!IsId(id) || !created) {
        return absl::InternalError("x: a post has no id or created_at");
      }
      const std::string author_id = JsonString(tweet, "author_id");
      auto username = usernames.find(author_id);
      v1::Mention mention;
      mention.set_network(v1::NETWORK_X);
      mention.set_external_id(id);
      mention.set_author_handle(username == usernames.end() ? author_id : username->second);
      // X escapes &, < and > in a post's text.
      mention.set_text(DecodeHtmlEntities(JsonString(tweet, "text")));
      *mention.mutable_create_time() = ProtoTimestamp(*created);
      mention.set_account(settings_.account);
      if (newest.empty() || IdLess(newest, id)) newest = id;
      read.emplace_back(std::move(id), std::move(mention));
    }
  }
  std::sort(read.begin(), read.end(),
            [](const auto& a, const auto& b) { return IdLess(a.first, b.first); });
  page.mentions.reserve(read.size());
  for (auto& [id, mention] : read) page.mentions.push_back(std::move(mention));

  if (walking) {
    // The walk goes on down to `since`, or ends at it: then everything up to
    // the walk's newest post has been read.
    if (next_token.empty()) {
      page.next_checkpoint = SinceCheckpoint(walk->newest);
    } else {
      page.next_checkpoint = WalkCheckpoint(walk->since, walk->newest, next_token);
      page.more = true;
    }
    return page;
  }
  if (read.empty() || !IsId(newest)) return page;  // nothing new: unchanged
  if (walk->since.empty() || next_token.empty()) {
    // A first read takes the newest page only; a read whose page holds all
    // that is new is done.
    page.next_checkpoint = SinceCheckpoint(newest);
  } else {
    page.next_checkpoint = WalkCheckpoint(walk->since, newest, next_token);
    page.more = true;
  }
  return page;
}

}  // namespace carecast::listener
