// A local X API v2 server, as X documents it (docs/channels/x.md):
//   POST   /2/tweets              {"text", "reply": {"in_reply_to_tweet_id"}}
//                                 → 201 {"data": {"id", "text", "edit_history_tweet_ids"}}
//   GET    /2/users/:id/tweets    the user's timeline, newest first, max_results
//                                 5..100, start_time, pagination_token,
//                                 meta.next_token; tweet.fields created_at,
//                                 referenced_tweets, public_metrics on request
//   GET    /2/tweets/:id          one post (public_metrics on request); a missing
//                                 post is 200 with a resource-not-found problem
//   GET    /2/users/me            the token's user; public_metrics.followers_count
//                                 (SetFollowers(user id)) when user.fields asks
//   DELETE /2/tweets/:id          → {"data": {"deleted": true}}
//   POST   /2/media/upload        multipart: media (the file), media_category
//                                 → {"data": {"id", "media_key", "size", "expires_after_secs"}}
//   POST   /2/media/metadata      {"id", "metadata": {"alt_text": {"text"}}} → 200;
//                                 an unknown id or a missing/longer than 1000 text → 400
//   GET    /2/tweets/search/recent  query (required; see below), max_results
//                                 10..100 (default 10; else 400), since_id,
//                                 until_id, pagination_token; newest first,
//                                 meta.newest_id/oldest_id/result_count/next_token
//                                 (next_token pages backwards, stable while new
//                                 posts arrive); tweet.fields created_at,
//                                 author_id, conversation_id; expansions=author_id
//                                 adds includes.users (id, name, username);
//                                 text has &, < and > escaped, as X sends it
//   GET    /files/<name>          a media host (AddFile; no token, not counted)
// Search matching is simpler than X's: the query is split at " OR " into
// alternatives, each a list of words; a post matches when, for one
// alternative, its text contains every word (case-insensitive substrings).
// Every post the fake holds is searchable (AddSearchable adds others' posts).
// A create naming media ("media": {"media_ids"}) is refused (400) for more than
// 4 ids or an id never uploaded; the post keeps the ids (attribute "media_ids").
// Like X, it rewrites every link in a post's text to a t.co link, refuses a
// text equal to one of the author's posts of the last 24 hours (403 duplicate
// content, nothing counted), answers a spent budget with 429 and the
// x-rate-limit-* headers (no Retry-After), which it also adds to every answer
// while SetRateLimit is on, and refuses an unknown or revoked token with X's 401.
// Every token belongs to one user id (SetUser; default: options.default_user_id).
// Thread-safe; usable from tests and as a standalone process.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/time/time.h"

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

struct XFakeOptions {
  // The user id of tokens not given one with SetUser ("1000").
  std::string default_user_id = "1000";
  // The timeline's page size is min(max_results, this) (100, X's largest);
  // tests lower it to make the adapter follow next_token.
  int max_page_size = 100;
  // A text equal to one of the author's posts within this window is refused (24h).
  absl::Duration duplicate_window = absl::Hours(24);
};

class XFake final : public FakeNetworkServer {
 public:
  explicit XFake(XFakeOptions options = {});

  // Requests bearing `token` act as user `user_id`.
  void SetUser(const std::string& token, const std::string& user_id);
  // quote_count of post `id` (public_metrics); the rest comes from SetEngagement.
  void SetQuotes(const std::string& id, int64_t quotes);
  // The next media upload answers `status` (a 5xx) and stores nothing.
  void FailNextUpload(int status);
  // Uploads stored, and each uploaded media id's alt text ("" until set).
  int64_t uploads_accepted() const;
  std::map<std::string, std::string> media_alt_texts() const;
  // A post by another user `username` (given a user id of its own), as if
  // posted elsewhere; found by search. Returns its id.
  std::string AddSearchable(const std::string& username, const std::string& text);
  // GET /2/tweets/search/recent requests received (any answer).
  int64_t search_reads() const;

 protected:
  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AnswerServerError(httplib::Response& res, int status) const override;
  void AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                      absl::Time reset) const override;

 private:
  void HandleCreate(const httplib::Request& req, httplib::Response& res);
  void HandleTimeline(const httplib::Request& req, httplib::Response& res);
  void HandleLookup(const httplib::Request& req, httplib::Response& res);
  void HandleMe(const httplib::Request& req, httplib::Response& res);
  void HandleDelete(const httplib::Request& req, httplib::Response& res);
  void HandleUpload(const httplib::Request& req, httplib::Response& res);
  void HandleMetadata(const httplib::Request& req, httplib::Response& res);
  void HandleSearch(const httplib::Request& req, httplib::Response& res);
  std::string UsernameOf(const std::string& user_id) const;
  std::string UserOf(const httplib::Request& req) const;
  int64_t QuotesOf(const std::string& id) const;
  bool IsDuplicate(const std::string& author, const std::string& text) const;

  const XFakeOptions options_;
  mutable std::mutex users_mu_;
  std::map<std::string, std::string> users_;  // token → user id
  std::map<std::string, int64_t> quotes_;     // post id → quote_count
  std::map<std::string, std::string> media_;  // uploaded media id → alt text
  int fail_next_upload_ = 0;
  int64_t uploads_ = 0;
  int64_t next_media_id_ = 1880028106020515840;
  std::map<std::string, std::string> usernames_;  // user id → username (AddSearchable)
  int64_t next_user_id_ = 5000;
  int64_t search_reads_ = 0;
};

}  // namespace carecast::testing
