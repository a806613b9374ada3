#include "tests/support/fake_networks/instagram_fake.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace carecast::testing {

using nlohmann::json;

namespace {

constexpr char kKind[] = "kind";  // FakePost attribute: "media" or "comment"
// Internal: media_publish of this container is under way (reads say FINISHED).
constexpr char kPublishing[] = "PUBLISHING";

// Posts added with AddExistingPost carry no kind: they are feed media.
std::string KindOf(const FakePost& post) {
  auto it = post.attributes.find(kKind);
  return it == post.attributes.end() ? "media" : it->second;
}

}  // namespace

InstagramFake::InstagramFake(InstagramFakeSettings settings)
    : MetaGraphFake(MetaGraphFakeFlavor{"instagram", 80002,
                                        "There have been too many calls to this Instagram "
                                        "account. Wait a bit and try again.",
                                        "instagram", /*page_usage_header=*/false}),
      settings_(std::move(settings)),
      status_reads_to_finish_(settings_.status_reads_to_finish) {
  std::string v = VersionPrefix();
  http().Post(v + R"(/([^/]+)/media_publish)",
              [this](const auto& req, auto& res) { PublishContainer(req, res); });
  http().Post(v + R"(/([^/]+)/media)",
              [this](const auto& req, auto& res) { CreateContainer(req, res); });
  http().Post(v + R"(/([^/]+)/comments)",
              [this](const auto& req, auto& res) { CreateComment(req, res); });
  http().Get(v + R"(/([^/]+)/content_publishing_limit)",
             [this](const auto& req, auto& res) { ReadQuota(req, res); });
  http().Get(v + R"(/([^/]+)/media)", [this](const auto& req, auto& res) { ListMedia(req, res); });
  http().Get(v + R"(/([^/]+)/comments)",
             [this](const auto& req, auto& res) { ListComments(req, res); });
  http().Get(v + R"(/([^/]+)/insights)", [this](const auto& req, auto& res) {
    ServeInsights(req, res, {{"reach", &FakeEngagement::impressions}});
  });
  http().Get(v + R"(/([^/]+))", [this](const auto& req, auto& res) { ReadObject(req, res); });
}

void InstagramFake::set_status_reads_to_finish(int reads) {
  std::lock_guard lock(mu_);
  status_reads_to_finish_ = reads;
}

void InstagramFake::set_quota_used_elsewhere(int64_t used) {
  std::lock_guard lock(mu_);
  quota_used_elsewhere_ = used;
}

void InstagramFake::FailNextMediaFetch() {
  std::lock_guard lock(mu_);
  fail_next_fetch_ = true;
}

void InstagramFake::ExpireContainer(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  it->second.status_code = "EXPIRED";
  it->second.status = "Expired: the container was not published within 24 hours.";
}

void InstagramFake::FailContainer(const std::string& id, const std::string& status) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  it->second.status_code = "ERROR";
  it->second.status = status;
}

int64_t InstagramFake::containers_created() const {
  std::lock_guard lock(mu_);
  return containers_created_;
}

int64_t InstagramFake::publish_calls() const {
  std::lock_guard lock(mu_);
  return publish_calls_;
}

std::string InstagramFake::ContainerStatus(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  return it == containers_.end() ? "" : it->second.status_code;
}

std::string InstagramFake::PermalinkOf(const std::string& media_id) {
  return absl::StrCat("https://www.instagram.com/p/Fk", media_id, "/");
}

bool InstagramFake::OwnAccount(const httplib::Request& req, httplib::Response& res) const {
  if (req.matches[1].str() == settings_.ig_user_id) return true;
  AnswerNoSuchObject(res, "post", req.matches[1].str());
  return false;
}

int64_t InstagramFake::QuotaUsage() const {
  absl::Time day_ago = absl::Now() - absl::Hours(24);
  int64_t used = 0;
  for (const FakePost& post : posts()) {
    if (post.author == settings_.ig_user_id && KindOf(post) == "media" &&
        post.create_time > day_ago)
      ++used;
  }
  std::lock_guard lock(mu_);
  return used + quota_used_elsewhere_;
}

