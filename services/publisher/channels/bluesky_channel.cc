#include "services/publisher/channels/bluesky_channel.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

using json = nlohmann::json;
using common::AsAbsl;

constexpr std::string_view kNetwork = "bluesky";
constexpr char kPostCollection[] = "app.bsky.feed.post";
constexpr std::string_view kBase32Sortable = "234567abcdefghijklmnopqrstuvwxyz";
constexpr size_t kMaxImages = 4;              // app.bsky.embed.images
constexpr size_t kMaxImageBytes = 1'000'000;  // app.bsky.embed.images#image maxSize
constexpr int kListPageSize = 100;            // listRecords maximum

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

const json& ObjectField(const json& object, const char* name) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

int64_t CountField(const json& object, const char* name) {
  if (!object.is_object()) return -1;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return -1;
  return it->get<int64_t>();
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// XRPC's error answer: {"error": "<Name>", "message": "..."}, cut short.
struct XrpcError {
  std::string error;
  std::string message;
};

XrpcError ErrorOf(const common::HttpReply& reply) {
  std::optional<json> body = ParseJson(reply.body);
  if (!body) return {};
  XrpcError error{StringField(*body, "error"), StringField(*body, "message")};
  if (error.error.size() > 100) error.error.resize(100);
  if (error.message.size() > 200) error.message.resize(200);
  return error;
}

// The PDS refused the session's access token (expired, or not valid any more).
bool TokenRejected(const common::HttpReply& reply) {
  if (reply.status == 401) return true;
  if (reply.status != 400) return false;
  std::string error = ErrorOf(reply).error;
  return error == "ExpiredToken" || error == "InvalidToken";
}

struct AtUri {
  std::string repo;
  std::string collection;
  std::string rkey;
};

std::optional<AtUri> ParseAtUri(std::string_view uri) {
  if (!uri.starts_with("at://")) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(AsAbsl(uri.substr(5)), '/');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty())
    return std::nullopt;
  return AtUri{parts[0], parts[1], parts[2]};
}

std::string RecordUri(std::string_view did, std::string_view rkey) {
  return absl::StrCat("at://", AsAbsl(did), "/", kPostCollection, "/", AsAbsl(rkey));
}

std::string RecordQuery(std::string_view repo, std::string_view collection, std::string_view rkey) {
  return absl::StrCat("repo=", UrlEncode(repo), "&collection=", UrlEncode(collection),
                      "&rkey=", UrlEncode(rkey));
}

bool IsTrailingPunctuation(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
         c == '"' || c == '\'';
}

size_t WordEnd(std::string_view text, size_t start) {
  size_t end = start;
  while (end < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[end]))) ++end;
  while (end > start && IsTrailingPunctuation(text[end - 1])) --end;
  return end;
}

json Facet(size_t start, size_t end, json feature) {
  return {{"index", {{"byteStart", start}, {"byteEnd", end}}},
          {"features", json::array({std::move(feature)})}};
}

// Links and hashtags as rich-text facets (Bluesky does not find them in the
// text itself). Offsets are UTF-8 byte offsets, as the lexicon requires.
json Facets(std::string_view text) {
  json facets = json::array();
  size_t i = 0;
  while (i < text.size()) {
    bool word_start = i == 0 || absl::ascii_isspace(static_cast<unsigned char>(text[i - 1]));
    std::string_view rest = text.substr(i);
    size_t end = i + 1;
    if (word_start && (rest.starts_with("https://") || rest.starts_with("http://"))) {
      end = WordEnd(text, i);
      facets.push_back(Facet(i, end,
                             {{"$type", "app.bsky.richtext.facet#link"},
                              {"uri", std::string(text.substr(i, end - i))}}));
    } else if (word_start && rest.size() > 1 && rest[0] == '#' &&
               !absl::ascii_isspace(static_cast<unsigned char>(rest[1]))) {
      end = WordEnd(text, i);
      std::string_view tag = text.substr(i + 1, end > i + 1 ? end - i - 1 : 0);
      if (!tag.empty() && tag.size() <= 64 &&
          !std::all_of(tag.begin(), tag.end(), [](char c) { return absl::ascii_isdigit(c); })) {
        facets.push_back(
            Facet(i, end, {{"$type", "app.bsky.richtext.facet#tag"}, {"tag", std::string(tag)}}));
      }
    }
    i = std::max(end, i + 1);
  }
  return facets;
}

