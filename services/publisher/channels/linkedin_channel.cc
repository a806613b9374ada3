#include "services/publisher/channels/linkedin_channel.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
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

constexpr std::string_view kNetwork = "linkedin";
constexpr int kPageSize = 50;
constexpr int kMaxListPages = 20;
constexpr size_t kMaxDetail = 300;
constexpr std::string_view kReserved = "|{}@[]()<>#\\*_~";
constexpr std::string_view kCommentPrefix = "urn:li:comment:(";
constexpr absl::string_view kOrganizationPrefix = "urn:li:organization:";

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

json ParseBody(const common::HttpReply& reply) { return json::parse(reply.body, nullptr, false); }

std::string ErrorMessage(const json& body) {
  std::string message = StringMember(body, "message");
  if (message.size() > kMaxDetail) message.resize(kMaxDetail);
  return message;
}

RateBucket AppBucket() { return RateBucket{std::string(kNetwork), "app", ""}; }
RateBucket MemberBucket(std::string_view account) {
  return RateBucket{std::string(kNetwork), "member", std::string(account)};
}

bool IsLinkStart(std::string_view text, size_t i) {
  std::string_view rest = text.substr(i);
  return absl::StartsWith(common::AsAbsl(rest), "http://") ||
         absl::StartsWith(common::AsAbsl(rest), "https://");
}

// The parts of "urn:li:comment:(<object urn>,<comment id>)"; nullopt for any
// other URN.
struct CommentUrn {
  std::string object;
  std::string id;
};
std::optional<CommentUrn> ParseCommentUrn(std::string_view urn) {
  if (!absl::StartsWith(common::AsAbsl(urn), common::AsAbsl(kCommentPrefix)) || urn.back() != ')')
    return std::nullopt;
  std::string_view inner =
      urn.substr(kCommentPrefix.size(), urn.size() - kCommentPrefix.size() - 1);
  size_t comma = inner.rfind(',');
  if (comma == std::string_view::npos || comma == 0 || comma + 1 == inner.size())
    return std::nullopt;
  return CommentUrn{std::string(inner.substr(0, comma)), std::string(inner.substr(comma + 1))};
}

std::string CommentUrl(std::string_view object, std::string_view comment_urn) {
  return absl::StrCat(LinkedInChannel::PostUrl(object), "?commentUrn=", UrlEncode(comment_urn));
}

// One listed post or comment with what matching needs besides RemotePost.
struct Element {
  RemotePost post;
  std::string author;
  absl::Time modified = absl::InfinitePast();
};

std::optional<Element> ParsePost(const json& item) {
  Element element;
  element.post.external_id = StringMember(item, "id");
  if (element.post.external_id.empty()) return std::nullopt;
  element.post.url = LinkedInChannel::PostUrl(element.post.external_id);
  element.post.text = LinkedInChannel::UnescapeLittleText(StringMember(item, "commentary"));
  element.author = StringMember(item, "author");
  int64_t created = IntMember(item, "createdAt");
  if (created >= 0) element.post.create_time = absl::FromUnixMillis(created);
  int64_t modified = IntMember(item, "lastModifiedAt");
  element.modified = modified >= 0 ? absl::FromUnixMillis(modified) : element.post.create_time;
  return element;
}

std::optional<Element> ParseComment(const json& item) {
  Element element;
  element.post.external_id = StringMember(item, "$URN");
  std::string object = StringMember(item, "object");
  if (element.post.external_id.empty() && !StringMember(item, "id").empty())
    element.post.external_id =
        absl::StrCat(common::AsAbsl(kCommentPrefix), object, ",", StringMember(item, "id"), ")");
  if (element.post.external_id.empty()) return std::nullopt;
  element.post.url = CommentUrl(object, element.post.external_id);
  const json* message = Member(item, "message");
  if (message != nullptr)
    element.post.text = LinkedInChannel::UnescapeLittleText(StringMember(*message, "text"));
  element.author = StringMember(item, "actor");
  std::string parent = StringMember(item, "parentComment");
  element.post.in_reply_to = parent.empty() ? object : parent;
  const json* created = Member(item, "created");
  if (created != nullptr && IntMember(*created, "time") >= 0)
    element.post.create_time = absl::FromUnixMillis(IntMember(*created, "time"));
  element.modified = element.post.create_time;
  return element;
}

}  // namespace

