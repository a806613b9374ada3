#include "tests/support/fake_networks/meta_graph_fake.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace carecast::testing {

using nlohmann::json;

namespace {

// Whole minutes until `until`, rounded up, at least one (Meta's
// estimated_time_to_regain_access).
int64_t MinutesUntil(absl::Time until) {
  absl::Duration left = until - absl::Now() + absl::Minutes(1) - absl::Nanoseconds(1);
  return std::max<int64_t>(1, absl::ToInt64Minutes(left));
}

}  // namespace

MetaGraphFake::MetaGraphFake(MetaGraphFakeFlavor flavor)
    : FakeNetworkServer(flavor.network), flavor_(std::move(flavor)) {}

bool MetaGraphFake::CanFetch(const std::string& url) const {
  std::string prefix = absl::StrCat(base_url(), "/files/");
  if (!absl::StartsWith(url, prefix)) return false;
  return HostsFile(url.substr(prefix.size()));
}

const char* MetaGraphFake::VersionPrefix() { return R"(/v[0-9]+\.[0-9]+)"; }

void MetaGraphFake::AnswerGraphError(httplib::Response& res, int status, int64_t code,
                                     int64_t subcode, std::string_view message, bool transient) {
  json error = {{"message", message},
                {"type", code == 1 || code == 2 ? "FacebookApiException" : "OAuthException"},
                {"code", code},
                {"fbtrace_id", "AFakeTraceId0"}};
  if (subcode != 0) error["error_subcode"] = subcode;
  if (transient) error["is_transient"] = true;
  res.status = status;
  res.set_content(json{{"error", error}}.dump(), "application/json");
}

void MetaGraphFake::AnswerNoSuchObject(httplib::Response& res, std::string_view verb,
                                       std::string_view id) {
  AnswerGraphError(
      res, 400, 100, 33,
      absl::StrCat("Unsupported ", std::string(verb), " request. Object with ID '", std::string(id),
                   "' does not exist, cannot be loaded due to missing permissions, "
                   "or does not support this operation."));
}

void MetaGraphFake::ServeInsights(const httplib::Request& req, httplib::Response& res,
                                  const std::map<std::string, int64_t FakeEngagement::*>& metrics) {
  if (!Admit(req, res) || !BeginRead(res)) return;
  const std::string id = req.matches[1].str();
  std::optional<FakePost> post = FindPost(id);
  if (!post || post->deleted) {
    AnswerNoSuchObject(res, "get", id);
    return;
  }
  json data = json::array();
  for (absl::string_view name : absl::StrSplit(Param(req, "metric"), ',', absl::SkipEmpty())) {
    auto metric = metrics.find(std::string(name));
    if (metric == metrics.end()) {
      AnswerGraphError(res, 400, 100, 0,
                       absl::StrCat("(#100) The value must be a valid insights metric: ", name));
      return;
    }
    const int64_t value = post->engagement.*(metric->second);
    if (value < 0) {
      AnswerGraphError(res, 403, 10, 0,
                       "(#10) Application does not have permission for this action");
      return;
    }
    data.push_back({{"name", metric->first},
                    {"period", "lifetime"},
                    {"values", json::array({json{{"value", value}}})},
                    {"id", absl::StrCat(id, "/insights/", metric->first, "/lifetime")}});
  }
  AnswerJson(res, json{{"data", data}});
}

void MetaGraphFake::AnswerJson(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(body.dump(), "application/json");
}

std::string MetaGraphFake::Param(const httplib::Request& req, const std::string& name) {
  if (req.has_param(name)) return req.get_param_value(name);
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return "";
  auto it = body.find(name);
  if (it == body.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return absl::StrCat(it->get<int64_t>());
  return "";
}

int64_t MetaGraphFake::IntParam(const httplib::Request& req, const std::string& name,
                                int64_t missing) {
  int64_t value = 0;
  if (!req.has_param(name) || !absl::SimpleAtoi(req.get_param_value(name), &value)) return missing;
  return value;
}

json MetaGraphFake::Paged(const std::vector<json>& items, const httplib::Request& req) {
  int64_t limit = IntParam(req, "limit", 25);
  int64_t start = IntParam(req, "after", 0);
  limit = std::clamp<int64_t>(limit, 1, 100);
  start = std::clamp<int64_t>(start, 0, static_cast<int64_t>(items.size()));
  int64_t end = std::min<int64_t>(start + limit, static_cast<int64_t>(items.size()));
  json body = {{"data", json::array()}};
  for (int64_t i = start; i < end; ++i) body["data"].push_back(items[i]);
  json paging = {{"cursors", {{"before", absl::StrCat(start)}, {"after", absl::StrCat(end)}}}};
  if (end < static_cast<int64_t>(items.size()))
    paging["next"] = absl::StrCat(req.path, "?limit=", limit, "&after=", end);
  body["paging"] = paging;
  return body;
}

std::string MetaGraphFake::GraphTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S+0000", time, absl::UTCTimeZone());
}

std::string MetaGraphFake::NextId() { return absl::StrCat(next_id_.fetch_add(1)); }

void MetaGraphFake::SetUsageHeaders(httplib::Response& res, int64_t percent,
                                    int64_t regain_minutes) const {
  json usage = {
      {"call_count", percent}, {"total_cputime", percent / 4}, {"total_time", percent / 4}};
  res.set_header("X-App-Usage", usage.dump());
  if (flavor_.page_usage_header) res.set_header("X-Page-Usage", usage.dump());
  json buc = usage;
  buc["type"] = flavor_.buc_type;
  buc["estimated_time_to_regain_access"] = regain_minutes;
  res.set_header("X-Business-Use-Case-Usage", json{{business_id(), json::array({buc})}}.dump());
}

void MetaGraphFake::AddRateHeaders(httplib::Response& res, int64_t limit, int64_t remaining,
                                   absl::Time reset) const {
  int64_t used = limit - remaining;
  int64_t regain = 0;
  // The budget is spent: the next call would be throttled until the window ends.
  if (remaining <= 0) regain = MinutesUntil(reset);
  SetUsageHeaders(res, used * 100 / limit, regain);
}

void MetaGraphFake::AnswerRateLimited(httplib::Response& res, int64_t /*limit*/,
                                      absl::Time reset) const {
  SetUsageHeaders(res, 100, MinutesUntil(reset));
  AnswerGraphError(res, 400, flavor_.throttle_code, 0, flavor_.throttle_message);
}

void MetaGraphFake::AnswerTokenExpired(httplib::Response& res) const {
  AnswerGraphError(res, 400, 190, 463,
                   "Error validating access token: Session has expired on Thursday, "
                   "03-Dec-26 10:00:00 PST. The current time is Thursday, 03-Dec-26 11:00:00 PST.");
}

void MetaGraphFake::AnswerDuplicate(httplib::Response& res) const {
  AnswerGraphError(res, 400, 506, 0, "(#506) Duplicate status message");
}

void MetaGraphFake::AnswerServerError(httplib::Response& res, int status) const {
  if (status == 503) {
    AnswerGraphError(res, 503, 1, 0, "An unknown error occurred", /*transient=*/true);
    return;
  }
  AnswerGraphError(res, status, 2, 0,
                   "An unexpected error has occurred. Please retry your request later.",
                   /*transient=*/true);
}

}  // namespace carecast::testing
