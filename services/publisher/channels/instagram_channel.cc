#include "services/publisher/channels/instagram_channel.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"

namespace carecast::publisher {
namespace {

using nlohmann::json;

constexpr std::string_view kNetwork = "instagram";
constexpr char kContainerKey[] = "container_id";
constexpr int kMediaPageSize = 25;
constexpr int kCommentPageSize = 50;
constexpr int kMaxListPages = 40;
// Meta's codes for the two phases.
constexpr int64_t kMediaNotReady = 9007;        // media_publish of a container not FINISHED
constexpr int64_t kMediaFetchFailed = 2207052;  // subcode: Meta could not fetch the image
constexpr int64_t kQuotaReached = 2207042;      // subcode: the publishing quota is used up

RateBucket PublishBucket(std::string_view account) {
  return RateBucket{std::string(kNetwork), "publish", std::string(account)};
}

std::string IgUser(const Credential& credential) {
  return UrlEncode(credential.Field("ig_user_id"));
}

absl::Status Retryable(std::string_view message) {
  return MakeChannelError(ChannelErrorKind::kRetryable,
                          absl::StrCat("instagram: ", common::AsAbsl(message)));
}

std::optional<RemotePost> ParseMedia(const json& item) {
  RemotePost post;
  post.external_id = GraphString(item, "id");
  if (post.external_id.empty()) return std::nullopt;
  post.text = GraphString(item, "caption");
  if (post.text.empty()) post.text = GraphString(item, "text");  // a comment
  post.url = GraphString(item, "permalink");
  if (std::optional<absl::Time> created = ParseIsoTime(GraphString(item, "timestamp")))
    post.create_time = *created;
  return post;
}

// The cursor of the next page; empty on the last (Graph omits "next" there).
std::string NextCursor(const json& body) {
  const json* paging = GraphMember(body, "paging");
  const json* cursors = paging != nullptr ? GraphMember(*paging, "cursors") : nullptr;
  if (cursors == nullptr || GraphMember(*paging, "next") == nullptr) return "";
  return GraphString(*cursors, "after");
}

}  // namespace

// A container's state; status_code empty: the container is gone.
struct InstagramChannel::Container {
  std::string id;
  std::string status_code;  // EXPIRED, ERROR, FINISHED, IN_PROGRESS, PUBLISHED
  std::string status;       // Meta's text (the error subcode on ERROR)
};

struct InstagramChannel::MediaPage {
  std::vector<RemotePost> posts;  // newest first
  std::string after;              // the next page's cursor; empty: none
};

InstagramChannel::InstagramChannel(InstagramChannelOptions options, common::HttpClient& http,
                                   CredentialSource& credentials, RateLimiter& limiter,
                                   const common::Clock& clock)
    : options_(std::move(options)),
      graph_(std::string(kNetwork),
             GraphClientOptions{options_.base_url, options_.graph_version, options_.call_timeout},
             http, credentials, limiter, clock) {}

absl::StatusOr<Receipt> InstagramChannel::Publish(const PublishRequest& request) {
  bool valid = common::IsValidUtf8(request.text) && common::IsValidUtf8(request.in_reply_to);
  for (const MediaRef& media : request.media)
    valid = valid && common::IsValidUtf8(media.url) && common::IsValidUtf8(media.alt_text);
  if (!valid)
    return MakeChannelError(ChannelErrorKind::kPermanent, "instagram: the text is not valid UTF-8");
  if (!request.in_reply_to.empty() && !request.media.empty()) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            "instagram: a comment cannot carry an image; not sent");
  }
  if (request.in_reply_to.empty() && request.media.empty())
    return MakeChannelError(ChannelErrorKind::kPermanent, "Instagram needs an image; not sent");
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(request.account, "ig_user_id"));
  if (!request.in_reply_to.empty()) return PublishComment(request, credential);
  auto saved = request.progress.find(kContainerKey);
  if (saved == request.progress.end() || saved->second.empty())
    return PublishNew(request, credential);
  ASSIGN_OR_RETURN(Container container,
                   ReadContainer(request.account, credential, saved->second, request.deadline));
  return Resume(request, credential, container);
}

