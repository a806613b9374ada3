#include "services/publisher/channels/x_channel.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/network_rules.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;

constexpr std::string_view kNetwork = "x";
constexpr int kPageSize = 100;      // the timeline's largest page
constexpr int kMaxListPages = 32;   // 3,200 posts: all X keeps in a timeline
constexpr size_t kMaxDetail = 300;  // of the network's own error text in a message
// X documents no Retry-After; without a reset header a 429 waits out a window.
constexpr absl::Duration kDefaultRateBlock = absl::Minutes(15);

const json* Member(const json& value, const char* key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

std::string StringMember(const json& value, const char* key) {
  const json* member = Member(value, key);
  return member != nullptr && member->is_string() ? member->get<std::string>() : std::string();
}

int64_t IntMember(const json& value, const char* key) {
  const json* member = Member(value, key);
  return member != nullptr && member->is_number_integer() ? member->get<int64_t>() : -1;
}

// The human part of an X problem answer ({"title","detail"} or v2's "errors"
// list), cut short: it goes into status messages, which must stay small.
std::string ProblemDetail(const json& body) {
  std::string detail = StringMember(body, "detail");
  if (detail.empty()) detail = StringMember(body, "title");
  const json* errors = Member(body, "errors");
  if (detail.empty() && errors != nullptr && errors->is_array() && !errors->empty()) {
    detail = StringMember(errors->front(), "detail");
    if (detail.empty()) detail = StringMember(errors->front(), "message");
  }
  if (detail.size() > kMaxDetail) detail.resize(kMaxDetail);
  return detail;
}

// X answers a lookup of a missing post with 200 and a resource-not-found
// problem instead of data.
bool IsNotFoundProblem(const json& body) {
  const json* errors = Member(body, "errors");
  if (Member(body, "data") != nullptr || errors == nullptr || !errors->is_array()) return false;
  return std::any_of(errors->begin(), errors->end(), [](const json& error) {
    return absl::EndsWith(StringMember(error, "type"), "resource-not-found") ||
           StringMember(error, "title") == "Not Found Error";
  });
}

json ParseBody(const common::HttpReply& reply) { return json::parse(reply.body, nullptr, false); }

std::string RfcSeconds(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

RateBucket Bucket(std::string_view scope, std::string_view account) {
  return RateBucket{std::string(kNetwork), std::string(scope), std::string(account)};
}

// How long a 429 asks us to wait: until x-rate-limit-reset when it is ahead.
absl::Duration RateWait(const common::HttpReply& reply, absl::Time now) {
  std::optional<absl::Time> reset = ParseUnixSeconds(reply.Header("x-rate-limit-reset"));
  if (reset && *reset > now) return *reset - now;
  if (std::optional<absl::Duration> after = ParseRetryAfter(reply.Header("retry-after"), now))
    return std::max(*after, absl::Seconds(1));
  return reset ? absl::Seconds(1) : kDefaultRateBlock;
}

// An X error answer as a channel error. The duplicate-content 403 is the one
// refusal X has its own meaning for; everything else follows the default reading.
absl::Status AnswerFailure(const common::HttpReply& reply, CallKind kind, std::string_view account,
                           absl::Time now) {
  json body = ParseBody(reply);
  std::string detail = body.is_discarded() ? std::string() : ProblemDetail(body);
  if (reply.status == 403 && absl::StrContains(absl::AsciiStrToLower(detail), "duplicate")) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("x refused a duplicate post: ", detail));
  }
  if (reply.status == 401) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("x refused the access token of ", common::AsAbsl(account),
                                         " even after a refresh: reconnect the account"));
  }
  absl::Duration wait = reply.status == 429 ? RateWait(reply, now) : absl::ZeroDuration();
  return HttpAnswerFailure(reply.status, detail, kind, kNetwork, wait);
}

// One post of a timeline page; nullopt when the element is not a post.
std::optional<RemotePost> ParseTweet(const json& tweet) {
  RemotePost post;
  post.external_id = StringMember(tweet, "id");
  if (post.external_id.empty()) return std::nullopt;
  post.url = XChannel::PostUrl(post.external_id);
  post.text = StringMember(tweet, "text");
  if (std::optional<absl::Time> created = ParseIsoTime(StringMember(tweet, "created_at")))
    post.create_time = *created;
  const json* refs = Member(tweet, "referenced_tweets");
  if (refs != nullptr && refs->is_array()) {
    for (const json& ref : *refs) {
      if (StringMember(ref, "type") == "replied_to") post.in_reply_to = StringMember(ref, "id");
    }
  }
  return post;
}

}  // namespace