json RefJson(std::string_view uri, std::string_view cid) {
  return {{"uri", std::string(uri)}, {"cid", std::string(cid)}};
}

// Paths are appended to base_url: "https://host/" would give "//api".
BlueskyChannelOptions WithoutTrailingSlash(BlueskyChannelOptions options) {
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  return options;
}

}  // namespace

std::string BlueskyRecordKey(std::string_view idempotency_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(idempotency_key.data(), idempotency_key.size(), digest, &length, EVP_sha256(),
             nullptr);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | digest[i];
  value &= ~(uint64_t{1} << 63);  // a TID's top bit is always zero
  std::string rkey(13, '2');
  for (int i = 12; i >= 0; --i) {
    rkey[static_cast<size_t>(i)] = kBase32Sortable[value & 31];
    value >>= 5;
  }
  return rkey;
}

bool IsTidSyntax(std::string_view rkey) {
  if (rkey.size() != 13 || kBase32Sortable.substr(0, 16).find(rkey[0]) == std::string_view::npos)
    return false;
  return std::all_of(rkey.begin(), rkey.end(),
                     [](char c) { return kBase32Sortable.find(c) != std::string_view::npos; });
}

BlueskyChannel::BlueskyChannel(BlueskyChannelOptions options, common::HttpClient& http,
                               CredentialSource& credentials, RateLimiter& limiter,
                               const common::Clock& clock)
    : options_(WithoutTrailingSlash(std::move(options))),
      http_(http),
      credentials_(credentials),
      limiter_(limiter),
      clock_(clock) {}

RateBucket BlueskyChannel::Bucket(std::string_view account, std::string_view scope) const {
  return RateBucket{std::string(kNetwork), std::string(scope), std::string(account)};
}

std::string BlueskyChannel::PostUrl(const Session& session, std::string_view rkey) const {
  return absl::StrCat(options_.app_url, "/profile/",
                      session.handle.empty() ? session.did : session.handle, "/post/",
                      AsAbsl(rkey));
}

absl::StatusOr<common::HttpReply> BlueskyChannel::SendOnce(const RateBucket& bucket,
                                                           const std::string& token,
                                                           const ApiCall& call) {
  absl::StatusOr<absl::Duration> wait = limiter_.Acquire(bucket);
  if (!wait.ok()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat("bluesky: rate limiter: ", wait.status().message()));
  }
  if (*wait > absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRateLimited,
                            absl::StrCat("bluesky: the ", bucket.scope, " rate budget is spent"),
                            *wait);
  }
  absl::Duration timeout = CallTimeout(options_.call_timeout, call.deadline, clock_.Now());
  if (timeout <= absl::ZeroDuration()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "bluesky: the deadline passed before the call was sent");
  }
  common::HttpCall http_call;
  http_call.method = call.method;
  http_call.url = absl::StrCat(options_.base_url, "/xrpc/", call.nsid,
                               call.query.empty() ? "" : "?", call.query);
  http_call.timeout = timeout;
  http_call.headers = {{"Accept", "application/json"}};
  if (!token.empty())
    http_call.headers.emplace_back("Authorization", absl::StrCat("Bearer ", token));
  if (!call.body.empty()) http_call.headers.emplace_back("Content-Type", call.content_type);
  http_call.body = call.body;
  absl::StatusOr<common::HttpReply> reply = http_.Send(http_call);
  if (!reply.ok()) return TransportFailure(reply.status(), call.kind, kNetwork);
  ObserveRate(bucket, *reply);
  return reply;
}

