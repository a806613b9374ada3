#include "services/publisher/channels/wordpress_channel.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include <nlohmann/json.hpp>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/network_rules.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;

constexpr std::string_view kNetwork = "wordpress";
constexpr std::string_view kApi = "/wp-json/wp/v2";
constexpr std::string_view kCommentPrefix = "comment:";
constexpr std::string_view kSlugPrefix = "cc-";
constexpr std::string_view kAnyStatus = "publish,future,draft,pending,private";
constexpr int kPageSize = 50;
constexpr int kMaxListPages = 20;
constexpr size_t kMaxDetail = 300;
// `after` is compared with the site's local time, whose offset we do not know:
// ask for 14 h more (the largest UTC offset) and filter on date_gmt ourselves.
constexpr absl::Duration kLocalTimeSlack = absl::Hours(14);

const json* Member(const json& value, const char* key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

std::string StringMember(const json& value, const char* key) {
  const json* member = Member(value, key);
  return member != nullptr && member->is_string() ? member->get<std::string>() : std::string();
}

// WordPress ids are JSON numbers; we carry them as strings.
std::string IdMember(const json& value, const char* key) {
  const json* member = Member(value, key);
  if (member == nullptr || !member->is_number_integer()) return "";
  return absl::StrCat(member->get<int64_t>());
}

// content.raw (context=edit) is what we sent; content.rendered has been through
// wptexturize (curly quotes), so it is only the fallback.
std::string ContentOf(const json& item) {
  const json* content = Member(item, "content");
  if (content == nullptr) return "";
  std::string raw = StringMember(*content, "raw");
  return raw.empty() ? StringMember(*content, "rendered") : raw;
}

// date_gmt carries no offset ("2026-12-05T10:00:00").
std::optional<absl::Time> GmtOf(const json& item) {
  std::string gmt = StringMember(item, "date_gmt");
  if (gmt.empty()) return std::nullopt;
  return ParseIsoTime(gmt + "Z");
}

std::string SiteTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S", time, absl::UTCTimeZone());
}

// A WordPress id: digits that fit an int64 (SimpleAtoi also takes signs and
// spaces, which an id never has).
std::optional<int64_t> IdNumber(std::string_view text) {
  int64_t number = 0;
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (!digits || !absl::SimpleAtoi(common::AsAbsl(text), &number)) return std::nullopt;
  return number;
}

// request.in_reply_to or an external id: "<post id>" or "comment:<id>@<post id>".
struct Target {
  std::string post_id;
  std::string comment_id;  // empty: the post itself
};
std::optional<Target> ParseTarget(std::string_view id) {
  if (IdNumber(id)) return Target{std::string(id), ""};
  if (!absl::StartsWith(common::AsAbsl(id), common::AsAbsl(kCommentPrefix))) return std::nullopt;
  std::string_view rest = id.substr(kCommentPrefix.size());
  size_t at = rest.find('@');
  if (at == std::string_view::npos || !IdNumber(rest.substr(0, at)) ||
      !IdNumber(rest.substr(at + 1)))
    return std::nullopt;
  return Target{std::string(rest.substr(at + 1)), std::string(rest.substr(0, at))};
}

std::string CommentExternalId(std::string_view comment_id, std::string_view post_id) {
  return absl::StrCat(common::AsAbsl(kCommentPrefix), common::AsAbsl(comment_id), "@",
                      common::AsAbsl(post_id));
}

RateBucket Bucket(std::string_view account) {
  return RateBucket{std::string(kNetwork), "site", std::string(account)};
}

json ParseBody(const common::HttpReply& reply) { return json::parse(reply.body, nullptr, false); }

void AppendEscaped(char c, std::string& out) {
  switch (c) {
    case '&':
      out += "&amp;";
      return;
    case '<':
      out += "&lt;";
      return;
    case '>':
      out += "&gt;";
      return;
    case '"':
      out += "&quot;";
      return;
    case '\'':
      out += "&#39;";
      return;
    default:
      out.push_back(c);
  }
}

