#include "services/publisher/channels/mastodon_channel.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

using json = nlohmann::json;
using common::AsAbsl;

constexpr std::string_view kNetwork = "mastodon";
constexpr int kPageSize = 40;  // Mastodon's maximum for account statuses

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

// Never throws: text that is not valid UTF-8 is sent with replacement characters.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Mastodon's own error text ({"error": "..."}), cut short. It never holds a token.
std::string ErrorDetail(const common::HttpReply& reply) {
  std::optional<json> body = ParseJson(reply.body);
  std::string detail = body ? StringField(*body, "error") : "";
  if (detail.size() > 200) detail.resize(200);
  return detail;
}

std::optional<RemotePost> ToRemotePost(const json& status) {
  std::string id = StringField(status, "id");
  std::optional<absl::Time> created = ParseIsoTime(StringField(status, "created_at"));
  if (id.empty() || !created) return std::nullopt;
  RemotePost post;
  post.external_id = std::move(id);
  post.url = StringField(status, "url");
  post.text = MastodonContentToText(StringField(status, "content"));
  post.create_time = *created;
  post.in_reply_to = StringField(status, "in_reply_to_id");
  return post;
}

// The value of attribute `name` in a tag's inside (`a href="..." class="..."`).
std::string_view Attribute(std::string_view tag, std::string_view name) {
  std::string needle = absl::StrCat(" ", AsAbsl(name), "=\"");
  size_t at = tag.find(needle);
  if (at == std::string_view::npos) return "";
  size_t start = at + needle.size();
  size_t end = tag.find('"', start);
  if (end == std::string_view::npos) return "";
  return tag.substr(start, end - start);
}

// "p", "/p", "br", "a", "/a", ... lower-cased.
std::string TagName(std::string_view tag) {
  bool closing = !tag.empty() && tag[0] == '/';
  if (closing) tag.remove_prefix(1);
  size_t end = tag.find_first_of(" \t\n/");
  std::string name = absl::AsciiStrToLower(AsAbsl(tag.substr(0, end)));
  return closing ? absl::StrCat("/", name) : name;
}

void AppendDecoded(std::string_view text, std::string& out) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
      {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
  size_t i = 0;
  while (i < text.size()) {
    bool decoded = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out.push_back(c);
          i += entity.size();
          decoded = true;
          break;
        }
      }
    }
    if (!decoded) out.push_back(text[i++]);
  }
}

// What an <a> tag contributes: a mention or hashtag keeps its text; a link is
// replaced by its full href (Mastodon shows it shortened, split over spans).
bool ShowsHref(std::string_view tag) {
  return !absl::StrContains(AsAbsl(Attribute(tag, "class")), "mention");
}

// Paths are appended to base_url: "https://host/" would give "//api".
MastodonChannelOptions WithoutTrailingSlash(MastodonChannelOptions options) {
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  return options;
}

}  // namespace

std::string MastodonContentToText(std::string_view html) {
  std::string out;
  bool in_link = false;  // inside an <a> already written as its href
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      size_t next = std::min(html.find('<', i), html.size());
      if (!in_link) AppendDecoded(html.substr(i, next - i), out);
      i = next;
      continue;
    }
    size_t close = html.find('>', i);
    if (close == std::string_view::npos) break;
    std::string_view tag = html.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string name = TagName(tag);
    if (name == "p" && !out.empty()) {
      out.append("\n\n");
    } else if (name == "br") {
      out.push_back('\n');
    } else if (name == "a" && ShowsHref(tag)) {
      AppendDecoded(Attribute(tag, "href"), out);
      in_link = true;
    } else if (name == "/a") {
      in_link = false;
    }
  }
  return out;
}

MastodonChannel::MastodonChannel(MastodonChannelOptions options, common::HttpClient& http,
                                 CredentialSource& credentials, RateLimiter& limiter,
                                 const common::Clock& clock)
    : options_(WithoutTrailingSlash(std::move(options))),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

