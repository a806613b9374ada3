#include "services/listener/inbox_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/rpc/spoke_scope.h"

namespace carecast::listener {
namespace {

using common::AsAbsl;

constexpr std::string_view kTopicPrefix = "topic:";
constexpr std::string_view kSpokesPrefix = "spokes/";
constexpr size_t kMaxTopicBytes = 200;

bool IsSpokeName(std::string_view name) {
  return name.starts_with(kSpokesPrefix) && common::IsValidId(name.substr(kSpokesPrefix.size()));
}

bool TopicMatches(std::string_view rule, std::string_view topic) {
  if (topic == rule) return true;
  if (topic.size() > rule.size() && topic.starts_with(rule) && topic[rule.size()] == '/') {
    return true;
  }
  return topic.size() > rule.size() && topic.ends_with(rule) &&
         topic[topic.size() - rule.size() - 1] == '/';
}

// Splits "key=value"; false without an '='.
bool SplitPair(std::string_view entry, std::string& key, std::string& value) {
  const size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return false;
  key = std::string(absl::StripAsciiWhitespace(AsAbsl(entry.substr(0, eq))));
  value = std::string(absl::StripAsciiWhitespace(AsAbsl(entry.substr(eq + 1))));
  return true;
}

}  // namespace

absl::StatusOr<std::vector<TopicRoute>> ParseTopicRoutes(std::string_view spec) {
  std::vector<TopicRoute> routes;
  for (absl::string_view raw : absl::StrSplit(AsAbsl(spec), ',', absl::SkipWhitespace())) {
    const std::string entry(absl::StripAsciiWhitespace(raw));
    std::string key;
    std::string spoke;
    if (!SplitPair(entry, key, spoke) || !key.starts_with(kTopicPrefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\" must look like topic:<topic>=spokes/<spoke>"));
    }
    std::string topic = key.substr(kTopicPrefix.size());
    if (topic.empty() || topic.size() > kMaxTopicBytes || topic.front() == '/' ||
        topic.back() == '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\": the topic must be 1 to ", kMaxTopicBytes,
                       " bytes, such as billing or patient_experience/billing"));
    }
    if (!IsSpokeName(spoke)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\": the spoke must look like spokes/<spoke>"));
    }
    routes.push_back({std::move(topic), std::move(spoke)});
  }
  return routes;
}

std::string RouteSpoke(const v1::Mention& mention, const std::vector<TopicRoute>& routes) {
  std::string_view by_account = common::SpokeOfResource(mention.account());
  if (!by_account.empty()) return std::string(by_account);
  for (const TopicRoute& route : routes) {
    for (const std::string& topic : mention.classification().topics()) {
      if (TopicMatches(route.topic, topic)) return route.spoke;
    }
  }
  return "";
}

const SlaTarget& SlaTargets::For(v1::Priority priority) const {
  switch (priority) {
    case v1::PRIORITY_URGENT:
      return urgent;
    case v1::PRIORITY_HIGH:
      return high;
    case v1::PRIORITY_LOW:
      return low;
    case v1::PRIORITY_NORMAL:
    case v1::PRIORITY_UNSPECIFIED:
    case v1::Priority_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Priority_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return normal;
}

absl::Status ParseSlaTargets(std::string_view spec, SlaTargets& targets) {
  for (absl::string_view raw : absl::StrSplit(AsAbsl(spec), ',', absl::SkipWhitespace())) {
    const std::string entry(absl::StripAsciiWhitespace(raw));
    std::string priority;
    std::string value;
    if (!SplitPair(entry, priority, value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\" must look like <priority>=<target>, such as high=4bh"));
    }
    SlaTarget* slot = nullptr;
    if (priority == "urgent") slot = &targets.urgent;
    if (priority == "high") slot = &targets.high;
    if (priority == "normal") slot = &targets.normal;
    if (priority == "low") slot = &targets.low;
    if (slot == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\": the priority must be one of urgent, high, normal, low"));
    }
    absl::StatusOr<SlaTarget> target = ParseSlaTarget(value);
    if (!target.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\": ", target.status().message()));
    }
    *slot = *target;
  }
  return absl::OkStatus();
}

const BusinessHours& BusinessCalendar::For(std::string_view spoke) const {
  auto it = spokes.find(spoke);
  return it == spokes.end() ? organisation : it->second;
}

absl::StatusOr<BusinessCalendar> ParseBusinessCalendar(std::string_view spec) {
  BusinessCalendar calendar;
  for (absl::string_view raw : absl::StrSplit(AsAbsl(spec), ';', absl::SkipWhitespace())) {
    const std::string entry(absl::StripAsciiWhitespace(raw));
    std::string key;
    std::string value;
    if (!SplitPair(entry, key, value) || !(key == "default" || IsSpokeName(key))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", entry,
          "\" must look like spokes/<spoke>=<zone> <days> <HH:MM>-<HH:MM> (or default=...)"));
    }
    absl::StatusOr<BusinessHours> hours = ParseBusinessHours(value);
    if (!hours.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": ", hours.status().message()));
    }
    if (key == "default") {
      calendar.organisation = *std::move(hours);
    } else if (!calendar.spokes.emplace(key, *std::move(hours)).second) {
      return absl::InvalidArgumentError(absl::StrCat(key, " is given more than once"));
    }
  }
  return calendar;
}

}  // namespace carecast::listener