struct LinkedInChannel::Call {
  std::string account;
  std::string method;
  std::string path;  // with its query
  std::string body;  // empty: none
  CallKind kind = CallKind::kRead;
  absl::Time deadline = absl::InfiniteFuture();
  std::string content_type = "application/json";  // of a non-empty body
  std::string url;  // when set, the whole URL instead of base_url + path (image upload)
};

struct LinkedInChannel::Page {
  std::vector<Element> elements;
  bool full = false;  // as many as asked for: there may be more
};

LinkedInChannel::LinkedInChannel(LinkedInChannelOptions options, common::HttpClient& http,
                                 CredentialSource& credentials, RateLimiter& limiter,
                                 const common::Clock& clock)
    : options_(std::move(options)),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

std::string LinkedInChannel::PostUrl(std::string_view urn) {
  return absl::StrCat("https://www.linkedin.com/feed/update/", common::AsAbsl(urn), "/");
}

std::string LinkedInChannel::EscapeLittleText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t i = 0;
  while (i < text.size()) {
    if (IsLinkStart(text, i)) {  // LinkedIn links URLs itself; escaping would break them
      while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i])))
        out.push_back(text[i++]);
      continue;
    }
    if (kReserved.find(text[i]) != std::string_view::npos) out.push_back('\\');
    out.push_back(text[i++]);
  }
  return out;
}

std::string LinkedInChannel::UnescapeLittleText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() &&
        kReserved.find(text[i + 1]) != std::string_view::npos)
      ++i;
    out.push_back(text[i]);
  }
  return out;
}

absl::StatusOr<Credential> LinkedInChannel::CredentialsOf(std::string_view account) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  if (credential->Field("author_urn").empty()) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("linkedin: the credentials of ", common::AsAbsl(account),
                                         " have no author_urn"));
  }
  return credential;
}

absl::Status LinkedInChannel::AcquireBudget(std::string_view account) {
  for (const RateBucket& bucket : {AppBucket(), MemberBucket(account)}) {
    absl::StatusOr<absl::Duration> wait = limiter_.Acquire(bucket);
    if (!wait.ok()) {
      return MakeChannelError(
          ChannelErrorKind::kRetryable,
          absl::StrCat("linkedin: rate budget unavailable, not sent: ", wait.status().message()));
    }
    if (*wait > absl::ZeroDuration()) {
      return MakeChannelError(
          ChannelErrorKind::kRateLimited,
          absl::StrCat("linkedin: rate budget ", bucket.Key(), " is blocked after a 429, not sent"),
          *wait);
    }
  }
  return absl::OkStatus();
}

// LinkedIn announces nothing before the limit; a 429 is the only signal. Its
// message names the quota ("APPLICATION DAY limit" vs "MEMBER DAY limit").
void LinkedInChannel::ObserveRate(std::string_view account, const common::HttpReply& reply) {
  if (reply.status != 429) return;
  absl::Time now = clock_.Now();
  std::optional<absl::Duration> after = ParseRetryAfter(reply.Header("retry-after"), now);
  RateSignal signal;
  signal.blocked_until =
      now + (after && *after > absl::ZeroDuration() ? *after : options_.rate_block);
  json body = ParseBody(reply);
  bool app = absl::StrContains(absl::AsciiStrToLower(ErrorMessage(body)), "application");
  limiter_.Observe(app ? AppBucket() : MemberBucket(account), signal);
}

