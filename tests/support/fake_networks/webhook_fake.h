// A local receiver of CareCast's signed webhook (docs/channels/webhook.md), for
// the adapter tests and scripts/run.sh. It checks every request exactly as a
// receiver must: X-CareCast-Signature over the raw body (or, without a body,
// over the method and request target) with the shared secret, and a timestamp
// no older than five minutes; a failure gets 401. Routes under /hook:
//   POST   /hook                       a delivery; deduplicated on X-CareCast-Delivery
//   GET    /hook/<delivery id>         200 {"id","url"} or 404
//   DELETE /hook/items/<id>            204 or 404
//   GET    /hook?since=<unix>&limit=n  {"items":[{"id","url","text","created_at","in_reply_to"}]}
//   GET    /hook/items/<id>/engagement {"likes","shares","replies","impressions","clicks"} or 404
// Every admitted answer carries X-RateLimit-Limit/Remaining/Reset (Unix
// seconds) when a rate limit is set, and the 429 carries Retry-After. A repeated
// delivery answers the first answer and is NOT counted as a create, unless
// dedupe is turned off (then every delivery commits and counts). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

#include "tests/support/fake_networks/fake_network_server.h"

namespace carecast::testing {

struct WebhookFakeSettings {
  // The shared HMAC secret the receiver verifies with.
  std::string secret = "carecast-webhook-test-secret";
  // Timestamps older (or further in the future) than this are refused (5 minutes).
  absl::Duration max_age = absl::Minutes(5);
};

class WebhookFake final : public FakeNetworkServer {
 public:
  explicit WebhookFake(WebhookFakeSettings settings = {});
  ~WebhookFake() override;

  // The endpoint to configure as the channel's base_url: "<base_url>/hook".
  std::string endpoint() const;
  // The receiver starts verifying with another secret.
  void set_secret(const std::string& secret);
  // false: every delivery commits and counts, repeats included.
  void set_dedupe(bool dedupe);
  // false: the engagement route answers 404 (a receiver that reports none).
  void set_reports_engagement(bool reports);

  // Requests refused for a bad or stale signature.
  int64_t signature_failures() const;
  // Deliveries answered from the first answer of their delivery id.
  int64_t repeated_deliveries() const;
  // The last delivery body received for a delivery id (verbatim), or "".
  std::string DeliveryBody(const std::string& delivery_id) const;
  // The public URL the receiver gives an item.
  std::string ItemUrl(const std::string& id) const;

 protected:
  // "signed" when the signature and timestamp verify, else "" (Admit then
  // answers AnswerTokenExpired: 401).
  std::string TokenOf(const httplib::Request& req) const override;
  void AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const override;
  void AnswerTokenExpired(httplib::Response& res) const override;
  void AnswerDuplicate(httplib::Response& res) const override;
  void AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                      absl::Time reset) const override;

 private:
  void Deliver(const httplib::Request& req, httplib::Response& res);
  void GetDelivery(const httplib::Request& req, httplib::Response& res);
  void DeleteItem(const httplib::Request& req, httplib::Response& res);
  void ListItems(const httplib::Request& req, httplib::Response& res);
  void GetEngagement(const httplib::Request& req, httplib::Response& res);
  bool SignatureValid(const httplib::Request& req) const;

  mutable std::mutex fake_mu_;
  std::string secret_ ABSL_GUARDED_BY(fake_mu_);
  const absl::Duration max_age_;
  bool dedupe_ ABSL_GUARDED_BY(fake_mu_) = true;
  bool reports_engagement_ ABSL_GUARDED_BY(fake_mu_) = true;
  // Delivery id → item id, and the last body received for it.
  std::map<std::string, std::string> deliveries_ ABSL_GUARDED_BY(fake_mu_);
  std::map<std::string, std::string> bodies_ ABSL_GUARDED_BY(fake_mu_);
  mutable int64_t signature_failures_ ABSL_GUARDED_BY(fake_mu_) = 0;
  int64_t repeats_ ABSL_GUARDED_BY(fake_mu_) = 0;
};

}  // namespace carecast::testing