void BlueskyChannel::ObserveRate(const RateBucket& bucket, const common::HttpReply& reply) {
  RateSignal signal;
  signal.limit = ParseInt(reply.Header("ratelimit-limit"));
  signal.remaining = ParseInt(reply.Header("ratelimit-remaining"));
  signal.reset = ParseUnixSeconds(reply.Header("ratelimit-reset"));
  if (reply.status == 429) {
    absl::Time now = clock_.Now();
    std::optional<absl::Duration> retry_after = ParseRetryAfter(reply.Header("retry-after"), now);
    absl::Time until = signal.reset.value_or(now + retry_after.value_or(absl::Minutes(1)));
    signal.blocked_until = std::max(until, now + absl::Seconds(1));
  }
  if (signal.limit || signal.remaining || signal.reset || signal.blocked_until)
    limiter_.Observe(bucket, signal);
}

absl::Status BlueskyChannel::Failure(const common::HttpReply& reply, CallKind kind) const {
  XrpcError error = ErrorOf(reply);
  std::string detail =
      error.message.empty() ? error.error : absl::StrCat(error.error, ": ", error.message);
  if (TokenRejected(reply)) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("bluesky: the session was refused: ", detail));
  }
  absl::Duration wait = absl::ZeroDuration();
  if (reply.status == 429) {
    absl::Time now = clock_.Now();
    std::optional<absl::Time> reset = ParseUnixSeconds(reply.Header("ratelimit-reset"));
    wait = reset ? std::max(*reset - now, absl::Seconds(1))
                 : ParseRetryAfter(reply.Header("retry-after"), now).value_or(absl::Minutes(1));
  }
  return HttpAnswerFailure(reply.status, detail, kind, kNetwork, wait);
}

absl::StatusOr<common::HttpReply> BlueskyChannel::Call(std::string_view account,
                                                       const ApiCall& call) {
  ASSIGN_OR_RETURN(Session session, SessionFor(account, call.deadline));
  RateBucket bucket = Bucket(account, "account");
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(bucket, session.access_jwt, call));
  if (!TokenRejected(reply)) return reply;
  // The PDS refused the token before acting, so the call may be repeated once.
  ASSIGN_OR_RETURN(session, RenewSession(account, session.access_jwt, call.deadline));
  ASSIGN_OR_RETURN(reply, SendOnce(bucket, session.access_jwt, call));
  if (TokenRejected(reply)) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("bluesky: the new session of ", AsAbsl(account),
                                         " was refused too: ", ErrorOf(reply).error));
  }
  return reply;
}

absl::StatusOr<BlueskyChannel::Session> BlueskyChannel::SessionFor(std::string_view account,
                                                                   absl::Time deadline) {
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(account); it != sessions_.end()) return it->second;
  }
  return RenewSession(account, "", deadline);
}

absl::StatusOr<BlueskyChannel::Session> BlueskyChannel::RenewSession(
    std::string_view account, const std::string& stale_access, absl::Time deadline) {
  std::lock_guard session_lock(session_mu_);
  std::optional<Session> cached;
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(account); it != sessions_.end()) cached = it->second;
  }
  if (cached && cached->access_jwt != stale_access) return *cached;  // renewed meanwhile
  std::optional<Session> renewed;
  if (cached && !cached->refresh_jwt.empty()) {
    ASSIGN_OR_RETURN(renewed, RefreshSession(account, *cached, deadline));
  }
  if (!renewed) {
    ASSIGN_OR_RETURN(Session created, CreateSession(account, deadline));
    renewed = std::move(created);
  }
  std::lock_guard lock(mu_);
  sessions_[std::string(account)] = *renewed;
  return *renewed;
}

