#include "tests/support/fake_networks/mastodon_fake.h"

#include <algorithm>
#include <functional>
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

using json = nlohmann::json;

constexpr size_t kCharacterLimit = 500;

std::string IsoTime(absl::Time t, const char* format) {
  return absl::FormatTime(format, t, absl::UTCTimeZone());
}

void AnswerJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void AnswerError(httplib::Response& res, int status, const std::string& error) {
  AnswerJson(res, status, json{{"error", error}});
}

// Another account (one that mentions this one) by its acct.
json OtherAccountJson(const std::string& base_url, const std::string& acct) {
  std::string username = acct.substr(0, acct.find('@'));
  return json{{"id", absl::StrCat(std::hash<std::string>{}(acct) % 1000000000000000)},
              {"username", username},
              {"acct", acct},
              {"display_name", username},
              {"url", absl::StrCat(base_url, "/@", acct)}};
}

int64_t NumericId(const std::string& id) {
  int64_t n = 0;
  return absl::SimpleAtoi(id, &n) ? n : 0;
}

size_t CodePoints(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void AppendEscaped(char c, std::string& out) {
  switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out.push_back(c);
  }
}

std::string Escaped(std::string_view text) {
  std::string out;
  for (char c : text) AppendEscaped(c, out);
  return out;
}

// A link as Mastodon shows it: the scheme hidden, the rest cut at 30 characters.
std::string LinkHtml(std::string_view url) {
  size_t scheme = url.find("://") + 3;
  std::string_view rest = url.substr(scheme);
  std::string_view shown = rest.substr(0, 30);
  std::string_view hidden = rest.substr(shown.size());
  return absl::StrCat("<a href=\"", Escaped(url),
                      "\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\">",
                      "<span class=\"invisible\">", Escaped(url.substr(0, scheme)), "</span>",
                      "<span class=\"", hidden.empty() ? "" : "ellipsis", "\">", Escaped(shown),
                      "</span><span class=\"invisible\">", Escaped(hidden), "</span></a>");
}

bool IsTagChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string RenderInline(std::string_view text, const std::string& base_url) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool word_start = i == 0 || absl::ascii_isspace(static_cast<unsigned char>(text[i - 1]));
    std::string_view rest = text.substr(i);
    if (word_start && (rest.starts_with("http://") || rest.starts_with("https://"))) {
      size_t end = std::min(rest.find_first_of(" \t\r\n"), rest.size());
      out += LinkHtml(rest.substr(0, end));
      i += end;
    } else if (word_start && rest.size() > 1 && rest[0] == '#' && IsTagChar(rest[1])) {
      size_t end = 1;
      while (end < rest.size() && IsTagChar(rest[end])) ++end;
      std::string tag(rest.substr(1, end - 1));
      absl::StrAppend(&out, "<a href=\"", base_url, "/tags/", absl::AsciiStrToLower(tag),
                      "\" class=\"mention hashtag\" rel=\"tag\">#<span>", Escaped(tag),
                      "</span></a>");
      i += end;
    } else if (text[i] == '\n') {
      out += "<br />";
      ++i;
    } else {
      AppendEscaped(text[i++], out);
    }
  }
  return out;
}

}  // namespace

std::string RenderMastodonContent(const std::string& text, const std::string& base_url) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    std::string_view paragraph(text.data() + start, end - start);
    if (!paragraph.empty()) absl::StrAppend(&out, "<p>", RenderInline(paragraph, base_url), "</p>");
    start = end;
    while (start < text.size() && text[start] == '\n') ++start;
    if (end == text.size()) break;
  }
  return out;
}

// What a create asked for, from its JSON or form body.
struct MastodonFake::StatusForm {
  bool readable = true;
  std::string status;
  std::string in_reply_to_id;
  std::vector<std::string> media_ids;

  static StatusForm From(const httplib::Request& req) {
    StatusForm form;
    if (absl::StartsWith(req.get_header_value("Content-Type"), "application/json")) {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) return StatusForm{false, "", "", {}};
      if (auto it = body.find("status"); it != body.end() && it->is_string())
        form.status = it->get<std::string>();
      if (auto it = body.find("in_reply_to_id"); it != body.end() && it->is_string())
        form.in_reply_to_id = it->get<std::string>();
      if (auto it = body.find("media_ids"); it != body.end() && it->is_array()) {
        for (const json& id : *it) {
          if (id.is_string()) form.media_ids.push_back(id.get<std::string>());
        }
      }
      return form;
    }
    form.status = req.get_param_value("status");
    form.in_reply_to_id = req.get_param_value("in_reply_to_id");
    for (size_t i = 0; i < req.get_param_value_count("media_ids[]"); ++i)
      form.media_ids.push_back(req.get_param_value("media_ids[]", i));
    return form;
  }
};

