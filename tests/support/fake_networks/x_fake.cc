#include "tests/support/fake_networks/x_fake.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";

void Problem(httplib::Response& res, int status, const std::string& title,
             const std::string& detail, const std::string& type = "about:blank") {
  res.status = status;
  json body = {{"title", title}, {"detail", detail}, {"type", type}, {"status", status}};
  res.set_content(body.dump(), kJson);
}

void InvalidRequest(httplib::Response& res, const std::string& message) {
  res.status = 400;
  json body = {{"errors", json::array({{{"message", message}}})},
               {"title", "Invalid Request"},
               {"detail", "One or more parameters to your request was invalid."},
               {"type", "https://api.twitter.com/2/problems/invalid-request"}};
  res.set_content(body.dump(), kJson);
}

// X's answer to a lookup of a post it does not have: 200, no data.
void NotFound(httplib::Response& res, const std::string& id) {
  res.status = 200;
  json error = {{"value", id},
                {"detail", absl::StrCat("Could not find tweet with id: [", id, "].")},
                {"title", "Not Found Error"},
                {"resource_type", "tweet"},
                {"parameter", "id"},
                {"resource_id", id},
                {"type", "https://api.twitter.com/2/problems/resource-not-found"}};
  res.set_content(json({{"errors", json::array({error})}}).dump(), kJson);
}

const json* Member(const json& value, const char* key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

int64_t CeilUnixSeconds(absl::Time time) {
  int64_t seconds = absl::ToUnixSeconds(time);
  return absl::FromUnixSeconds(seconds) < time ? seconds + 1 : seconds;
}

// X shortens every link to a t.co link of its own.
std::string RewriteLinks(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    std::string_view rest = std::string_view(text).substr(i);
    if (rest.rfind("http://", 0) != 0 && rest.rfind("https://", 0) != 0) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[end]))) ++end;
    size_t hash = std::hash<std::string>{}(text.substr(i, end - i));
    absl::StrAppend(&out, "https://t.co/", absl::Hex(hash % 0xFFFFFFFFFFull, absl::kZeroPad10));
    i = end;
  }
  return out;
}

json TweetJson(const FakePost& post, const std::set<std::string>& fields, int64_t quotes) {
  json tweet = {
      {"id", post.id}, {"text", post.text}, {"edit_history_tweet_ids", json::array({post.id})}};
  if (fields.count("created_at") > 0)
    tweet["created_at"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", post.create_time, absl::UTCTimeZone());
  if (fields.count("referenced_tweets") > 0 && !post.in_reply_to.empty())
    tweet["referenced_tweets"] = json::array({{{"type", "replied_to"}, {"id", post.in_reply_to}}});
  if (fields.count("public_metrics") > 0) {
    json metrics = {{"quote_count", quotes}, {"bookmark_count", 0}};
    // A negative count is left out (a metric X did not report).
    for (const auto& [name, count] : {std::pair{"retweet_count", post.engagement.shares},
                                      std::pair{"reply_count", post.engagement.replies},
                                      std::pair{"like_count", post.engagement.likes},
                                      std::pair{"impression_count", post.engagement.impressions}}) {
      if (count >= 0) metrics[name] = count;
    }
    tweet["public_metrics"] = metrics;
  }
  return tweet;
}

std::set<std::string> TweetFields(const httplib::Request& req) {
  std::set<std::string> fields;
  for (absl::string_view field :
       absl::StrSplit(req.get_param_value("tweet.fields"), ',', absl::SkipEmpty()))
    fields.insert(std::string(field));
  return fields;
}

std::optional<absl::Time> ParseStartTime(const std::string& value) {
  absl::Time time;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, value, &time, &err)) return time;
  return std::nullopt;
}

}  // namespace

