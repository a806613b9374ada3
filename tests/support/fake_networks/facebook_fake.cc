#include "tests/support/fake_networks/facebook_fake.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace carecast::testing {

using nlohmann::json;

namespace {

constexpr char kKind[] = "kind";  // FakePost attribute: "post" or "comment"

const json* GraphMemberOf(const json& value, const char* key) {
  auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

std::string GraphStringOf(const json& value, const char* key) {
  const json* member = GraphMemberOf(value, key);
  return member != nullptr && member->is_string() ? member->get<std::string>() : std::string();
}

// Posts added with AddExistingPost carry no kind: they are feed posts.
std::string KindOf(const FakePost& post) {
  auto it = post.attributes.find(kKind);
  return it == post.attributes.end() ? "post" : it->second;
}

json ItemOf(const FakePost& post) {
  return json{{"id", post.id},
              {"message", post.text},
              {"created_time", MetaGraphFake::GraphTime(post.create_time)},
              {"permalink_url", FacebookFake::PermalinkOf(post.id)}};
}

}  // namespace

FacebookFake::FacebookFake(FacebookFakeSettings settings)
    : MetaGraphFake(MetaGraphFakeFlavor{"facebook", 32, "(#32) Page request limit reached", "pages",
                                        /*page_usage_header=*/true}),
      settings_(std::move(settings)) {
  std::string v = VersionPrefix();
  http().Post(v + R"(/([^/]+)/feed)", [this](const auto& req, auto& res) { CreatePost(req, res); });
  http().Post(v + R"(/([^/]+)/photos)", [this](const auto& req, auto& res) { AddPhoto(req, res); });
  http().Get(v + R"(/([^/]+)/feed)", [this](const auto& req, auto& res) { ListFeed(req, res); });
  http().Post(v + R"(/([^/]+)/comments)",
              [this](const auto& req, auto& res) { CreateComment(req, res); });
  http().Get(v + R"(/([^/]+)/comments)",
             [this](const auto& req, auto& res) { ListComments(req, res); });
  http().Get(v + R"(/([^/]+)/insights)", [this](const auto& req, auto& res) {
    ServeInsights(req, res,
                  {{"post_impressions", &FakeEngagement::impressions},
                   {"post_clicks", &FakeEngagement::clicks}});
  });
  http().Get(v + R"(/([^/]+))", [this](const auto& req, auto& res) { ReadObject(req, res); });
  http().Delete(v + R"(/([^/]+))", [this](const auto& req, auto& res) { DeleteObject(req, res); });
}

std::string FacebookFake::PermalinkOf(const std::string& id) {
  std::pair<std::string, std::string> parts = absl::StrSplit(id, absl::MaxSplits('_', 1));
  return absl::StrCat("https://www.facebook.com/", parts.first, "/posts/", parts.second);
}

void FacebookFake::FailNextUpload(int status) {
  std::lock_guard lock(photos_mu_);
  fail_next_upload_ = status;
}

int64_t FacebookFake::uploads_accepted() const {
  std::lock_guard lock(photos_mu_);
  return static_cast<int64_t>(photos_.size());
}

std::map<std::string, std::string> FacebookFake::photo_alt_texts() const {
  std::lock_guard lock(photos_mu_);
  std::map<std::string, std::string> out;
  for (const auto& [id, photo] : photos_) out[id] = photo.alt_text;
  return out;
}

void FacebookFake::AddPhoto(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (req.matches[1] != settings_.page_id) {
    AnswerNoSuchObject(res, "post", req.matches[1].str());
    return;
  }
  json body = json::parse(req.body, nullptr, false);
  const json* published = body.is_object() ? GraphMemberOf(body, "published") : nullptr;
  bool unpublished = (published != nullptr && published->is_boolean() && !published->get<bool>()) ||
                     Param(req, "published") == "false";
  if (!unpublished) {
    AnswerGraphError(res, 400, 100, 0, "(#100) this fake only stores unpublished photos");
    return;
  }
  std::string url = Param(req, "url");
  if (url.empty()) {
    AnswerGraphError(res, 400, 324, 0, "(#324) Requires upload file");
    return;
  }
  if (!CanFetch(url)) {
    AnswerGraphError(res, 400, 324, 0, "(#324) Missing or invalid image file");
    return;
  }
  std::lock_guard lock(photos_mu_);
  if (int status = std::exchange(fail_next_upload_, 0); status != 0) {
    AnswerServerError(res, status);
    return;
  }
  std::string id = NextId();
  photos_[id] = Photo{url, Param(req, "alt_text_custom"), false};
  AnswerJson(res, json{{"id", id}});
}

bool FacebookFake::PostedRecently(const std::string& message) const {
  absl::Time day_ago = absl::Now() - absl::Hours(24);
  std::vector<FakePost> all = posts();
  return std::any_of(all.begin(), all.end(), [&](const FakePost& post) {
    return !post.deleted && post.author == settings_.page_id && post.text == message &&
           post.create_time > day_ago && KindOf(post) == "post";
  });
}

void FacebookFake::CreatePost(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (req.matches[1] != settings_.page_id) {
    AnswerNoSuchObject(res, "post", req.matches[1].str());
    return;
  }
  std::string message = Param(req, "message");
  if (message.empty()) {
    AnswerGraphError(res, 400, 100, 0, "(#100) The parameter message is required");
    return;
  }
  // Facebook refuses a repeat of a recent status as a duplicate: nothing made.
  if (PostedRecently(message)) {
    AnswerDuplicate(res);
    return;
  }
  json body = json::parse(req.body, nullptr, false);
  json attached =
      body.is_object() && body.contains("attached_media") ? body["attached_media"] : json();
  if (attached.is_null() && req.has_param("attached_media"))
    attached = json::parse(req.get_param_value("attached_media"), nullptr, false);
  std::vector<std::string> photo_ids;
  if (!attached.is_null()) {
    if (!attached.is_array()) {
      AnswerGraphError(res, 400, 100, 0, "(#100) param attached_media must be an array");
      return;
    }
    std::lock_guard lock(photos_mu_);
    for (size_t i = 0; i < attached.size(); ++i) {
      std::string id = attached[i].is_object() ? GraphStringOf(attached[i], "media_fbid") : "";
      auto it = photos_.find(id);
      if (it == photos_.end() || it->second.attached) {
        AnswerGraphError(res, 400, 100, 0,
                         absl::StrCat("(#100) param attached_media[", i, "] has invalid value"));
        return;
      }
      photo_ids.push_back(id);
    }
  }
  if (!BeginCreate(res)) return;
  FakePost post;
  post.id = absl::StrCat(settings_.page_id, "_", NextId());
  post.author = settings_.page_id;
  post.text = message;
  post.attributes[kKind] = "post";
  if (!photo_ids.empty()) {
    post.attributes["attached_media"] = absl::StrJoin(photo_ids, ",");
    std::lock_guard lock(photos_mu_);
    for (const std::string& id : photo_ids) photos_[id].attached = true;
  }
  std::string id = Commit(std::move(post));
  AnswerJson(res, json{{"id", id}});
  FinishCreate(res);
}

void FacebookFake::CreateComment(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string parent = req.matches[1].str();
  std::optional<FakePost> target = FindPost(parent);
  if (!target || target->deleted) {
    AnswerNoSuchObject(res, "post", parent);
    return;
  }
  std::string message = Param(req, "message");
  if (message.empty()) {
    AnswerGraphError(res, 400, 100, 0, "(#100) The parameter message is required");
    return;
  }
  std::string attachment_url = Param(req, "attachment_url");
  if (!attachment_url.empty() && !CanFetch(attachment_url)) {
    AnswerGraphError(res, 400, 100, 0, "(#100) The attachment_url could not be fetched");
    return;
  }
  if (!BeginCreate(res)) return;
  FakePost comment;
  comment.id = absl::StrCat(parent, "_", NextId());
  comment.author = settings_.page_id;
  comment.text = message;
  comment.in_reply_to = parent;
  comment.attributes[kKind] = "comment";
  if (!attachment_url.empty()) comment.attributes["attachment_url"] = attachment_url;
  std::string id = Commit(std::move(comment));
  AnswerJson(res, json{{"id", id}});
  FinishCreate(res);
}

void FacebookFake::ListFeed(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (req.matches[1] != settings_.page_id) {
    AnswerNoSuchObject(res, "get", req.matches[1].str());
    return;
  }
  int64_t since = IntParam(req, "since", 0);
  std::vector<FakePost> all = posts();
  std::vector<json> items;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->deleted || it->author != settings_.page_id || KindOf(*it) != "post") continue;
    if (absl::ToUnixSeconds(it->create_time) < since) continue;
    items.push_back(ItemOf(*it));
  }
  AnswerJson(res, Paged(items, req));
}

