#include "tests/support/fake_networks/wordpress_fake.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json; charset=UTF-8";
const std::set<std::string> kStatuses = {"publish", "future", "draft", "pending", "private"};

const json* Member(const json& value, const char* key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

// A field given as a string or as {"raw": string}, as WordPress accepts both.
std::string TextField(const json& body, const char* key) {
  const json* member = Member(body, key);
  if (member == nullptr) return "";
  if (member->is_string()) return member->get<std::string>();
  const json* raw = Member(*member, "raw");
  return raw != nullptr && raw->is_string() ? raw->get<std::string>() : "";
}

int64_t IntField(const json& body, const char* key, int64_t fallback) {
  const json* member = Member(body, key);
  return member != nullptr && member->is_number_integer() ? member->get<int64_t>() : fallback;
}

void WpError(httplib::Response& res, int status, const std::string& code,
             const std::string& message) {
  res.status = status;
  json body = {{"code", code}, {"message", message}, {"data", {{"status", status}}}};
  res.set_content(body.dump(), kJson);
}

void InvalidParam(httplib::Response& res, const std::string& param) {
  WpError(res, 400, "rest_invalid_param", absl::StrCat("Invalid parameter(s): ", param));
}

std::string Attribute(const FakePost& post, const std::string& key) {
  auto it = post.attributes.find(key);
  return it == post.attributes.end() ? "" : it->second;
}

bool IsComment(const FakePost& post) { return Attribute(post, "kind") == "comment"; }

int64_t Number(const std::string& text) {
  int64_t number = 0;
  return absl::SimpleAtoi(text, &number) ? number : 0;
}

std::string Gmt(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S", time, absl::UTCTimeZone());
}

// A little wptexturize: straight quotes become curly ones in `rendered`.
std::string Texturize(const std::string& html) {
  return absl::StrReplaceAll(html, {{"&#39;", "&#8217;"}, {"&quot;", "&#8221;"}, {"'", "&#8217;"}});
}

std::string SanitizeTitle(const std::string& title) {
  std::string slug;
  for (char c : absl::AsciiStrToLower(title)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      slug.push_back(c);
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? "post" : slug;
}

// `after` as WordPress reads it: wall-clock time in the site's zone (any offset
// given is ignored, as the REST API's date query compares post_date).
std::optional<absl::Time> ParseLocal(const std::string& value) {
  absl::Time time;
  std::string err;
  std::string wall = value.substr(0, std::min<size_t>(value.size(), 19));
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%S", wall, absl::UTCTimeZone(), &time, &err))
    return std::nullopt;
  return time;
}

json PostObject(const FakePost& post, const std::string& link, int64_t author,
                absl::Duration offset, bool edit) {
  json title = {{"rendered", Texturize(Attribute(post, "title"))}};
  json content = {{"rendered", Texturize(post.text)}, {"protected", false}};
  if (edit) {
    title["raw"] = Attribute(post, "title");
    content["raw"] = post.text;
  }
  return {{"id", Number(post.id)},
          {"date", Gmt(post.create_time + offset)},
          {"date_gmt", Gmt(post.create_time)},
          {"modified", Gmt(post.create_time + offset)},
          {"modified_gmt", Gmt(post.create_time)},
          {"slug", Attribute(post, "slug")},
          {"status", Attribute(post, "status")},
          {"type", "post"},
          {"link", link},
          {"title", title},
          {"content", content},
          {"author", author}};
}

json CommentObject(const FakePost& comment, const std::string& post_link, int64_t author,
                   absl::Duration offset, bool edit) {
  json content = {{"rendered", Texturize(comment.text)}};
  if (edit) content["raw"] = comment.text;
  std::string id = Attribute(comment, "comment_id");
  return {{"id", Number(id)},
          {"post", Number(Attribute(comment, "post"))},
          {"parent", Number(Attribute(comment, "parent"))},
          {"author", author},
          {"author_name", comment.author},
          {"date", Gmt(comment.create_time + offset)},
          {"date_gmt", Gmt(comment.create_time)},
          {"content", content},
          {"link", absl::StrCat(post_link, "#comment-", id)},
          {"status", "approved"},
          {"type", "comment"}};
}

// Paging as WordPress does it: per_page 1..100, page >= 1, totals in headers;
// a page past the last is an error.
struct Paging {
  int per_page = 10;
  int page = 1;
};
std::optional<Paging> ReadPaging(const httplib::Request& req, httplib::Response& res) {
  Paging paging;
  if (req.has_param("per_page") &&
      (!absl::SimpleAtoi(req.get_param_value("per_page"), &paging.per_page) ||
       paging.per_page < 1 || paging.per_page > 100)) {
    InvalidParam(res, "per_page");
    return std::nullopt;
  }
  if (req.has_param("page") &&
      (!absl::SimpleAtoi(req.get_param_value("page"), &paging.page) || paging.page < 1)) {
    InvalidParam(res, "page");
    return std::nullopt;
  }
  return paging;
}

// Newest first; fills the answer with one page and the X-WP-* headers.
void AnswerPage(std::vector<FakePost> items, const Paging& paging,
                const std::function<json(const FakePost&)>& render, httplib::Response& res) {
  std::stable_sort(items.begin(), items.end(), [](const FakePost& a, const FakePost& b) {
    return a.create_time > b.create_time;
  });
  size_t total = items.size();
  size_t pages = (total + paging.per_page - 1) / paging.per_page;
  if (total > 0 && static_cast<size_t>(paging.page) > pages) {
    WpError(res, 400, "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.");
    return;
  }
  json body = json::array();
  size_t first = static_cast<size_t>(paging.page - 1) * static_cast<size_t>(paging.per_page);
  for (size_t i = first; i < total && i < first + paging.per_page; ++i)
    body.push_back(render(items[i]));
  res.status = 200;
  res.set_header("X-WP-Total", absl::StrCat(total));
  res.set_header("X-WP-TotalPages", absl::StrCat(pages));
  res.set_content(body.dump(), kJson);
}

}  // namespace

WordPressFake::WordPressFake(WordPressFakeOptions options)
    : FakeNetworkServer("wordpress"), options_(options) {
  using Handler = void (WordPressFake::*)(const httplib::Request&, httplib::Response&);
  auto bind = [this](Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      (this->*handler)(req, res);
    };
  };
  http().Post("/wp-json/wp/v2/posts", bind(&WordPressFake::HandleCreatePost));
  http().Get("/wp-json/wp/v2/posts", bind(&WordPressFake::HandleListPosts));
  http().Delete(R"(/wp-json/wp/v2/posts/([0-9]+))", bind(&WordPressFake::HandleDeletePost));
  http().Post("/wp-json/wp/v2/comments", bind(&WordPressFake::HandleCreateComment));
  http().Get("/wp-json/wp/v2/comments", bind(&WordPressFake::HandleListComments));
  http().Delete(R"(/wp-json/wp/v2/comments/([0-9]+))", bind(&WordPressFake::HandleDeleteComment));
  http().Post("/wp-json/wp/v2/media", bind(&WordPressFake::HandleUploadMedia));
  http().Post(R"(/wp-json/wp/v2/media/([0-9]+))", bind(&WordPressFake::HandleUpdateMedia));
}