absl::StatusOr<common::HttpReply> LinkedInChannel::SendOnce(const Call& call,
                                                            const Credential& credential) {
  RETURN_IF_ERROR(AcquireBudget(call.account));
  common::HttpCall http_call;
  http_call.timeout = CallTimeout(options_.call_timeout, call.deadline, clock_.Now());
  if (http_call.timeout <= absl::ZeroDuration())
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "linkedin: the deadline has passed, not sent");
  http_call.method = call.method;
  http_call.url = call.url.empty() ? options_.base_url + call.path : call.url;
  http_call.headers = {{"Authorization", "Bearer " + credential.access_token},
                       {"LinkedIn-Version", options_.linkedin_version},
                       {"X-Restli-Protocol-Version", "2.0.0"}};
  if (!call.body.empty()) {
    http_call.headers.emplace_back("Content-Type", call.content_type);
    http_call.body = call.body;
  }
  absl::StatusOr<common::HttpReply> reply = http_.Send(http_call);
  if (!reply.ok()) return TransportFailure(reply.status(), call.kind, kNetwork);
  ObserveRate(call.account, *reply);
  return reply;
}

absl::StatusOr<common::HttpReply> LinkedInChannel::Send(const Call& call, Credential& credential) {
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(call, credential));
  if (reply.status != 401) return reply;
  // Expired or revoked token: the refusal created nothing, so the same call may
  // go once more with a refreshed token.
  absl::StatusOr<Credential> refreshed =
      credentials_.Refresh(call.account, credential.access_token);
  if (!refreshed.ok()) return CredentialFailure(kNetwork, refreshed.status(), call.account);
  credential = *std::move(refreshed);
  return SendOnce(call, credential);
}

namespace {

// A LinkedIn error answer as a channel error.
absl::Status AnswerFailure(const common::HttpReply& reply, CallKind kind, std::string_view account,
                           std::string_view version, absl::Duration rate_block, absl::Time now) {
  json body = ParseBody(reply);
  std::string message = body.is_discarded() ? std::string() : ErrorMessage(body);
  std::string code = body.is_discarded() ? std::string() : StringMember(body, "code");
  if (reply.status == 426 || code == "NONEXISTENT_VERSION" || code == "VERSION_MISSING") {
    return MakeChannelError(
        ChannelErrorKind::kPermanent,
        absl::StrCat("linkedin: API version ", common::AsAbsl(version),
                     " (LinkedIn-Version) is not active; configure a current one: ", message));
  }
  if (reply.status == 422 && absl::StrContains(absl::AsciiStrToLower(message), "duplicate")) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("linkedin refused a duplicate post: ", message));
  }
  if (reply.status == 401) {
    return MakeChannelError(
        ChannelErrorKind::kAuthExpired,
        absl::StrCat("linkedin refused the access token of ", common::AsAbsl(account),
                     " even after a refresh (", code, "): reconnect the account"));
  }
  absl::Duration wait = absl::ZeroDuration();
  if (reply.status == 429) {
    std::optional<absl::Duration> after = ParseRetryAfter(reply.Header("retry-after"), now);
    wait = after && *after > absl::ZeroDuration() ? *after : rate_block;
  }
  return HttpAnswerFailure(reply.status, message, kind, kNetwork, wait);
}

}  // namespace

bool LinkedInChannel::IsUploadUrlAllowed(std::string_view url) const {
  // The token goes with the bytes: only to LinkedIn over TLS, or to the API
  // root this channel is configured with (tests, an egress proxy).
  absl::string_view rest = common::AsAbsl(url);
  if (absl::ConsumePrefix(&rest, "https://")) {
    absl::string_view host = rest.substr(0, rest.find_first_of("/?:#"));
    return host == "linkedin.com" || absl::EndsWith(host, ".linkedin.com");
  }
  return absl::StartsWith(common::AsAbsl(url), absl::StrCat(options_.base_url, "/"));
}