XFake::XFake(XFakeOptions options) : FakeNetworkServer("x"), options_(std::move(options)) {
  http().Post("/2/tweets", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCreate(req, res);
  });
  http().Get(
      R"(/2/users/([0-9]+)/tweets)",
      [this](const httplib::Request& req, httplib::Response& res) { HandleTimeline(req, res); });
  http().Get("/2/users/me",
             [this](const httplib::Request& req, httplib::Response& res) { HandleMe(req, res); });
  http().Get(R"(/2/tweets/([0-9]+))", [this](const httplib::Request& req, httplib::Response& res) {
    HandleLookup(req, res);
  });
  http().Delete(
      R"(/2/tweets/([0-9]+))",
      [this](const httplib::Request& req, httplib::Response& res) { HandleDelete(req, res); });
  http().Post("/2/media/upload", [this](const httplib::Request& req, httplib::Response& res) {
    HandleUpload(req, res);
  });
  http().Post("/2/media/metadata", [this](const httplib::Request& req, httplib::Response& res) {
    HandleMetadata(req, res);
  });
  http().Get("/2/tweets/search/recent", [this](const httplib::Request& req,
                                               httplib::Response& res) { HandleSearch(req, res); });
}

std::string XFake::AddSearchable(const std::string& username, const std::string& text) {
  std::string user_id;
  {
    std::lock_guard lock(users_mu_);
    for (const auto& [id, name] : usernames_) {
      if (name == username) user_id = id;
    }
    if (user_id.empty()) {
      user_id = absl::StrCat(next_user_id_++);
      usernames_[user_id] = username;
    }
  }
  FakePost post;
  post.author = user_id;
  post.text = RewriteLinks(text);
  return AddExistingPost(std::move(post));
}

int64_t XFake::search_reads() const {
  std::lock_guard lock(users_mu_);
  return search_reads_;
}

std::string XFake::UsernameOf(const std::string& user_id) const {
  std::lock_guard lock(users_mu_);
  auto it = usernames_.find(user_id);
  return it == usernames_.end() ? absl::StrCat("user", user_id) : it->second;
}