void WordPressFake::FailNextUpload(int status) {
  std::lock_guard lock(site_mu_);
  fail_next_upload_ = status;
}

int64_t WordPressFake::uploads_accepted() const {
  std::lock_guard lock(site_mu_);
  return static_cast<int64_t>(attachments_.size());
}

std::map<std::string, std::string> WordPressFake::media_alt_texts() const {
  std::lock_guard lock(site_mu_);
  std::map<std::string, std::string> out;
  for (const auto& [id, attachment] : attachments_) out[id] = attachment.alt_text;
  return out;
}

json WordPressFake::AttachmentObject(const std::string& id, const Attachment& attachment) const {
  return {{"id", Number(id)},
          {"type", "attachment"},
          {"slug", attachment.filename},
          {"link", absl::StrCat(base_url(), "/", attachment.filename, "/")},
          {"alt_text", attachment.alt_text},
          {"media_type", "image"},
          {"mime_type", attachment.mime_type},
          {"source_url", absl::StrCat(base_url(), "/wp-content/uploads/", attachment.filename)}};
}

void WordPressFake::HandleUploadMedia(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  std::string disposition = req.get_header_value("Content-Disposition");
  size_t at = disposition.find("filename=");
  if (at == std::string::npos) {
    WpError(res, 400, "rest_upload_no_content_disposition", "No Content-Disposition supplied.");
    return;
  }
  std::string filename(absl::StripAsciiWhitespace(disposition.substr(at + 9)));
  filename = std::string(absl::StripSuffix(absl::StripPrefix(filename, "\""), "\""));
  if (req.body.empty()) {
    WpError(res, 400, "rest_upload_no_data", "No data supplied.");
    return;
  }
  if (filename.empty()) {
    WpError(res, 400, "rest_upload_invalid_disposition",
            "Invalid Content-Disposition supplied. Content-Disposition needs to be formatted as "
            "`attachment; filename=\"image.png\"` or similar.");
    return;
  }
  std::lock_guard lock(site_mu_);
  if (int status = std::exchange(fail_next_upload_, 0); status != 0) {
    AnswerServerError(res, status);
    return;
  }
  std::string id = absl::StrCat(next_attachment_++);
  Attachment attachment{absl::StrCat(id, "-", filename), req.get_header_value("Content-Type"), ""};
  attachments_[id] = attachment;
  res.status = 201;
  res.set_content(AttachmentObject(id, attachment).dump(), kJson);
}