namespace {

// What createSession signs in with: the handle (else the did) and the app password.
struct SignIn {
  std::string identifier;
  std::string password;
};

std::optional<SignIn> SignInOf(const Credential& credential) {
  SignIn sign_in{credential.Field("handle"), credential.Field("app_password")};
  if (sign_in.identifier.empty()) sign_in.identifier = credential.Field("did");
  if (sign_in.identifier.empty() || sign_in.password.empty()) return std::nullopt;
  return sign_in;
}

// createSession refused the credentials: 401 AuthenticationRequired (a wrong
// or revoked app password), or a 400 other than InvalidRequest
// (AccountTakedown, ...).
bool SignInRefused(const common::HttpReply& reply) {
  return reply.status == 401 || (reply.status == 400 && ErrorOf(reply).error != "InvalidRequest");
}

// A session answer (createSession, refreshSession). The configured did, when
// set, must be the session's: otherwise the app password is another account's.
absl::StatusOr<std::pair<std::string, std::string>> SessionIdentity(const json& body,
                                                                    const Credential& credential,
                                                                    std::string_view account) {
  std::string did = StringField(body, "did");
  std::string handle = StringField(body, "handle");
  if (did.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable, "bluesky: the session answer has no did");
  }
  std::string configured = credential.Field("did");
  if (!configured.empty() && configured != did) {
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("bluesky: the app password of ", AsAbsl(account),
                                         " belongs to another account (", did, ")"));
  }
  if (std::string configured_handle = credential.Field("handle"); !configured_handle.empty())
    handle = configured_handle;
  return std::make_pair(did, handle);
}

}  // namespace

absl::StatusOr<BlueskyChannel::Session> BlueskyChannel::CreateSession(std::string_view account,
                                                                      absl::Time deadline) {
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  std::optional<SignIn> sign_in = SignInOf(*credential);
  if (!sign_in) {
    return MakeChannelError(
        ChannelErrorKind::kAuthExpired,
        absl::StrCat("bluesky: ", AsAbsl(account), " has no handle and app password configured"));
  }
  ApiCall call;
  call.method = "POST";
  call.nsid = "com.atproto.server.createSession";
  call.body = Dump({{"identifier", sign_in->identifier}, {"password", sign_in->password}});
  call.deadline = deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, SendOnce(Bucket(account, "session"), "", call));
  if (SignInRefused(reply)) {
    // The PDS refused the app password: the credential source marks the
    // account disconnected, or hands out newer credentials (an operator's new
    // token file), with which createSession is tried once more. A refused
    // createSession made nothing.
    absl::StatusOr<Credential> refreshed = credentials_.Refresh(account, credential->access_token);
    if (!refreshed.ok()) return CredentialFailure(kNetwork, refreshed.status(), account);
    std::optional<SignIn> renewed = SignInOf(*refreshed);
    if (renewed &&
        !(renewed->identifier == sign_in->identifier && renewed->password == sign_in->password)) {
      credential = *std::move(refreshed);
      call.body = Dump({{"identifier", renewed->identifier}, {"password", renewed->password}});
      ASSIGN_OR_RETURN(reply, SendOnce(Bucket(account, "session"), "", call));
    }
  }
  if (SignInRefused(reply)) {
    // AuthenticationRequired (a wrong or revoked app password), AccountTakedown, ...
    return MakeChannelError(ChannelErrorKind::kAuthExpired,
                            absl::StrCat("bluesky: ", AsAbsl(account), " could not sign in (",
                                         ErrorOf(reply).error, "); renew its app password"));
  }
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  std::string access = body ? StringField(*body, "accessJwt") : "";
  if (access.empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "bluesky: the createSession answer has no accessJwt");
  }
  ASSIGN_OR_RETURN(auto identity, SessionIdentity(*body, *credential, account));
  return Session{access, StringField(*body, "refreshJwt"), identity.first, identity.second};
}

absl::StatusOr<std::optional<BlueskyChannel::Session>> BlueskyChannel::RefreshSession(
    std::string_view account, const Session& session, absl::Time deadline) {
  ApiCall call;
  call.method = "POST";
  call.nsid = "com.atproto.server.refreshSession";
  call.deadline = deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply,
                   SendOnce(Bucket(account, "session"), session.refresh_jwt, call));
  // A refused refresh token is no failure yet: a new session is created.
  if (reply.status == 400 || reply.status == 401) return std::nullopt;
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  absl::StatusOr<Credential> credential = credentials_.Get(account);
  if (!credential.ok()) return CredentialFailure(kNetwork, credential.status(), account);
  std::optional<json> body = ParseJson(reply.body);
  std::string access = body ? StringField(*body, "accessJwt") : "";
  if (access.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(auto identity, SessionIdentity(*body, *credential, account));
  return Session{access, StringField(*body, "refreshJwt"), identity.first, identity.second};
}

