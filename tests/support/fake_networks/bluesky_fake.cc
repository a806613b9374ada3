#include "tests/support/fake_networks/bluesky_fake.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {
namespace {

using json = nlohmann::json;

constexpr char kSessionPath[] = "/xrpc/com.atproto.server.createSession";
// What TokenOf gives createSession, the one call made without a token.
constexpr char kSessionCall[] = "<createSession>";
constexpr char kPostCollection[] = "app.bsky.feed.post";
constexpr std::string_view kTidChars = "234567abcdefghijklmnopqrstuvwxyz";
constexpr size_t kMaxGraphemes = 300;

void AnswerJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void AnswerXrpcError(httplib::Response& res, int status, const std::string& error,
                     const std::string& message) {
  AnswerJson(res, status, json{{"error", error}, {"message", message}});
}

std::string StringOf(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& ObjectOf(const json& object, const char* name) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Attribute(const FakePost& post, const char* name) {
  auto it = post.attributes.find(name);
  return it == post.attributes.end() ? "" : it->second;
}

bool IsTid(std::string_view rkey) {
  return rkey.size() == 13 && kTidChars.substr(0, 16).find(rkey[0]) != std::string_view::npos &&
         std::all_of(rkey.begin(), rkey.end(),
                     [](char c) { return kTidChars.find(c) != std::string_view::npos; });
}

// Code points stand in for graphemes (the same for the texts tests send).
size_t Graphemes(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

int64_t CeilUnixSeconds(absl::Time t) {
  return absl::ToInt64Seconds(absl::Ceil(t - absl::UnixEpoch(), absl::Seconds(1)));
}

}  // namespace

BlueskyFake::BlueskyFake(BlueskyFakeSettings settings)
    : FakeNetworkServer("bluesky"),
      settings_(std::move(settings)),
      app_password_(settings_.app_password),
      policy_window_(settings_.rate_window) {
  AcceptToken(kSessionCall);
  FakeNetworkServer::SetRateLimit(settings_.rate_limit, settings_.rate_window);
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http().Post(kSessionPath, [this](Req req, Res res) { CreateSession(req, res); });
  http().Post("/xrpc/com.atproto.server.refreshSession",
              [this](Req req, Res res) { RefreshSession(req, res); });
  http().Post("/xrpc/com.atproto.repo.createRecord",
              [this](Req req, Res res) { CreateRecord(req, res); });
  http().Get("/xrpc/com.atproto.repo.getRecord", [this](Req req, Res res) { GetRecord(req, res); });
  http().Post("/xrpc/com.atproto.repo.deleteRecord",
              [this](Req req, Res res) { DeleteRecord(req, res); });
  http().Get("/xrpc/com.atproto.repo.listRecords",
             [this](Req req, Res res) { ListRecords(req, res); });
  http().Post("/xrpc/com.atproto.repo.uploadBlob",
              [this](Req req, Res res) { UploadBlob(req, res); });
  http().Get("/xrpc/app.bsky.feed.getPosts", [this](Req req, Res res) { GetPosts(req, res); });
  http().Get("/xrpc/app.bsky.actor.getProfile", [this](Req req, Res res) { GetProfile(req, res); });
}

// Handlers read this object's members: the server must stop before they go.
BlueskyFake::~BlueskyFake() { Stop(); }

void BlueskyFake::SetRateLimit(int64_t limit, absl::Duration window) {
  {
    std::lock_guard lock(fake_mu_);
    policy_window_ = window;
  }
  FakeNetworkServer::SetRateLimit(limit, window);
}

void BlueskyFake::ExpireAccessTokens() {
  std::set<std::string> tokens;
  {
    std::lock_guard lock(fake_mu_);
    tokens = access_tokens_;
  }
  for (const std::string& token : tokens) RevokeToken(token);
}

void BlueskyFake::ExpireRefreshTokens() {
  std::set<std::string> tokens;
  {
    std::lock_guard lock(fake_mu_);
    tokens = refresh_tokens_;
  }
  for (const std::string& token : tokens) RevokeToken(token);
}

void BlueskyFake::set_app_password(const std::string& password) {
  std::lock_guard lock(fake_mu_);
  app_password_ = password;
}

std::string BlueskyFake::RecordUri(const std::string& rkey) const {
  return absl::StrCat("at://", settings_.did, "/", kPostCollection, "/", rkey);
}

std::string BlueskyFake::AddRecord(const std::string& rkey, const std::string& text,
                                   const std::string& reply_root_uri,
                                   const std::string& reply_parent_uri) {
  absl::Time now = absl::Now();
  json record = {{"$type", kPostCollection},
                 {"text", text},
                 {"createdAt", absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone())}};
  FakePost post;
  post.id = RecordUri(rkey);
  post.author = settings_.did;
  post.text = text;
  post.create_time = now;
  post.attributes["rkey"] = rkey;
  post.attributes["cid"] = absl::StrCat("bafyreiexisting", rkey);
  if (!reply_parent_uri.empty()) {
    std::optional<FakePost> root = LiveRecord(reply_root_uri);
    std::optional<FakePost> parent = LiveRecord(reply_parent_uri);
    record["reply"] = {
        {"root", {{"uri", reply_root_uri}, {"cid", root ? root->attributes["cid"] : ""}}},
        {"parent", {{"uri", reply_parent_uri}, {"cid", parent ? parent->attributes["cid"] : ""}}}};
    post.in_reply_to = reply_parent_uri;
  }
  post.attributes["record"] = Dump(record);
  return AddExistingPost(std::move(post));
}

int64_t BlueskyFake::sessions_created() const {
  std::lock_guard lock(fake_mu_);
  return sessions_created_;
}

int64_t BlueskyFake::sessions_refreshed() const {
  std::lock_guard lock(fake_mu_);
  return sessions_refreshed_;
}

int64_t BlueskyFake::existing_record_refusals() const {
  std::lock_guard lock(fake_mu_);
  return existing_refusals_;
}

std::string BlueskyFake::RecordJson(const std::string& uri) const {
  std::optional<FakePost> post = LiveRecord(uri);
  return post ? post->attributes["record"] : "";
}

std::optional<FakePost> BlueskyFake::LiveRecord(const std::string& uri) const {
  std::optional<FakePost> found;
  for (FakePost& post : posts()) {
    if (post.id == uri && !post.deleted) found = std::move(post);
  }
  return found;
}

std::string BlueskyFake::TokenOf(const httplib::Request& req) const {
  if (req.path == kSessionPath) return kSessionCall;
  return FakeNetworkServer::TokenOf(req);
}

bool BlueskyFake::AdmitWithAccess(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return false;
  std::lock_guard lock(fake_mu_);
  if (access_tokens_.count(FakeNetworkServer::TokenOf(req)) > 0) return true;
  AnswerXrpcError(res, 400, "InvalidToken", "Bad token scope");
  return false;
}

void BlueskyFake::AnswerSession(httplib::Response& res) {
  std::string access;
  std::string refresh;
  {
    std::lock_guard lock(fake_mu_);
    int64_t n = next_token_++;
    access = absl::StrCat("fake-access-jwt-", n);
    refresh = absl::StrCat("fake-refresh-jwt-", n);
    access_tokens_.insert(access);
    refresh_tokens_.insert(refresh);
  }
  AcceptToken(access);
  AcceptToken(refresh);
  AnswerJson(res, 200,
             json{{"accessJwt", access},
                  {"refreshJwt", refresh},
                  {"handle", settings_.handle},
                  {"did", settings_.did},
                  {"active", true}});
}

void BlueskyFake::CreateSession(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  std::string identifier = StringOf(body, "identifier");
  std::string password = StringOf(body, "password");
  if (identifier.empty() || password.empty())
    return AnswerXrpcError(res, 400, "InvalidRequest", "Input must have identifier and password");
  {
    std::lock_guard lock(fake_mu_);
    if ((identifier != settings_.handle && identifier != settings_.did) ||
        password != app_password_) {
      return AnswerXrpcError(res, 401, "AuthenticationRequired", "Invalid identifier or password");
    }
    ++sessions_created_;
  }
  AnswerSession(res);
}

void BlueskyFake::RefreshSession(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string token = FakeNetworkServer::TokenOf(req);
  {
    std::lock_guard lock(fake_mu_);
    if (refresh_tokens_.count(token) == 0)
      return AnswerXrpcError(res, 400, "InvalidToken", "Invalid token type");
    refresh_tokens_.erase(token);
    ++sessions_refreshed_;
  }
  RevokeToken(token);  // refresh tokens are single-use: rotated
  AnswerSession(res);
}

bool BlueskyFake::RefuseRecord(const std::string& repo, const std::string& collection,
                               const std::string& rkey, const std::string& record_json,
                               httplib::Response& res) const {
  json record = json::parse(record_json, nullptr, false);
  std::string invalid = "Invalid app.bsky.feed.post record: ";
  if (repo != settings_.did && repo != settings_.handle) {
    AnswerXrpcError(res, 400, "InvalidRequest", absl::StrCat("Could not find repo: ", repo));
  } else if (collection != kPostCollection) {
    AnswerXrpcError(res, 400, "InvalidRequest", "Unsupported collection");
  } else if (!IsTid(rkey)) {
    AnswerXrpcError(res, 400, "InvalidRequest", absl::StrCat("Invalid record key: ", rkey));
  } else if (StringOf(record, "$type") != kPostCollection || !record.contains("text") ||
             !record["text"].is_string()) {
    AnswerXrpcError(res, 400, "InvalidRequest", absl::StrCat(invalid, "Record/text is required"));
  } else if (Graphemes(record["text"].get<std::string>()) > kMaxGraphemes) {
    AnswerXrpcError(res, 400, "InvalidRequest",
                    absl::StrCat(invalid, "Record/text must not be longer than 300 graphemes"));
  } else {
    absl::Time created;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, StringOf(record, "createdAt"), &created, &err))
      return false;
    AnswerXrpcError(res, 400, "InvalidRequest",
                    absl::StrCat(invalid, "Record/createdAt must be an valid atproto datetime"));
  }
  return true;
}