absl::StatusOr<std::string> LinkedInChannel::UploadImage(const PublishRequest& request,
                                                         size_t index, Credential& credential,
                                                         const std::string& author) {
  const common::networks::NetworkRules& rules =
      *common::networks::FindRules(carecast::v1::NETWORK_LINKEDIN);
  ASSIGN_OR_RETURN(FetchedMedia image,
                   FetchMedia(http_, clock_, request.media[index], index, kNetwork,
                              options_.call_timeout, request.deadline, rules.max_image_bytes));
  std::string what = absl::StrCat("linkedin: image ", index + 1);
  // An uploaded image belongs to no post until one names it: the two upload
  // calls create nothing visible and fail like reads.
  json init = {{"initializeUploadRequest", {{"owner", author}}}};
  Call start{request.account, "POST",          "/rest/images?action=initializeUpload",
             init.dump(),     CallKind::kRead, request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(start, credential));
  if (reply.status != 200 && reply.status != 201) {
    return AnswerFailure(reply, CallKind::kRead, request.account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  json answer = ParseBody(reply);
  const json* value = answer.is_discarded() ? nullptr : Member(answer, "value");
  std::string upload_url = value != nullptr ? StringMember(*value, "uploadUrl") : std::string();
  std::string urn = value != nullptr ? StringMember(*value, "image") : std::string();
  if (upload_url.empty() || urn.empty()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat(what, ": initializeUpload answered without uploadUrl or image"));
  }
  if (!IsUploadUrlAllowed(upload_url)) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat(what,
                                         ": the upload URL is not on linkedin.com over "
                                         "https; the token is not sent there"));
  }
  Call put{request.account,
           "PUT",
           "",
           std::move(image.bytes),
           CallKind::kRead,
           request.deadline,
           image.mime_type.empty() ? "application/octet-stream" : image.mime_type,
           std::move(upload_url)};
  ASSIGN_OR_RETURN(reply, Send(put, credential));
  if (reply.status < 200 || reply.status >= 300) {
    return AnswerFailure(reply, CallKind::kRead, request.account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  return urn;
}

absl::StatusOr<Receipt> LinkedInChannel::Publish(const PublishRequest& request) {
  if (!common::IsValidUtf8(request.text) || !common::IsValidUtf8(request.in_reply_to))
    return MakeChannelError(ChannelErrorKind::kPermanent, "linkedin: the text is not valid UTF-8");
  const common::networks::NetworkRules& rules =
      *common::networks::FindRules(carecast::v1::NETWORK_LINKEDIN);
  RETURN_IF_ERROR(CheckMediaRefs(request.media, rules.max_images, kNetwork));
  if (!request.in_reply_to.empty() && request.media.size() > 1) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("linkedin: a comment takes at most one image; this reply "
                                         "has ",
                                         request.media.size(), "; not sent"));
  }
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(request.account));
  std::string author = credential.Field("author_urn");
  std::vector<std::string> images;
  for (size_t i = 0; i < request.media.size(); ++i) {
    ASSIGN_OR_RETURN(std::string urn, UploadImage(request, i, credential, author));
    images.push_back(std::move(urn));
  }
  if (!request.in_reply_to.empty()) return PublishComment(request, credential, author, images);
  json body = {{"author", author},
               {"commentary", EscapeLittleText(request.text)},
               {"visibility", "PUBLIC"},
               {"distribution",
                {{"feedDistribution", "MAIN_FEED"},
                 {"targetEntities", json::array()},
                 {"thirdPartyDistributionChannels", json::array()}}},
               {"lifecycleState", "PUBLISHED"},
               {"isReshareDisabledByAuthor", false}};
  if (images.size() == 1) {
    body["content"] = {{"media", {{"id", images[0]}, {"altText", request.media[0].alt_text}}}};
  } else if (images.size() > 1) {
    json list = json::array();
    for (size_t i = 0; i < images.size(); ++i)
      list.push_back({{"id", images[i]}, {"altText", request.media[i].alt_text}});
    body["content"] = {{"multiImage", {{"images", std::move(list)}}}};
  }
  Call call{request.account,   "POST",          "/rest/posts", body.dump(),
            CallKind::kCreate, request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 201 && reply.status != 200) {
    return AnswerFailure(reply, CallKind::kCreate, request.account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  std::string urn = reply.Header("x-restli-id");
  if (urn.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "linkedin accepted the post but sent no x-restli-id");
  }
  return Receipt{urn, PostUrl(urn)};
}