RateBucket MastodonChannel::Bucket(std::string_view account) const {
  return RateBucket{std::string(kNetwork), "account", std::string(account)};
}

absl::StatusOr<common::HttpReply> MastodonChannel::Call(std::string_view account,
                                                        const ApiCall& call) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(account, credential->access_token, call));
  if (reply.status != 401) return reply;
  // A 401 refusal created nothing, so the call may be repeated once with a new token.
  absl::StatusOr<Credential> refreshed = credentials_.Refresh(account, credential->access_token);
  if (!refreshed.ok()) return CredentialFailure(kNetwork, refreshed.status(), account);
  ASSIGN_OR_RETURN(reply, SendOnce(account, refreshed->access_token, call));
  if (reply.status == 401) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("mastodon: the refreshed token of ", AsAbsl(account),
                                         " was rejected too: ", ErrorDetail(reply)));
  }
  return reply;
}

absl::StatusOr<common::HttpReply> MastodonChannel::SendOnce(std::string_view account,
                                                            const std::string& token,
                                                            const ApiCall& call) {
  absl::StatusOr<absl::Duration> wait = limiter_.Acquire(Bucket(account));
  if (!wait.ok()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat("mastodon: rate limiter: ", wait.status().message()));
  }
  if (*wait > absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRateLimited,
                            "mastodon: the account's rate budget is spent", *wait);
  }
  absl::Duration timeout = CallTimeout(options_.call_timeout, call.deadline, clock_.Now());
  if (timeout <= absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "mastodon: the deadline passed before the call was sent");
  }
  common::HttpCall http_call;
  http_call.method = call.method;
  http_call.url = absl::StrCat(options_.base_url, call.path);
  http_call.timeout = timeout;
  http_call.headers = {{"Authorization", absl::StrCat("Bearer ", token)},
                       {"Accept", "application/json"}};
  if (!call.content_type.empty()) http_call.headers.emplace_back("Content-Type", call.content_type);
  if (!call.idempotency_key.empty())
    http_call.headers.emplace_back("Idempotency-Key", call.idempotency_key);
  http_call.body = call.body;
  absl::StatusOr<common::HttpReply> reply = http_.Send(http_call);
  if (!reply.ok()) return TransportFailure(reply.status(), call.kind, kNetwork);
  ObserveRate(account, *reply);
  return reply;
}

void MastodonChannel::ObserveRate(std::string_view account, const common::HttpReply& reply) {
  RateSignal signal;
  signal.limit = ParseInt(reply.Header("x-ratelimit-limit"));
  signal.remaining = ParseInt(reply.Header("x-ratelimit-remaining"));
  signal.reset = ParseIsoTime(reply.Header("x-ratelimit-reset"));
  if (reply.status == 429) {
    // Mastodon's 429 carries the reset of the exhausted window, not Retry-After.
    absl::Time now = clock_.Now();
    absl::Time until = signal.reset.value_or(now + absl::Minutes(1));
    signal.blocked_until = std::max(until, now + absl::Seconds(1));
  }
  if (signal.limit || signal.remaining || signal.reset || signal.blocked_until)
    limiter_.Observe(Bucket(account), signal);
}

absl::Status MastodonChannel::Failure(const common::HttpReply& reply, CallKind kind) const {
  std::string detail = ErrorDetail(reply);
  absl::Duration wait = absl::ZeroDuration();
  if (reply.status == 429) {
    absl::Time now = clock_.Now();
    std::optional<absl::Time> reset = ParseIsoTime(reply.Header("x-ratelimit-reset"));
    wait = reset ? std::max(*reset - now, absl::Seconds(1)) : absl::Minutes(1);
  }
  if (reply.status == 403) {
    // Mastodon answers 403 for a token outside its scopes or a disabled login:
    // a person must act on the account.
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("mastodon answered HTTP 403: ", detail));
  }
  return HttpAnswerFailure(reply.status, detail, kind, kNetwork, wait);
}

