#include "tests/support/fake_networks/facebook_fake.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace carecast::testing {

using nlohmann::json;

namespace {

constexpr char kKind[] = "kind";  // FakePost attribute: "post" or "comment"

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
  http().Get(v + R"(/([^/]+)/feed)", [this](const auto& req, auto& res) { ListFeed(req, res); });
  http().Post(v + R"(/([^/]+)/comments)",
              [this](const auto& req, auto& res) { CreateComment(req, res); });
  http().Get(v + R"(/([^/]+)/comments)",
             [this](const auto& req, auto& res) { ListComments(req, res); });
  http().Get(v + R"(/([^/]+))", [this](const auto& req, auto& res) { ReadObject(req, res); });
  http().Delete(v + R"(/([^/]+))", [this](const auto& req, auto& res) { DeleteObject(req, res); });
}

std::string FacebookFake::PermalinkOf(const std::string& id) {
  std::pair<std::string, std::string> parts = absl::StrSplit(id, absl::MaxSplits('_', 1));
  return absl::StrCat("https://www.facebook.com/", parts.first, "/posts/", parts.second);
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
  if (!BeginCreate(res)) return;
  FakePost post;
  post.id = absl::StrCat(settings_.page_id, "_", NextId());
  post.author = settings_.page_id;
  post.text = message;
  post.attributes[kKind] = "post";
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
  if (!BeginCreate(res)) return;
  FakePost comment;
  comment.id = absl::StrCat(parent, "_", NextId());
  comment.author = settings_.page_id;
  comment.text = message;
  comment.in_reply_to = parent;
  comment.attributes[kKind] = "comment";
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
  if (!Admit(req, res)) return;
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
  body["reactions"] = {{"data", json::array()},
                       {"summary", {{"total_count", post->engagement.likes}}}};
  body["comments"] = {{"data", json::array()},
                      {"summary", {{"total_count", comments}, {"can_comment", true}}}};
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
