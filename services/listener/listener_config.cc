#include "services/listener/listener_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/utf8.h"

namespace carecast::listener {
namespace {

constexpr size_t kMaxKeywordBytes = 100;
constexpr size_t kMaxKeywords = 500;

absl::Duration PositiveDuration(common::ConfigReader& reader, std::string_view name,
                                absl::Duration default_value) {
  absl::Duration d = reader.Duration(name, default_value);
  if (d <= absl::ZeroDuration()) {
    reader.AddError(absl::StrCat(std::string(name), ": must be longer than zero"));
    return default_value;
  }
  return d;
}

// The older per-priority variables: a duration around the clock, when set.
void LegacySla(common::ConfigReader& reader, std::string_view name, SlaTarget& target) {
  if (reader.String(name, "").empty()) return;
  const absl::Duration d = PositiveDuration(reader, name, absl::Hours(1));
  target = {.clock = SlaClock::kWall, .amount = d};
}

void ReadInboxRules(common::ConfigReader& reader, ListenerOptions& options) {
  if (absl::Status s = ParseSlaTargets(reader.String("CARECAST_INBOX_SLA", ""), options.sla);
      !s.ok()) {
    reader.AddError(absl::StrCat("CARECAST_INBOX_SLA: ", s.message()));
  }
  LegacySla(reader, "CARECAST_LISTENER_SLA_URGENT", options.sla.urgent);
  LegacySla(reader, "CARECAST_LISTENER_SLA_HIGH", options.sla.high);
  LegacySla(reader, "CARECAST_LISTENER_SLA_NORMAL", options.sla.normal);
  LegacySla(reader, "CARECAST_LISTENER_SLA_LOW", options.sla.low);

  absl::StatusOr<BusinessCalendar> calendar =
      ParseBusinessCalendar(reader.String("CARECAST_INBOX_BUSINESS_HOURS", ""));
  if (calendar.ok()) {
    options.business_hours = *std::move(calendar);
  } else {
    reader.AddError(absl::StrCat("CARECAST_INBOX_BUSINESS_HOURS: ", calendar.status().message()));
  }
  absl::StatusOr<std::vector<TopicRoute>> routes =
      ParseTopicRoutes(reader.String("CARECAST_INBOX_TOPIC_ROUTES", ""));
  if (routes.ok()) {
    options.topic_routes = *std::move(routes);
  } else {
    reader.AddError(absl::StrCat("CARECAST_INBOX_TOPIC_ROUTES: ", routes.status().message()));
  }
  options.sla_check_period =
      PositiveDuration(reader, "CARECAST_INBOX_SLA_CHECK_PERIOD", options.sla_check_period);
}

}  // namespace

absl::StatusOr<ListenerConfig> ReadListenerConfig(const common::EnvSource& env) {
  common::ConfigReader reader(env);
  ListenerConfig config;
  config.common = common::ReadCommonConfig(reader, "listener", 50053, 9103);
  config.options.index_reconcile_period = config.common.index_reconcile_period;
  config.options.stream_replicas = config.common.stream_replicas;
  config.options.relay = {.period = config.common.outbox_relay_period,
                          .grace = config.common.outbox_relay_grace};

  const std::string keywords = reader.String("CARECAST_TRACKED_KEYWORDS", "");
  for (absl::string_view part : absl::StrSplit(keywords, ',')) {
    std::string keyword(absl::StripAsciiWhitespace(part));
    if (keyword.empty()) continue;
    if (keyword.size() > kMaxKeywordBytes || !common::IsValidUtf8(keyword)) {
      reader.AddError(
          absl::StrCat("CARECAST_TRACKED_KEYWORDS: each keyword must be valid UTF-8 of "
                       "at most ",
                       kMaxKeywordBytes, " bytes"));
      continue;
    }
    config.options.tracked_keywords.push_back(std::move(keyword));
  }
  if (config.options.tracked_keywords.size() > kMaxKeywords) {
    reader.AddError(absl::StrCat("CARECAST_TRACKED_KEYWORDS: at most ", kMaxKeywords, " keywords"));
  }

  config.options.max_text_bytes =
      static_cast<size_t>(reader.Int("CARECAST_LISTENER_MAX_TEXT_BYTES", 8192, 1, 65536));
  ReadInboxRules(reader, config.options);

  config.meta_app_secret_file = reader.String("CARECAST_LISTENER_META_APP_SECRET_FILE", "");
  config.meta_verify_token_file = reader.String("CARECAST_LISTENER_META_VERIFY_TOKEN_FILE", "");
  if (config.meta_app_secret_file.empty() != config.meta_verify_token_file.empty()) {
    reader.AddError(
        "CARECAST_LISTENER_META_APP_SECRET_FILE and CARECAST_LISTENER_META_VERIFY_TOKEN_FILE "
        "go together: set both to serve the Meta webhook, or neither");
  }
  config.webhook_secret_file = reader.String("CARECAST_LISTENER_WEBHOOK_SECRET_FILE", "");
  config.sources_file = reader.String("CARECAST_LISTENER_SOURCES_FILE", "");
  config.instagram_token_file = reader.String("CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE", "");
  config.graph_url =
      reader.String("CARECAST_LISTENER_GRAPH_URL", "https://graph.facebook.com/v21.0");
  if (!absl::StartsWith(config.graph_url, "https://") &&
      !absl::StartsWith(config.graph_url, "http://")) {
    reader.AddError("CARECAST_LISTENER_GRAPH_URL: must be an http:// or https:// URL");
  }
  if (!config.instagram_token_file.empty() && config.meta_app_secret_file.empty()) {
    reader.AddError(
        "CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE: only read by the Meta webhook; set "
        "CARECAST_LISTENER_META_APP_SECRET_FILE and _VERIFY_TOKEN_FILE too");
  }

  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace carecast::listener