absl::StatusOr<Receipt> MastodonChannel::Publish(const PublishRequest& request) {
  json body = {{"status", request.text}, {"visibility", "public"}};
  if (!request.in_reply_to.empty()) body["in_reply_to_id"] = request.in_reply_to;
  if (!request.media.empty()) {
    json ids = json::array();
    for (size_t i = 0; i < request.media.size(); ++i) {
      ASSIGN_OR_RETURN(std::string id,
                       UploadMedia(request.account, request.media[i], i, request.deadline));
      ids.push_back(std::move(id));
    }
    body["media_ids"] = std::move(ids);
  }
  ApiCall call;
  call.method = "POST";
  call.path = "/api/v1/statuses";
  call.body = Dump(body);
  call.content_type = "application/json";
  call.idempotency_key = request.idempotency_key;
  call.kind = CallKind::kCreate;
  call.deadline = request.deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(request.account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kCreate);
  std::optional<json> status = ParseJson(reply.body);
  std::string id = status ? StringField(*status, "id") : "";
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "mastodon: the status was accepted but the answer has no id");
  }
  return Receipt{id, StringField(*status, "url")};
}

absl::StatusOr<std::string> MastodonChannel::AccountId(std::string_view account,
                                                       absl::Time deadline) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  if (std::string id = credential->Field("user_id"); !id.empty()) return id;
  {
    std::lock_guard lock(mu_);
    if (auto it = account_ids_.find(account); it != account_ids_.end()) return it->second;
  }
  ApiCall call;
  call.path = "/api/v1/accounts/verify_credentials";
  call.deadline = deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  std::string id = body ? StringField(*body, "id") : "";
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "mastodon: verify_credentials answered without an account id");
  }
  std::lock_guard lock(mu_);
  account_ids_[std::string(account)] = id;
  return id;
}

absl::StatusOr<MastodonChannel::Listing> MastodonChannel::ListSince(std::string_view account,
                                                                    absl::Time since,
                                                                    size_t max_posts,
                                                                    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string id, AccountId(account, deadline));
  Listing listing;
  std::string max_id;
  for (int page = 0; page < options_.max_list_pages; ++page) {
    ApiCall call;
    call.path = absl::StrCat("/api/v1/accounts/", UrlEncode(id), "/statuses?limit=", kPageSize,
                             "&exclude_reblogs=true");
    if (!max_id.empty()) absl::StrAppend(&call.path, "&max_id=", UrlEncode(max_id));
    call.deadline = deadline;
    ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
    if (reply.status >= 300) return Failure(reply, CallKind::kRead);
    std::optional<json> statuses = ParseJson(reply.body);
    if (!statuses || !statuses->is_array()) {
      return MakeChannelError(ChannelErrorKind::kRetryable,
                              "mastodon: the account's statuses could not be read");
    }
    if (statuses->empty()) {  // past the account's first status
      listing.complete = true;
      return listing;
    }
    for (const json& status : *statuses) {
      std::optional<RemotePost> post = ToRemotePost(status);
      if (!post) continue;  // unreadable: neither a match nor a reason to stop
      // Newest first: the first status older than `since` ends the listing.
      if (post->create_time < since) {
        listing.complete = true;
        return listing;
      }
      max_id = post->external_id;
      if (listing.posts.size() < max_posts) listing.posts.push_back(std::move(*post));
    }
    if (listing.posts.size() >= max_posts) return listing;
  }
  return listing;  // the pages ran out before `since`: incomplete
}

absl::StatusOr<std::optional<Receipt>> MastodonChannel::FindPublished(const PublishRequest& request,
                                                                      absl::Time since) {
  ASSIGN_OR_RETURN(Listing listing,
                   ListSince(request.account, since - options_.find_slack,
                             std::numeric_limits<size_t>::max(), request.deadline));
  for (const RemotePost& post : listing.posts) {
    if (post.in_reply_to == request.in_reply_to && SameTextAsSent(request.text, post.text))
      return Receipt{post.external_id, post.url};
  }
  if (!listing.complete) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "mastodon: the statuses since the attempt exceed the listing pages; "
                            "cannot tell whether the post exists");
  }
  return std::nullopt;
}