absl::StatusOr<Receipt> LinkedInChannel::PublishComment(const PublishRequest& request,
                                                        Credential& credential,
                                                        const std::string& author,
                                                        const std::vector<std::string>& images) {
  std::optional<CommentUrn> parent = ParseCommentUrn(request.in_reply_to);
  std::string object = parent ? parent->object : request.in_reply_to;
  json body = {{"actor", author},
               {"object", object},
               {"message", {{"text", EscapeLittleText(request.text)}}}};
  if (parent) body["parentComment"] = request.in_reply_to;
  // A comment's image has no alt text of its own on LinkedIn: the image entity only.
  if (!images.empty()) body["content"] = json::array({{{"entity", {{"image", images.front()}}}}});
  Call call{request.account,
            "POST",
            absl::StrCat("/rest/socialActions/", UrlEncode(request.in_reply_to), "/comments"),
            body.dump(),
            CallKind::kCreate,
            request.deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 201 && reply.status != 200) {
    return AnswerFailure(reply, CallKind::kCreate, request.account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  std::string urn = reply.Header("x-restli-id");
  if (!absl::StartsWith(urn, common::AsAbsl(kCommentPrefix))) {
    json answer = ParseBody(reply);
    std::string from_body = answer.is_discarded() ? std::string() : StringMember(answer, "$URN");
    urn = !from_body.empty() ? from_body
          : urn.empty()      ? std::string()
                             : absl::StrCat(common::AsAbsl(kCommentPrefix), object, ",", urn, ")");
  }
  if (urn.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "linkedin accepted the comment but did not say its id");
  }
  return Receipt{urn, CommentUrl(object, urn)};
}

absl::StatusOr<LinkedInChannel::Page> LinkedInChannel::ReadPostsPage(std::string_view account,
                                                                     Credential& credential,
                                                                     int start,
                                                                     absl::Time deadline) {
  std::string path =
      absl::StrCat("/rest/posts?q=author&author=", UrlEncode(credential.Field("author_urn")),
                   "&count=", kPageSize, "&sortBy=LAST_MODIFIED");
  if (start > 0) absl::StrAppend(&path, "&start=", start);
  Call call{std::string(account), "GET", path, "", CallKind::kRead, deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) {
    return AnswerFailure(reply, CallKind::kRead, account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  json body = ParseBody(reply);
  const json* elements = body.is_discarded() ? nullptr : Member(body, "elements");
  if (elements == nullptr || !elements->is_array()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("linkedin: unreadable post list of ", common::AsAbsl(account)));
  }
  Page page;
  page.full = static_cast<int>(elements->size()) >= kPageSize;
  for (const json& item : *elements) {
    if (std::optional<Element> element = ParsePost(item))
      page.elements.push_back(*std::move(element));
  }
  return page;
}

absl::StatusOr<LinkedInChannel::Page> LinkedInChannel::ReadCommentsPage(std::string_view account,
                                                                        Credential& credential,
                                                                        std::string_view object,
                                                                        int start,
                                                                        absl::Time deadline) {
  std::string path = absl::StrCat("/rest/socialActions/", UrlEncode(object),
                                  "/comments?count=", kPageSize, "&start=", start);
  Call call{std::string(account), "GET", path, "", CallKind::kRead, deadline};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) {
    return AnswerFailure(reply, CallKind::kRead, account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  json body = ParseBody(reply);
  const json* elements = body.is_discarded() ? nullptr : Member(body, "elements");
  if (elements == nullptr || !elements->is_array()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("linkedin: unreadable comments of ", common::AsAbsl(object)));
  }
  Page page;
  page.full = static_cast<int>(elements->size()) >= kPageSize;
  for (const json& item : *elements) {
    if (std::optional<Element> element = ParseComment(item))
      page.elements.push_back(*std::move(element));
  }
  return page;
}

absl::StatusOr<std::optional<Receipt>> LinkedInChannel::FindPublished(const PublishRequest& request,
                                                                      absl::Time since) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(request.account));
  return FindIn(request, since, credential, credential.Field("author_urn"));
}

