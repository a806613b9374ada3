#include "services/publisher/channels/facebook_channel.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/network_rules.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;

constexpr std::string_view kNetwork = "facebook";
constexpr int kFindPageSize = 50;
constexpr int kListPageSize = 100;  // the feed's largest page
constexpr int kMaxListPages = 20;
constexpr std::string_view kListFields = "id,message,created_time,permalink_url";
constexpr std::string_view kEngagementFields =
    "shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)";

std::string BuiltUrl(std::string_view id) {
  return absl::StrCat("https://www.facebook.com/", common::AsAbsl(id));
}

std::optional<RemotePost> ParseItem(const json& item, std::string_view parent) {
  RemotePost post;
  post.external_id = GraphString(item, "id");
  if (post.external_id.empty()) return std::nullopt;
  post.text = GraphString(item, "message");
  post.url = GraphString(item, "permalink_url");
  if (post.url.empty()) post.url = BuiltUrl(post.external_id);
  post.in_reply_to = std::string(parent);
  if (std::optional<absl::Time> created = ParseIsoTime(GraphString(item, "created_time")))
    post.create_time = *created;
  return post;
}

// total_count of {"summary": {...}} under `key`; `missing` when not reported.
int64_t SummaryCount(const json& body, std::string_view key, int64_t missing) {
  const json* edge = GraphMember(body, key);
  const json* summary = edge != nullptr ? GraphMember(*edge, "summary") : nullptr;
  return summary != nullptr ? GraphInt(*summary, "total_count", missing) : missing;
}

}  // namespace

// One page of a listing, the posts at or after its start only.
struct FacebookChannel::Page {
  std::vector<RemotePost> posts;
  std::string after;  // the cursor of the next page; empty: nothing more to read
};

FacebookChannel::FacebookChannel(FacebookChannelOptions options, common::HttpClient& http,
                                 CredentialSource& credentials, RateLimiter& limiter,
                                 const common::Clock& clock)
    : options_(std::move(options)),
      http_(http),
      graph_(std::string(kNetwork),
             GraphClientOptions{options_.base_url, options_.graph_version, options_.call_timeout},
             http, credentials, limiter, clock) {}

absl::StatusOr<std::string> FacebookChannel::AddUnpublishedPhoto(const PublishRequest& request,
                                                                 size_t index,
                                                                 Credential& credential) {
  const MediaRef& media = request.media[index];
  json photo = {{"url", media.url}, {"published", false}, {"alt_text_custom", media.alt_text}};
  // An unpublished photo is seen by no one until a post attaches it: the call
  // fails like a read, and a repeat leaves at most an unused photo.
  GraphRequest add{request.account,
                   "POST",
                   absl::StrCat("/", UrlEncode(credential.Field("page_id")), "/photos"),
                   GraphDump(photo),
                   CallKind::kRead,
                   request.deadline};
  ASSIGN_OR_RETURN(json answer, graph_.Call(add, credential));
  std::string id = GraphString(answer, "id");
  if (id.empty()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("facebook: image ", index + 1, ": the photo answer carries no id"));
  }
  return id;
}