absl::StatusOr<std::optional<BlueskyChannel::PostRecord>> BlueskyChannel::GetRecord(
    std::string_view account, std::string_view uri, absl::Time deadline) {
  std::optional<AtUri> at = ParseAtUri(uri);
  if (!at) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("bluesky: not an at:// record URI: ", AsAbsl(uri)));
  }
  ApiCall call;
  call.nsid = "com.atproto.repo.getRecord";
  call.query = RecordQuery(at->repo, at->collection, at->rkey);
  call.deadline = deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status == 400 && ErrorOf(reply).error == "RecordNotFound") return std::nullopt;
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  if (!body || StringField(*body, "uri").empty() || !ObjectField(*body, "value").contains("text")) {
    return MakeChannelError(ChannelErrorKind::kRetryable, "bluesky: the record is unreadable");
  }
  const json& value = ObjectField(*body, "value");
  const json& reply_refs = ObjectField(value, "reply");
  PostRecord record;
  record.ref = {StringField(*body, "uri"), StringField(*body, "cid")};
  record.text = StringField(value, "text");
  record.created_at = ParseIsoTime(StringField(value, "createdAt"));
  record.reply_root = {StringField(ObjectField(reply_refs, "root"), "uri"),
                       StringField(ObjectField(reply_refs, "root"), "cid")};
  record.reply_parent = {StringField(ObjectField(reply_refs, "parent"), "uri"),
                         StringField(ObjectField(reply_refs, "parent"), "cid")};
  return record;
}

absl::StatusOr<std::string> BlueskyChannel::UploadImage(const PublishRequest& request,
                                                        size_t index) {
  const MediaRef& media = request.media[index];
  std::string what = absl::StrCat("bluesky: image ", index + 1);
  absl::StatusOr<FetchedMedia> image =
      FetchMedia(http_, clock_, media, index, kNetwork, options_.call_timeout, request.deadline);
  if (!image.ok()) return image.status();
  if (image->bytes.size() > kMaxImageBytes) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat(what, " is larger than Bluesky's 1,000,000 bytes"));
  }
  // An unreferenced blob is removed by the PDS: an upload is retried like a read.
  ApiCall call;
  call.method = "POST";
  call.nsid = "com.atproto.repo.uploadBlob";
  call.body = std::move(image->bytes);
  call.content_type = std::move(image->mime_type);
  call.deadline = request.deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(request.account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  if (!body || ObjectField(*body, "blob").empty()) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            absl::StrCat(what, ": the upload answer has no blob"));
  }
  return Dump(ObjectField(*body, "blob"));
}

absl::StatusOr<std::string> BlueskyChannel::CreateRecordBody(const PublishRequest& request,
                                                             const Session& session,
                                                             const std::string& rkey) {
  json record = {
      {"$type", kPostCollection},
      {"text", request.text},
      {"createdAt", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_.Now(), absl::UTCTimeZone())}};
  if (json facets = Facets(request.text); !facets.empty()) record["facets"] = std::move(facets);
  if (!options_.langs.empty()) record["langs"] = options_.langs;
  if (!request.in_reply_to.empty()) {
    ASSIGN_OR_RETURN(std::optional<PostRecord> parent,
                     GetRecord(request.account, request.in_reply_to, request.deadline));
    if (!parent) {
      return MakeChannelError(ChannelErrorKind::kPermanent,
                              "bluesky: the post replied to does not exist");
    }
    // A reply's root is its parent's root, or the parent itself when top-level.
    const StrongRef& root = parent->reply_root.uri.empty() ? parent->ref : parent->reply_root;
    record["reply"] = {{"root", RefJson(root.uri, root.cid)},
                       {"parent", RefJson(parent->ref.uri, parent->ref.cid)}};
  }
  if (request.media.size() > kMaxImages) {
    return MakeChannelError(ChannelErrorKind::kPermanent, "bluesky: a post takes at most 4 images");
  }
  json images = json::array();
  for (size_t i = 0; i < request.media.size(); ++i) {
    ASSIGN_OR_RETURN(std::string blob, UploadImage(request, i));
    images.push_back(
        {{"alt", request.media[i].alt_text}, {"image", json::parse(blob, nullptr, false)}});
  }
  if (!images.empty()) record["embed"] = {{"$type", "app.bsky.embed.images"}, {"images", images}};
  return Dump({{"repo", session.did},
               {"collection", kPostCollection},
               {"rkey", rkey},
               {"validate", true},
               {"record", std::move(record)}});
}