// A WordPress error answer ({"code","message","data":{"status"}}, or a host's
// HTML page) as a channel error.
absl::Status AnswerFailure(const common::HttpReply& reply, CallKind kind, std::string_view account,
                           absl::Duration rate_block, absl::Time now) {
  json body = ParseBody(reply);
  std::string code = body.is_discarded() ? std::string() : StringMember(body, "code");
  std::string message = body.is_discarded() ? std::string() : StringMember(body, "message");
  if (message.size() > kMaxDetail) message.resize(kMaxDetail);
  std::string detail = code.empty() ? message : absl::StrCat(code, ": ", message);
  if (reply.status == 401) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("wordpress: revoked or wrong application password for ",
                                         common::AsAbsl(account), " (", code, "); set a new one"));
  }
  if (reply.status == 409 && code == "comment_duplicate") {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("wordpress refused a duplicate comment: ", message));
  }
  absl::Duration wait = absl::ZeroDuration();
  if (reply.status == 429) {
    std::optional<absl::Duration> after = ParseRetryAfter(reply.Header("retry-after"), now);
    wait = after && *after > absl::ZeroDuration() ? *after : rate_block;
  }
  return HttpAnswerFailure(reply.status, detail, kind, kNetwork, wait);
}

}  // namespace

struct WordPressChannel::Call {
  std::string account;
  std::string method;
  std::string path;  // under the site root, with its query
  std::string body;  // empty: none
  CallKind kind = CallKind::kRead;
  absl::Time deadline = absl::InfiniteFuture();
  std::string content_type = "application/json";  // of a non-empty body
  std::string content_disposition;                // sent when not empty (media upload)
};

// One page of a collection and how many pages the collection has.
struct WordPressChannel::Listing {
  json items = json::array();
  int total_pages = 1;
};

WordPressChannel::WordPressChannel(WordPressChannelOptions options, common::HttpClient& http,
                                   CredentialSource& credentials, RateLimiter& limiter,
                                   const common::Clock& clock)
    : options_(std::move(options)),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

std::string WordPressChannel::SlugFor(const PublishRequest& request) {
  std::string_view post = request.post;
  if (absl::StartsWith(common::AsAbsl(post), "posts/")) post.remove_prefix(6);
  std::string slug = absl::StrCat(common::AsAbsl(kSlugPrefix), common::AsAbsl(post), "-v",
                                  request.content_version);
  for (char& c : slug) {
    c = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  return slug;
}

std::string WordPressChannel::TitleFor(std::string_view text, int max_chars) {
  std::string_view line = text.substr(0, text.find('\n'));
  line = common::AsStd(absl::StripAsciiWhitespace(common::AsAbsl(line)));
  size_t end = 0;
  for (int chars = 0; end < line.size() && chars < max_chars; ++chars) {
    size_t length = common::Utf8SequenceLength(line, end);
    end += length == 0 ? 1 : length;
  }
  return std::string(absl::StripTrailingAsciiWhitespace(common::AsAbsl(line.substr(0, end))));
}

std::string WordPressChannel::ContentFor(std::string_view text) {
  std::string out;
  std::string paragraph;
  auto flush = [&] {
    if (!paragraph.empty())
      absl::StrAppend(&out, out.empty() ? "" : "\n", "<p>", paragraph, "</p>");
    paragraph.clear();
  };
  int newlines = 0;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      ++newlines;
      continue;
    }
    if (newlines >= 2) flush();
    if (newlines == 1 && !paragraph.empty()) paragraph += "<br />\n";
    newlines = 0;
    AppendEscaped(c, paragraph);
  }
  flush();
  return out;
}

absl::StatusOr<Credential> WordPressChannel::CredentialsOf(std::string_view account) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  if (credential->Field("username").empty() || credential->Field("app_password").empty()) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("wordpress: the credentials of ", common::AsAbsl(account),
                                         " lack username or app_password"));
  }
  return credential;
}

// A host's 429, or a 503 that says when to come back (maintenance mode), holds
// every call to the site until then.
void WordPressChannel::ObserveRate(std::string_view account, const common::HttpReply& reply) {
  if (reply.status != 429 && reply.status != 503) return;
  absl::Time now = clock_.Now();
  std::optional<absl::Duration> after = ParseRetryAfter(reply.Header("retry-after"), now);
  if (reply.status == 503 && !after) return;
  RateSignal signal;
  signal.blocked_until =
      now + (after && *after > absl::ZeroDuration() ? *after : options_.rate_block);
  limiter_.Observe(Bucket(account), signal);
}