MastodonFake::MastodonFake(MastodonFakeSettings settings)
    : FakeNetworkServer("mastodon"),
      settings_(std::move(settings)),
      next_notification_id_(settings_.first_notification_id) {
  SetRateLimit(settings_.rate_limit, settings_.rate_window);
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http().Post("/api/v1/statuses", [this](Req req, Res res) { CreateStatus(req, res); });
  http().Get(R"(/api/v1/statuses/([^/]+))", [this](Req req, Res res) { GetStatus(req, res); });
  http().Delete(R"(/api/v1/statuses/([^/]+))",
                [this](Req req, Res res) { DeleteStatus(req, res); });
  http().Get("/api/v1/accounts/verify_credentials",
             [this](Req req, Res res) { VerifyCredentials(req, res); });
  http().Get(R"(/api/v1/accounts/([^/]+)/statuses)",
             [this](Req req, Res res) { ListStatuses(req, res); });
  http().Post("/api/v2/media", [this](Req req, Res res) { UploadMedia(req, res); });
  http().Get(R"(/api/v1/media/([^/]+))", [this](Req req, Res res) { GetMedia(req, res); });
  http().Get("/api/v1/notifications", [this](Req req, Res res) { ListNotifications(req, res); });
  http().Post("/_fake/mentions", [this](Req req, Res res) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("acct") || !body["acct"].is_string() ||
        !body.contains("text") || !body["text"].is_string()) {
      res.status = 400;
      res.set_content(R"({"error":"acct and text (strings) are required"})", "application/json");
      return;
    }
    const std::string visibility = body.contains("visibility") && body["visibility"].is_string()
                                       ? body["visibility"].get<std::string>()
                                       : "public";
    const std::string id =
        AddMention(body["acct"].get<std::string>(), body["text"].get<std::string>(), visibility);
    res.set_content(json{{"id", id}}.dump(), "application/json");
  });
}

// Handlers read this object's members: the server must stop before they go.
MastodonFake::~MastodonFake() { Stop(); }

void MastodonFake::ForgetIdempotencyKeys() {
  std::lock_guard lock(fake_mu_);
  keys_.clear();
}

void MastodonFake::set_media_processing_polls(int polls) {
  std::lock_guard lock(fake_mu_);
  media_processing_polls_ = polls;
}

int64_t MastodonFake::idempotent_replays() const {
  std::lock_guard lock(fake_mu_);
  return replays_;
}

int64_t MastodonFake::verify_credentials_calls() const {
  std::lock_guard lock(fake_mu_);
  return verify_calls_;
}

std::map<std::string, std::string> MastodonFake::media_descriptions() const {
  std::lock_guard lock(fake_mu_);
  std::map<std::string, std::string> out;
  for (const auto& [id, media] : media_) out[id] = media.description;
  return out;
}

std::string MastodonFake::StatusUrl(const std::string& id) const {
  return absl::StrCat(base_url(), "/@", settings_.username, "/", id);
}

std::optional<std::string> MastodonFake::Replay(const std::string& key) const {
  std::lock_guard lock(fake_mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || absl::Now() - it->second.second >= settings_.idempotency_window)
    return std::nullopt;
  return it->second.first;
}

bool MastodonFake::Refuse(const StatusForm& form, httplib::Response& res) const {
  if (!form.readable) {
    AnswerError(res, 400, "Malformed JSON");
    return true;
  }
  if (form.status.empty() && form.media_ids.empty()) {
    AnswerError(res, 422, "Validation failed: Text can't be blank");
    return true;
  }
  if (CodePoints(form.status) > kCharacterLimit) {
    AnswerError(res, 422, "Validation failed: Text character limit of 500 exceeded");
    return true;
  }
  if (!form.in_reply_to_id.empty()) {
    std::optional<FakePost> parent = FindPost(form.in_reply_to_id);
    if (!parent || parent->deleted) {
      AnswerError(res, 404, "Record not found");
      return true;
    }
  }
  std::lock_guard lock(fake_mu_);
  for (const std::string& id : form.media_ids) {
    auto it = media_.find(id);
    if (it == media_.end()) {
      AnswerError(res, 422, "Validation failed: Media attachments are invalid");
      return true;
    }
    if (it->second.polls_left > 0) {
      AnswerError(res, 422,
                  "Cannot attach files that have not finished processing. Try again in a moment!");
      return true;
    }
  }
  return false;
}