absl::StatusOr<Receipt> BlueskyChannel::Publish(const PublishRequest& request) {
  ASSIGN_OR_RETURN(Session session, SessionFor(request.account, request.deadline));
  std::string rkey = BlueskyRecordKey(request.idempotency_key);
  ApiCall call;
  call.method = "POST";
  call.nsid = "com.atproto.repo.createRecord";
  ASSIGN_OR_RETURN(call.body, CreateRecordBody(request, session, rkey));
  call.kind = CallKind::kCreate;
  call.deadline = request.deadline;
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(request.account, call));
  if (reply.status == 400 && ErrorOf(reply).error == "InvalidRequest") {
    // Among the validation refusals is "Record already exists": whether an
    // earlier attempt landed is read from the record itself, not the message.
    ASSIGN_OR_RETURN(std::optional<Receipt> existing, ExistingRecord(request, session, rkey));
    if (existing) return *existing;
  }
  if (reply.status >= 300) return Failure(reply, CallKind::kCreate);
  std::optional<json> body = ParseJson(reply.body);
  std::string uri = body ? StringField(*body, "uri") : "";
  if (uri.empty()) {
    return MakeChannelError(ChannelErrorKind::kOutcomeUnknown,
                            "bluesky: the record was created but the answer has no uri");
  }
  return Receipt{uri, PostUrl(session, rkey)};
}

absl::StatusOr<std::optional<Receipt>> BlueskyChannel::ExistingRecord(const PublishRequest& request,
                                                                      const Session& session,
                                                                      const std::string& rkey) {
  ASSIGN_OR_RETURN(std::optional<PostRecord> existing,
                   GetRecord(request.account, RecordUri(session.did, rkey), request.deadline));
  if (!existing) return std::nullopt;
  if (existing->text != request.text) {
    return MakeChannelError(ChannelErrorKind::kPermanent,
                            absl::StrCat("bluesky: duplicate record key ", rkey,
                                         " holds another text than ", request.idempotency_key));
  }
  return Receipt{existing->ref.uri, PostUrl(session, rkey)};
}

absl::StatusOr<std::optional<Receipt>> BlueskyChannel::FindPublished(const PublishRequest& request,
                                                                     absl::Time /*since*/) {
  ASSIGN_OR_RETURN(Session session, SessionFor(request.account, request.deadline));
  return ExistingRecord(request, session, BlueskyRecordKey(request.idempotency_key));
}

