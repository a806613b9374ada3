// A local WordPress site (core REST API, /wp-json/wp/v2), as WordPress behaves
// (docs/channels/wordpress.md):
//   POST   /wp-json/wp/v2/posts          → 201, the post (context=edit)
//   GET    /wp-json/wp/v2/posts          slug, status (list), after, per_page
//                                        1..100, page, context; X-WP-Total and
//                                        X-WP-TotalPages headers
//   DELETE /wp-json/wp/v2/posts/<id>     force=true deletes, else to the trash
//   POST   /wp-json/wp/v2/comments       {"post", "content", "parent"} → 201
//   GET    /wp-json/wp/v2/comments       post, parent, after, per_page, page
//   DELETE /wp-json/wp/v2/comments/<id>?force=true
//   POST   /wp-json/wp/v2/media          the file as the body, its Content-Type, and
//                                        Content-Disposition: attachment; filename="…"
//                                        → 201, the attachment (id, source_url, alt_text)
//                                        (400 rest_upload_no_content_disposition /
//                                        rest_upload_no_data without them)
//   POST   /wp-json/wp/v2/media/<id>     {"alt_text"} → 200 (404 rest_post_invalid_id)
//   GET    /files/<name>                 a media host (AddFile; no token, not counted)
// A post's featured_media must be an uploaded attachment (400
// rest_invalid_featured_media); the post keeps it (attribute "featured_media").
// Like WordPress it makes a taken slug unique by appending "-2", "-3", ... (and
// counts that create: a double send shows), compares `after` with the site's
// LOCAL time (options.utc_offset), refuses a repeated comment (409
// comment_duplicate), answers errors as {"code","message","data":{"status"}}
// (401 incorrect_password for an unknown or revoked application password, 403
// rest_cannot_create, 400 rest_invalid_param), and renders content through a
// small wptexturize (curly quotes) while context=edit also returns it raw. A
// host in front answers a spent budget with 429 and Retry-After (HTML body) and
// maintenance with 503 and Retry-After (QueueMaintenance).
// Application passwords are tokens "username:password" (HTTP Basic).
// Thread-safe; usable from tests and as a standalone process.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

struct WordPressFakeOptions {
  // The site's offset from UTC; `after` is read as local time (-5h).
  absl::Duration utc_offset = absl::Hours(-5);
};

class WordPressFake final : public FakeNetworkServer {
 public:
  explicit WordPressFake(WordPressFakeOptions options = {});

  // Lets `username` in with `password` (and gives the user an id).
  void AddApplicationPassword(const std::string& username, const std::string& password);
  void RevokeApplicationPassword(const std::string& username, const std::string& password);
  // `username` may not create posts (403 rest_cannot_create).
  void DenyCreate(const std::string& username);
  // The next request gets the maintenance answer: 503 with Retry-After.
  void QueueMaintenance(int retry_after_seconds);
  // Slugs are made from the title, ignoring the requested one (as some SEO
  // plugins do).
  void set_rewrite_slugs(bool rewrite);
  // The next media upload answers `status` (a 5xx) and stores nothing.
  void FailNextUpload(int status);
  // Attachments uploaded, and each one's alt text by id.
  int64_t uploads_accepted() const;
  std::map<std::string, std::string> media_alt_texts() const;

 protected:
  std::string TokenOf(const httplib::Request& req) const override;
  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AnswerServerError(httplib::Response& res, int status) const override;

 private:
  // Admit plus the maintenance answer; false when `res` was filled.
  bool AdmitSite(const httplib::Request& req, httplib::Response& res);
  void HandleCreatePost(const httplib::Request& req, httplib::Response& res);
  void HandleListPosts(const httplib::Request& req, httplib::Response& res);
  void HandleDeletePost(const httplib::Request& req, httplib::Response& res);
  void HandleCreateComment(const httplib::Request& req, httplib::Response& res);
  void HandleListComments(const httplib::Request& req, httplib::Response& res);
  void HandleDeleteComment(const httplib::Request& req, httplib::Response& res);
  void HandleUploadMedia(const httplib::Request& req, httplib::Response& res);
  void HandleUpdateMedia(const httplib::Request& req, httplib::Response& res);
  struct Attachment {
    std::string filename;
    std::string mime_type;
    std::string alt_text;
  };
  nlohmann::json AttachmentObject(const std::string& id, const Attachment& attachment) const;
  std::string UserOf(const httplib::Request& req) const;
  int64_t UserId(const std::string& username) const;
  std::string UniqueSlug(const std::string& wanted) const;
  std::string PostLink(const FakePost& post) const;

  const WordPressFakeOptions options_;
  mutable std::mutex site_mu_;
  std::map<std::string, int64_t> user_ids_;
  std::set<std::string> denied_;
  int maintenance_seconds_ = 0;  // > 0: the next request is refused
  bool rewrite_slugs_ = false;
  int64_t next_comment_ = 1;
  std::map<std::string, Attachment> attachments_;  // by id
  int fail_next_upload_ = 0;
  int64_t next_attachment_ = 5001;
};

}  // namespace carecast::testing