absl::StatusOr<Receipt> InstagramChannel::Resume(const PublishRequest& request,
                                                 Credential& credential,
                                                 const Container& container) {
  if (container.status_code == "PUBLISHED") {
    // An earlier attempt published it: find what it made, never publish again.
    absl::StatusOr<std::optional<Receipt>> found =
        FindMedia(request, credential, absl::InfinitePast());
    if (found.ok() && found->has_value()) return **found;
    return Retryable(
        absl::StrCat("container ", container.id, " is published but its media is not listed yet"));
  }
  if (container.status_code == "FINISHED" || container.status_code == "IN_PROGRESS")
    return WaitAndPublish(request, credential, container);
  // EXPIRED, ERROR or gone: that container can never be published.
  return PublishNew(request, credential);
}

absl::StatusOr<Receipt> InstagramChannel::PublishNew(const PublishRequest& request,
                                                     Credential& credential) {
  RETURN_IF_ERROR(CheckQuota(request.account, credential, request.deadline));
  ASSIGN_OR_RETURN(std::string id, CreateContainer(request, credential));
  if (request.save_progress) {
    absl::Status saved = request.save_progress(kContainerKey, id);
    // Nothing is published yet, and an unpublished container expires by itself.
    if (!saved.ok()) return Retryable(absl::StrCat("container id not saved: ", saved.message()));
  }
  ASSIGN_OR_RETURN(Container container,
                   ReadContainer(request.account, credential, id, request.deadline));
  return WaitAndPublish(request, credential, container);
}

absl::StatusOr<Receipt> InstagramChannel::WaitAndPublish(const PublishRequest& request,
                                                         Credential& credential,
                                                         Container container) {
  absl::Duration pause = options_.container_poll_initial;
  for (int reads = 1;; ++reads) {
    const std::string& code = container.status_code;
    if (code == "FINISHED") return PublishContainer(request, credential, container.id);
    if (code == "PUBLISHED") return Resume(request, credential, container);
    if (code == "ERROR") {
      return MakeChannelError(
          ChannelErrorKind::kPermanent,
          absl::StrCat("instagram could not process the image: ", container.status));
    }
    if (code != "IN_PROGRESS")
      return Retryable(absl::StrCat("container ", container.id, " expired; a new one is made"));
    if (reads >= options_.max_status_reads || graph_.clock().Now() + pause >= request.deadline) {
      return Retryable(absl::StrCat("container ", container.id,
                                    " is still processing; it is kept for the next attempt"));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, options_.container_poll_max);
    ASSIGN_OR_RETURN(container,
                     ReadContainer(request.account, credential, container.id, request.deadline));
  }
}

absl::StatusOr<Receipt> InstagramChannel::PublishContainer(const PublishRequest& request,
                                                           Credential& credential,
                                                           const std::string& container_id) {
  GraphRequest publish{request.account,
                       "POST",
                       absl::StrCat("/", IgUser(credential), "/media_publish"),
                       GraphDump(json{{"creation_id", container_id}}),
                       CallKind::kCreate,
                       request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, graph_.Send(publish, credential));
  json body = json::parse(reply.body, nullptr, false);
  bool refused = reply.status < 200 || reply.status >= 300 ||
                 (!body.is_discarded() && GraphMember(body, "error") != nullptr);
  if (refused) return AfterRefusedPublish(request, credential, publish, container_id, reply);
  // A 2xx answer: published, even when its body cannot be read.
  std::string media_id = body.is_discarded() ? std::string() : GraphString(body, "id");
  CountPublished(request.account);
  if (media_id.empty()) {
    // Published, but which media it made is for FindPublished to read.
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "instagram published the container but its answer carries no id");
  }
  return Receipt{media_id, PermalinkOf(request.account, credential, media_id, request.deadline)};
}

absl::StatusOr<Receipt> InstagramChannel::AfterRefusedPublish(const PublishRequest& request,
                                                              Credential& credential,
                                                              const GraphRequest& publish,
                                                              const std::string& container_id,
                                                              const common::HttpReply& reply) {
  std::optional<GraphError> error = ParseGraphError(reply.body);
  if (error && error->subcode == kQuotaReached) {
    RateSignal blocked;
    blocked.blocked_until = graph_.clock().Now() + options_.quota_block;
    graph_.limiter().Observe(PublishBucket(request.account), blocked);
    return MakeChannelError(ChannelErrorKind::kRateLimited,
                            absl::StrCat("instagram: the publishing quota of ",
                                         common::AsAbsl(request.account), " is used up"),
                            options_.quota_block);
  }
  if (error && error->code == kMediaNotReady) {
    // Not ready yet, or published already by an attempt we lost: the status says.
    ASSIGN_OR_RETURN(Container container,
                     ReadContainer(request.account, credential, container_id, request.deadline));
    if (container.status_code == "PUBLISHED") return Resume(request, credential, container);
    return Retryable(absl::StrCat("container ", container_id, " is not ready: ", error->message));
  }
  return graph_.Failure(publish, reply);
}