// What one call sends, on whose behalf, and under which budget.
struct XChannel::Call {
  std::string account;
  std::string method;
  std::string path;  // with its query
  std::string body;  // empty: none
  CallKind kind = CallKind::kRead;
  RateBucket bucket;
  absl::Time deadline = absl::InfiniteFuture();
  std::string content_type = "application/json";  // of a non-empty body
};

struct XChannel::TimelinePage {
  std::vector<RemotePost> posts;
  std::string next_token;
};

XChannel::XChannel(XChannelOptions options, common::HttpClient& http, CredentialSource& credentials,
                   RateLimiter& limiter, const common::Clock& clock)
    : options_(std::move(options)),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

std::string XChannel::PostUrl(std::string_view id) {
  return absl::StrCat("https://x.com/i/web/status/", common::AsAbsl(id));
}

absl::StatusOr<Credential> XChannel::CredentialsOf(std::string_view account) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  return credential;
}

void XChannel::ObserveRate(const Call& call, const common::HttpReply& reply) {
  RateSignal signal;
  signal.limit = ParseInt(reply.Header("x-rate-limit-limit"));
  signal.remaining = ParseInt(reply.Header("x-rate-limit-remaining"));
  signal.reset = ParseUnixSeconds(reply.Header("x-rate-limit-reset"));
  if (reply.status == 429) {
    absl::Time now = clock_.Now();
    signal.blocked_until = now + RateWait(reply, now);
  }
  if (signal.limit || signal.remaining || signal.reset || signal.blocked_until)
    limiter_.Observe(call.bucket, signal);
}

absl::StatusOr<common::HttpReply> XChannel::Send(const Call& call, Credential& credential) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<absl::Duration> wait = limiter_.Acquire(call.bucket);
    if (!wait.ok()) {
      return MakeChannelError(
          ChannelErrorKind::kRetryable,
          absl::StrCat("x: rate budget unavailable, not sent: ", wait.status().message()));
    }
    if (*wait > absl::ZeroDuration()) {
      return MakeChannelError(
          ChannelErrorKind::kRateLimited,
          absl::StrCat("x: rate budget ", call.bucket.Key(), " is spent, not sent"), *wait);
    }
    common::HttpCall http_call;
    http_call.timeout = CallTimeout(options_.call_timeout, call.deadline, clock_.Now());
    if (http_call.timeout <= absl::ZeroDuration()) {
      return MakeChannelError(ChannelErrorKind::kRetryable, "x: the deadline has passed, not sent");
    }
    http_call.method = call.method;
    http_call.url = options_.base_url + call.path;
    http_call.headers.emplace_back("Authorization", "Bearer " + credential.access_token);
    if (!call.body.empty()) {
      http_call.headers.emplace_back("Content-Type", call.content_type);
      http_call.body = call.body;
    }
    absl::StatusOr<common::HttpReply> reply = http_.Send(http_call);
    if (!reply.ok()) return TransportFailure(reply.status(), call.kind, kNetwork);
    ObserveRate(call, *reply);
    if (reply->status != 401 || attempt > 0) return reply;
    absl::StatusOr<Credential> refreshed =
        credentials_.Refresh(call.account, credential.access_token);
    if (!refreshed.ok()) return CredentialFailure(kNetwork, refreshed.status(), call.account);
    credential = *std::move(refreshed);
  }
}

absl::StatusOr<std::string> XChannel::UploadImage(const PublishRequest& request, size_t index,
                                                  Credential& credential) {
  const MediaRef& media = request.media[index];
  ASSIGN_OR_RETURN(FetchedMedia image,
                   FetchMedia(http_, clock_, media, index, kNetwork, options_.call_timeout,
                              request.deadline, Rules().max_image_bytes));
  std::string what = absl::StrCat("x: image ", index + 1);
  // Uploaded media stays unattached until a post names it (X drops it after
  // 24 h), so the upload and the alt text are retried like reads.
  FormBody form = MultipartForm(
      {{"media", std::move(image.bytes), MediaFileName(image.mime_type, index), image.mime_type},
       {"media_category", "tweet_image", "", ""}});
  Call upload{request.account,   "POST",
              "/2/media/upload", std::move(form.body),
              CallKind::kRead,   Bucket("user-media", request.account),
              request.deadline,  std::move(form.content_type)};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(upload, credential));
  if (reply.status < 200 || reply.status >= 300)
    return AnswerFailure(reply, CallKind::kRead, request.account, clock_.Now());
  json parsed = ParseBody(reply);
  const json* data = parsed.is_discarded() ? nullptr : Member(parsed, "data");
  std::string id = data != nullptr ? StringMember(*data, "id") : std::string();
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat(what, ": the upload answer carries no media id"));
  }
  json metadata = {{"id", id}, {"metadata", {{"alt_text", {{"text", media.alt_text}}}}}};
  Call describe{request.account, "POST",          "/2/media/metadata",
                metadata.dump(), CallKind::kRead, Bucket("user-media-metadata", request.account),
                request.deadline};
  ASSIGN_OR_RETURN(reply, Send(describe, credential));
  if (reply.status < 200 || reply.status >= 300)
    return AnswerFailure(reply, CallKind::kRead, request.account, clock_.Now());
  return id;
}