void XFake::HandleSearch(const httplib::Request& req, httplib::Response& res) {
  {
    std::lock_guard lock(users_mu_);
    ++search_reads_;
  }
  if (!Admit(req, res) || !BeginRead(res)) return;
  const std::string query = req.get_param_value("query");
  if (absl::StripAsciiWhitespace(query).empty()) {
    InvalidRequest(res, "The `query` query parameter can not be empty");
    return;
  }
  int max_results = 10;
  if (req.has_param("max_results") &&
      (!absl::SimpleAtoi(req.get_param_value("max_results"), &max_results) || max_results < 10 ||
       max_results > 100)) {
    InvalidRequest(res, "The `max_results` query parameter value is not between 10 and 100");
    return;
  }
  auto id_param = [&](const char* name, int64_t& out) {
    return !req.has_param(name) || absl::SimpleAtoi(req.get_param_value(name), &out);
  };
  int64_t since_id = 0;
  int64_t until_id = std::numeric_limits<int64_t>::max();
  if (!id_param("since_id", since_id) || !id_param("until_id", until_id)) {
    InvalidRequest(res, "The `since_id` or `until_id` query parameter value is not a post id");
    return;
  }
  // The fake's next_token: "n" and the page's oldest id (X's tokens are opaque).
  if (req.has_param("pagination_token")) {
    const std::string token = req.get_param_value("pagination_token");
    int64_t before = 0;
    if (token.size() < 2 || token[0] != 'n' || !absl::SimpleAtoi(token.substr(1), &before)) {
      InvalidRequest(res, "The `pagination_token` query parameter value is not valid");
      return;
    }
    until_id = std::min(until_id, before);
  }
  std::vector<std::vector<std::string>> alternatives;
  for (absl::string_view alternative : absl::StrSplit(query, " OR ")) {
    std::vector<std::string> words;
    for (absl::string_view word : absl::StrSplit(alternative, ' ', absl::SkipEmpty()))
      words.push_back(absl::AsciiStrToLower(word));
    if (!words.empty()) alternatives.push_back(std::move(words));
  }
  auto matches = [&](const std::string& text) {
    const std::string lower = absl::AsciiStrToLower(text);
    return std::any_of(alternatives.begin(), alternatives.end(), [&](const auto& words) {
      return std::all_of(words.begin(), words.end(),
                         [&](const std::string& word) { return absl::StrContains(lower, word); });
    });
  };
  std::vector<std::pair<int64_t, FakePost>> found;
  for (FakePost& post : posts()) {
    int64_t id = 0;
    if (post.deleted || !absl::SimpleAtoi(post.id, &id)) continue;
    if (id <= since_id || id >= until_id || !matches(post.text)) continue;
    found.emplace_back(id, std::move(post));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });  // newest first
  const size_t page = static_cast<size_t>(std::min(max_results, options_.max_page_size));
  std::set<std::string> fields = TweetFields(req);
  const bool expand_authors = req.get_param_value("expansions") == "author_id";
  json data = json::array();
  json users = json::array();
  std::set<std::string> authors;
  for (size_t i = 0; i < found.size() && i < page; ++i) {
    const FakePost& post = found[i].second;
    json tweet = TweetJson(post, fields, QuotesOf(post.id));
    if (fields.count("author_id") > 0) tweet["author_id"] = post.author;
    if (fields.count("conversation_id") > 0)
      tweet["conversation_id"] = post.in_reply_to.empty() ? post.id : post.in_reply_to;
    // X escapes these three in a post's text.
    std::string escaped;
    for (char c : tweet["text"].get<std::string>()) {
      if (c == '&')
        escaped += "&amp;";
      else if (c == '<')
        escaped += "&lt;";
      else if (c == '>')
        escaped += "&gt;";
      else
        escaped.push_back(c);
    }
    tweet["text"] = escaped;
    data.push_back(std::move(tweet));
    if (expand_authors && authors.insert(post.author).second) {
      users.push_back({{"id", post.author},
                       {"name", UsernameOf(post.author)},
                       {"username", UsernameOf(post.author)}});
    }
  }
  json meta = {{"result_count", data.size()}};
  json answer = json::object();
  if (!data.empty()) {
    meta["newest_id"] = data.front()["id"];
    meta["oldest_id"] = data.back()["id"];
    answer["data"] = data;
    if (expand_authors) answer["includes"] = {{"users", users}};
  }
  if (found.size() > page) meta["next_token"] = absl::StrCat("n", found[page - 1].first);
  answer["meta"] = meta;
  res.status = 200;
  res.set_content(answer.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

void XFake::FailNextUpload(int status) {
  std::lock_guard lock(users_mu_);
  fail_next_upload_ = status;
}

int64_t XFake::uploads_accepted() const {
  std::lock_guard lock(users_mu_);
  return uploads_;
}

std::map<std::string, std::string> XFake::media_alt_texts() const {
  std::lock_guard lock(users_mu_);
  return media_;
}

void XFake::HandleUpload(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (!req.has_file("media") || req.get_file_value("media").content.empty()) {
    InvalidRequest(res, "$.media: the media part is required");
    return;
  }
  const httplib::MultipartFormData media = req.get_file_value("media");
  std::string category =
      req.has_file("media_category") ? req.get_file_value("media_category").content : std::string();
  if (category != "tweet_image" && category != "dm_image" && category != "subtitles") {
    InvalidRequest(res, "$.media_category: one of tweet_image, dm_image, subtitles is required");
    return;
  }
  if (!absl::StartsWith(media.content_type, "image/")) {
    InvalidRequest(res, "$.media: unsupported media type");
    return;
  }
  std::string id;
  {
    std::lock_guard lock(users_mu_);
    if (int status = std::exchange(fail_next_upload_, 0); status != 0) {
      AnswerServerError(res, status);
      return;
    }
    id = absl::StrCat(next_media_id_++);
    media_[id] = "";
    ++uploads_;
  }
  json answer = {{"data",
                  {{"id", id},
                   {"media_key", absl::StrCat("3_", id)},
                   {"size", media.content.size()},
                   {"expires_after_secs", 86400},
                   {"image", {{"image_type", media.content_type}}}}}};
  res.status = 200;
  res.set_content(answer.dump(), kJson);
}

void XFake::HandleMetadata(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  const json* id = Member(body, "id");
  const json* metadata = Member(body, "metadata");
  const json* alt = metadata != nullptr ? Member(*metadata, "alt_text") : nullptr;
  const json* text = alt != nullptr ? Member(*alt, "text") : nullptr;
  if (id == nullptr || !id->is_string()) {
    InvalidRequest(res, "$.id: a media id is required");
    return;
  }
  if (text == nullptr || !text->is_string() || text->get<std::string>().empty() ||
      text->get<std::string>().size() > 1000) {
    InvalidRequest(res, "$.metadata.alt_text.text: a text of 1 to 1000 characters is required");
    return;
  }
  {
    std::lock_guard lock(users_mu_);
    auto it = media_.find(id->get<std::string>());
    if (it == media_.end()) {
      InvalidRequest(res, "$.id: unknown media id");
      return;
    }
    it->second = text->get<std::string>();
  }
  json answer = {
      {"data", {{"id", *id}, {"associated_metadata", {{"alt_text", {{"text", *text}}}}}}}};
  res.status = 200;
  res.set_content(answer.dump(), kJson);
}

void XFake::SetUser(const std::string& token, const std::string& user_id) {
  std::lock_guard lock(users_mu_);
  users_[token] = user_id;
}

void XFake::SetQuotes(const std::string& id, int64_t quotes) {
  std::lock_guard lock(users_mu_);
  quotes_[id] = quotes;
}

std::string XFake::UserOf(const httplib::Request& req) const {
  std::lock_guard lock(users_mu_);
  auto it = users_.find(TokenOf(req));
  return it == users_.end() ? options_.default_user_id : it->second;
}

int64_t XFake::QuotesOf(const std::string& id) const {
  std::lock_guard lock(users_mu_);
  auto it = quotes_.find(id);
  return it == quotes_.end() ? 0 : it->second;
}

bool XFake::IsDuplicate(const std::string& author, const std::string& text) const {
  absl::Time since = absl::Now() - options_.duplicate_window;
  std::vector<FakePost> all = posts();
  return std::any_of(all.begin(), all.end(), [&](const FakePost& post) {
    return !post.deleted && post.author == author && post.text == text && post.create_time >= since;
  });
}

void XFake::HandleCreate(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  const json* text = Member(body, "text");
  if (text == nullptr || !text->is_string() || text->get<std::string>().empty()) {
    InvalidRequest(res, "$.text: a non-empty string is required");
    return;
  }
  std::string parent;
  if (const json* reply = Member(body, "reply"); reply != nullptr) {
    const json* parent_id = Member(*reply, "in_reply_to_tweet_id");
    if (parent_id == nullptr || !parent_id->is_string()) {
      InvalidRequest(res, "$.reply.in_reply_to_tweet_id: a string is required");
      return;
    }
    parent = parent_id->get<std::string>();
    std::optional<FakePost> found = FindPost(parent);
    if (!found || found->deleted) {
      Problem(res, 403, "Forbidden",
              "You attempted to reply to a Tweet that is deleted or not visible to you.");
      return;
    }
  }
  std::vector<std::string> media_ids;
  if (const json* media = Member(body, "media"); media != nullptr) {
    const json* ids = Member(*media, "media_ids");
    if (ids == nullptr || !ids->is_array() || ids->empty() || ids->size() > 4) {
      InvalidRequest(res, "$.media.media_ids: 1 to 4 media ids are required");
      return;
    }
    std::lock_guard lock(users_mu_);
    for (const json& id : *ids) {
      if (!id.is_string() || media_.count(id.get<std::string>()) == 0) {
        InvalidRequest(res, "Your media IDs are invalid.");
        return;
      }
      media_ids.push_back(id.get<std::string>());
    }
  }
  if (!BeginCreate(res)) return;
  FakePost post;
  post.author = UserOf(req);
  if (!media_ids.empty()) post.attributes["media_ids"] = absl::StrJoin(media_ids, ",");
  post.text = RewriteLinks(text->get<std::string>());
  post.in_reply_to = parent;
  // Checked after BeginCreate so a create held there meets the posts made
  // meanwhile, as X checks at commit.
  if (IsDuplicate(post.author, post.text)) {
    AnswerDuplicate(res);
    return;
  }
  std::string id = Commit(post);
  json answer = {
      {"data", {{"id", id}, {"text", post.text}, {"edit_history_tweet_ids", json::array({id})}}}};
  res.status = 201;
  res.set_content(answer.dump(), kJson);
  FinishCreate(res);
}

void XFake::HandleTimeline(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  const std::string user = req.matches[1];
  int max_results = 10;
  if (req.has_param("max_results") &&
      (!absl::SimpleAtoi(req.get_param_value("max_results"), &max_results) || max_results < 5 ||
       max_results > 100)) {
    InvalidRequest(res, "The `max_results` query parameter value is not between 5 and 100");
    return;
  }
  absl::Time start = absl::InfinitePast();
  if (req.has_param("start_time")) {
    std::optional<absl::Time> parsed = ParseStartTime(req.get_param_value("start_time"));
    if (!parsed) {
      InvalidRequest(res, "Invalid 'start_time': not an ISO 8601 time");
      return;
    }
    start = *parsed;
  }
  size_t offset = 0;
  if (req.has_param("pagination_token") &&
      !absl::SimpleAtoi(req.get_param_value("pagination_token"), &offset)) {
    InvalidRequest(res, "The `pagination_token` query parameter value is not valid");
    return;
  }
  std::vector<FakePost> mine;
  for (FakePost& post : posts()) {
    if (!post.deleted && post.author == user && post.create_time >= start)
      mine.push_back(std::move(post));
  }
  std::reverse(mine.begin(), mine.end());  // newest first, ties by commit order
  std::stable_sort(mine.begin(), mine.end(), [](const FakePost& a, const FakePost& b) {
    return a.create_time > b.create_time;
  });
  size_t page = static_cast<size_t>(std::min(max_results, options_.max_page_size));
  std::set<std::string> fields = TweetFields(req);
  json data = json::array();
  for (size_t i = offset; i < mine.size() && i < offset + page; ++i)
    data.push_back(TweetJson(mine[i], fields, QuotesOf(mine[i].id)));
  json meta = {{"result_count", data.size()}};
  json answer = json::object();
  if (!data.empty()) {
    meta["newest_id"] = data.front()["id"];
    meta["oldest_id"] = data.back()["id"];
    answer["data"] = data;
  }
  if (offset + page < mine.size()) meta["next_token"] = absl::StrCat(offset + page);
  answer["meta"] = meta;
  res.status = 200;
  res.set_content(answer.dump(), kJson);
}

void XFake::HandleMe(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  const std::string user = UserOf(req);
  json data = {{"id", user}, {"name", "CareCast"}, {"username", absl::StrCat("user", user)}};
  bool metrics = false;
  for (absl::string_view field :
       absl::StrSplit(req.get_param_value("user.fields"), ',', absl::SkipEmpty()))
    metrics = metrics || field == "public_metrics";
  if (metrics) {
    data["public_metrics"] = {{"followers_count", ServeFollowers(user)},
                              {"following_count", 0},
                              {"tweet_count", 0},
                              {"listed_count", 0}};
  }
  res.status = 200;
  res.set_content(json({{"data", data}}).dump(), kJson);
}

void XFake::HandleLookup(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  const std::string id = req.matches[1];
  std::optional<FakePost> post = FindPost(id);
  if (!post || post->deleted) {
    NotFound(res, id);
    return;
  }
  res.status = 200;
  res.set_content(json({{"data", TweetJson(*post, TweetFields(req), QuotesOf(id))}}).dump(), kJson);
}

void XFake::HandleDelete(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  const std::string id = req.matches[1];
  std::optional<FakePost> post = FindPost(id);
  if (!post || post->deleted) {
    NotFound(res, id);
    return;
  }
  if (post->author != UserOf(req)) {
    Problem(res, 403, "Forbidden", "You are not allowed to delete a Tweet you did not create.");
    return;
  }
  MarkDeleted(id);
  res.status = 200;
  res.set_content(R"({"data":{"deleted":true}})", kJson);
}

void XFake::AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const {
  AddRateHeaders(res, limit, 0, reset);
  res.status = 429;
  res.set_content(
      R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
      kJson);
}

void XFake::AnswerTokenExpired(httplib::Response& res) const {
  Problem(res, 401, "Unauthorized", "Unauthorized");
}

void XFake::AnswerDuplicate(httplib::Response& res) const {
  Problem(res, 403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.");
}

void XFake::AnswerServerError(httplib::Response& res, int status) const {
  Problem(res, status, status == 503 ? "Service Unavailable" : "Internal Server Error",
          status == 503 ? "Service Unavailable" : "Internal Server Error");
}

void XFake::AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                           absl::Time reset) const {
  for (const char* name : {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"})
    res.headers.erase(name);
  res.set_header("x-rate-limit-limit", absl::StrCat(limit));
  res.set_header("x-rate-limit-remaining", absl::StrCat(remaining));
  res.set_header("x-rate-limit-reset", absl::StrCat(CeilUnixSeconds(reset)));
}

}  // namespace carecast::testing