void WordPressFake::HandleUpdateMedia(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  std::lock_guard lock(site_mu_);
  auto it = attachments_.find(req.matches[1]);
  if (it == attachments_.end()) {
    WpError(res, 404, "rest_post_invalid_id", "Invalid post ID.");
    return;
  }
  if (const json* alt = Member(body, "alt_text"); alt != nullptr) {
    if (!alt->is_string()) {
      InvalidParam(res, "alt_text");
      return;
    }
    it->second.alt_text = alt->get<std::string>();
  }
  res.status = 200;
  res.set_content(AttachmentObject(it->first, it->second).dump(), kJson);
}

void WordPressFake::AddApplicationPassword(const std::string& username,
                                           const std::string& password) {
  {
    std::lock_guard lock(site_mu_);
    if (user_ids_.count(username) == 0)
      user_ids_[username] = static_cast<int64_t>(user_ids_.size()) + 1;
  }
  AcceptToken(username + ":" + password);
}

void WordPressFake::RevokeApplicationPassword(const std::string& username,
                                              const std::string& password) {
  RevokeToken(username + ":" + password);
}

void WordPressFake::DenyCreate(const std::string& username) {
  std::lock_guard lock(site_mu_);
  denied_.insert(username);
}

void WordPressFake::QueueMaintenance(int retry_after_seconds) {
  std::lock_guard lock(site_mu_);
  maintenance_seconds_ = retry_after_seconds;
}

void WordPressFake::set_rewrite_slugs(bool rewrite) {
  std::lock_guard lock(site_mu_);
  rewrite_slugs_ = rewrite;
}

std::string WordPressFake::TokenOf(const httplib::Request& req) const {
  std::string auth = req.get_header_value("Authorization");
  std::string decoded;
  if (!absl::StartsWith(auth, "Basic ") || !absl::Base64Unescape(auth.substr(6), &decoded))
    return "";
  return decoded;
}

std::string WordPressFake::UserOf(const httplib::Request& req) const {
  std::string token = TokenOf(req);
  return token.substr(0, token.find(':'));
}

int64_t WordPressFake::UserId(const std::string& username) const {
  std::lock_guard lock(site_mu_);
  auto it = user_ids_.find(username);
  return it == user_ids_.end() ? 0 : it->second;
}

std::string WordPressFake::PostLink(const FakePost& post) const {
  return absl::StrCat(base_url(), "/", Attribute(post, "slug"), "/");
}

std::string WordPressFake::UniqueSlug(const std::string& wanted) const {
  std::set<std::string> taken;
  for (const FakePost& post : posts()) {
    if (!post.deleted && !IsComment(post)) taken.insert(Attribute(post, "slug"));
  }
  std::string slug = wanted;
  for (int n = 2; taken.count(slug) > 0; ++n) slug = absl::StrCat(wanted, "-", n);
  return slug;
}

bool WordPressFake::AdmitSite(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return false;
  int seconds = 0;
  {
    std::lock_guard lock(site_mu_);
    seconds = std::exchange(maintenance_seconds_, 0);
  }
  if (seconds <= 0) return true;
  res.status = 503;
  res.set_header("Retry-After", absl::StrCat(seconds));
  res.set_content(
      "<!DOCTYPE html><html><body><h1>Briefly unavailable for scheduled maintenance. Check back "
      "in a minute.</h1></body></html>",
      "text/html; charset=UTF-8");
  return false;
}