absl::StatusOr<common::HttpReply> WordPressChannel::Send(const Call& call, Credential& credential) {
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(call, credential));
  if (reply.status != 401) return reply;
  // WordPress checks the application password before acting: a 401 created
  // nothing, so the call may go once more, a create too.
  absl::StatusOr<Credential> refreshed =
      credentials_.Refresh(call.account, credential.access_token);
  if (!refreshed.ok()) return CredentialFailure(kNetwork, refreshed.status(), call.account);
  const std::string username = refreshed->Field("username");
  const std::string password = refreshed->Field("app_password");
  // Nothing new to sign in with: the 401 stands (AnswerFailure names the account).
  if (username.empty() || password.empty() ||
      (username == credential.Field("username") && password == credential.Field("app_password")))
    return reply;
  credential = *std::move(refreshed);
  return SendOnce(call, credential);
}

absl::StatusOr<common::HttpReply> WordPressChannel::SendOnce(const Call& call,
                                                             const Credential& credential) {
  absl::StatusOr<absl::Duration> wait = limiter_.Acquire(Bucket(call.account));
  if (!wait.ok()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("wordpress: rate budget unavailable, not sent: ", wait.status().message()));
  }
  if (*wait > absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRateLimited,
                            absl::StrCat("wordpress: ", Bucket(call.account).Key(),
                                         " is held after a 429 or 503, not sent"),
                            *wait);
  }
  common::HttpCall http_call;
  http_call.timeout = CallTimeout(options_.call_timeout, call.deadline, clock_.Now());
  if (http_call.timeout <= absl::ZeroDuration())
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "wordpress: the deadline has passed, not sent");
  http_call.method = call.method;
  http_call.url = absl::StrCat(options_.base_url, call.path);
  std::string user_password =
      absl::StrCat(credential.Field("username"), ":", credential.Field("app_password"));
  http_call.headers = {{"Authorization", "Basic " + absl::Base64Escape(user_password)},
                       {"Accept", "application/json"}};
  if (!call.body.empty()) {
    http_call.headers.emplace_back("Content-Type", call.content_type);
    http_call.body = call.body;
  }
  if (!call.content_disposition.empty())
    http_call.headers.emplace_back("Content-Disposition", call.content_disposition);
  absl::StatusOr<common::HttpReply> reply = http_.Send(http_call);
  if (!reply.ok()) return TransportFailure(reply.status(), call.kind, kNetwork);
  ObserveRate(call.account, *reply);
  return reply;
}

absl::StatusOr<WordPressChannel::Listing> WordPressChannel::List(std::string_view account,
                                                                 Credential& credential,
                                                                 const std::string& path,
                                                                 absl::Time deadline) {
  Call call{std::string(account), "GET", path, "", CallKind::kRead, deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200)
    return AnswerFailure(reply, CallKind::kRead, account, options_.rate_block, clock_.Now());
  Listing listing;
  listing.items = ParseBody(reply);
  if (listing.items.is_discarded() || !listing.items.is_array()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat("wordpress: unreadable list from ", path));
  }
  listing.total_pages = static_cast<int>(ParseInt(reply.Header("x-wp-totalpages")).value_or(1));
  return listing;
}

std::string WordPressChannel::ImageHtml(std::string_view source_url, std::string_view alt_text,
                                        std::string_view media_id) {
  std::string src;
  for (char c : source_url) AppendEscaped(c, src);
  std::string alt;
  for (char c : alt_text) AppendEscaped(c, alt);
  return absl::StrCat("<figure class=\"wp-block-image\"><img src=\"", src, "\" alt=\"", alt,
                      "\" class=\"wp-image-", common::AsAbsl(media_id), "\" /></figure>");
}

