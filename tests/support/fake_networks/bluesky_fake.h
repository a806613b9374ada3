// A local Bluesky PDS for the adapter tests and scripts/run.sh: the XRPC
// methods the Bluesky adapter uses, answering as the PDS documents
// (docs.bsky.app/docs/api, the com.atproto and app.bsky lexicons):
//   POST /xrpc/com.atproto.server.createSession   {identifier, password}
//   POST /xrpc/com.atproto.server.refreshSession  Bearer refreshJwt (rotated)
//   POST /xrpc/com.atproto.repo.createRecord      validates rkey (TID) and the post
//   GET  /xrpc/com.atproto.repo.getRecord         400 RecordNotFound when absent
//   POST /xrpc/com.atproto.repo.deleteRecord      succeeds on a missing record
//   GET  /xrpc/com.atproto.repo.listRecords       rkey order (newest TID first)
//   POST /xrpc/com.atproto.repo.uploadBlob        raw bytes
//   GET  /xrpc/app.bsky.feed.getPosts             likeCount, repostCount, ...
//   GET  /xrpc/app.bsky.actor.getProfile          followersCount (SetFollowers(did))
//   GET  /files/<name>                            a media host (no token, not counted)
// One repository (settings' did and handle). A create whose rkey exists is
// refused with 400 InvalidRequest "Record already exists" and not counted. An
// expired access token gets 400 ExpiredToken; a wrong app password 401
// AuthenticationRequired. Every admitted answer carries RateLimit-Limit,
// -Remaining, -Reset (Unix seconds) and -Policy, and so does the 429
// RateLimitExceeded. Post ids (FakePost::id) are the records' at:// URIs.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

struct BlueskyFakeSettings {
  std::string did = "did:plc:carecastfakepds000000a";
  std::string handle = "carecast.bsky.example";
  std::string app_password = "abcd-efgh-ijkl-mnop";
  // A PDS's per-IP budget: 3000 requests per 5 minutes.
  int64_t rate_limit = 3000;
  absl::Duration rate_window = absl::Minutes(5);
};

class BlueskyFake final : public FakeNetworkServer {
 public:
  explicit BlueskyFake(BlueskyFakeSettings settings = {});
  ~BlueskyFake() override;

  const BlueskyFakeSettings& settings() const { return settings_; }
  // As FakeNetworkServer::SetRateLimit, and announced in RateLimit-Policy.
  void SetRateLimit(int64_t limit, absl::Duration window);
  // Every access token issued so far now gets 400 ExpiredToken.
  void ExpireAccessTokens();
  // Every refresh token issued so far now gets 400 ExpiredToken.
  void ExpireRefreshTokens();
  // createSession accepts only this app password from now on.
  void set_app_password(const std::string& password);
  // Adds a post record at `rkey` as if made elsewhere (not counted as a create);
  // returns its at:// URI.
  std::string AddRecord(const std::string& rkey, const std::string& text,
                        const std::string& reply_root_uri = "",
                        const std::string& reply_parent_uri = "");

  std::string RecordUri(const std::string& rkey) const;
  int64_t sessions_created() const;
  int64_t sessions_refreshed() const;
  // Creates refused because the record already existed.
  int64_t existing_record_refusals() const;
  // The stored record (JSON text) of a live post, or "".
  std::string RecordJson(const std::string& uri) const;

 protected:
  std::string TokenOf(const httplib::Request& req) const override;
  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                      absl::Time reset) const override;

 private:
  void CreateSession(const httplib::Request& req, httplib::Response& res);
  void RefreshSession(const httplib::Request& req, httplib::Response& res);
  void CreateRecord(const httplib::Request& req, httplib::Response& res);
  void GetRecord(const httplib::Request& req, httplib::Response& res);
  void DeleteRecord(const httplib::Request& req, httplib::Response& res);
  void ListRecords(const httplib::Request& req, httplib::Response& res);
  void UploadBlob(const httplib::Request& req, httplib::Response& res);
  void GetPosts(const httplib::Request& req, httplib::Response& res);
  void GetProfile(const httplib::Request& req, httplib::Response& res);

  // Admit, then the token must be an access token (else 400 InvalidToken).
  bool AdmitWithAccess(const httplib::Request& req, httplib::Response& res);
  // Fills the PDS's refusal of a create body and returns true, or false.
  bool RefuseRecord(const std::string& repo, const std::string& collection, const std::string& rkey,
                    const std::string& record_json, httplib::Response& res) const;
  void AnswerSession(httplib::Response& res);
  std::optional<FakePost> LiveRecord(const std::string& uri) const;

  const BlueskyFakeSettings settings_;
  // The PDS serializes the writes to one repository.
  std::mutex repo_write_mu_;
  mutable std::mutex fake_mu_;
  std::string app_password_ ABSL_GUARDED_BY(fake_mu_);
  absl::Duration policy_window_ ABSL_GUARDED_BY(fake_mu_);
  std::set<std::string> access_tokens_ ABSL_GUARDED_BY(fake_mu_);
  std::set<std::string> refresh_tokens_ ABSL_GUARDED_BY(fake_mu_);
  int64_t next_token_ ABSL_GUARDED_BY(fake_mu_) = 1;
  int64_t next_cid_ ABSL_GUARDED_BY(fake_mu_) = 1;
  int64_t sessions_created_ ABSL_GUARDED_BY(fake_mu_) = 0;
  int64_t sessions_refreshed_ ABSL_GUARDED_BY(fake_mu_) = 0;
  int64_t existing_refusals_ ABSL_GUARDED_BY(fake_mu_) = 0;
};

}  // namespace carecast::testing
