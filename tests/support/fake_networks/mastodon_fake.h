// A local Mastodon instance for the adapter tests and scripts/run.sh: the REST
// routes the Mastodon adapter uses, answering as the instance documents
// (docs.joinmastodon.org/methods/statuses, /methods/accounts, /methods/media,
// /api/rate-limits):
//   POST   /api/v1/statuses              JSON or form; Idempotency-Key replay
//   GET    /api/v1/statuses/:id
//   DELETE /api/v1/statuses/:id
//   GET    /api/v1/accounts/verify_credentials  with followers_count (SetFollowers(account_id))
//   GET    /api/v1/accounts/:id/statuses  limit (<= 40), max_id, since_id, exclude_replies
//   POST   /api/v2/media                 multipart: file, description
//   GET    /api/v1/media/:id             206 while processing, then 200
//   GET    /api/v1/notifications         types[], exclude_types[], limit (default 40,
//                                        at most 80), max_id, since_id, min_id;
//                                        newest first; Link next (max_id) and prev
//                                        (min_id). min_id answers the page
//                                        immediately newer than it (since_id is
//                                        then ignored, as Mastodon does); without
//                                        it, the newest page after since_id
//   GET    /files/<name>                 a media host (not the API: no token, not counted)
//   POST   /_fake/mentions               not Mastodon's: a member of the public's
//                                        status mentioning this account, for
//                                        scripts that run the fake as a process
//                                        (JSON {"acct", "text", "visibility"};
//                                        answers {"id"}; no token, not counted)
// Idempotency-Key: a repeat of a key (per account) within the window answers the
// first status (200, same id) without committing or counting a create. Every
// admitted answer carries X-RateLimit-Limit/Remaining/Reset (ISO 8601), and so
// does the 429. Content is rendered as Mastodon does (paragraphs, <br />, links
// split into spans, hashtags as links). Reads of statuses and notifications
// play QueueReadFault. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

struct MastodonFakeSettings {
  // The one account every accepted token belongs to (its id and username).
  std::string account_id = "109348329876543210";
  std::string username = "carecast";
  // How long an Idempotency-Key is remembered (Mastodon: one hour).
  absl::Duration idempotency_window = absl::Hours(1);
  // Mastodon's API budget: 300 requests per 5 minutes per account.
  int64_t rate_limit = 300;
  absl::Duration rate_window = absl::Minutes(5);
  // The id of the first notification (they count up from it); tests start
  // below a power of ten to cross into longer ids.
  int64_t first_notification_id = 1;
};

class MastodonFake final : public FakeNetworkServer {
 public:
  explicit MastodonFake(MastodonFakeSettings settings = {});
  ~MastodonFake() override;

  const MastodonFakeSettings& settings() const { return settings_; }
  // Forgets every Idempotency-Key, as the instance does once the window passed.
  void ForgetIdempotencyKeys();
  // Uploads answer 202 and GET /api/v1/media/:id answers 206 `polls` times
  // before 200 (0, the default: uploads answer 200 at once).
  void set_media_processing_polls(int polls);

  // Creates answered from a remembered Idempotency-Key (not counted as creates).
  int64_t idempotent_replays() const;
  int64_t verify_credentials_calls() const;
  // Uploaded attachments: id → description (alt text).
  std::map<std::string, std::string> media_descriptions() const;

  // The URL a status has on this instance.
  std::string StatusUrl(const std::string& id) const;

  // A status by `acct` (another account: "alice" or "alice@example.org")
  // mentioning this account, as if posted elsewhere, with `text` rendered as
  // Mastodon renders content and `visibility` ("public", "unlisted",
  // "private", "direct"), and the "mention" notification for it. Returns the
  // status id; the notification's id is the next of its own sequence.
  std::string AddMention(const std::string& acct, const std::string& text,
                         const std::string& visibility = "public");
  // A notification of another `type` ("favourite", "follow", ...) from `acct`,
  // without a status. Returns its id.
  std::string AddNotification(const std::string& type, const std::string& acct);
  // GET /api/v1/notifications requests received (any answer).
  int64_t notification_reads() const;

 protected:
  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                      absl::Time reset) const override;

 private:
  struct Media {
    std::string description;
    std::string mime_type;
    int polls_left = 0;
  };
  struct StatusForm;

  void CreateStatus(const httplib::Request& req, httplib::Response& res);
  void GetStatus(const httplib::Request& req, httplib::Response& res);
  void DeleteStatus(const httplib::Request& req, httplib::Response& res);
  void VerifyCredentials(const httplib::Request& req, httplib::Response& res);
  void ListStatuses(const httplib::Request& req, httplib::Response& res);
  void UploadMedia(const httplib::Request& req, httplib::Response& res);
  void GetMedia(const httplib::Request& req, httplib::Response& res);
  void ListNotifications(const httplib::Request& req, httplib::Response& res);

  // Fills the instance's refusal of `form` (400/404/422) and returns true, or
  // returns false when it may be created.
  bool Refuse(const StatusForm& form, httplib::Response& res) const;
  std::optional<std::string> Replay(const std::string& key) const;
  std::string StatusJson(const FakePost& post, bool with_source) const;
  std::string AccountJson() const;

  struct Notification {
    int64_t id = 0;
    std::string type;
    std::string acct;       // who caused it
    std::string status_id;  // empty for types without a status
    absl::Time create_time;
  };

  const MastodonFakeSettings settings_;
  mutable std::mutex fake_mu_;
  // Idempotency-Key → (status id, when first used).
  std::map<std::string, std::pair<std::string, absl::Time>> keys_ ABSL_GUARDED_BY(fake_mu_);
  std::map<std::string, Media> media_ ABSL_GUARDED_BY(fake_mu_);
  int media_processing_polls_ ABSL_GUARDED_BY(fake_mu_) = 0;
  int64_t next_media_id_ ABSL_GUARDED_BY(fake_mu_) = 110000000000000001;
  int64_t replays_ ABSL_GUARDED_BY(fake_mu_) = 0;
  int64_t verify_calls_ ABSL_GUARDED_BY(fake_mu_) = 0;
  std::vector<Notification> notifications_ ABSL_GUARDED_BY(fake_mu_);  // id order
  int64_t next_notification_id_ ABSL_GUARDED_BY(fake_mu_);
  int64_t notification_reads_ ABSL_GUARDED_BY(fake_mu_) = 0;
};

// Mastodon's rendering of plain status text as HTML (exposed for tests).
std::string RenderMastodonContent(const std::string& text, const std::string& base_url);

}  // namespace carecast::testing