void WordPressFake::HandleCreatePost(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    WpError(res, 400, "rest_invalid_json", "Invalid JSON body passed.");
    return;
  }
  const json* status = Member(body, "status");
  if (status != nullptr &&
      (!status->is_string() || kStatuses.count(status->get<std::string>()) == 0)) {
    InvalidParam(res, "status");
    return;
  }
  std::string username = UserOf(req);
  bool rewrite = false;
  int64_t featured = IntField(body, "featured_media", 0);
  {
    std::lock_guard lock(site_mu_);
    rewrite = rewrite_slugs_;
    if (denied_.count(username) > 0) {
      WpError(res, 403, "rest_cannot_create",
              "Sorry, you are not allowed to create posts as this user.");
      return;
    }
    if (featured != 0 && attachments_.count(absl::StrCat(featured)) == 0) {
      WpError(res, 400, "rest_invalid_featured_media", "Invalid featured media ID.");
      return;
    }
  }
  if (!BeginCreate(res)) return;
  FakePost post;
  post.author = username;
  if (featured != 0) post.attributes["featured_media"] = absl::StrCat(featured);
  post.text = TextField(body, "content");
  post.attributes["kind"] = "post";
  post.attributes["title"] = TextField(body, "title");
  post.attributes["status"] = status != nullptr ? status->get<std::string>() : "draft";
  std::string wanted = TextField(body, "slug");
  if (wanted.empty() || rewrite) wanted = SanitizeTitle(post.attributes["title"]);
  post.attributes["slug"] = UniqueSlug(wanted);
  post.create_time = absl::Now();
  post.id = Commit(post);
  res.status = 201;
  res.set_header("Location", absl::StrCat(base_url(), "/wp-json/wp/v2/posts/", post.id));
  res.set_content(
      PostObject(post, PostLink(post), UserId(username), options_.utc_offset, true).dump(), kJson);
  FinishCreate(res);
}

void WordPressFake::HandleListPosts(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  std::optional<Paging> paging = ReadPaging(req, res);
  if (!paging) return;
  std::set<std::string> statuses = {"publish"};
  if (req.has_param("status")) {
    statuses.clear();
    for (absl::string_view status : absl::StrSplit(req.get_param_value("status"), ',')) {
      if (kStatuses.count(std::string(status)) == 0) {
        InvalidParam(res, "status");
        return;
      }
      statuses.insert(std::string(status));
    }
  }
  std::set<std::string> slugs;
  for (absl::string_view slug : absl::StrSplit(req.get_param_value("slug"), ',', absl::SkipEmpty()))
    slugs.insert(std::string(slug));
  std::optional<absl::Time> after;
  if (req.has_param("after") && !(after = ParseLocal(req.get_param_value("after")))) {
    InvalidParam(res, "after");
    return;
  }
  std::vector<FakePost> kept;
  for (FakePost& post : posts()) {
    if (post.deleted || IsComment(post) || statuses.count(Attribute(post, "status")) == 0) continue;
    if (!slugs.empty() && slugs.count(Attribute(post, "slug")) == 0) continue;
    if (after && post.create_time + options_.utc_offset <= *after) continue;
    kept.push_back(std::move(post));
  }
  bool edit = req.get_param_value("context") == "edit";
  AnswerPage(
      std::move(kept), *paging,
      [&](const FakePost& post) {
        return PostObject(post, PostLink(post), UserId(post.author), options_.utc_offset, edit);
      },
      res);
}

void WordPressFake::HandleDeletePost(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  const std::string id = req.matches[1];
  std::optional<FakePost> post = FindPost(id);
  if (!post || post->deleted || IsComment(*post)) {
    WpError(res, 404, "rest_post_invalid_id", "Invalid post ID.");
    return;
  }
  json previous =
      PostObject(*post, PostLink(*post), UserId(post->author), options_.utc_offset, true);
  if (req.get_param_value("force") == "true") {
    MarkDeleted(id);
    res.status = 200;
    res.set_content(json({{"deleted", true}, {"previous", previous}}).dump(), kJson);
    return;
  }
  if (Attribute(*post, "status") == "trash") {
    WpError(res, 410, "rest_already_trashed", "The post has already been deleted.");
    return;
  }
  UpdatePost(id, [](FakePost& p) {
    p.attributes["status"] = "trash";
    p.attributes["slug"] += "__trashed";
  });
  res.status = 200;
  res.set_content(previous.dump(), kJson);
}