void InstagramFake::CreateContainer(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !OwnAccount(req, res)) return;
  Container container;
  container.image_url = Param(req, "image_url");
  container.caption = Param(req, "caption");
  container.alt_text = Param(req, "alt_text");
  if (container.image_url.empty()) {
    AnswerGraphError(res, 400, 100, 0, "The parameter image_url is required.");
    return;
  }
  std::string id = NextId();
  std::lock_guard lock(mu_);
  if (std::exchange(fail_next_fetch_, false)) {
    AnswerGraphError(res, 400, 9004, 2207052,
                     "Media download has failed.: The media could not be fetched from the URI "
                     "provided.");
    return;
  }
  container.reads_to_finish = status_reads_to_finish_;
  container.status = "In Progress";
  if (container.reads_to_finish <= 0) container.status_code = "FINISHED";
  containers_[id] = container;
  ++containers_created_;
  AnswerJson(res, json{{"id", id}});
}

std::optional<InstagramFake::Container> InstagramFake::PublishableContainer(
    const std::string& id, httplib::Response& res) {
  // Counted before taking the lock: QuotaUsage takes it too.
  bool quota_spent = QuotaUsage() >= settings_.quota_total;
  std::lock_guard lock(mu_);
  ++publish_calls_;
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    AnswerNoSuchObject(res, "post", id);
    return std::nullopt;
  }
  if (it->second.status_code != "FINISHED") {
    AnswerGraphError(res, 400, 9007, 2207027, "Media ID is not available");
    return std::nullopt;
  }
  if (quota_spent) {
    AnswerGraphError(res, 400, 9, 2207042,
                     "The maximum number of posts that can be published in 24 hours has been "
                     "reached.");
    return std::nullopt;
  }
  // Reserved, so that a concurrent media_publish of it is refused.
  it->second.status_code = kPublishing;
  return it->second;
}

void InstagramFake::PublishContainer(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !OwnAccount(req, res)) return;
  std::string container_id = Param(req, "creation_id");
  std::optional<Container> container = PublishableContainer(container_id, res);
  if (!container) return;
  if (!BeginCreate(res)) {
    std::lock_guard lock(mu_);
    containers_[container_id].status_code = "FINISHED";  // nothing was published
    return;
  }
  FakePost media;
  media.id = NextId();
  media.author = settings_.ig_user_id;
  media.text = container->caption;
  media.attributes[kKind] = "media";
  media.attributes["container_id"] = container_id;
  media.attributes["media_url"] = container->image_url;
  media.attributes["alt_text"] = container->alt_text;
  std::string media_id = Commit(std::move(media));
  {
    std::lock_guard lock(mu_);
    containers_[container_id].status_code = "PUBLISHED";
    containers_[container_id].status = "Published";
  }
  AnswerJson(res, json{{"id", media_id}});
  FinishCreate(res);
}

void InstagramFake::ReadQuota(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !OwnAccount(req, res)) return;
  json limit = {{"quota_usage", QuotaUsage()},
                {"config", {{"quota_total", settings_.quota_total}, {"quota_duration", 86400}}}};
  AnswerJson(res, json{{"data", json::array({limit})}});
}

void InstagramFake::ListMedia(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !OwnAccount(req, res)) return;
  std::vector<FakePost> all = posts();
  std::vector<json> items;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->deleted || it->author != settings_.ig_user_id || KindOf(*it) != "media") continue;
    items.push_back(json{{"id", it->id},
                         {"caption", it->text},
                         {"permalink", PermalinkOf(it->id)},
                         {"timestamp", GraphTime(it->create_time)}});
  }
  AnswerJson(res, Paged(items, req));
}

bool InstagramFake::ReadContainerStatus(const std::string& id, httplib::Response& res) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return false;
  Container& container = it->second;
  if (container.status_code == "IN_PROGRESS") {
    if (container.reads >= container.reads_to_finish) {
      container.status_code = "FINISHED";
      container.status = "Finished: Media has been uploaded and it is complete.";
    } else {
      ++container.reads;
    }
  }
  std::string code = container.status_code == kPublishing ? "FINISHED" : container.status_code;
  AnswerJson(res, json{{"status_code", code}, {"status", container.status}, {"id", id}});
  return true;
}