absl::StatusOr<std::string> InstagramChannel::CreateContainer(const PublishRequest& request,
                                                              Credential& credential) {
  const MediaRef& image = request.media.front();
  json fields = {{"image_url", image.url}, {"caption", request.text}};
  if (!image.alt_text.empty()) fields["alt_text"] = image.alt_text;
  // A container publishes nothing: one lost on the way is harmless (it expires
  // unpublished), so it is made again like a read rather than reconciled.
  GraphRequest create{
      request.account,   "POST",          absl::StrCat("/", IgUser(credential), "/media"),
      GraphDump(fields), CallKind::kRead, request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, graph_.Send(create, credential));
  std::optional<GraphError> error = ParseGraphError(reply.body);
  if (error && error->subcode == kMediaFetchFailed)
    return Retryable(absl::StrCat("Meta could not fetch the image: ", error->message));
  json body = json::parse(reply.body, nullptr, false);
  if (reply.status < 200 || reply.status >= 300 || error) return graph_.Failure(create, reply);
  std::string id = body.is_discarded() ? std::string() : GraphString(body, "id");
  if (id.empty()) return Retryable("the container answer carries no id");
  return id;
}

absl::StatusOr<InstagramChannel::Container> InstagramChannel::ReadContainer(
    std::string_view account, Credential& credential, const std::string& id,
    absl::Time deadline) const {
  GraphRequest read{std::string(account),
                    "GET",
                    absl::StrCat("/", UrlEncode(id), "?fields=status_code,status"),
                    "",
                    CallKind::kRead,
                    deadline};
  absl::StatusOr<json> body = graph_.Call(read, credential);
  if (absl::IsNotFound(body.status())) return Container{id, "", ""};
  if (!body.ok()) return body.status();
  Container container{id, GraphString(*body, "status_code"), GraphString(*body, "status")};
  if (container.status_code.empty())
    return Retryable(absl::StrCat("container ", id, " has no status_code"));
  return container;
}

absl::Status InstagramChannel::CheckQuota(std::string_view account, Credential& credential,
                                          absl::Time deadline) {
  absl::StatusOr<absl::Duration> wait = graph_.limiter().Acquire(PublishBucket(account));
  if (!wait.ok())
    return Retryable(absl::StrCat("rate budget unavailable: ", wait.status().message()));
  if (*wait > absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRateLimited,
                            "instagram: the publishing quota is used up; not sent", *wait);
  }
  absl::Time now = graph_.clock().Now();
  Quota quota;
  {
    std::lock_guard lock(mu_);
    auto it = quotas_.find(std::string(account));
    if (it != quotas_.end() && now - it->second.read_at < options_.quota_cache_ttl)
      quota = it->second;
  }
  if (quota.read_at == absl::InfinitePast()) {
    GraphRequest read{std::string(account),
                      "GET",
                      absl::StrCat("/", IgUser(credential),
                                   "/content_publishing_limit?fields=quota_usage,config"),
                      "",
                      CallKind::kRead,
                      deadline};
    ASSIGN_OR_RETURN(json body, graph_.Call(read, credential));
    const json* data = GraphMember(body, "data");
    const json* first =
        data != nullptr && data->is_array() && !data->empty() ? &data->front() : nullptr;
    const json* config = first != nullptr ? GraphMember(*first, "config") : nullptr;
    quota = Quota{first != nullptr ? GraphInt(*first, "quota_usage", -1) : -1,
                  config != nullptr ? GraphInt(*config, "quota_total", -1) : -1, now};
    if (quota.usage < 0 || quota.total <= 0) return Retryable("unreadable publishing quota");
    std::lock_guard lock(mu_);
    quotas_[std::string(account)] = quota;
  }
  if (quota.usage < quota.total) return absl::OkStatus();
  RateSignal blocked;
  blocked.blocked_until = now + options_.quota_block;
  graph_.limiter().Observe(PublishBucket(account), blocked);
  return MakeChannelError(
      ChannelErrorKind::kRateLimited,
      absl::StrCat("instagram: the publishing quota of ", common::AsAbsl(account), " is used up (",
                   quota.usage, " of ", quota.total, "); not sent"),
      options_.quota_block);
}

