// A local Facebook Page on the Graph API, as developers.facebook.com documents
// it: POST /{page-id}/feed {"message"} → {"id":"<page>_<post>"}; GET
// /{page-id}/feed (fields, since, limit, after cursor); POST /{post-id}/comments
// → {"id"}; GET /{object-id}/comments; GET /{object-id} (message, created_time,
// permalink_url, shares, comments and reactions summaries); DELETE /{object-id}
// → {"success":true}; GET /{page-id}?fields=followers_count (SetFollowers(page id)).
// Refusals as Meta sends them: the same message as one of
// the Page's posts of the last 24 h → 400 (#506); an expired token → 400 code
// 190/463; a spent budget → 400 code 32 "Page request limit reached", with the
// usage headers on every answer while SetRateLimit is on. Counts a create for
// every committed post and comment. Thread-safe.
// Images by reference (developers.facebook.com/docs/graph-api/reference/page/photos):
// POST /{page-id}/photos {"url", "published": false, "alt_text_custom"} →
// {"id"} stores an unpublished photo (only published=false is served; a url it
// cannot fetch → 400 #324); a feed post attaches them with "attached_media":
// [{"media_fbid"}] (an unknown or already attached id → 400 #100), kept as
// attribute "attached_media" (comma-joined); a comment may name one image as
// "attachment_url" (attribute "attachment_url").
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "tests/support/fake_networks/meta_graph_fake.h"

namespace carecast::testing {

struct FacebookFakeSettings {
  // The Page every token belongs to ("1000").
  std::string page_id = "1000";
};

class FacebookFake final : public MetaGraphFake {
 public:
  explicit FacebookFake(FacebookFakeSettings settings = {});

  const std::string& page_id() const { return settings_.page_id; }
  std::string business_id() const override { return settings_.page_id; }

  // The permalink_url the fake gives the post `id` ("<page>_<post>").
  static std::string PermalinkOf(const std::string& id);

  // The next photo upload answers `status` (a 5xx) and stores nothing.
  void FailNextUpload(int status);
  // Unpublished photos stored, and each one's alt_text_custom by photo id.
  int64_t uploads_accepted() const;
  std::map<std::string, std::string> photo_alt_texts() const;

 private:
  void CreatePost(const httplib::Request& req, httplib::Response& res);
  void AddPhoto(const httplib::Request& req, httplib::Response& res);
  void CreateComment(const httplib::Request& req, httplib::Response& res);
  void ListFeed(const httplib::Request& req, httplib::Response& res);
  void ListComments(const httplib::Request& req, httplib::Response& res);
  void ReadObject(const httplib::Request& req, httplib::Response& res);
  void DeleteObject(const httplib::Request& req, httplib::Response& res);
  // True when the Page posted `message` in the last 24 hours.
  bool PostedRecently(const std::string& message) const;

  struct Photo {
    std::string url;
    std::string alt_text;
    bool attached = false;
  };

  const FacebookFakeSettings settings_;
  mutable std::mutex photos_mu_;
  std::map<std::string, Photo> photos_;  // by photo id
  int fail_next_upload_ = 0;
};

}  // namespace carecast::testing