absl::StatusOr<WordPressChannel::Uploaded> WordPressChannel::UploadImage(
    const PublishRequest& request, size_t index, Credential& credential) {
  const MediaRef& media = request.media[index];
  const common::networks::NetworkRules& rules =
      *common::networks::FindRules(carecast::v1::NETWORK_WORDPRESS);
  ASSIGN_OR_RETURN(FetchedMedia image,
                   FetchMedia(http_, clock_, media, index, kNetwork, options_.call_timeout,
                              request.deadline, rules.max_image_bytes));
  std::string what = absl::StrCat("wordpress: image ", index + 1);
  // A media item is an attachment in the library, not a post: the upload and
  // its alt text fail like reads (a repeat at worst leaves an unused item).
  Call upload{request.account,
              "POST",
              absl::StrCat(common::AsAbsl(kApi), "/media"),
              std::move(image.bytes),
              CallKind::kRead,
              request.deadline,
              image.mime_type,
              absl::StrCat("attachment; filename=\"", MediaFileName(image.mime_type, index), "\"")};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(upload, credential));
  if (reply.status != 201 && reply.status != 200)
    return AnswerFailure(reply, CallKind::kRead, request.account, options_.rate_block,
                         clock_.Now());
  json answer = ParseBody(reply);
  Uploaded uploaded;
  uploaded.id = answer.is_discarded() ? std::string() : IdMember(answer, "id");
  uploaded.source_url = answer.is_discarded() ? std::string() : StringMember(answer, "source_url");
  if (uploaded.id.empty() || uploaded.source_url.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat(what, ": the upload answer has no id or source_url"));
  }
  Call describe{request.account,
                "POST",
                absl::StrCat(common::AsAbsl(kApi), "/media/", uploaded.id),
                json{{"alt_text", media.alt_text}}.dump(),
                CallKind::kRead,
                request.deadline};
  ASSIGN_OR_RETURN(reply, Send(describe, credential));
  if (reply.status != 200)
    return AnswerFailure(reply, CallKind::kRead, request.account, options_.rate_block,
                         clock_.Now());
  return uploaded;
}

absl::StatusOr<Receipt> WordPressChannel::Publish(const PublishRequest& request) {
  if (!common::IsValidUtf8(request.text))
    return MakeChannelError(ChannelErrorKind::kPermanent, "wordpress: the text is not valid UTF-8");
  const common::networks::NetworkRules& rules =
      *common::networks::FindRules(carecast::v1::NETWORK_WORDPRESS);
  RETURN_IF_ERROR(CheckMediaRefs(request.media, rules.max_images, kNetwork));
  if (!request.in_reply_to.empty() && !request.media.empty()) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            "wordpress: a comment cannot carry images (WordPress strips them from "
                            "comments); not sent");
  }
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(request.account));
  if (!request.in_reply_to.empty()) return PublishComment(request, credential);
  std::string content = ContentFor(request.text);
  std::string featured;
  for (size_t i = 0; i < request.media.size(); ++i) {
    ASSIGN_OR_RETURN(Uploaded image, UploadImage(request, i, credential));
    if (featured.empty()) featured = image.id;
    absl::StrAppend(&content, content.empty() ? "" : "\n",
                    ImageHtml(image.source_url, request.media[i].alt_text, image.id));
  }
  json body = {{"title", TitleFor(request.text, options_.title_max_chars)},
               {"content", content},
               {"status", "publish"},
               {"slug", SlugFor(request)}};
  if (!featured.empty()) body["featured_media"] = *IdNumber(featured);
  Call call{
      request.account,   "POST",          absl::StrCat(common::AsAbsl(kApi), "/posts"), body.dump(),
      CallKind::kCreate, request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 201 && reply.status != 200) {
    return AnswerFailure(reply, CallKind::kCreate, request.account, options_.rate_block,
                         clock_.Now());
  }
  json answer = ParseBody(reply);
  std::string id = answer.is_discarded() ? std::string() : IdMember(answer, "id");
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "wordpress accepted the post but its answer carries no id");
  }
  return Receipt{id, StringMember(answer, "link")};
}

absl::StatusOr<Receipt> WordPressChannel::PublishComment(const PublishRequest& request,
                                                         Credential& credential) {
  std::optional<Target> target = ParseTarget(request.in_reply_to);
  if (!target) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("wordpress: cannot reply to \"", request.in_reply_to,
                                         "\": not a post id or comment:<id>@<post id>"));
  }
  json body = {{"post", *IdNumber(target->post_id)}, {"content", ContentFor(request.text)}};
  if (!target->comment_id.empty()) body["parent"] = *IdNumber(target->comment_id);
  Call call{request.account,
            "POST",
            absl::StrCat(common::AsAbsl(kApi), "/comments"),
            body.dump(),
            CallKind::kCreate,
            request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 201 && reply.status != 200) {
    return AnswerFailure(reply, CallKind::kCreate, request.account, options_.rate_block,
                         clock_.Now());
  }
  json answer = ParseBody(reply);
  std::string id = answer.is_discarded() ? std::string() : IdMember(answer, "id");
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "wordpress accepted the comment but its answer carries no id");
  }
  return Receipt{CommentExternalId(id, target->post_id), StringMember(answer, "link")};
}