const common::networks::NetworkRules& XChannel::Rules() {
  return *common::networks::FindRules(carecast::v1::NETWORK_X);
}

absl::StatusOr<Receipt> XChannel::Publish(const PublishRequest& request) {
  if (!common::IsValidUtf8(request.text) || !common::IsValidUtf8(request.in_reply_to)) {
    return MakeChannelError(ChannelErrorKind::kPermanent, "x: the text is not valid UTF-8");
  }
  RETURN_IF_ERROR(CheckMediaRefs(request.media, Rules().max_images, kNetwork));
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(request.account));
  json body = {{"text", request.text}};
  if (!request.in_reply_to.empty()) body["reply"] = {{"in_reply_to_tweet_id", request.in_reply_to}};
  if (!request.media.empty()) {
    json ids = json::array();
    for (size_t i = 0; i < request.media.size(); ++i) {
      ASSIGN_OR_RETURN(std::string id, UploadImage(request, i, credential));
      ids.push_back(std::move(id));
    }
    body["media"] = {{"media_ids", std::move(ids)}};
  }
  Call call{request.account,   "POST",
            "/2/tweets",       body.dump(),
            CallKind::kCreate, Bucket("user", request.account),
            request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 201 && reply.status != 200)
    return AnswerFailure(reply, CallKind::kCreate, request.account, clock_.Now());
  json parsed = ParseBody(reply);
  const json* data = parsed.is_discarded() ? nullptr : Member(parsed, "data");
  std::string id = data != nullptr ? StringMember(*data, "id") : std::string();
  if (id.empty()) {
    // The post was most likely created; only a timeline read can say.
    return MakeChannelError(
        ChannelErrorKind::kOutcomeUnknown,
        absl::StrCat("x accepted the post (HTTP ", reply.status, ") but its answer carries no id"));
  }
  return Receipt{id, PostUrl(id)};
}

absl::StatusOr<XChannel::TimelinePage> XChannel::ReadTimelinePage(std::string_view account,
                                                                  Credential& credential,
                                                                  absl::Time start,
                                                                  const std::string& page_token,
                                                                  absl::Time deadline) {
  std::string user_id = credential.Field("user_id");
  if (user_id.empty()) {
    return MakeChannelError(
        ChannelErrorKind::kPermanent,
        absl::StrCat("x: the credentials of ", common::AsAbsl(account), " have no user_id"));
  }
  std::string path =
      absl::StrCat("/2/users/", UrlEncode(user_id), "/tweets?max_results=", kPageSize,
                   "&start_time=", UrlEncode(RfcSeconds(start)),
                   "&tweet.fields=", UrlEncode("created_at,text,referenced_tweets"));
  if (!page_token.empty()) absl::StrAppend(&path, "&pagination_token=", UrlEncode(page_token));
  Call call{std::string(account),         "GET",   path, "", CallKind::kRead,
            Bucket("user-read", account), deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) return AnswerFailure(reply, CallKind::kRead, account, clock_.Now());
  json body = ParseBody(reply);
  const json* meta = body.is_discarded() ? nullptr : Member(body, "meta");
  if (meta == nullptr) {
    std::string detail = body.is_discarded() ? "unreadable answer" : ProblemDetail(body);
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat("x: timeline of ", common::AsAbsl(account), ": ", detail));
  }
  TimelinePage page;
  page.next_token = StringMember(*meta, "next_token");
  const json* data = Member(body, "data");
  if (data != nullptr && data->is_array()) {
    for (const json& tweet : *data) {
      if (std::optional<RemotePost> post = ParseTweet(tweet))
        page.posts.push_back(*std::move(post));
    }
  }
  return page;
}