void BlueskyFake::CreateRecord(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitWithAccess(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("record") ||
      !body["record"].is_object())
    return AnswerXrpcError(res, 400, "InvalidRequest", "Input must have the property \"record\"");
  std::string rkey = StringOf(body, "rkey");
  std::string record = Dump(body["record"]);
  if (RefuseRecord(StringOf(body, "repo"), StringOf(body, "collection"), rkey, record, res)) return;
  std::string uri = RecordUri(rkey);
  std::string cid;
  {
    std::unique_lock write(repo_write_mu_);
    if (LiveRecord(uri)) {
      std::lock_guard lock(fake_mu_);
      ++existing_refusals_;
      return AnswerDuplicate(res);
    }
    if (!BeginCreate(res)) return;
    {
      std::lock_guard lock(fake_mu_);
      cid = absl::StrCat("bafyreifakecid", next_cid_++);
    }
    FakePost post;
    post.id = uri;
    post.author = settings_.did;
    post.text = body["record"]["text"].get<std::string>();
    post.in_reply_to = StringOf(ObjectOf(ObjectOf(body["record"], "reply"), "parent"), "uri");
    post.attributes["rkey"] = rkey;
    post.attributes["cid"] = cid;
    post.attributes["record"] = record;
    Commit(std::move(post));
  }
  AnswerJson(res, 200,
             json{{"uri", uri},
                  {"cid", cid},
                  {"commit", {{"cid", absl::StrCat(cid, "c")}, {"rev", "3lfakerev22222"}}},
                  {"validationStatus", "valid"}});
  FinishCreate(res);
}

