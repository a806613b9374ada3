#include "tests/support/fake_networks/webhook_fake.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace carecast::testing {
namespace {

using json = nlohmann::json;

void AnswerJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void AnswerError(httplib::Response& res, int status, const std::string& error) {
  AnswerJson(res, status, json{{"error", error}});
}

// Written apart from the adapter's signer on purpose: a receiver's check.
std::string ExpectedSignature(const std::string& secret, const std::string& signed_text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), digest,
       &length);
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[digest[i] / 16];
    hex += kDigits[digest[i] % 16];
  }
  return hex;
}

std::string StringOf(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t CeilUnixSeconds(absl::Time t) {
  return absl::ToInt64Seconds(absl::Ceil(t - absl::UnixEpoch(), absl::Seconds(1)));
}

}  // namespace

WebhookFake::WebhookFake(WebhookFakeSettings settings)
    : FakeNetworkServer("webhook"),
      secret_(std::move(settings.secret)),
      max_age_(settings.max_age) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http().Post("/hook", [this](Req req, Res res) { Deliver(req, res); });
  http().Get("/hook", [this](Req req, Res res) { ListItems(req, res); });
  http().Get(R"(/hook/items/([^/]+)/engagement)",
             [this](Req req, Res res) { GetEngagement(req, res); });
  http().Delete(R"(/hook/items/([^/]+))", [this](Req req, Res res) { DeleteItem(req, res); });
  http().Get(R"(/hook/([^/]+))", [this](Req req, Res res) { GetDelivery(req, res); });
}

// Handlers read this object's members: the server must stop before they go.
WebhookFake::~WebhookFake() { Stop(); }

std::string WebhookFake::endpoint() const { return absl::StrCat(base_url(), "/hook"); }

void WebhookFake::set_secret(const std::string& secret) {
  std::lock_guard lock(fake_mu_);
  secret_ = secret;
}

void WebhookFake::set_dedupe(bool dedupe) {
  std::lock_guard lock(fake_mu_);
  dedupe_ = dedupe;
}

void WebhookFake::set_reports_engagement(bool reports) {
  std::lock_guard lock(fake_mu_);
  reports_engagement_ = reports;
}

int64_t WebhookFake::signature_failures() const {
  std::lock_guard lock(fake_mu_);
  return signature_failures_;
}

int64_t WebhookFake::repeated_deliveries() const {
  std::lock_guard lock(fake_mu_);
  return repeats_;
}

std::string WebhookFake::DeliveryBody(const std::string& delivery_id) const {
  std::lock_guard lock(fake_mu_);
  auto it = bodies_.find(delivery_id);
  return it == bodies_.end() ? "" : it->second;
}

std::string WebhookFake::ItemUrl(const std::string& id) const {
  return absl::StrCat(base_url(), "/items/", id);
}

