#include "tests/support/fake_networks/linkedin_fake.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";

const json* Member(const json& value, const char* key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

std::string StringMember(const json& value, const char* key) {
  const json* member = Member(value, key);
  return member != nullptr && member->is_string() ? member->get<std::string>() : std::string();
}

void Error(httplib::Response& res, int status, const std::string& message,
           const std::string& code = "") {
  res.status = status;
  json body = {{"status", status}, {"message", message}};
  if (!code.empty()) body["code"] = code;
  res.set_content(body.dump(), kJson);
}

bool IsVersion(const std::string& value) {
  return value.size() == 6 && std::all_of(value.begin(), value.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c));
         });
}

int ParamInt(const httplib::Request& req, const char* name, int fallback) {
  int value = fallback;
  if (req.has_param(name) && !absl::SimpleAtoi(req.get_param_value(name), &value)) return -1;
  return value;
}

bool IsComment(const FakePost& post) {
  auto it = post.attributes.find("kind");
  return it != post.attributes.end() && it->second == "comment";
}

json PostJson(const FakePost& post) {
  int64_t millis = absl::ToUnixMillis(post.create_time);
  return {{"id", post.id},
          {"author", post.author},
          {"commentary", post.text},
          {"visibility", "PUBLIC"},
          {"distribution",
           {{"feedDistribution", "MAIN_FEED"},
            {"targetEntities", json::array()},
            {"thirdPartyDistributionChannels", json::array()}}},
          {"lifecycleState", "PUBLISHED"},
          {"isReshareDisabledByAuthor", false},
          {"createdAt", millis},
          {"publishedAt", millis},
          {"lastModifiedAt", millis}};
}

json CommentJson(const FakePost& comment) {
  int64_t millis = absl::ToUnixMillis(comment.create_time);
  json body = {{"$URN", comment.id},
               {"id", comment.attributes.at("comment_id")},
               {"actor", comment.author},
               {"object", comment.attributes.at("object")},
               {"message", {{"text", comment.text}}},
               {"created", {{"actor", comment.author}, {"time", millis}}},
               {"lastModified", {{"actor", comment.author}, {"time", millis}}}};
  auto parent = comment.attributes.find("parent_comment");
  if (parent != comment.attributes.end()) body["parentComment"] = parent->second;
  return body;
}

// The entries of `all` that `select` keeps, newest first, sliced by count/start.
json Slice(std::vector<FakePost> all, const std::function<bool(const FakePost&)>& select,
           const std::function<json(const FakePost&)>& render, int start, int count) {
  std::vector<FakePost> kept;
  for (FakePost& post : all) {
    if (select(post)) kept.push_back(std::move(post));
  }
  std::reverse(kept.begin(), kept.end());
  std::stable_sort(kept.begin(), kept.end(), [](const FakePost& a, const FakePost& b) {
    return a.create_time > b.create_time;
  });
  json elements = json::array();
  size_t end = static_cast<size_t>(start) + static_cast<size_t>(count);
  for (size_t i = start; i < kept.size() && i < end; ++i) elements.push_back(render(kept[i]));
  return {{"elements", elements},
          {"paging",
           {{"start", start}, {"count", count}, {"total", kept.size()}, {"links", json::array()}}}};
}

}  // namespace

LinkedInFake::LinkedInFake(LinkedInFakeOptions options)
    : FakeNetworkServer("linkedin"), options_(std::move(options)) {
  using Handler = void (LinkedInFake::*)(const httplib::Request&, httplib::Response&);
  auto bind = [this](Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      (this->*handler)(req, res);
    };
  };
  http().Post("/rest/posts", bind(&LinkedInFake::HandleCreatePost));
  http().Get("/rest/posts", bind(&LinkedInFake::HandleFindPosts));
  http().Delete(R"(/rest/posts/([^/]+))", bind(&LinkedInFake::HandleDeletePost));
  http().Post(R"(/rest/socialActions/([^/]+)/comments)", bind(&LinkedInFake::HandleCreateComment));
  http().Get(R"(/rest/socialActions/([^/]+)/comments)", bind(&LinkedInFake::HandleListComments));
  http().Delete(R"(/rest/socialActions/([^/]+)/comments/([^/]+))",
                bind(&LinkedInFake::HandleDeleteComment));
  http().Get(R"(/rest/socialActions/([^/]+))", bind(&LinkedInFake::HandleSocialActions));
  http().Get(R"(/rest/networkSizes/([^/]+))", bind(&LinkedInFake::HandleNetworkSize));
  http().Get("/rest/organizationalEntityShareStatistics",
             bind(&LinkedInFake::HandleShareStatistics));
  http().Post("/rest/images", bind(&LinkedInFake::HandleInitializeUpload));
  http().Put(R"(/dms-uploads/([0-9]+))", bind(&LinkedInFake::HandleUploadBytes));
}