absl::StatusOr<std::optional<Receipt>> XChannel::FindPublished(const PublishRequest& request,
                                                               absl::Time since) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(request.account));
  std::string page_token;
  for (int page = 0; page < options_.max_find_pages; ++page) {
    ASSIGN_OR_RETURN(TimelinePage timeline,
                     ReadTimelinePage(request.account, credential, since - options_.find_slack,
                                      page_token, request.deadline));
    for (const RemotePost& post : timeline.posts) {
      // A top-level post must not match a reply with the same text, nor the
      // other way round.
      if (post.in_reply_to == request.in_reply_to && SameTextAsSent(request.text, post.text))
        return Receipt{post.external_id, post.url};
    }
    if (timeline.next_token.empty()) return std::nullopt;
    page_token = timeline.next_token;
  }
  return MakeChannelError(ChannelErrorKind::kRetryable,
                          absl::StrCat("x: more than ", options_.max_find_pages * kPageSize,
                                       " posts of ", common::AsAbsl(request.account),
                                       " since the attempt; cannot tell whether it was published"));
}

absl::StatusOr<std::vector<RemotePost>> XChannel::ListRecent(std::string_view account,
                                                             absl::Time since, int limit) {
  std::vector<RemotePost> posts;
  if (limit <= 0) return posts;
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  std::string page_token;
  int pages = std::min(kMaxListPages, (limit + kPageSize - 1) / kPageSize + 1);
  for (int page = 0; page < pages && static_cast<int>(posts.size()) < limit; ++page) {
    ASSIGN_OR_RETURN(TimelinePage timeline, ReadTimelinePage(account, credential, since, page_token,
                                                             absl::InfiniteFuture()));
    for (RemotePost& post : timeline.posts) posts.push_back(std::move(post));
    if (timeline.next_token.empty()) break;
    page_token = timeline.next_token;
  }
  if (static_cast<int>(posts.size()) > limit) posts.resize(limit);
  return posts;
}

absl::Status XChannel::Delete(std::string_view account, std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  Call call{std::string(account),
            "DELETE",
            absl::StrCat("/2/tweets/", UrlEncode(external_id)),
            "",
            CallKind::kRead,  // deleting twice is harmless: safe to repeat
            Bucket("user-delete", account),
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  json body = ParseBody(reply);
  if (reply.status == 404 || (reply.status == 200 && IsNotFoundProblem(body))) {
    return absl::NotFoundError(
        absl::StrCat("x has no post ", common::AsAbsl(external_id), " to delete"));
  }
  if (reply.status != 200) return AnswerFailure(reply, CallKind::kRead, account, clock_.Now());
  const json* data = body.is_discarded() ? nullptr : Member(body, "data");
  const json* deleted = data != nullptr ? Member(*data, "deleted") : nullptr;
  if (deleted == nullptr || !deleted->is_boolean() || !deleted->get<bool>()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("x did not confirm deleting ", common::AsAbsl(external_id)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> XChannel::ReadFollowers(std::string_view account) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  Call call{std::string(account),
            "GET",
            "/2/users/me?user.fields=public_metrics",
            "",
            CallKind::kRead,
            Bucket("user-me", account),
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) return AnswerFailure(reply, CallKind::kRead, account, clock_.Now());
  json body = ParseBody(reply);
  const json* data = body.is_discarded() ? nullptr : Member(body, "data");
  const json* metrics = data != nullptr ? Member(*data, "public_metrics") : nullptr;
  int64_t followers = metrics != nullptr ? IntMember(*metrics, "followers_count") : -1;
  if (followers < 0)
    return MakeChannelError(ChannelErrorKind::kRetryable, "x: users/me gave no followers_count");
  return followers;
}

absl::StatusOr<Engagement> XChannel::ReadEngagement(std::string_view account,
                                                    std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  Call call{std::string(account),
            "GET",
            absl::StrCat("/2/tweets/", UrlEncode(external_id), "?tweet.fields=public_metrics"),
            "",
            CallKind::kRead,
            Bucket("user-lookup", account),
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) return AnswerFailure(reply, CallKind::kRead, account, clock_.Now());
  json body = ParseBody(reply);
  if (!body.is_discarded() && IsNotFoundProblem(body))
    return absl::NotFoundError(absl::StrCat("x has no post ", common::AsAbsl(external_id)));
  const json* data = body.is_discarded() ? nullptr : Member(body, "data");
  const json* metrics = data != nullptr ? Member(*data, "public_metrics") : nullptr;
  if (metrics == nullptr || !metrics->is_object()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat("x: no public_metrics for ", common::AsAbsl(external_id)));
  }
  Engagement engagement;
  engagement.likes = IntMember(*metrics, "like_count");
  int64_t retweets = IntMember(*metrics, "retweet_count");
  int64_t quotes = IntMember(*metrics, "quote_count");
  engagement.shares = retweets < 0 ? -1 : retweets + std::max<int64_t>(quotes, 0);
  engagement.replies = IntMember(*metrics, "reply_count");
  engagement.impressions = IntMember(*metrics, "impression_count");
  return engagement;
}

}  // namespace carecast::publisher
