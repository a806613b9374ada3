// A local LinkedIn versioned REST API, as LinkedIn documents it
// (docs/channels/linkedin.md):
//   POST   /rest/posts                          → 201, empty body, x-restli-id: urn:li:share:N
//   GET    /rest/posts?q=author&author=&count=&start=&sortBy=
//                                               → {"elements": [...], "paging": {...}}
//   DELETE /rest/posts/{urn}                    → 204
//   POST   /rest/socialActions/{urn}/comments   → 201, x-restli-id: the comment URN
//   GET    /rest/socialActions/{urn}/comments   → {"elements": [...]}, newest first
//   DELETE /rest/socialActions/{urn}/comments/{id}?actor= → 204
//   GET    /rest/socialActions/{urn}            → likesSummary, commentsSummary
//   GET    /rest/networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER
//                                               → {"firstDegreeSize"} (SetFollowers(urn))
//   GET    /rest/organizationalEntityShareStatistics?q=organizationalEntity
//          &organizationalEntity={org urn}&shares=List({urn},...) (or ugcPosts=List(...))
//                                               → {"elements": [{"organizationalEntity",
//                                                  "share" or "ugcPost", "totalShareStatistics":
//                                                  {"impressionCount", "uniqueImpressionsCount",
//                                                  "clickCount", "likeCount", "commentCount",
//                                                  "shareCount", "engagement"}}]}
//          Lifetime statistics of the listed posts only (no timeIntervals, no
//          organization-wide aggregate: 400). The URNs inside List() must be
//          URL-encoded (400 otherwise), each of the parameter's type. A post gets
//          an element when it is live, authored by the organization and at most
//          12 months old (LinkedIn's window): a deleted one has none. Its figures
//          are the post's engagement (SetEngagement; comments as socialActions
//          counts them) unless SetShareStatistics says otherwise; a negative one
//          is left out. 403 ACCESS_DENIED when the organization is not the token's
//          author or the token lacks rw_organization_admin (DenyShareStatistics).
//   POST   /rest/images?action=initializeUpload {"initializeUploadRequest":{"owner"}}
//                                               → {"value": {"uploadUrl", "image": urn:li:image:N,
//                                                  "uploadUrlExpiresAt"}}
//   PUT    /dms-uploads/<n>                     the image bytes (Bearer token) → 201
//   GET    /files/<name>                        a media host (AddFile; no token, not counted)
// A post may carry "content": {"media": {"id", "altText"}} or {"multiImage":
// {"images": [{"id", "altText"}, ...]}} (2 to 20), a comment "content":
// [{"entity": {"image"}}]; an image never uploaded (no PUT) is refused with 400.
// The post keeps attributes "image_ids" (comma-joined) and "alt_texts" (a JSON array).
// Every call must carry an active `LinkedIn-Version` (400 VERSION_MISSING
// without, 426 NONEXISTENT_VERSION outside [oldest, newest]) and
// `X-Restli-Protocol-Version: 2.0.0`. Like LinkedIn it refuses a commentary
// equal to one of the author's recent posts (422 "Content is a duplicate of
// urn:li:share:…", nothing counted), signals its budget only by a 429 (no
// remaining/reset headers, no Retry-After) and refuses an unknown or revoked
// token with 401 EXPIRED_ACCESS_TOKEN / REVOKED_ACCESS_TOKEN. Post ids are
// "urn:li:share:<n>"; comment ids "urn:li:comment:(<post urn>,<n>)". Every token
// writes as one author (SetAuthor; default: options.default_author).
// Thread-safe; usable from tests and as a standalone process.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

struct LinkedInFakeOptions {
  // Active LinkedIn-Version values, inclusive, as YYYYMM ("202512".."202611").
  std::string oldest_active_version = "202512";
  std::string newest_active_version = "202611";
  // The author of tokens not given one with SetAuthor.
  std::string default_author = "urn:li:organization:5515715";
  // A commentary equal to one of the author's posts within this window is
  // refused as a duplicate (24h).
  absl::Duration duplicate_window = absl::Hours(24);
  // The 401 code: REVOKED_ACCESS_TOKEN when true, else EXPIRED_ACCESS_TOKEN.
  bool token_revoked_answer = false;
};