void LinkedInFake::FailNextUpload(int status) {
  std::lock_guard lock(authors_mu_);
  fail_next_upload_ = status;
}

int64_t LinkedInFake::uploads_accepted() const {
  std::lock_guard lock(authors_mu_);
  return uploads_;
}

void LinkedInFake::HandleInitializeUpload(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  if (req.get_param_value("action") != "initializeUpload") {
    Error(res, 400, "Unsupported action", "ILLEGAL_ARGUMENT");
    return;
  }
  json body = json::parse(req.body, nullptr, false);
  const json* request = Member(body, "initializeUploadRequest");
  std::string owner = request != nullptr ? StringMember(*request, "owner") : std::string();
  if (owner.empty()) {
    Error(res, 422, "/initializeUploadRequest/owner is required");
    return;
  }
  if (owner != AuthorOf(req)) {
    Error(res, 403, "Not enough permissions to access: images.ACTION.initializeUpload",
          "ACCESS_DENIED");
    return;
  }
  int64_t id = next_id_++;
  {
    std::lock_guard lock(authors_mu_);
    if (int status = std::exchange(fail_next_upload_, 0); status != 0) {
      AnswerServerError(res, status);
      return;
    }
    images_[absl::StrCat("urn:li:image:C4E", id)] = false;
  }
  json value = {{"uploadUrlExpiresAt", absl::ToUnixMillis(absl::Now() + absl::Hours(24))},
                {"uploadUrl", absl::StrCat(base_url(), "/dms-uploads/", id)},
                {"image", absl::StrCat("urn:li:image:C4E", id)}};
  res.status = 200;
  res.set_content(json{{"value", value}}.dump(), kJson);
}

void LinkedInFake::HandleUploadBytes(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string urn = absl::StrCat("urn:li:image:C4E", req.matches[1].str());
  std::lock_guard lock(authors_mu_);
  auto it = images_.find(urn);
  if (it == images_.end()) {
    Error(res, 404, "Upload URL not found", "NOT_FOUND");
    return;
  }
  if (req.body.empty()) {
    Error(res, 400, "The upload has no content");
    return;
  }
  it->second = true;
  ++uploads_;
  res.status = 201;
}

bool LinkedInFake::ReadImages(const json& body, bool comment, std::vector<std::string>& ids,
                              std::vector<std::string>& alt_texts, httplib::Response& res) const {
  const json* content = Member(body, "content");
  if (content == nullptr) return true;
  if (comment) {
    if (!content->is_array() || content->size() != 1) {
      Error(res, 422, "/content must hold one entity");
      return false;
    }
    const json* entity = Member(content->front(), "entity");
    ids.push_back(entity != nullptr ? StringMember(*entity, "image") : std::string());
    alt_texts.push_back("");
  } else if (const json* media = Member(*content, "media"); media != nullptr) {
    ids.push_back(StringMember(*media, "id"));
    alt_texts.push_back(StringMember(*media, "altText"));
  } else if (const json* multi = Member(*content, "multiImage"); multi != nullptr) {
    const json* images = Member(*multi, "images");
    if (images == nullptr || !images->is_array() || images->size() < 2 || images->size() > 20) {
      Error(res, 422, "/content/multiImage/images must hold 2 to 20 images");
      return false;
    }
    for (const json& image : *images) {
      ids.push_back(StringMember(image, "id"));
      alt_texts.push_back(StringMember(image, "altText"));
    }
  } else {
    Error(res, 422, "/content: unsupported content type");
    return false;
  }
  std::lock_guard lock(authors_mu_);
  for (const std::string& id : ids) {
    auto it = images_.find(id);
    if (it == images_.end() || !it->second) {
      Error(res, 400, absl::StrCat("Image ", id.empty() ? "(none)" : id, " is not AVAILABLE"),
            "INVALID_CONTENT");
      return false;
    }
  }
  return true;
}