void MastodonFake::CreateStatus(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  StatusForm form = StatusForm::From(req);
  std::string key = req.get_header_value("Idempotency-Key");
  if (!key.empty()) {
    if (std::optional<std::string> id = Replay(key)) {
      {
        std::lock_guard lock(fake_mu_);
        ++replays_;
      }
      res.status = 200;
      res.set_content(StatusJson(*FindPost(*id), false), "application/json");
      return;
    }
  }
  if (Refuse(form, res) || !BeginCreate(res)) return;
  FakePost post;
  post.author = settings_.account_id;
  post.text = form.status;
  post.in_reply_to = form.in_reply_to_id;
  post.attributes["idempotency_key"] = key;
  post.attributes["visibility"] = "public";
  post.attributes["media_ids"] = absl::StrJoin(form.media_ids, ",");
  std::string id = Commit(std::move(post));
  if (!key.empty()) {
    std::lock_guard lock(fake_mu_);
    keys_[key] = {id, absl::Now()};
  }
  res.status = 200;
  res.set_content(StatusJson(*FindPost(id), false), "application/json");
  FinishCreate(res);
}

void MastodonFake::GetStatus(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  std::optional<FakePost> post = FindPost(req.matches[1]);
  if (!post || post->deleted) return AnswerError(res, 404, "Record not found");
  res.status = 200;
  res.set_content(StatusJson(*post, false), "application/json");
}

void MastodonFake::DeleteStatus(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::optional<FakePost> post = FindPost(req.matches[1]);
  // Mastodon looks the status up among the caller's own: another's is not found.
  if (!post || post->deleted || post->author != settings_.account_id)
    return AnswerError(res, 404, "Record not found");
  MarkDeleted(post->id);
  res.status = 200;
  res.set_content(StatusJson(*post, true), "application/json");
}

void MastodonFake::VerifyCredentials(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  {
    std::lock_guard lock(fake_mu_);
    ++verify_calls_;
  }
  json account = json::parse(AccountJson());
  account["followers_count"] = ServeFollowers(settings_.account_id);
  res.status = 200;
  res.set_content(account.dump(), "application/json");
}

void MastodonFake::ListStatuses(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (req.matches[1] != settings_.account_id) return AnswerError(res, 404, "Record not found");
  int64_t limit = 20;
  if (req.has_param("limit") && !absl::SimpleAtoi(req.get_param_value("limit"), &limit)) limit = 20;
  limit = std::clamp<int64_t>(limit, 1, 40);
  int64_t max_id = req.has_param("max_id") ? NumericId(req.get_param_value("max_id")) : 0;
  int64_t since_id = req.has_param("since_id") ? NumericId(req.get_param_value("since_id")) : 0;
  bool exclude_replies = req.get_param_value("exclude_replies") == "true";
  std::vector<FakePost> listed;
  for (FakePost& post : posts()) {
    int64_t id = NumericId(post.id);
    if (post.deleted || post.author != settings_.account_id) continue;
    if ((max_id > 0 && id >= max_id) || id <= since_id) continue;
    if (exclude_replies && !post.in_reply_to.empty()) continue;
    listed.push_back(std::move(post));
  }
  std::sort(listed.begin(), listed.end(),
            [](const FakePost& a, const FakePost& b) { return NumericId(a.id) > NumericId(b.id); });
  if (listed.size() > static_cast<size_t>(limit)) listed.resize(static_cast<size_t>(limit));
  std::vector<std::string> statuses;
  statuses.reserve(listed.size());
  for (const FakePost& post : listed) statuses.push_back(StatusJson(post, false));
  res.status = 200;
  res.set_content(absl::StrCat("[", absl::StrJoin(statuses, ","), "]"), "application/json");
}