void InstagramFake::ReadObject(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string id = req.matches[1].str();
  if (ReadContainerStatus(id, res)) return;
  if (!BeginRead(res)) return;
  if (id == settings_.ig_user_id && ServeMention(Param(req, "fields"), res)) return;
  if (id == settings_.ig_user_id) {
    json user = {{"id", id}};
    if (absl::StrContains(Param(req, "fields"), "followers_count"))
      user["followers_count"] = ServeFollowers(id);
    AnswerJson(res, user);
    return;
  }
  std::optional<FakePost> post = FindPost(id);
  if (!post || post->deleted) {
    AnswerNoSuchObject(res, "get", id);
    return;
  }
  if (KindOf(*post) == "comment") {
    AnswerJson(res,
               json{{"id", id}, {"text", post->text}, {"timestamp", GraphTime(post->create_time)}});
    return;
  }
  int64_t comments = post->engagement.replies;
  for (const FakePost& other : posts()) {
    if (!other.deleted && other.in_reply_to == id) ++comments;
  }
  json media = {{"id", id},
                {"caption", post->text},
                {"media_type", "IMAGE"},
                {"permalink", PermalinkOf(id)},
                {"timestamp", GraphTime(post->create_time)},
                {"comments_count", comments}};
  // Instagram omits like_count when the owner hid like counts (a negative count here).
  if (post->engagement.likes >= 0) media["like_count"] = post->engagement.likes;
  AnswerJson(res, media);
}

void InstagramFake::CreateComment(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string parent = req.matches[1].str();
  std::optional<FakePost> media = FindPost(parent);
  if (!media || media->deleted || KindOf(*media) != "media") {
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
  comment.id = NextId();
  comment.author = settings_.ig_user_id;
  comment.text = message;
  comment.in_reply_to = parent;
  comment.attributes[kKind] = "comment";
  std::string id = Commit(std::move(comment));
  AnswerJson(res, json{{"id", id}});
  FinishCreate(res);
}

void InstagramFake::ListComments(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::string parent = req.matches[1].str();
  if (!FindPost(parent)) {
    AnswerNoSuchObject(res, "get", parent);
    return;
  }
  std::vector<FakePost> all = posts();
  std::vector<json> items;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->deleted || it->in_reply_to != parent) continue;
    items.push_back(
        json{{"id", it->id}, {"text", it->text}, {"timestamp", GraphTime(it->create_time)}});
  }
  AnswerJson(res, Paged(items, req));
}

InstagramFake::MentionIds InstagramFake::AddMentionedMedia(const std::string& username,
                                                           const std::string& caption) {
  FakePost media;
  media.author = username;
  media.text = caption;
  media.create_time = absl::Now();
  media.attributes[kKind] = "others_media";
  return {.media_id = AddExistingPost(std::move(media)), .comment_id = ""};
}

InstagramFake::MentionIds InstagramFake::AddMentionComment(const std::string& username,
                                                           const std::string& text) {
  MentionIds ids = AddMentionedMedia("someone_else", "A photo");
  FakePost comment;
  comment.author = username;
  comment.text = text;
  comment.in_reply_to = ids.media_id;
  comment.create_time = absl::Now();
  comment.attributes[kKind] = "others_comment";
  ids.comment_id = AddExistingPost(std::move(comment));
  return ids;
}

bool InstagramFake::ServeMention(const std::string& fields, httplib::Response& res) {
  // "mentioned_comment.comment_id(<id>){...}" or "mentioned_media.media_id(<id>){...}".
  for (const auto& [field, key] : {std::pair{std::string("mentioned_comment"), "comment_id("},
                                   std::pair{std::string("mentioned_media"), "media_id("}}) {
    if (!absl::StartsWith(fields, field + ".")) continue;
    const size_t open = fields.find(key);
    const size_t close = fields.find(')', open);
    if (open == std::string::npos || close == std::string::npos) return false;
    const size_t from = open + std::string_view(key).size();
    const std::string id = fields.substr(from, close - from);
    std::optional<FakePost> post = FindPost(id);
    if (!post || post->deleted) {
      AnswerNoSuchObject(res, "get", id);
      return true;
    }
    json found = {
        {"id", id}, {"username", post->author}, {"timestamp", GraphTime(post->create_time)}};
    found[field == "mentioned_comment" ? "text" : "caption"] = post->text;
    AnswerJson(res, json{{field, found}, {"id", settings_.ig_user_id}});
    return true;
  }
  return false;
}

}  // namespace carecast::testing