void LinkedInFake::SetAuthor(const std::string& token, const std::string& author_urn) {
  std::lock_guard lock(authors_mu_);
  authors_[token] = author_urn;
}

std::string LinkedInFake::AuthorOf(const httplib::Request& req) const {
  std::lock_guard lock(authors_mu_);
  auto it = authors_.find(TokenOf(req));
  return it == authors_.end() ? options_.default_author : it->second;
}

std::optional<FakePost> LinkedInFake::LivePost(const std::string& urn) const {
  std::optional<FakePost> post = FindPost(urn);
  if (!post || post->deleted) return std::nullopt;
  return post;
}

std::optional<std::string> LinkedInFake::DuplicateOf(const std::string& author,
                                                     const std::string& commentary) const {
  absl::Time since = absl::Now() - options_.duplicate_window;
  for (const FakePost& post : posts()) {
    if (!post.deleted && !IsComment(post) && post.author == author && post.text == commentary &&
        post.create_time >= since)
      return post.id;
  }
  return std::nullopt;
}

bool LinkedInFake::AdmitVersioned(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return false;
  std::string version = req.get_header_value("LinkedIn-Version");
  if (version.empty()) {
    Error(res, 400,
          "A version must be present. Please specify a version by adding the LinkedIn-Version "
          "header.",
          "VERSION_MISSING");
    return false;
  }
  if (!IsVersion(version) || version < options_.oldest_active_version ||
      version > options_.newest_active_version) {
    Error(res, 426, absl::StrCat("Requested version ", version, " is not active"),
          "NONEXISTENT_VERSION");
    return false;
  }
  if (req.get_header_value("X-Restli-Protocol-Version") != "2.0.0") {
    Error(res, 400, "This endpoint requires X-Restli-Protocol-Version 2.0.0");
    return false;
  }
  return true;
}

void LinkedInFake::HandleCreatePost(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  std::string author = StringMember(body, "author");
  std::string commentary = StringMember(body, "commentary");
  if (author.empty() || commentary.empty() || StringMember(body, "visibility").empty() ||
      Member(body, "distribution") == nullptr || StringMember(body, "lifecycleState").empty()) {
    Error(res, 422,
          "/author, /commentary, /visibility, /distribution and /lifecycleState are required");
    return;
  }
  if (author != AuthorOf(req)) {
    Error(res, 403, "Not enough permissions to access: partnerApiPostsExternal.CREATE",
          "ACCESS_DENIED");
    return;
  }
  std::vector<std::string> image_ids;
  std::vector<std::string> alt_texts;
  if (!ReadImages(body, /*comment=*/false, image_ids, alt_texts, res)) return;
  if (!BeginCreate(res)) return;
  // Checked after BeginCreate so a held create meets the posts made meanwhile.
  if (std::optional<std::string> original = DuplicateOf(author, commentary)) {
    Error(res, 422, absl::StrCat("Content is a duplicate of ", *original));
    return;
  }
  FakePost post;
  post.id = absl::StrCat("urn:li:share:", next_id_++);
  post.author = author;
  post.text = commentary;
  post.attributes["kind"] = "post";
  if (!image_ids.empty()) {
    post.attributes["image_ids"] = absl::StrJoin(image_ids, ",");
    post.attributes["alt_texts"] = json(alt_texts).dump();
  }
  std::string urn = Commit(post);
  res.status = 201;
  res.set_header("x-restli-id", urn);
  FinishCreate(res);
}

void LinkedInFake::HandleFindPosts(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  int count = ParamInt(req, "count", 10);
  int start = ParamInt(req, "start", 0);
  std::string sort = req.get_param_value("sortBy");
  if (req.get_param_value("q") != "author" || !req.has_param("author") || count < 1 ||
      count > 100 || start < 0 || (!sort.empty() && sort != "LAST_MODIFIED" && sort != "CREATED")) {
    Error(res, 400, "q=author, author, count 1..100, start >= 0 and sortBy LAST_MODIFIED|CREATED");
    return;
  }
  std::string author = req.get_param_value("author");
  json answer = Slice(
      posts(),
      [&](const FakePost& post) {
        return !post.deleted && !IsComment(post) && post.author == author;
      },
      PostJson, start, count);
  res.status = 200;
  res.set_content(answer.dump(), kJson);
}