class LinkedInFake final : public FakeNetworkServer {
 public:
  explicit LinkedInFake(LinkedInFakeOptions options = {});

  // Requests bearing `token` act as `author_urn`.
  void SetAuthor(const std::string& token, const std::string& author_urn);
  // The next initializeUpload answers `status` (a 5xx) and reserves nothing.
  void FailNextUpload(int status);
  // Image bytes received on an upload URL (each a stored image).
  int64_t uploads_accepted() const;

  // --- share statistics ------------------------------------------------------
  // What the statistics of `urn` say instead of the post's engagement; nullopt:
  // LinkedIn has no element for it (not counted yet). A negative figure is left out.
  void SetShareStatistics(const std::string& urn, std::optional<FakeEngagement> statistics);
  // Requests bearing `token` get 403 ACCESS_DENIED from the statistics endpoint
  // (a token without rw_organization_admin); every other endpoint serves them.
  void DenyShareStatistics(const std::string& token);
  // What the next statistics request answers instead of being served:
  // kRateLimited (LinkedIn's bare 429, as for every call), kTokenExpired, or
  // kServerErrorBefore (503). Other faults are ignored. Queued in order. (A
  // QueueReadFault goes to the next engagement read, statistics included.)
  void QueueStatisticsFault(FakeFault fault);
  // Requests that reached the statistics endpoint, answered or refused.
  int64_t statistics_requests() const;

 protected:
  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AnswerServerError(httplib::Response& res, int status) const override;

 private:
  // Admit plus LinkedIn's own header checks; false when `res` was filled.
  bool AdmitVersioned(const httplib::Request& req, httplib::Response& res);
  void HandleCreatePost(const httplib::Request& req, httplib::Response& res);
  void HandleFindPosts(const httplib::Request& req, httplib::Response& res);
  void HandleDeletePost(const httplib::Request& req, httplib::Response& res);
  void HandleCreateComment(const httplib::Request& req, httplib::Response& res);
  void HandleListComments(const httplib::Request& req, httplib::Response& res);
  void HandleDeleteComment(const httplib::Request& req, httplib::Response& res);
  void HandleSocialActions(const httplib::Request& req, httplib::Response& res);
  void HandleNetworkSize(const httplib::Request& req, httplib::Response& res);
  void HandleShareStatistics(const httplib::Request& req, httplib::Response& res);
  // The statistics element of `urn` for `organization`, nullopt when none.
  std::optional<nlohmann::json> StatisticsOf(const std::string& organization,
                                             const std::string& urn, const char* key) const;
  void HandleInitializeUpload(const httplib::Request& req, httplib::Response& res);
  void HandleUploadBytes(const httplib::Request& req, httplib::Response& res);
  // Reads a post's or comment's images into `ids` and `alt_texts`; false (and
  // `res` filled) when one is malformed or was never uploaded.
  bool ReadImages(const nlohmann::json& body, bool comment, std::vector<std::string>& ids,
                  std::vector<std::string>& alt_texts, httplib::Response& res) const;
  std::string AuthorOf(const httplib::Request& req) const;
  std::optional<std::string> DuplicateOf(const std::string& author,
                                         const std::string& commentary) const;
  std::optional<FakePost> LivePost(const std::string& urn) const;

  const LinkedInFakeOptions options_;
  mutable std::mutex authors_mu_;
  std::map<std::string, std::string> authors_;  // token → author URN
  std::map<std::string, bool> images_;          // image URN → its bytes were uploaded
  int fail_next_upload_ = 0;
  int64_t uploads_ = 0;
  std::map<std::string, std::optional<FakeEngagement>> statistics_;  // post URN → override
  std::set<std::string> statistics_denied_;                          // tokens
  std::deque<FakeFault> statistics_faults_;
  int64_t statistics_requests_ = 0;
  std::atomic<int64_t> next_id_{7'140'000'000'000'000'001};
};

}  // namespace carecast::testing