void FacebookFake::ListComments(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string parent = req.matches[1].str();
  if (!FindPost(parent)) {
    AnswerNoSuchObject(res, "get", parent);
    return;
  }
  std::vector<FakePost> all = posts();
  std::vector<json> items;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!it->deleted && it->in_reply_to == parent) items.push_back(ItemOf(*it));
  }
  AnswerJson(res, Paged(items, req));
}

void FacebookFake::ReadObject(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  if (req.matches[1].str() == settings_.page_id) {
    json page = {{"id", settings_.page_id}};
    if (absl::StrContains(Param(req, "fields"), "followers_count"))
      page["followers_count"] = ServeFollowers(settings_.page_id);
    AnswerJson(res, page);
    return;
  }
  std::optional<FakePost> post = FindPost(req.matches[1].str());
  if (!post || post->deleted) {
    AnswerNoSuchObject(res, "get", req.matches[1].str());
    return;
  }
  int64_t comments = post->engagement.replies;
  for (const FakePost& other : posts()) {
    if (!other.deleted && other.in_reply_to == post->id) ++comments;
  }
  json body = ItemOf(*post);
  // A negative count leaves the edge out, as when the token may not read it.
  if (post->engagement.likes >= 0) {
    body["reactions"] = {{"data", json::array()},
                         {"summary", {{"total_count", post->engagement.likes}}}};
  }
  if (post->engagement.replies >= 0) {
    body["comments"] = {{"data", json::array()},
                        {"summary", {{"total_count", comments}, {"can_comment", true}}}};
  }
  if (post->engagement.shares > 0) body["shares"] = {{"count", post->engagement.shares}};
  AnswerJson(res, body);
}

void FacebookFake::DeleteObject(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (!MarkDeleted(req.matches[1].str())) {
    AnswerNoSuchObject(res, "delete", req.matches[1].str());
    return;
  }
  AnswerJson(res, json{{"success", true}});
}

}  // namespace carecast::testing