bool WebhookFake::SignatureValid(const httplib::Request& req) const {
  int64_t timestamp = 0;
  if (!absl::SimpleAtoi(req.get_header_value("X-CareCast-Timestamp"), &timestamp)) return false;
  if (absl::AbsDuration(absl::Now() - absl::FromUnixSeconds(timestamp)) > max_age_) return false;
  std::string signed_text = req.body.empty()
                                ? absl::StrCat(timestamp, ".", req.method, " ", req.target)
                                : absl::StrCat(timestamp, ".", req.body);
  std::string secret;
  {
    std::lock_guard lock(fake_mu_);
    secret = secret_;
  }
  std::string expected = ExpectedSignature(secret, signed_text);
  std::string given = req.get_header_value("X-CareCast-Signature");
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string WebhookFake::TokenOf(const httplib::Request& req) const {
  if (SignatureValid(req)) return "signed";
  std::lock_guard lock(fake_mu_);
  ++signature_failures_;
  return "";
}

void WebhookFake::Deliver(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  json body = json::parse(req.body, nullptr, false);
  std::string delivery = req.get_header_value("X-CareCast-Delivery");
  if (body.is_discarded() || !body.is_object() || !body.contains("text") ||
      !body["text"].is_string())
    return AnswerError(res, 400, "the delivery must be a JSON object with id and text");
  if (delivery.empty() || StringOf(body, "id") != delivery)
    return AnswerError(res, 400, "X-CareCast-Delivery must equal the body's id");
  {
    std::lock_guard lock(fake_mu_);
    bodies_[delivery] = req.body;
    auto seen = deliveries_.find(delivery);
    if (dedupe_ && seen != deliveries_.end()) {
      ++repeats_;
      return AnswerJson(res, 200, json{{"id", seen->second}, {"url", ItemUrl(seen->second)}});
    }
  }
  if (!BeginCreate(res)) return;
  FakePost post;
  post.author = StringOf(body, "account");
  post.text = StringOf(body, "text");
  post.in_reply_to = StringOf(body, "in_reply_to");
  post.attributes["delivery"] = delivery;
  post.attributes["post"] = StringOf(body, "post");
  std::string id = Commit(std::move(post));
  {
    std::lock_guard lock(fake_mu_);
    deliveries_[delivery] = id;
  }
  AnswerJson(res, 201, json{{"id", id}, {"url", ItemUrl(id)}});
  FinishCreate(res);
}

void WebhookFake::GetDelivery(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  std::lock_guard lock(fake_mu_);
  auto it = deliveries_.find(req.matches[1]);
  if (it == deliveries_.end()) return AnswerError(res, 404, "no such delivery");
  AnswerJson(res, 200, json{{"id", it->second}, {"url", ItemUrl(it->second)}});
}

void WebhookFake::DeleteItem(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  if (!MarkDeleted(req.matches[1])) return AnswerError(res, 404, "no such item");
  res.status = 204;
}

void WebhookFake::ListItems(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res)) return;
  int64_t since = 0;
  int64_t limit = 50;
  if (req.has_param("since") && !absl::SimpleAtoi(req.get_param_value("since"), &since))
    return AnswerError(res, 400, "since must be Unix seconds");
  if (req.has_param("limit") && !absl::SimpleAtoi(req.get_param_value("limit"), &limit))
    return AnswerError(res, 400, "limit must be a number");
  std::vector<FakePost> items;
  for (FakePost& post : posts()) {
    if (!post.deleted && post.create_time >= absl::FromUnixSeconds(since))
      items.push_back(std::move(post));
  }
  std::reverse(items.begin(), items.end());  // newest first
  if (items.size() > static_cast<size_t>(std::max<int64_t>(limit, 0)))
    items.resize(static_cast<size_t>(std::max<int64_t>(limit, 0)));
  json list = json::array();
  for (const FakePost& post : items) {
    list.push_back(
        {{"id", post.id},
         {"url", ItemUrl(post.id)},
         {"text", post.text},
         {"created_at",
          absl::FormatTime(absl::RFC3339_full, post.create_time, absl::UTCTimeZone())},
         {"in_reply_to", post.in_reply_to.empty() ? json(nullptr) : json(post.in_reply_to)}});
  }
  AnswerJson(res, 200, json{{"items", list}});
}

void WebhookFake::GetEngagement(const httplib::Request& req, httplib::Response& res) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  bool reports = false;
  {
    std::lock_guard lock(fake_mu_);
    reports = reports_engagement_;
  }
  std::optional<FakePost> post = FindPost(req.matches[1]);
  if (!reports || !post || post->deleted) return AnswerError(res, 404, "no engagement");
  // A negative count is left out: the receiver does not report it.
  json counts = json::object();
  for (const auto& [name, count] :
       {std::pair{"likes", post->engagement.likes}, std::pair{"shares", post->engagement.shares},
        std::pair{"replies", post->engagement.replies},
        std::pair{"impressions", post->engagement.impressions},
        std::pair{"clicks", post->engagement.clicks}}) {
    if (count >= 0) counts[name] = count;
  }
  AnswerJson(res, 200, counts);
}

void WebhookFake::AnswerRateLimited(httplib::Response& res, int64_t limit, absl::Time reset) const {
  AddRateHeaders(res, limit, 0, reset);
  int64_t wait = std::max<int64_t>(1, CeilUnixSeconds(reset) - absl::ToUnixSeconds(absl::Now()));
  res.set_header("Retry-After", absl::StrCat(wait));
  AnswerError(res, 429, "rate limited");
}

void WebhookFake::AnswerTokenExpired(httplib::Response& res) const {
  AnswerError(res, 401, "invalid signature");
}

void WebhookFake::AnswerDuplicate(httplib::Response& res) const {
  AnswerError(res, 409, "duplicate delivery");
}

void WebhookFake::AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                                 absl::Time reset) const {
  // A refusal after Admit replaces the headers Admit added (one value each).
  for (const char* name : {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"})
    res.headers.erase(name);
  res.set_header("X-RateLimit-Limit", absl::StrCat(limit));
  res.set_header("X-RateLimit-Remaining", absl::StrCat(remaining));
  // Rounded up: a client that waits until then finds the window renewed.
  res.set_header("X-RateLimit-Reset", absl::StrCat(CeilUnixSeconds(reset)));
}

}  // namespace carecast::testing