void MastodonFake::UploadMedia(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (!req.is_multipart_form_data() || !req.has_file("file"))
    return AnswerError(res, 422, "Validation failed: File can't be blank");
  httplib::MultipartFormData file = req.get_file_value("file");
  if (!absl::StartsWith(file.content_type, "image/") || file.content.empty())
    return AnswerError(res, 422, "Validation failed: File content type is invalid");
  Media media;
  media.description = req.has_file("description") ? req.get_file_value("description").content : "";
  media.mime_type = file.content_type;
  std::string id;
  {
    std::lock_guard lock(fake_mu_);
    media.polls_left = media_processing_polls_;
    id = absl::StrCat(next_media_id_++);
    media_[id] = media;
  }
  json body = {
      {"id", id},
      {"type", "image"},
      {"url", media.polls_left > 0 ? json(nullptr) : json(absl::StrCat(base_url(), "/media/", id))},
      {"preview_url", absl::StrCat(base_url(), "/media/", id, "/small")},
      {"description", media.description}};
  AnswerJson(res, media.polls_left > 0 ? 202 : 200, body);
}

void MastodonFake::GetMedia(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::lock_guard lock(fake_mu_);
  auto it = media_.find(req.matches[1]);
  if (it == media_.end()) return AnswerError(res, 404, "Record not found");
  bool processing = it->second.polls_left > 0;
  if (processing) --it->second.polls_left;
  json body = {
      {"id", it->first},
      {"type", "image"},
      {"url", processing ? json(nullptr) : json(absl::StrCat(base_url(), "/media/", it->first))},
      {"description", it->second.description}};
  AnswerJson(res, processing ? 206 : 200, body);
}

std::string MastodonFake::AddMention(const std::string& acct, const std::string& text,
                                     const std::string& visibility) {
  FakePost post;
  post.author = acct;
  post.text = text;
  post.attributes["acct"] = acct;
  post.attributes["visibility"] = visibility;
  std::string status_id = AddExistingPost(std::move(post));
  std::lock_guard lock(fake_mu_);
  notifications_.push_back(
      Notification{next_notification_id_++, "mention", acct, status_id, absl::Now()});
  return status_id;
}

std::string MastodonFake::AddNotification(const std::string& type, const std::string& acct) {
  std::lock_guard lock(fake_mu_);
  notifications_.push_back(Notification{next_notification_id_++, type, acct, "", absl::Now()});
  return absl::StrCat(notifications_.back().id);
}

int64_t MastodonFake::notification_reads() const {
  std::lock_guard lock(fake_mu_);
  return notification_reads_;
}

void MastodonFake::ListNotifications(const httplib::Request& req, httplib::Response& res) {
  {
    std::lock_guard lock(fake_mu_);
    ++notification_reads_;
  }
  if (!Admit(req, res) || !BeginRead(res)) return;
  int64_t limit = 40;
  if (req.has_param("limit") && !absl::SimpleAtoi(req.get_param_value("limit"), &limit)) limit = 40;
  limit = std::clamp<int64_t>(limit, 1, 80);
  auto id_param = [&](const char* name) {
    return req.has_param(name) ? NumericId(req.get_param_value(name)) : 0;
  };
  const int64_t max_id = id_param("max_id");
  const int64_t since_id = id_param("since_id");
  const int64_t min_id = id_param("min_id");
  auto listed_values = [&](const char* name) {
    std::set<std::string> values;
    for (size_t i = 0; i < req.get_param_value_count(name); ++i)
      values.insert(req.get_param_value(name, i));
    return values;
  };
  const std::set<std::string> types = listed_values("types[]");
  const std::set<std::string> excluded = listed_values("exclude_types[]");

  std::vector<Notification> matching;  // id order, oldest first
  {
    std::lock_guard lock(fake_mu_);
    for (const Notification& n : notifications_) {
      if (!types.empty() && types.count(n.type) == 0) continue;
      if (excluded.count(n.type) > 0) continue;
      if (max_id > 0 && n.id >= max_id) continue;
      if (req.has_param("min_id") ? n.id <= min_id : n.id <= since_id) continue;
      matching.push_back(n);
    }
  }
  const auto page = static_cast<size_t>(limit);
  std::vector<Notification> listed;
  if (req.has_param("min_id")) {
    // The page immediately after min_id: the oldest `limit`, sent newest first.
    listed.assign(matching.begin(), matching.begin() + std::min(page, matching.size()));
  } else {
    listed.assign(matching.end() - std::min(page, matching.size()), matching.end());
  }
  std::reverse(listed.begin(), listed.end());

  json body = json::array();
  for (const Notification& n : listed) {
    json notification = {{"id", absl::StrCat(n.id)},
                         {"type", n.type},
                         {"created_at", IsoTime(n.create_time, "%Y-%m-%dT%H:%M:%E3SZ")},
                         {"account", OtherAccountJson(base_url(), n.acct)}};
    if (!n.status_id.empty()) {
      std::optional<FakePost> status = FindPost(n.status_id);
      notification["status"] =
          status && !status->deleted ? json::parse(StatusJson(*status, false)) : json(nullptr);
    }
    body.push_back(std::move(notification));
  }
  if (!listed.empty()) {
    std::string query = absl::StrCat("limit=", limit);
    for (const std::string& type : types) absl::StrAppend(&query, "&types%5B%5D=", type);
    std::string url = absl::StrCat(base_url(), "/api/v1/notifications?", query);
    res.set_header("Link",
                   absl::StrCat("<", url, "&max_id=", listed.back().id, ">; rel=\"next\", <", url,
                                "&min_id=", listed.front().id, ">; rel=\"prev\""));
  }
  AnswerJson(res, 200, body);
}