void LinkedInFake::HandleDeletePost(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  const std::string urn = req.matches[1];
  std::optional<FakePost> post = LivePost(urn);
  if (!post || IsComment(*post)) {
    Error(res, 404, absl::StrCat("Post ", urn, " not found"), "NOT_FOUND");
    return;
  }
  if (post->author != AuthorOf(req)) {
    Error(res, 403, "Not enough permissions to delete this post", "ACCESS_DENIED");
    return;
  }
  MarkDeleted(urn);
  res.status = 204;
}

void LinkedInFake::HandleCreateComment(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  const std::string target = req.matches[1];
  json body = json::parse(req.body, nullptr, false);
  std::string actor = StringMember(body, "actor");
  std::string object = StringMember(body, "object");
  const json* message = Member(body, "message");
  std::string text = message != nullptr ? StringMember(*message, "text") : std::string();
  std::string parent = StringMember(body, "parentComment");
  if (actor.empty() || object.empty() || text.empty()) {
    Error(res, 422, "/actor, /object and /message/text are required");
    return;
  }
  std::optional<FakePost> on = LivePost(target);
  bool nested = on && IsComment(*on);
  if (!on || !LivePost(object) || (nested ? parent != target : target != object)) {
    Error(res, 404, absl::StrCat("Entity ", target, " not found"), "NOT_FOUND");
    return;
  }
  if (actor != AuthorOf(req)) {
    Error(res, 403, "Not enough permissions to comment as this actor", "ACCESS_DENIED");
    return;
  }
  std::vector<std::string> image_ids;
  std::vector<std::string> alt_texts;
  if (!ReadImages(body, /*comment=*/true, image_ids, alt_texts, res)) return;
  if (!BeginCreate(res)) return;
  std::string comment_id = absl::StrCat(next_id_++);
  FakePost comment;
  comment.id = absl::StrCat("urn:li:comment:(", object, ",", comment_id, ")");
  comment.author = actor;
  comment.text = text;
  comment.in_reply_to = nested ? parent : object;
  comment.attributes = {{"kind", "comment"}, {"object", object}, {"comment_id", comment_id}};
  if (nested) comment.attributes["parent_comment"] = parent;
  if (!image_ids.empty()) comment.attributes["image_ids"] = absl::StrJoin(image_ids, ",");
  comment.create_time = absl::Now();
  Commit(comment);
  res.status = 201;
  res.set_header("x-restli-id", comment.id);
  res.set_content(CommentJson(comment).dump(), kJson);
  FinishCreate(res);
}

void LinkedInFake::HandleListComments(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  const std::string target = req.matches[1];
  int count = ParamInt(req, "count", 10);
  int start = ParamInt(req, "start", 0);
  if (count < 1 || count > 100 || start < 0) {
    Error(res, 400, "count 1..100 and start >= 0");
    return;
  }
  if (!LivePost(target)) {
    Error(res, 404, absl::StrCat("Entity ", target, " not found"), "NOT_FOUND");
    return;
  }
  json answer = Slice(
      posts(),
      [&](const FakePost& post) {
        return !post.deleted && IsComment(post) && post.in_reply_to == target;
      },
      CommentJson, start, count);
  res.status = 200;
  res.set_content(answer.dump(), kJson);
}

void LinkedInFake::HandleDeleteComment(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res)) return;
  const std::string urn = absl::StrCat("urn:li:comment:(", std::string(req.matches[1]), ",",
                                       std::string(req.matches[2]), ")");
  std::optional<FakePost> comment = LivePost(urn);
  if (!comment || !IsComment(*comment)) {
    Error(res, 404, absl::StrCat("Comment ", urn, " not found"), "NOT_FOUND");
    return;
  }
  if (req.get_param_value("actor") != comment->author) {
    Error(res, 403, "Only the comment's actor can delete it", "ACCESS_DENIED");
    return;
  }
  MarkDeleted(urn);
  res.status = 204;
}