void InstagramChannel::CountPublished(std::string_view account) {
  std::lock_guard lock(mu_);
  auto it = quotas_.find(std::string(account));
  if (it != quotas_.end()) ++it->second.usage;
}

absl::StatusOr<InstagramChannel::MediaPage> InstagramChannel::ReadMediaPage(
    std::string_view account, Credential& credential, const std::string& after, int limit,
    absl::Time deadline) const {
  std::string path =
      absl::StrCat("/", IgUser(credential),
                   "/media?fields=", UrlEncode("id,caption,permalink,timestamp"), "&limit=", limit);
  if (!after.empty()) absl::StrAppend(&path, "&after=", UrlEncode(after));
  GraphRequest read{std::string(account), "GET", path, "", CallKind::kRead, deadline};
  ASSIGN_OR_RETURN(json body, graph_.Call(read, credential));
  const json* data = GraphMember(body, "data");
  if (data == nullptr || !data->is_array())
    return Retryable(absl::StrCat("the media of ", common::AsAbsl(account), " has no data"));
  MediaPage page;
  for (const json& item : *data) {
    if (std::optional<RemotePost> post = ParseMedia(item)) page.posts.push_back(*std::move(post));
  }
  page.after = NextCursor(body);
  return page;
}

absl::StatusOr<std::optional<Receipt>> InstagramChannel::FindMedia(const PublishRequest& request,
                                                                   Credential& credential,
                                                                   absl::Time start) const {
  std::string after;
  for (int page = 0; page < options_.max_find_pages; ++page) {
    ASSIGN_OR_RETURN(MediaPage listing, ReadMediaPage(request.account, credential, after,
                                                      kMediaPageSize, request.deadline));
    for (const RemotePost& post : listing.posts) {
      if (post.create_time < start) return std::nullopt;  // newest first: nothing older matters
      // The newest match: an older post with the same caption was another version.
      if (SameTextAsSent(request.text, post.text)) return Receipt{post.external_id, post.url};
    }
    if (listing.after.empty()) return std::nullopt;
    after = listing.after;
  }
  return Retryable(absl::StrCat("more than ", options_.max_find_pages * kMediaPageSize,
                                " media of ", common::AsAbsl(request.account),
                                " to look through; cannot tell whether it was published"));
}

absl::StatusOr<std::optional<Receipt>> InstagramChannel::FindComment(const PublishRequest& request,
                                                                     Credential& credential,
                                                                     absl::Time start) const {
  std::string after;
  for (int page = 0; page < options_.max_find_pages; ++page) {
    std::string path = absl::StrCat("/", UrlEncode(request.in_reply_to),
                                    "/comments?fields=", UrlEncode("id,text,timestamp"),
                                    "&limit=", kCommentPageSize);
    if (!after.empty()) absl::StrAppend(&path, "&after=", UrlEncode(after));
    GraphRequest read{request.account, "GET", path, "", CallKind::kRead, request.deadline};
    ASSIGN_OR_RETURN(json body, graph_.Call(read, credential));
    const json* data = GraphMember(body, "data");
    if (data == nullptr || !data->is_array()) return Retryable("the comments have no data");
    for (const json& item : *data) {
      std::optional<RemotePost> comment = ParseMedia(item);
      if (comment && comment->create_time >= start && SameTextAsSent(request.text, comment->text))
        return Receipt{comment->external_id, ""};
    }
    after = NextCursor(body);
    if (after.empty()) return std::nullopt;
  }
  return Retryable("too many comments to look through; cannot tell whether it was published");
}