void BlueskyFake::GetRecord(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string repo = req.get_param_value("repo");
  std::string collection = req.get_param_value("collection");
  std::string rkey = req.get_param_value("rkey");
  std::string uri = absl::StrCat("at://", repo, "/", collection, "/", rkey);
  std::optional<FakePost> post;
  if (repo == settings_.did || repo == settings_.handle) post = LiveRecord(RecordUri(rkey));
  if (!post || collection != kPostCollection)
    return AnswerXrpcError(res, 400, "RecordNotFound",
                           absl::StrCat("Could not locate record: ", uri));
  AnswerJson(res, 200,
             json{{"uri", post->id},
                  {"cid", post->attributes["cid"]},
                  {"value", json::parse(post->attributes["record"], nullptr, false)}});
}

void BlueskyFake::DeleteRecord(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitWithAccess(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  std::string repo = StringOf(body, "repo");
  if (repo != settings_.did && repo != settings_.handle)
    return AnswerXrpcError(res, 400, "InvalidRequest", absl::StrCat("Could not find repo: ", repo));
  std::string uri = RecordUri(StringOf(body, "rkey"));
  {
    std::lock_guard write(repo_write_mu_);
    if (StringOf(body, "collection") == kPostCollection && LiveRecord(uri)) MarkDeleted(uri);
  }
  AnswerJson(res, 200, json{{"commit", {{"cid", "bafyreifakedelete"}, {"rev", "3lfakerev33333"}}}});
}

void BlueskyFake::ListRecords(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  int64_t limit = 50;
  if (req.has_param("limit") && !absl::SimpleAtoi(req.get_param_value("limit"), &limit))
    return AnswerXrpcError(res, 400, "InvalidRequest", "limit must be an integer");
  limit = std::clamp<int64_t>(limit, 1, 100);
  std::string cursor = req.get_param_value("cursor");
  std::string repo = req.get_param_value("repo");
  std::vector<FakePost> records;
  bool ours = (repo == settings_.did || repo == settings_.handle) &&
              req.get_param_value("collection") == kPostCollection;
  for (FakePost& post : posts()) {
    std::string rkey = Attribute(post, "rkey");
    if (!ours || post.deleted || rkey.empty() || (!cursor.empty() && rkey >= cursor)) continue;
    records.push_back(std::move(post));
  }
  std::sort(records.begin(), records.end(), [](const FakePost& a, const FakePost& b) {
    return Attribute(a, "rkey") > Attribute(b, "rkey");
  });
  if (records.size() > static_cast<size_t>(limit)) records.resize(static_cast<size_t>(limit));
  json list = json::array();
  for (const FakePost& post : records) {
    list.push_back({{"uri", post.id},
                    {"cid", Attribute(post, "cid")},
                    {"value", json::parse(Attribute(post, "record"), nullptr, false)}});
  }
  json answer = {{"records", list}};
  if (records.size() == static_cast<size_t>(limit))
    answer["cursor"] = Attribute(records.back(), "rkey");
  AnswerJson(res, 200, answer);
}

void BlueskyFake::UploadBlob(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitWithAccess(req, res)) return;
  if (req.body.empty()) return AnswerXrpcError(res, 400, "InvalidRequest", "Request body is empty");
  int64_t n = 0;
  {
    std::lock_guard lock(fake_mu_);
    n = next_cid_++;
  }
  AnswerJson(res, 200,
             json{{"blob",
                   {{"$type", "blob"},
                    {"ref", {{"$link", absl::StrCat("bafkreifakeblob", n)}}},
                    {"mimeType", req.get_header_value("Content-Type")},
                    {"size", req.body.size()}}}});
}

