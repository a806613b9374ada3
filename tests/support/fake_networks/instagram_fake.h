// A local Instagram professional account on the Instagram Graph API, as
// developers.facebook.com documents content publishing:
//   POST /{ig-user-id}/media {"image_url","caption","alt_text"} → {"id"}: a
//       container, IN_PROGRESS until it has been read `status_reads_to_finish`
//       times, then FINISHED (PUBLISHED after media_publish; EXPIRED when told);
//   GET /{container-id}?fields=status_code,status;
//   POST /{ig-user-id}/media_publish {"creation_id"} → {"id": media id}: the
//       only create of a post (what the fake counts); a container that is not
//       FINISHED → 400 code 9007 subcode 2207027 "Media ID is not available"
//       (also for one already PUBLISHED: see docs/channels/instagram.md); the
//       quota spent → 400 code 9 subcode 2207042;
//   GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config;
//   GET /{ig-user-id}/media (id, caption, permalink, timestamp; cursors);
//   GET /{media-id} (permalink, like_count, comments_count, caption, timestamp;
//       like_count left out when the likes are negative: hidden by the owner);
//   GET /{ig-user-id}?fields=followers_count (SetFollowers(ig user id));
//   POST /{media-id}/comments {"message"} → {"id"} (counted as a create);
//   GET /{media-id}/comments (id, text, timestamp);
//   GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){...} and
//       mentioned_media.media_id(<id>){...}: where someone else @mentioned the
//       account (AddMentionComment, AddMentionedMedia); 400 code 100 when the
//       comment or media is gone.
// Refusals as Meta sends them: an expired token → 400 code 190/463; a spent
// budget → 400 code 80002 (Business Use Case throttling) with the usage headers
// on every answer while SetRateLimit is on. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "tests/support/fake_networks/meta_graph_fake.h"

namespace carecast::testing {

struct InstagramFakeSettings {
  // The Instagram account every token belongs to ("17841400000000001").
  std::string ig_user_id = "17841400000000001";
  // Status reads a new container answers IN_PROGRESS before FINISHED (1).
  int status_reads_to_finish = 1;
  // The publishing quota per rolling 24 hours (50, as the reference example).
  int64_t quota_total = 50;
};

class InstagramFake final : public MetaGraphFake {
 public:
  explicit InstagramFake(InstagramFakeSettings settings = {});

  const std::string& ig_user_id() const { return settings_.ig_user_id; }
  std::string business_id() const override { return settings_.ig_user_id; }

  // --- scripting -----------------------------------------------------------
  void set_status_reads_to_finish(int reads);
  // Media published "elsewhere" today that count against the quota.
  void set_quota_used_elsewhere(int64_t used);
  // The next container creation fails: Meta could not fetch the image
  // (400 code 9004 subcode 2207052).
  void FailNextMediaFetch();
  // Someone else's media whose caption, or a comment on it whose text,
  // @mentions the account (not counted as creates). The ids a "mentions"
  // webhook change would carry.
  struct MentionIds {
    std::string media_id;
    std::string comment_id;  // empty for a caption mention
  };
  MentionIds AddMentionedMedia(const std::string& username, const std::string& caption);
  MentionIds AddMentionComment(const std::string& username, const std::string& text);
  // Its author deletes a comment or media (reads then answer code 100).
  void DeleteByItsAuthor(const std::string& id) { MarkDeleted(id); }
  // The container's status becomes EXPIRED (or ERROR with `status`).
  void ExpireContainer(const std::string& id);
  void FailContainer(const std::string& id, const std::string& status);

  // --- what happened -------------------------------------------------------
  int64_t containers_created() const;
  int64_t publish_calls() const;  // media_publish requests, refused ones included
  // The container's status_code; empty when unknown.
  std::string ContainerStatus(const std::string& id) const;
  static std::string PermalinkOf(const std::string& media_id);

 private:
  // Answers a mentioned_comment / mentioned_media read and returns true;
  // false when `fields` asks for neither.
  bool ServeMention(const std::string& fields, httplib::Response& res);
  struct Container {
    std::string caption;
    std::string image_url;
    std::string alt_text;
    std::string status_code = "IN_PROGRESS";
    std::string status;
    int reads = 0;
    int reads_to_finish = 1;
  };

  void CreateContainer(const httplib::Request& req, httplib::Response& res);
  void PublishContainer(const httplib::Request& req, httplib::Response& res);
  void ReadQuota(const httplib::Request& req, httplib::Response& res);
  void ListMedia(const httplib::Request& req, httplib::Response& res);
  void ReadObject(const httplib::Request& req, httplib::Response& res);
  void CreateComment(const httplib::Request& req, httplib::Response& res);
  void ListComments(const httplib::Request& req, httplib::Response& res);
  // The container's answer to a status read (advancing IN_PROGRESS); false when unknown.
  bool ReadContainerStatus(const std::string& id, httplib::Response& res);
  // Checks creation_id for media_publish; fills `res` and returns nullopt when refused.
  std::optional<Container> PublishableContainer(const std::string& id, httplib::Response& res);
  int64_t QuotaUsage() const;
  bool OwnAccount(const httplib::Request& req, httplib::Response& res) const;

  const InstagramFakeSettings settings_;
  mutable std::mutex mu_;
  std::map<std::string, Container> containers_;
  int status_reads_to_finish_;
  int64_t quota_used_elsewhere_ = 0;
  bool fail_next_fetch_ = false;
  int64_t containers_created_ = 0;
  int64_t publish_calls_ = 0;
};

}  // namespace carecast::testing