absl::StatusOr<std::optional<Receipt>> WordPressChannel::FindPublished(
    const PublishRequest& request, absl::Time since) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(request.account));
  if (!request.in_reply_to.empty()) return FindComment(request, credential, since);
  ASSIGN_OR_RETURN(std::optional<Receipt> by_slug, FindBySlug(request, credential));
  if (by_slug) return by_slug;
  return FindByText(request, credential, since);
}

absl::StatusOr<std::optional<Receipt>> WordPressChannel::FindBySlug(const PublishRequest& request,
                                                                    Credential& credential) {
  std::string slug = SlugFor(request);
  ASSIGN_OR_RETURN(Listing listing,
                   List(request.account, credential,
                        absl::StrCat(common::AsAbsl(kApi), "/posts?slug=", slug,
                                     "&status=", common::AsAbsl(kAnyStatus), "&context=edit"),
                        request.deadline));
  // The earliest post with exactly this slug (a second create would have got
  // "<slug>-2" from WordPress, so it never matches here).
  std::optional<Receipt> found;
  int64_t lowest = -1;
  for (const json& item : listing.items) {
    std::string id = IdMember(item, "id");
    if (id.empty() || StringMember(item, "slug") != slug) continue;
    int64_t number = IdNumber(id).value_or(0);
    if (lowest < 0 || number < lowest) {
      lowest = number;
      found = Receipt{id, StringMember(item, "link")};
    }
  }
  return found;
}

namespace {

// Reads up to `max_pages` pages through `list`, asking `match` about each
// item. nullopt only when every page was read.
using Matcher = std::function<std::optional<Receipt>(const json& item)>;
using Lister = std::function<absl::StatusOr<json>(int page, int* total_pages)>;

absl::StatusOr<std::optional<Receipt>> Scan(const Lister& list, const Matcher& match,
                                            int max_pages) {
  for (int page = 1; page <= max_pages; ++page) {
    int total_pages = 1;
    ASSIGN_OR_RETURN(json items, list(page, &total_pages));
    for (const json& item : items) {
      if (std::optional<Receipt> found = match(item)) return found;
    }
    if (page >= total_pages) return std::nullopt;
  }
  return MakeChannelError(ChannelErrorKind::kRetryable,
                          absl::StrCat("wordpress: more than ", max_pages,
                                       " pages to read; cannot tell whether it was published"));
}

}  // namespace

// For sites whose plugins rewrite slugs: the post may be there under another
// slug. Posts carrying a CareCast slug belong to other versions and are skipped.
absl::StatusOr<std::optional<Receipt>> WordPressChannel::FindByText(const PublishRequest& request,
                                                                    Credential& credential,
                                                                    absl::Time since) {
  absl::Time lower = since - options_.find_slack;
  std::string path =
      absl::StrCat(common::AsAbsl(kApi), "/posts?after=", SiteTime(lower - kLocalTimeSlack),
                   "&per_page=", kPageSize, "&orderby=date&status=", common::AsAbsl(kAnyStatus),
                   "&context=edit");
  Lister list = [&](int page, int* total_pages) -> absl::StatusOr<json> {
    ASSIGN_OR_RETURN(Listing listing, List(request.account, credential,
                                           absl::StrCat(path, "&page=", page), request.deadline));
    *total_pages = listing.total_pages;
    return std::move(listing.items);
  };
  Matcher match = [&](const json& item) -> std::optional<Receipt> {
    std::optional<absl::Time> created = GmtOf(item);
    if (absl::StartsWith(StringMember(item, "slug"), common::AsAbsl(kSlugPrefix)) || !created ||
        *created < lower || !SameTextAsSent(request.text, ContentOf(item)))
      return std::nullopt;
    return Receipt{IdMember(item, "id"), StringMember(item, "link")};
  };
  return Scan(list, match, options_.max_find_pages);
}