void BlueskyFake::GetPosts(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitWithAccess(req, res) || !BeginRead(res)) return;
  json views = json::array();
  for (size_t i = 0; i < req.get_param_value_count("uris"); ++i) {
    std::optional<FakePost> post = LiveRecord(req.get_param_value("uris", i));
    if (!post) continue;  // the AppView leaves out posts it does not have
    views.push_back({{"uri", post->id},
                     {"cid", post->attributes["cid"]},
                     {"author", {{"did", settings_.did}, {"handle", settings_.handle}}},
                     {"record", json::parse(post->attributes["record"], nullptr, false)},
                     {"quoteCount", 0},
                     {"indexedAt", absl::FormatTime(absl::RFC3339_full, post->create_time,
                                                    absl::UTCTimeZone())}});
    // The counts are optional in the lexicon: a negative one is left out.
    for (const auto& [name, count] : {std::pair{"replyCount", post->engagement.replies},
                                      std::pair{"repostCount", post->engagement.shares},
                                      std::pair{"likeCount", post->engagement.likes}}) {
      if (count >= 0) views.back()[name] = count;
    }
  }
  AnswerJson(res, 200, json{{"posts", views}});
}

void BlueskyFake::GetProfile(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitWithAccess(req, res) || !BeginRead(res)) return;
  std::string actor = req.get_param_value("actor");
  if (actor != settings_.did && actor != settings_.handle)
    return AnswerXrpcError(res, 400, "InvalidRequest", "Profile not found");
  AnswerJson(res, 200,
             json{{"did", settings_.did},
                  {"handle", settings_.handle},
                  {"followersCount", ServeFollowers(settings_.did)},
                  {"followsCount", 0},
                  {"postsCount", static_cast<int64_t>(live_posts())}});
}

void BlueskyFake::AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const {
  AddRateHeaders(res, limit, 0, reset);
  AnswerXrpcError(res, 429, "RateLimitExceeded", "Rate Limit Exceeded");
}

void BlueskyFake::AnswerTokenExpired(httplib::Response& res) const {
  AnswerXrpcError(res, 400, "ExpiredToken", "Token has expired");
}

void BlueskyFake::AnswerDuplicate(httplib::Response& res) const {
  AnswerXrpcError(res, 400, "InvalidRequest", "Record already exists");
}

void BlueskyFake::AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                                 absl::Time reset) const {
  // A refusal after Admit replaces the headers Admit added (one value each).
  for (const char* name :
       {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"})
    res.headers.erase(name);
  absl::Duration window;
  {
    std::lock_guard lock(fake_mu_);
    window = policy_window_;
  }
  res.set_header("RateLimit-Limit", absl::StrCat(limit));
  res.set_header("RateLimit-Remaining", absl::StrCat(remaining));
  // Rounded up: a client that waits until then finds the window renewed.
  res.set_header("RateLimit-Reset", absl::StrCat(CeilUnixSeconds(reset)));
  res.set_header("RateLimit-Policy", absl::StrCat(limit, ";w=", absl::ToInt64Seconds(window)));
}

}  // namespace carecast::testing