absl::StatusOr<Receipt> FacebookChannel::Publish(const PublishRequest& request) {
  if (!common::IsValidUtf8(request.text) || !common::IsValidUtf8(request.in_reply_to))
    return MakeChannelError(ChannelErrorKind::kPermanent, "facebook: the text is not valid UTF-8");
  const common::networks::NetworkRules& rules =
      *common::networks::FindRules(carecast::v1::NETWORK_FACEBOOK);
  RETURN_IF_ERROR(CheckMediaRefs(request.media, rules.max_images, kNetwork));
  if (!request.in_reply_to.empty() && request.media.size() > 1) {
    return MakeChannelError(
        ChannelErrorKind::kPermanent,
        absl::StrCat(
            "facebook: a comment takes at most one image (attachment_url); this reply has ",
            request.media.size(), "; not sent"));
  }
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(request.account, "page_id"));
  // Facebook fetches each image itself; fetching it first here turns a missing
  // image into a clear permanent error and a passing outage of the image host
  // into a retry, before anything is sent to Facebook.
  for (size_t i = 0; i < request.media.size(); ++i) {
    RETURN_IF_ERROR(FetchMedia(http_, graph_.clock(), request.media[i], i, kNetwork,
                               options_.call_timeout, request.deadline, rules.max_image_bytes)
                        .status());
  }
  json body = {{"message", request.text}};
  std::string path;
  if (!request.in_reply_to.empty()) {
    path = absl::StrCat("/", UrlEncode(request.in_reply_to), "/comments");
    if (!request.media.empty()) body["attachment_url"] = request.media.front().url;
  } else {
    path = absl::StrCat("/", UrlEncode(credential.Field("page_id")), "/feed");
    json attached = json::array();
    for (size_t i = 0; i < request.media.size(); ++i) {
      ASSIGN_OR_RETURN(std::string id, AddUnpublishedPhoto(request, i, credential));
      attached.push_back({{"media_fbid", std::move(id)}});
    }
    if (!attached.empty()) body["attached_media"] = std::move(attached);
  }
  GraphRequest create{request.account,   "POST",          path, GraphDump(body),
                      CallKind::kCreate, request.deadline};
  ASSIGN_OR_RETURN(json answer, graph_.Call(create, credential));
  std::string id = GraphString(answer, "id");
  if (id.empty()) {
    // Facebook accepted something; only a look at the feed can say what.
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "facebook accepted the post but its answer carries no id");
  }
  return Receipt{id, PermalinkOf(request.account, credential, id, request.deadline)};
}

std::string FacebookChannel::PermalinkOf(std::string_view account, Credential& credential,
                                         const std::string& id, absl::Time deadline) const {
  GraphRequest read{
      std::string(account), "GET",   absl::StrCat("/", UrlEncode(id), "?fields=permalink_url"), "",
      CallKind::kRead,      deadline};
  // The post exists whatever happens here: a failed read costs only the
  // canonical link, never the receipt.
  absl::StatusOr<json> answer = graph_.Call(read, credential);
  std::string url = answer.ok() ? GraphString(*answer, "permalink_url") : std::string();
  return url.empty() ? BuiltUrl(id) : url;
}

absl::StatusOr<FacebookChannel::Page> FacebookChannel::ReadPage(
    std::string_view account, Credential& credential, std::string_view parent, absl::Time start,
    const std::string& after, int limit, absl::Time deadline) const {
  std::string path;
  if (parent.empty()) {
    path = absl::StrCat(
        "/", UrlEncode(credential.Field("page_id")), "/feed?fields=", UrlEncode(kListFields),
        "&since=", std::max<int64_t>(absl::ToUnixSeconds(start), 0), "&limit=", limit);
  } else {
    path = absl::StrCat("/", UrlEncode(parent), "/comments?fields=", UrlEncode(kListFields),
                        "&order=reverse_chronological&limit=", limit);
  }
  if (!after.empty()) absl::StrAppend(&path, "&after=", UrlEncode(after));
  GraphRequest read{std::string(account), "GET", path, "", CallKind::kRead, deadline};
  ASSIGN_OR_RETURN(json body, graph_.Call(read, credential));
  const json* data = GraphMember(body, "data");
  if (data == nullptr || !data->is_array()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("facebook: the listing of ", common::AsAbsl(account), " has no data"));
  }
  Page page;
  bool reached_start = false;
  for (const json& item : *data) {
    std::optional<RemotePost> post = ParseItem(item, parent);
    if (!post) continue;
    // Comments cannot be asked for by time: newest first, they stop at `start`.
    if (post->create_time < start) {
      reached_start = true;
      continue;
    }
    page.posts.push_back(*std::move(post));
  }
  const json* paging = GraphMember(body, "paging");
  const json* cursors = paging != nullptr ? GraphMember(*paging, "cursors") : nullptr;
  // Graph omits "next" on the last page, though it still gives cursors.
  if (!reached_start && cursors != nullptr && GraphMember(*paging, "next") != nullptr)
    page.after = GraphString(*cursors, "after");
  return page;
}