absl::StatusOr<std::optional<Receipt>> WordPressChannel::FindComment(const PublishRequest& request,
                                                                     Credential& credential,
                                                                     absl::Time since) {
  std::optional<Target> target = ParseTarget(request.in_reply_to);
  if (!target) {
    return MakeChannelError(
        ChannelErrorKind::kPermanent,
        absl::StrCat("wordpress: not a post or comment id: ", request.in_reply_to));
  }
  absl::Time lower = since - options_.find_slack;
  std::string path = absl::StrCat(common::AsAbsl(kApi), "/comments?post=", target->post_id,
                                  "&parent=", target->comment_id.empty() ? "0" : target->comment_id,
                                  "&after=", SiteTime(lower - kLocalTimeSlack),
                                  "&per_page=", kPageSize, "&context=edit");
  Lister list = [&](int page, int* total_pages) -> absl::StatusOr<json> {
    ASSIGN_OR_RETURN(Listing listing, List(request.account, credential,
                                           absl::StrCat(path, "&page=", page), request.deadline));
    *total_pages = listing.total_pages;
    return std::move(listing.items);
  };
  Matcher match = [&](const json& item) -> std::optional<Receipt> {
    std::optional<absl::Time> created = GmtOf(item);
    std::string id = IdMember(item, "id");
    if (id.empty() || !created || *created < lower ||
        !SameTextAsSent(request.text, ContentOf(item)))
      return std::nullopt;
    return Receipt{CommentExternalId(id, target->post_id), StringMember(item, "link")};
  };
  return Scan(list, match, options_.max_find_pages);
}

absl::StatusOr<std::vector<RemotePost>> WordPressChannel::ListRecent(std::string_view account,
                                                                     absl::Time since, int limit) {
  std::vector<RemotePost> posts;
  if (limit <= 0) return posts;
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  std::string path =
      absl::StrCat(common::AsAbsl(kApi), "/posts?after=", SiteTime(since - kLocalTimeSlack),
                   "&per_page=", kPageSize, "&orderby=date&order=desc&context=edit");
  for (int page = 1; page <= kMaxListPages && static_cast<int>(posts.size()) < limit; ++page) {
    ASSIGN_OR_RETURN(Listing listing, List(account, credential, absl::StrCat(path, "&page=", page),
                                           absl::InfiniteFuture()));
    for (const json& item : listing.items) {
      std::optional<absl::Time> created = GmtOf(item);
      if (!created || *created < since) continue;
      RemotePost post;
      post.external_id = IdMember(item, "id");
      post.url = StringMember(item, "link");
      post.text = ContentOf(item);
      post.create_time = *created;
      posts.push_back(std::move(post));
    }
    if (page >= listing.total_pages) break;
  }
  if (static_cast<int>(posts.size()) > limit) posts.resize(limit);
  return posts;
}

absl::Status WordPressChannel::Delete(std::string_view account, std::string_view external_id) {
  std::optional<Target> target = ParseTarget(external_id);
  if (!target) {
    return absl::NotFoundError(
        absl::StrCat("wordpress: not a post or comment id: ", common::AsAbsl(external_id)));
  }
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  std::string path = target->comment_id.empty()
                         ? absl::StrCat(common::AsAbsl(kApi), "/posts/", target->post_id)
                         : absl::StrCat(common::AsAbsl(kApi), "/comments/", target->comment_id);
  // Deleting twice is harmless, so a lost answer is simply retryable.
  Call call{std::string(account),  "DELETE", path + "?force=true", "", CallKind::kRead,
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status == 404 || reply.status == 410) {
    return absl::NotFoundError(
        absl::StrCat("wordpress has no ", common::AsAbsl(external_id), " to delete"));
  }
  if (reply.status != 200)
    return AnswerFailure(reply, CallKind::kRead, account, options_.rate_block, clock_.Now());
  return absl::OkStatus();
}

absl::StatusOr<Engagement> WordPressChannel::ReadEngagement(std::string_view account,
                                                            std::string_view external_id) {
  std::optional<Target> target = ParseTarget(external_id);
  if (!target) {
    return absl::NotFoundError(
        absl::StrCat("wordpress: not a post or comment id: ", common::AsAbsl(external_id)));
  }
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  std::string path =
      absl::StrCat(common::AsAbsl(kApi), "/comments?post=", target->post_id, "&per_page=1");
  if (!target->comment_id.empty()) absl::StrAppend(&path, "&parent=", target->comment_id);
  Call call{std::string(account), "GET", path, "", CallKind::kRead, absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200)
    return AnswerFailure(reply, CallKind::kRead, account, options_.rate_block, clock_.Now());
  std::optional<int64_t> total = ParseInt(reply.Header("x-wp-total"));
  if (!total) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "wordpress: the comment count (X-WP-Total) is missing");
  }
  Engagement engagement;
  engagement.replies = *total;
  return engagement;
}

}  // namespace carecast::publisher