absl::StatusOr<std::optional<Receipt>> LinkedInChannel::FindIn(const PublishRequest& request,
                                                               absl::Time since,
                                                               Credential& credential,
                                                               const std::string& author) {
  absl::Time lower = since - options_.find_slack;
  bool comments = !request.in_reply_to.empty();
  for (int page_index = 0; page_index < options_.max_find_pages; ++page_index) {
    int start = page_index * kPageSize;
    absl::StatusOr<Page> page =
        comments ? ReadCommentsPage(request.account, credential, request.in_reply_to, start,
                                    request.deadline)
                 : ReadPostsPage(request.account, credential, start, request.deadline);
    if (!page.ok()) return page.status();
    for (const Element& element : page->elements) {
      if (element.author == author && element.post.create_time >= lower &&
          SameTextAsSent(request.text, element.post.text))
        return Receipt{element.post.external_id, element.post.url};
    }
    // Posts come most recently modified first: once one is older than the
    // window, none further down can be the attempt.
    bool older_follow =
        !comments && !page->elements.empty() && page->elements.back().modified < lower;
    if (!page->full || older_follow) return std::nullopt;
  }
  return MakeChannelError(ChannelErrorKind::kRetryable,
                          absl::StrCat("linkedin: more than ", options_.max_find_pages * kPageSize,
                                       " entries to read for ", common::AsAbsl(request.account),
                                       "; cannot tell whether the attempt was published"));
}

absl::StatusOr<std::vector<RemotePost>> LinkedInChannel::ListRecent(std::string_view account,
                                                                    absl::Time since, int limit) {
  std::vector<RemotePost> posts;
  if (limit <= 0) return posts;
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  int pages = std::min(kMaxListPages, limit / kPageSize + 2);
  for (int page_index = 0; page_index < pages; ++page_index) {
    ASSIGN_OR_RETURN(Page page, ReadPostsPage(account, credential, page_index * kPageSize,
                                              absl::InfiniteFuture()));
    for (Element& element : page.elements) {
      if (element.post.create_time >= since) posts.push_back(std::move(element.post));
    }
    bool older_follow = !page.elements.empty() && page.elements.back().modified < since;
    if (!page.full || older_follow) break;
  }
  // Listed by last modification; callers want creation order, newest first.
  std::stable_sort(posts.begin(), posts.end(), [](const RemotePost& a, const RemotePost& b) {
    return a.create_time > b.create_time;
  });
  if (static_cast<int>(posts.size()) > limit) posts.resize(limit);
  return posts;
}