absl::Status MastodonChannel::Delete(std::string_view account, std::string_view external_id) {
  ApiCall call;
  call.method = "DELETE";
  call.path = absl::StrCat("/api/v1/statuses/", UrlEncode(external_id));
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status == 404)
    return absl::NotFoundError(absl::StrCat("mastodon: no status ", AsAbsl(external_id)));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RemotePost>> MastodonChannel::ListRecent(std::string_view account,
                                                                    absl::Time since, int limit) {
  if (limit <= 0) return std::vector<RemotePost>{};
  ASSIGN_OR_RETURN(Listing listing,
                   ListSince(account, since, static_cast<size_t>(limit), absl::InfiniteFuture()));
  return std::move(listing.posts);
}

absl::StatusOr<Engagement> MastodonChannel::ReadEngagement(std::string_view account,
                                                           std::string_view external_id) {
  ApiCall call;
  call.path = absl::StrCat("/api/v1/statuses/", UrlEncode(external_id));
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status == 404)
    return absl::NotFoundError(absl::StrCat("mastodon: no status ", AsAbsl(external_id)));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> status = ParseJson(reply.body);
  if (!status || !status->is_object()) {
    return MakeChannelError(ChannelErrorKind::kRetryable, "mastodon: the status could not be read");
  }
  Engagement engagement;
  engagement.likes = CountField(*status, "favourites_count");
  engagement.shares = CountField(*status, "reblogs_count");
  engagement.replies = CountField(*status, "replies_count");
  return engagement;
}

absl::StatusOr<int64_t> MastodonChannel::ReadFollowers(std::string_view account) {
  ApiCall call;
  call.path = "/api/v1/accounts/verify_credentials";
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  int64_t followers = body ? CountField(*body, "followers_count") : -1;
  if (followers < 0) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "mastodon: verify_credentials answered without followers_count");
  }
  return followers;
}

absl::StatusOr<std::string> MastodonChannel::UploadMedia(std::string_view account,
                                                         const MediaRef& media, size_t index,
                                                         absl::Time deadline) {
  ASSIGN_OR_RETURN(FetchedMedia image, FetchMedia(http_, clock_, media, index, kNetwork,
                                                  options_.call_timeout, deadline));
  FormBody form = MultipartForm(
      {{"file", std::move(image.bytes), MediaFileName(image.mime_type, index), image.mime_type},
       {"description", media.alt_text, "", ""}});
  // An upload creates only an unattached attachment (the instance removes
  // unused ones), so its failures are those of a read: never outcome-unknown.
  ApiCall call;
  call.method = "POST";
  call.path = "/api/v2/media";
  call.body = std::move(form.body);
  call.content_type = std::move(form.content_type);
  call.deadline = deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> attachment = ParseJson(reply.body);
  std::string id = attachment ? StringField(*attachment, "id") : "";
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "mastodon: the media upload answered without an id");
  }
  if (reply.status == 202) RETURN_IF_ERROR(AwaitMedia(account, id, deadline));
  return id;
}

absl::Status MastodonChannel::AwaitMedia(std::string_view account, const std::string& media_id,
                                         absl::Time deadline) {
  // A status naming an attachment still processing is refused with 422, which
  // would fail the post for good: wait until the instance has processed it.
  for (int poll = 0; poll < options_.max_media_polls; ++poll) {
    if (clock_.Now() + options_.media_poll_interval >= deadline) break;
    absl::SleepFor(options_.media_poll_interval);
    ApiCall call;
    call.path = absl::StrCat("/api/v1/media/", UrlEncode(media_id));
    call.deadline = deadline;
    ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
    if (reply.status == 200) return absl::OkStatus();
    if (reply.status != 206) return Failure(reply, CallKind::kRead);
  }
  return MakeChannelError(ChannelErrorKind::kRetryable,
                          "mastodon: an uploaded image is still processing");
}

}  // namespace carecast::publisher