absl::StatusOr<std::optional<Receipt>> FacebookChannel::FindPublished(const PublishRequest& request,
                                                                      absl::Time since) {
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(request.account, "page_id"));
  absl::Time start = since - options_.find_slack;
  std::string after;
  for (int page = 0; page < options_.max_find_pages; ++page) {
    ASSIGN_OR_RETURN(Page listing, ReadPage(request.account, credential, request.in_reply_to, start,
                                            after, kFindPageSize, request.deadline));
    for (const RemotePost& post : listing.posts) {
      if (SameTextAsSent(request.text, post.text)) return Receipt{post.external_id, post.url};
    }
    if (listing.after.empty()) return std::nullopt;
    after = listing.after;
  }
  return MakeChannelError(
      ChannelErrorKind::kRetryable,
      absl::StrCat("facebook: more than ", options_.max_find_pages * kFindPageSize, " posts of ",
                   common::AsAbsl(request.account),
                   " since the attempt; cannot tell whether it was published"));
}

absl::StatusOr<std::vector<RemotePost>> FacebookChannel::ListRecent(std::string_view account,
                                                                    absl::Time since, int limit) {
  std::vector<RemotePost> posts;
  if (limit <= 0) return posts;
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(account, "page_id"));
  std::string after;
  for (int page = 0; page < kMaxListPages && static_cast<int>(posts.size()) < limit; ++page) {
    ASSIGN_OR_RETURN(Page listing,
                     ReadPage(account, credential, "", since, after, std::min(limit, kListPageSize),
                              absl::InfiniteFuture()));
    for (RemotePost& post : listing.posts) posts.push_back(std::move(post));
    if (listing.after.empty()) break;
    after = listing.after;
  }
  if (static_cast<int>(posts.size()) > limit) posts.resize(limit);
  return posts;
}

absl::Status FacebookChannel::Delete(std::string_view account, std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(account, "page_id"));
  // Deleting twice is harmless, so a failure is simply tried again (kRead).
  GraphRequest remove{std::string(account),
                      "DELETE",
                      absl::StrCat("/", UrlEncode(external_id)),
                      "",
                      CallKind::kRead,
                      absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(json answer, graph_.Call(remove, credential));
  const json* success = GraphMember(answer, "success");
  if (success == nullptr || !success->is_boolean() || !success->get<bool>()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("facebook did not confirm deleting ", common::AsAbsl(external_id)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FacebookChannel::ReadFollowers(std::string_view account) {
  return graph_.ReadFollowersCount(account, "page_id");
}

absl::StatusOr<Engagement> FacebookChannel::ReadEngagement(std::string_view account,
                                                           std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(account, "page_id"));
  GraphRequest read{
      std::string(account),
      "GET",
      absl::StrCat("/", UrlEncode(external_id), "?fields=", UrlEncode(kEngagementFields)),
      "",
      CallKind::kRead,
      absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(json body, graph_.Call(read, credential));
  Engagement engagement;
  engagement.likes = SummaryCount(body, "reactions", -1);
  engagement.replies = SummaryCount(body, "comments", -1);
  // Facebook leaves "shares" out of the answer while a post has none.
  const json* shares = GraphMember(body, "shares");
  engagement.shares = shares != nullptr ? GraphInt(*shares, "count", 0) : 0;
  // Impressions and link clicks come from the post's insights (read_insights).
  ASSIGN_OR_RETURN(auto insights, graph_.ReadInsights(account, credential, external_id,
                                                      "post_impressions,post_clicks"));
  if (auto it = insights.find("post_impressions"); it != insights.end())
    engagement.impressions = it->second;
  if (auto it = insights.find("post_clicks"); it != insights.end()) engagement.clicks = it->second;
  return engagement;
}

}  // namespace carecast::publisher