std::string MastodonFake::AccountJson() const {
  return json{{"id", settings_.account_id},
              {"username", settings_.username},
              {"acct", settings_.username},
              {"display_name", "CareCast"},
              {"url", absl::StrCat(base_url(), "/@", settings_.username)}}
      .dump();
}

std::string MastodonFake::StatusJson(const FakePost& post, bool with_source) const {
  json media = json::array();
  for (const auto& id : absl::StrSplit(
           post.attributes.count("media_ids") > 0 ? post.attributes.at("media_ids") : std::string(),
           ',', absl::SkipEmpty())) {
    media.push_back({{"id", std::string(id)}, {"type", "image"}});
  }
  json status = {
      {"id", post.id},
      {"created_at", IsoTime(post.create_time, "%Y-%m-%dT%H:%M:%E3SZ")},
      {"in_reply_to_id", post.in_reply_to.empty() ? json(nullptr) : json(post.in_reply_to)},
      {"sensitive", false},
      {"spoiler_text", ""},
      {"visibility", post.attributes.count("visibility") > 0 ? post.attributes.at("visibility")
                                                             : std::string("public")},
      {"language", "en"},
      {"uri", absl::StrCat(base_url(), "/users/", settings_.username, "/statuses/", post.id)},
      {"url", StatusUrl(post.id)},
      {"content", RenderMastodonContent(post.text, base_url())},
      {"reblog", nullptr},
      {"account", post.attributes.count("acct") > 0
                      ? OtherAccountJson(base_url(), post.attributes.at("acct"))
                      : json::parse(AccountJson())},
      {"media_attachments", media}};
  // A negative count is left out (a field the instance did not report).
  for (const auto& [name, count] : {std::pair{"replies_count", post.engagement.replies},
                                    std::pair{"reblogs_count", post.engagement.shares},
                                    std::pair{"favourites_count", post.engagement.likes}}) {
    if (count >= 0) status[name] = count;
  }
  if (with_source) status["text"] = post.text;
  return status.dump(-1, ' ', false, json::error_handler_t::replace);
}

void MastodonFake::AnswerRateLimited(httplib::Response& res, int64_t limit,
                                     absl::Time reset) const {
  AddRateHeaders(res, limit, 0, reset);
  AnswerError(res, 429, "Too many requests");
}

void MastodonFake::AnswerTokenExpired(httplib::Response& res) const {
  AnswerError(res, 401, "The access token is invalid");
}

// Mastodon has no duplicate-content refusal; its one content refusal is the
// 422 validation failure, which a scripted kDuplicateRefusal plays.
void MastodonFake::AnswerDuplicate(httplib::Response& res) const {
  AnswerError(res, 422, "Validation failed: Text character limit of 500 exceeded");
}

void MastodonFake::AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                                  absl::Time reset) const {
  // A refusal after Admit replaces the headers Admit added (one value each).
  for (const char* name : {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"})
    res.headers.erase(name);
  res.set_header("X-RateLimit-Limit", absl::StrCat(limit));
  res.set_header("X-RateLimit-Remaining", absl::StrCat(remaining));
  res.set_header("X-RateLimit-Reset", IsoTime(reset, "%Y-%m-%dT%H:%M:%E6SZ"));
}

}  // namespace carecast::testing