void LinkedInFake::HandleSocialActions(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res) || !BeginRead(res)) return;
  const std::string urn = req.matches[1];
  std::optional<FakePost> post = LivePost(urn);
  if (!post) {
    Error(res, 404, absl::StrCat("Entity ", urn, " not found"), "NOT_FOUND");
    return;
  }
  int64_t comments = 0;
  for (const FakePost& other : posts()) {
    if (!other.deleted && IsComment(other) && other.attributes.at("object") == urn) ++comments;
  }
  json answer = {{"target", urn}};
  // A negative count leaves its summary out (not reported).
  if (post->engagement.likes >= 0) {
    answer["likesSummary"] = {{"totalLikes", post->engagement.likes},
                              {"aggregatedTotalLikes", post->engagement.likes},
                              {"likedByCurrentUser", false}};
  }
  if (post->engagement.replies >= 0) {
    answer["commentsSummary"] = {{"totalFirstLevelComments", comments},
                                 {"aggregatedTotalComments", comments + post->engagement.replies}};
  }
  res.status = 200;
  res.set_content(answer.dump(), kJson);
}

void LinkedInFake::HandleNetworkSize(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitVersioned(req, res) || !BeginRead(res)) return;
  const std::string urn = req.matches[1];
  if (!absl::StartsWith(urn, "urn:li:organization:") ||
      req.get_param_value("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER") {
    Error(res, 400, "Invalid edgeType or entity for networkSizes");
    return;
  }
  res.status = 200;
  res.set_content(json{{"firstDegreeSize", ServeFollowers(urn)}}.dump(), kJson);
}

void LinkedInFake::SetShareStatistics(const std::string& urn,
                                      std::optional<FakeEngagement> statistics) {
  std::lock_guard lock(authors_mu_);
  statistics_[urn] = statistics;
}

void LinkedInFake::DenyShareStatistics(const std::string& token) {
  std::lock_guard lock(authors_mu_);
  statistics_denied_.insert(token);
}

void LinkedInFake::QueueStatisticsFault(FakeFault fault) {
  std::lock_guard lock(authors_mu_);
  statistics_faults_.push_back(fault);
}

int64_t LinkedInFake::statistics_requests() const {
  std::lock_guard lock(authors_mu_);
  return statistics_requests_;
}

std::optional<json> LinkedInFake::StatisticsOf(const std::string& organization,
                                               const std::string& urn, const char* key) const {
  std::optional<FakePost> post = LivePost(urn);
  if (!post || IsComment(*post) || post->author != organization ||
      post->create_time < absl::Now() - absl::Hours(24 * 365))
    return std::nullopt;
  FakeEngagement figures = post->engagement;
  {
    std::lock_guard lock(authors_mu_);
    auto it = statistics_.find(urn);
    if (it != statistics_.end()) {
      if (!it->second) return std::nullopt;
      figures = *it->second;
    }
  }
  int64_t comments = figures.replies;
  if (comments >= 0) {  // counted as socialActions counts them
    for (const FakePost& other : posts()) {
      if (!other.deleted && IsComment(other) && other.attributes.at("object") == urn) ++comments;
    }
  }
  json totals = json::object();
  auto put = [&totals](const char* name, int64_t value) {
    if (value >= 0) totals[name] = value;
  };
  put("impressionCount", figures.impressions);
  // The fake keeps no reach of its own: three quarters of the impressions.
  put("uniqueImpressionsCount", figures.impressions < 0 ? -1 : figures.impressions * 3 / 4);
  put("clickCount", figures.clicks);
  put("likeCount", figures.likes);
  put("commentCount", comments);
  put("shareCount", figures.shares);
  if (figures.impressions > 0) {
    int64_t acts = 0;
    for (int64_t value : {figures.clicks, figures.likes, comments, figures.shares})
      acts += std::max<int64_t>(value, 0);
    totals["engagement"] = static_cast<double>(acts) / static_cast<double>(figures.impressions);
  }
  return json{{"organizationalEntity", organization}, {key, urn}, {"totalShareStatistics", totals}};
}