absl::StatusOr<Receipt> InstagramChannel::PublishComment(const PublishRequest& request,
                                                         Credential& credential) {
  GraphRequest create{request.account,
                      "POST",
                      absl::StrCat("/", UrlEncode(request.in_reply_to), "/comments"),
                      GraphDump(json{{"message", request.text}}),
                      CallKind::kCreate,
                      request.deadline};
  ASSIGN_OR_RETURN(json answer, graph_.Call(create, credential));
  std::string id = GraphString(answer, "id");
  if (id.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "instagram accepted the comment but its answer carries no id");
  }
  // Comments have no public link of their own.
  return Receipt{id, ""};
}

std::string InstagramChannel::PermalinkOf(std::string_view account, Credential& credential,
                                          const std::string& media_id, absl::Time deadline) const {
  GraphRequest read{std::string(account),
                    "GET",
                    absl::StrCat("/", UrlEncode(media_id), "?fields=permalink"),
                    "",
                    CallKind::kRead,
                    deadline};
  // The media exists whatever happens here: a failed read costs only the link.
  absl::StatusOr<json> answer = graph_.Call(read, credential);
  return answer.ok() ? GraphString(*answer, "permalink") : std::string();
}

absl::StatusOr<std::optional<Receipt>> InstagramChannel::FindPublished(
    const PublishRequest& request, absl::Time since) {
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(request.account, "ig_user_id"));
  absl::Time start = since - options_.find_slack;
  if (!request.in_reply_to.empty()) return FindComment(request, credential, start);
  auto saved = request.progress.find(kContainerKey);
  if (saved != request.progress.end() && !saved->second.empty()) {
    ASSIGN_OR_RETURN(Container container,
                     ReadContainer(request.account, credential, saved->second, request.deadline));
    if (container.status_code == "PUBLISHED") {
      ASSIGN_OR_RETURN(std::optional<Receipt> found,
                       FindMedia(request, credential, absl::InfinitePast()));
      if (found) return found;
      return Retryable(absl::StrCat("container ", container.id,
                                    " is published but its media is not listed yet"));
    }
    // Any other status: this container was not published. Gone: look at the media.
    if (!container.status_code.empty()) return std::nullopt;
  }
  return FindMedia(request, credential, start);
}

absl::Status InstagramChannel::Delete(std::string_view /*account*/, std::string_view external_id) {
  return MakeChannelError(ChannelErrorKind::kPermanent,
                          absl::StrCat("instagram: the Instagram Graph API cannot delete feed "
                                       "media; delete ",
                                       common::AsAbsl(external_id), " in the Instagram app"));
}

absl::StatusOr<std::vector<RemotePost>> InstagramChannel::ListRecent(std::string_view account,
                                                                     absl::Time since, int limit) {
  std::vector<RemotePost> posts;
  if (limit <= 0) return posts;
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(account, "ig_user_id"));
  std::string after;
  for (int page = 0; page < kMaxListPages && static_cast<int>(posts.size()) < limit; ++page) {
    ASSIGN_OR_RETURN(MediaPage listing,
                     ReadMediaPage(account, credential, after, std::min(limit, kMediaPageSize),
                                   absl::InfiniteFuture()));
    for (RemotePost& post : listing.posts) {
      if (post.create_time < since) return posts;  // newest first
      if (static_cast<int>(posts.size()) < limit) posts.push_back(std::move(post));
    }
    if (listing.after.empty()) break;
    after = listing.after;
  }
  return posts;
}

absl::StatusOr<int64_t> InstagramChannel::ReadFollowers(std::string_view account) {
  return graph_.ReadFollowersCount(account, "ig_user_id");
}

absl::StatusOr<Engagement> InstagramChannel::ReadEngagement(std::string_view account,
                                                            std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, graph_.CredentialsOf(account, "ig_user_id"));
  GraphRequest read{std::string(account),
                    "GET",
                    absl::StrCat("/", UrlEncode(external_id), "?fields=like_count,comments_count"),
                    "",
                    CallKind::kRead,
                    absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(json body, graph_.Call(read, credential));
  Engagement engagement;
  engagement.likes = GraphInt(body, "like_count");
  engagement.replies = GraphInt(body, "comments_count");
  // Reach (accounts that saw the media) from its insights (instagram_manage_insights).
  ASSIGN_OR_RETURN(auto insights, graph_.ReadInsights(account, credential, external_id, "reach"));
  if (auto it = insights.find("reach"); it != insights.end()) engagement.impressions = it->second;
  return engagement;
}

}  // namespace carecast::publisher