absl::Status LinkedInChannel::Delete(std::string_view account, std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  std::string path;
  if (std::optional<CommentUrn> comment = ParseCommentUrn(external_id)) {
    path =
        absl::StrCat("/rest/socialActions/", UrlEncode(comment->object), "/comments/",
                     UrlEncode(comment->id), "?actor=", UrlEncode(credential.Field("author_urn")));
  } else {
    path = absl::StrCat("/rest/posts/", UrlEncode(external_id));
  }
  // Deleting twice is harmless, so a lost answer is simply retryable.
  Call call{std::string(account), "DELETE", path, "", CallKind::kRead, absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status == 404) {
    return absl::NotFoundError(
        absl::StrCat("linkedin has no ", common::AsAbsl(external_id), " to delete"));
  }
  if (reply.status != 204 && reply.status != 200) {
    return AnswerFailure(reply, CallKind::kRead, account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> LinkedInChannel::ReadFollowers(std::string_view account) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  std::string author = credential.Field("author_urn");
  if (!absl::StartsWith(author, kOrganizationPrefix)) {
    return absl::UnimplementedError(
        "linkedin reports followers of organization pages only, not of a member");
  }
  Call call{std::string(account),
            "GET",
            absl::StrCat("/rest/networkSizes/", UrlEncode(author),
                         "?edgeType=COMPANY_FOLLOWED_BY_MEMBER"),
            "",
            CallKind::kRead,
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) {
    return AnswerFailure(reply, CallKind::kRead, account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  json body = ParseBody(reply);
  int64_t followers = body.is_object() ? IntMember(body, "firstDegreeSize") : -1;
  if (followers < 0) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "linkedin: networkSizes answered without firstDegreeSize");
  }
  return followers;
}

absl::StatusOr<Engagement> LinkedInChannel::ReadEngagement(std::string_view account,
                                                           std::string_view external_id) {
  ASSIGN_OR_RETURN(Credential credential, CredentialsOf(account));
  Call call{std::string(account),
            "GET",
            absl::StrCat("/rest/socialActions/", UrlEncode(external_id)),
            "",
            CallKind::kRead,
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status == 404)
    return absl::NotFoundError(absl::StrCat("linkedin has no ", common::AsAbsl(external_id)));
  if (reply.status != 200) {
    return AnswerFailure(reply, CallKind::kRead, account, options_.linkedin_version,
                         options_.rate_block, clock_.Now());
  }
  json body = ParseBody(reply);
  if (body.is_discarded() || !body.is_object()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("linkedin: unreadable social actions of ", common::AsAbsl(external_id)));
  }
  Engagement engagement;
  if (const json* likes = Member(body, "likesSummary"))
    engagement.likes = IntMember(*likes, "totalLikes");
  if (const json* comments = Member(body, "commentsSummary"))
    engagement.replies = IntMember(*comments, "aggregatedTotalComments");
  // Share statistics exist for an organization's posts only; a member's post
  // keeps what socialActions says.
  std::string author = credential.Field("author_urn");
  if (absl::StartsWith(author, kOrganizationPrefix))
    RETURN_IF_ERROR(ReadShareStatistics(account, credential, author, external_id, engagement));
  return engagement;
}

absl::Status LinkedInChannel::ReadShareStatistics(std::string_view account, Credential& credential,
                                                  std::string_view organization,
                                                  std::string_view post, Engagement& engagement) {
  // The finder takes shares and ugcPosts in separate parameters, and its
  // elements name the post under the matching key.
  const char* parameter = nullptr;
  const char* key = nullptr;
  if (absl::StartsWith(common::AsAbsl(post), "urn:li:share:")) {
    parameter = "shares";
    key = "share";
  } else if (absl::StartsWith(common::AsAbsl(post), "urn:li:ugcPost:")) {
    parameter = "ugcPosts";
    key = "ugcPost";
  } else {
    return absl::OkStatus();  // a comment or another entity: no share statistics
  }
  // Rest.li 2.0: List(...) stays as it is, the URNs inside it are encoded.
  Call call{std::string(account),
            "GET",
            absl::StrCat("/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                         "&organizationalEntity=",
                         UrlEncode(organization), "&", parameter, "=List(", UrlEncode(post), ")"),
            "",
            CallKind::kRead,
            absl::InfiniteFuture()};
  ASSIGN_OR_RETURN(common::HttpReply reply, Send(call, credential));
  if (reply.status != 200) {
    absl::Status failure = AnswerFailure(reply, CallKind::kRead, account, options_.linkedin_version,
                                         options_.rate_block, clock_.Now());
    // A refusal the token cannot get past (403: no rw_organization_admin, or
    // the member is not the page's ADMINISTRATOR; 404 and the other 4xx)
    // leaves these figures unknown and keeps the social actions read above,
    // as Meta's insights do. It is never NOT_FOUND: whether the post still
    // exists is socialActions' answer. Rate limits, an expired token and
    // transient failures fail the reading like any read.
    if (ClassifyChannelError(failure).kind == ChannelErrorKind::kPermanent) return absl::OkStatus();
    return failure;
  }
  json body = ParseBody(reply);
  const json* elements = body.is_discarded() ? nullptr : Member(body, "elements");
  if (elements == nullptr || !elements->is_array()) {
    return MakeChannelError(
        ChannelErrorKind::kRetryable,
        absl::StrCat("linkedin: unreadable share statistics of ", common::AsAbsl(post)));
  }
  for (const json& element : *elements) {
    if (StringMember(element, key) != post) continue;
    const json* totals = Member(element, "totalShareStatistics");
    if (totals == nullptr) break;
    engagement.impressions = IntMember(*totals, "impressionCount");
    engagement.clicks = IntMember(*totals, "clickCount");
    engagement.shares = IntMember(*totals, "shareCount");
    if (engagement.likes < 0) engagement.likes = IntMember(*totals, "likeCount");
    if (engagement.replies < 0) engagement.replies = IntMember(*totals, "commentCount");
    break;
  }
  // No element for the post (deleted meanwhile, older than LinkedIn's
  // 12-month window, not yet counted): the figures stay -1.
  return absl::OkStatus();
}

}  // namespace carecast::publisher