void WordPressFake::HandleCreateComment(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  std::string post_id = absl::StrCat(IntField(body, "post", 0));
  std::string parent_id = absl::StrCat(IntField(body, "parent", 0));
  std::string content = TextField(body, "content");
  std::optional<FakePost> post = FindPost(post_id);
  if (!post || post->deleted || IsComment(*post)) {
    WpError(res, 403, "rest_comment_invalid_post_id",
            "Sorry, you are not allowed to create this comment without a post.");
    return;
  }
  if (content.empty()) {
    WpError(res, 400, "rest_comment_content_invalid", "Invalid comment content.");
    return;
  }
  if (parent_id != "0") {
    std::optional<FakePost> parent = FindPost("comment-" + parent_id);
    if (!parent || parent->deleted || Attribute(*parent, "post") != post_id) {
      WpError(res, 400, "rest_comment_invalid_parent", "Invalid parent comment.");
      return;
    }
  }
  if (!BeginCreate(res)) return;
  std::string username = UserOf(req);
  for (const FakePost& other : posts()) {
    if (!other.deleted && IsComment(other) && Attribute(other, "post") == post_id &&
        other.author == username && other.text == content) {
      AnswerDuplicate(res);
      return;
    }
  }
  int64_t number = 0;
  {
    std::lock_guard lock(site_mu_);
    number = next_comment_++;
  }
  FakePost comment;
  comment.id = absl::StrCat("comment-", number);
  comment.author = username;
  comment.text = content;
  comment.in_reply_to = parent_id == "0" ? post_id : parent_id;
  comment.create_time = absl::Now();
  comment.attributes = {{"kind", "comment"},
                        {"post", post_id},
                        {"parent", parent_id},
                        {"comment_id", absl::StrCat(number)}};
  Commit(comment);
  res.status = 201;
  res.set_content(
      CommentObject(comment, PostLink(*post), UserId(username), options_.utc_offset, true).dump(),
      kJson);
  FinishCreate(res);
}

void WordPressFake::HandleListComments(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  std::optional<Paging> paging = ReadPaging(req, res);
  if (!paging) return;
  std::optional<absl::Time> after;
  if (req.has_param("after") && !(after = ParseLocal(req.get_param_value("after")))) {
    InvalidParam(res, "after");
    return;
  }
  std::string post_id = req.get_param_value("post");
  std::string parent_id = req.get_param_value("parent");
  std::vector<FakePost> kept;
  for (FakePost& comment : posts()) {
    if (comment.deleted || !IsComment(comment)) continue;
    if (!post_id.empty() && Attribute(comment, "post") != post_id) continue;
    if (!parent_id.empty() && Attribute(comment, "parent") != parent_id) continue;
    if (after && comment.create_time + options_.utc_offset <= *after) continue;
    kept.push_back(std::move(comment));
  }
  bool edit = req.get_param_value("context") == "edit";
  AnswerPage(
      std::move(kept), *paging,
      [&](const FakePost& comment) {
        std::optional<FakePost> post = FindPost(Attribute(comment, "post"));
        return CommentObject(comment, post ? PostLink(*post) : base_url(), UserId(comment.author),
                             options_.utc_offset, edit);
      },
      res);
}

void WordPressFake::HandleDeleteComment(const httplib::Request& req, httplib::Response& res) {
  if (!AdmitSite(req, res)) return;
  const std::string id = "comment-" + std::string(req.matches[1]);
  std::optional<FakePost> comment = FindPost(id);
  if (!comment || comment->deleted) {
    WpError(res, 404, "rest_comment_invalid_id", "Invalid comment ID.");
    return;
  }
  if (req.get_param_value("force") != "true") {
    WpError(res, 501, "rest_trash_not_supported",
            "Comments are only deleted with force=true here.");
    return;
  }
  MarkDeleted(id);
  res.status = 200;
  res.set_content(R"({"deleted":true})", kJson);
}

void WordPressFake::AnswerRateLimited(httplib::Response& res, int64_t /*limit*/,
                                      absl::Time reset) const {
  int64_t wait =
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(reset - absl::Now(), absl::Seconds(1))));
  res.status = 429;
  res.set_header("Retry-After", absl::StrCat(wait));
  res.set_content(
      "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many "
      "Requests</h1></body></html>",
      "text/html");
}

void WordPressFake::AnswerTokenExpired(httplib::Response& res) const {
  WpError(res, 401, "incorrect_password",
          "The provided password is an invalid application password.");
}

void WordPressFake::AnswerDuplicate(httplib::Response& res) const {
  WpError(res, 409, "comment_duplicate",
          "Duplicate comment detected; it looks as though you\u2019ve already said that!");
}

void WordPressFake::AnswerServerError(httplib::Response& res, int status) const {
  if (status == 503) {
    res.status = 503;
    res.set_content("<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html");
    return;
  }
  WpError(res, status, "internal_server_error",
          "<p>There has been a critical error on this website.</p>");
}

}  // namespace carecast::testing