absl::Status BlueskyChannel::Delete(std::string_view account, std::string_view external_id) {
  std::optional<AtUri> at = ParseAtUri(external_id);
  ASSIGN_OR_RETURN(Session session, SessionFor(account, absl::InfiniteFuture()));
  if (!at || (at->repo != session.did && at->repo != session.handle)) {
    return MakeChannelError(
        ChannelErrorKind::kPermanent,
        absl::StrCat("bluesky: not a record of ", AsAbsl(account), ": ", AsAbsl(external_id)));
  }
  // deleteRecord succeeds on a missing record: look first, to report NOT_FOUND.
  ASSIGN_OR_RETURN(std::optional<PostRecord> existing,
                   GetRecord(account, external_id, absl::InfiniteFuture()));
  if (!existing)
    return absl::NotFoundError(absl::StrCat("bluesky: no record ", AsAbsl(external_id)));
  ApiCall call;
  call.method = "POST";
  call.nsid = "com.atproto.repo.deleteRecord";
  call.body = Dump({{"repo", session.did}, {"collection", at->collection}, {"rkey", at->rkey}});
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RemotePost>> BlueskyChannel::ListRecent(std::string_view account,
                                                                   absl::Time since, int limit) {
  if (limit <= 0) return std::vector<RemotePost>{};
  ASSIGN_OR_RETURN(Session session, SessionFor(account, absl::InfiniteFuture()));
  std::vector<RemotePost> posts;
  std::string cursor;
  for (int page = 0; page < options_.max_list_pages; ++page) {
    ApiCall call;
    call.nsid = "com.atproto.repo.listRecords";
    call.query = absl::StrCat("repo=", UrlEncode(session.did), "&collection=", kPostCollection,
                              "&limit=", kListPageSize);
    if (!cursor.empty()) absl::StrAppend(&call.query, "&cursor=", UrlEncode(cursor));
    ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
    if (reply.status >= 300) return Failure(reply, CallKind::kRead);
    std::optional<json> body = ParseJson(reply.body);
    if (!body || !body->is_object() || !body->contains("records") ||
        !(*body)["records"].is_array()) {
      return MakeChannelError(ChannelErrorKind::kRetryable, "bluesky: the records are unreadable");
    }
    for (const json& item : (*body)["records"]) {
      const json& value = ObjectField(item, "value");
      std::optional<absl::Time> created = ParseIsoTime(StringField(value, "createdAt"));
      std::optional<AtUri> at = ParseAtUri(StringField(item, "uri"));
      if (!created || !at || *created < since) continue;
      posts.push_back(RemotePost{
          StringField(item, "uri"), PostUrl(session, at->rkey), StringField(value, "text"),
          *created, StringField(ObjectField(ObjectField(value, "reply"), "parent"), "uri")});
    }
    cursor = StringField(*body, "cursor");
    if (cursor.empty() || (*body)["records"].empty()) break;
  }
  // Keys derived from hashes are not in time order: order by createdAt.
  std::stable_sort(posts.begin(), posts.end(), [](const RemotePost& a, const RemotePost& b) {
    return a.create_time > b.create_time;
  });
  if (posts.size() > static_cast<size_t>(limit)) posts.resize(static_cast<size_t>(limit));
  return posts;
}

absl::StatusOr<int64_t> BlueskyChannel::ReadFollowers(std::string_view account) {
  ASSIGN_OR_RETURN(Session session, SessionFor(account, absl::InfiniteFuture()));
  ApiCall call;
  call.nsid = "app.bsky.actor.getProfile";
  call.query = absl::StrCat("actor=", UrlEncode(session.did));
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> profile = ParseJson(reply.body);
  int64_t followers = profile ? CountField(*profile, "followersCount") : -1;
  if (followers < 0) {
    return MakeChannelError(ChannelErrorKind::kRetryable,
                            "bluesky: the profile has no followersCount");
  }
  return followers;
}

absl::StatusOr<Engagement> BlueskyChannel::ReadEngagement(std::string_view account,
                                                          std::string_view external_id) {
  ApiCall call;
  call.nsid = "app.bsky.feed.getPosts";
  call.query = absl::StrCat("uris=", UrlEncode(external_id));
  ASSIGN_OR_RETURN(common::HttpReply reply, Call(account, call));
  if (reply.status >= 300) return Failure(reply, CallKind::kRead);
  std::optional<json> body = ParseJson(reply.body);
  if (!body || !body->is_object() || !body->contains("posts") || !(*body)["posts"].is_array()) {
    return MakeChannelError(ChannelErrorKind::kRetryable, "bluesky: the posts are unreadable");
  }
  for (const json& post : (*body)["posts"]) {
    if (StringField(post, "uri") != external_id) continue;
    Engagement engagement;
    engagement.likes = CountField(post, "likeCount");
    int64_t reposts = CountField(post, "repostCount");
    int64_t quotes = CountField(post, "quoteCount");
    engagement.shares = reposts < 0 ? -1 : reposts + std::max<int64_t>(quotes, 0);
    engagement.replies = CountField(post, "replyCount");
    return engagement;
  }
  return absl::NotFoundError(absl::StrCat("bluesky: no post ", AsAbsl(external_id)));
}

}  // namespace carecast::publisher