void LinkedInFake::HandleShareStatistics(const httplib::Request& req, httplib::Response& res) {
  {
    std::lock_guard lock(authors_mu_);
    ++statistics_requests_;
  }
  if (!AdmitVersioned(req, res) || !BeginRead(res)) return;
  {
    std::lock_guard lock(authors_mu_);
    if (!statistics_faults_.empty()) {
      FakeFault fault = statistics_faults_.front();
      statistics_faults_.pop_front();
      switch (fault) {
        case FakeFault::kRateLimited:
          AnswerRateLimited(res, 1, absl::Now() + absl::Seconds(2));
          return;
        case FakeFault::kTokenExpired:
          AnswerTokenExpired(res);
          return;
        case FakeFault::kServerErrorBefore:
          AnswerServerError(res, 503);
          return;
        case FakeFault::kServerErrorAfter:
        case FakeFault::kTimeoutAfterCommit:
        case FakeFault::kDuplicateRefusal:
          break;  // not a read's failure: served as usual
      }
    }
  }
  const std::string organization = req.get_param_value("organizationalEntity");
  const bool shares = req.has_param("shares");
  const bool ugc_posts = req.has_param("ugcPosts");
  if (req.get_param_value("q") != "organizationalEntity" ||
      !absl::StartsWith(organization, "urn:li:organization:")) {
    Error(res, 400, "q=organizationalEntity and an organization URN are required");
    return;
  }
  if (shares == ugc_posts || req.has_param("timeIntervals")) {
    Error(res, 400,
          "the fake serves the lifetime statistics of shares=List(...) or ugcPosts=List(...)");
    return;
  }
  // httplib has decoded the query; LinkedIn reads List(a,b) itself and needs
  // the colons inside it encoded.
  if (absl::StrContains(req.target, "List(urn:")) {
    Error(res, 400, "Invalid param: the URNs in List() must be URL-encoded");
    return;
  }
  const char* key = shares ? "share" : "ugcPost";
  std::string list = req.get_param_value(shares ? "shares" : "ugcPosts");
  absl::string_view inner = list;
  if (!absl::ConsumePrefix(&inner, "List(") || !absl::ConsumeSuffix(&inner, ")") || inner.empty()) {
    Error(res, 400, "Invalid param: expected List(<urn>,...)");
    return;
  }
  std::vector<std::string> urns = absl::StrSplit(inner, ',');
  const std::string prefix = absl::StrCat("urn:li:", key, ":");
  for (const std::string& urn : urns) {
    if (!absl::StartsWith(urn, prefix)) {
      Error(res, 400, absl::StrCat("Invalid ", key, " URN ", urn));
      return;
    }
  }
  bool denied = false;
  {
    std::lock_guard lock(authors_mu_);
    denied = statistics_denied_.count(TokenOf(req)) > 0;
  }
  if (denied || organization != AuthorOf(req)) {
    Error(res, 403,
          "Not enough permissions to access: "
          "organizationalEntityShareStatistics.FINDER-organizationalEntity",
          "ACCESS_DENIED");
    return;
  }
  json elements = json::array();
  for (const std::string& urn : urns) {
    if (std::optional<json> element = StatisticsOf(organization, urn, key))
      elements.push_back(*std::move(element));
  }
  res.status = 200;
  res.set_content(json{{"elements", elements},
                       {"paging", {{"start", 0}, {"count", 10}, {"links", json::array()}}}}
                      .dump(),
                  kJson);
}

void LinkedInFake::AnswerRateLimited(httplib::Response& res, int64_t /*limit*/,
                                     absl::Time /*reset*/) const {
  // No Retry-After, no remaining/reset headers: LinkedIn says only this.
  Error(res, 429,
        "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.");
}

void LinkedInFake::AnswerTokenExpired(httplib::Response& res) const {
  res.status = 401;
  json body = options_.token_revoked_answer
                  ? json{{"status", 401},
                         {"serviceErrorCode", 65601},
                         {"code", "REVOKED_ACCESS_TOKEN"},
                         {"message", "The token used in the request has been revoked by the user"}}
                  : json{{"status", 401},
                         {"serviceErrorCode", 65600},
                         {"code", "EXPIRED_ACCESS_TOKEN"},
                         {"message", "The token used in the request has expired"}};
  res.set_content(body.dump(), kJson);
}

void LinkedInFake::AnswerDuplicate(httplib::Response& res) const {
  Error(res, 422, "Content is a duplicate of urn:li:share:7140000000000000000");
}

void LinkedInFake::AnswerServerError(httplib::Response& res, int status) const {
  Error(res, status, status == 503 ? "Service Unavailable" : "Internal Server Error");
}

}  // namespace carecast::testing
