// What the Facebook Page and Instagram fakes share: the Graph API's way of
// refusing (HTTP 400 with {"error":{"message","type","code","error_subcode",
// "fbtrace_id"}}), its throttle answer, and the usage headers every answer
// carries while a rate limit is set (X-App-Usage, X-Business-Use-Case-Usage
// and, for Pages, X-Page-Usage), computed from SetRateLimit so that a client
// reading them never goes over. Routes accept any Graph version
// ("/v21.0/...", "/v19.0/..."). Both also host images for the tests (AddFile:
// GET /files/<name>, no token, not counted), which they "fetch" when a request
// names one by URL (Facebook's photo url, attachment_url). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include <nlohmann/json.hpp>

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

// How one Meta network's fake differs from the other's.
struct MetaGraphFakeFlavor {
  std::string network;            // "facebook", "instagram"
  int64_t throttle_code = 32;     // the code of its rate-limit refusal
  std::string throttle_message;   // and its message
  std::string buc_type;           // "type" in X-Business-Use-Case-Usage
  bool page_usage_header = true;  // whether it sends X-Page-Usage
};

class MetaGraphFake : public FakeNetworkServer {
 public:
  // The id the Business Use Case usage is keyed by (the Page or the IG user).
  virtual std::string business_id() const = 0;

  // Graph's time format: "2026-12-05T10:00:00+0000".
  static std::string GraphTime(absl::Time time);

 protected:
  explicit MetaGraphFake(MetaGraphFakeFlavor flavor);

  // The route prefix matching any version: R"(/v[0-9]+\.[0-9]+)".
  static const char* VersionPrefix();

  // A Graph error answer.
  static void AnswerGraphError(httplib::Response& res, int status, int64_t code, int64_t subcode,
                               std::string_view message, bool transient = false);
  // 400 code 100 subcode 33: no such object (or not visible to the token).
  static void AnswerNoSuchObject(httplib::Response& res, std::string_view verb,
                                 std::string_view id);
  static void AnswerJson(httplib::Response& res, const nlohmann::json& body);
  // GET /{post id}/insights?metric=a,b: each requested metric's lifetime value,
  // read from the post's FakeEngagement member `metrics` names. An unknown
  // metric answers (#100) as Graph does; a metric whose count is negative (not
  // granted to the token) answers (#10) permission denied for the whole call.
  void ServeInsights(const httplib::Request& req, httplib::Response& res,
                     const std::map<std::string, int64_t FakeEngagement::*>& metrics);
  // A request parameter: the query or form field, else the JSON body's member.
  static std::string Param(const httplib::Request& req, const std::string& name);
  // An integer query parameter; `missing` when absent or not a number.
  static int64_t IntParam(const httplib::Request& req, const std::string& name, int64_t missing);
  // One page of `items` (newest first) as Graph lists an edge: {"data": [...],
  // "paging": {"cursors": {"before","after"}, "next"}} ("next" only when more
  // follow), honouring the request's "limit" (default 25) and "after" cursor.
  static nlohmann::json Paged(const std::vector<nlohmann::json>& items,
                              const httplib::Request& req);
  // A fresh numeric id, unique in this process ("17900000000000001").
  std::string NextId();
  // Whether `url` is an image this fake hosts (<base_url>/files/<name>), as
  // Meta checks a URL it is asked to fetch.
  bool CanFetch(const std::string& url) const;

  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AnswerServerError(httplib::Response& res, int status) const override;
  void AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                      absl::Time reset) const override;

 private:
  void SetUsageHeaders(httplib::Response& res, int64_t percent, int64_t regain_minutes) const;

  const MetaGraphFakeFlavor flavor_;
  std::atomic<int64_t> next_id_{17'900'000'000'000'001};
};

}  // namespace carecast::testing
