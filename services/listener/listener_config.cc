#include "services/listener/listener_config.h"

#include "absl/strings/ascii.h"
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
  config.options.sla_urgent =
      PositiveDuration(reader, "CARECAST_LISTENER_SLA_URGENT", config.options.sla_urgent);
  config.options.sla_high =
      PositiveDuration(reader, "CARECAST_LISTENER_SLA_HIGH", config.options.sla_high);
  config.options.sla_normal =
      PositiveDuration(reader, "CARECAST_LISTENER_SLA_NORMAL", config.options.sla_normal);
  config.options.sla_low =
      PositiveDuration(reader, "CARECAST_LISTENER_SLA_LOW", config.options.sla_low);

  config.meta_app_secret_file = reader.String("CARECAST_LISTENER_META_APP_SECRET_FILE", "");
  config.meta_verify_token_file = reader.String("CARECAST_LISTENER_META_VERIFY_TOKEN_FILE", "");
  if (config.meta_app_secret_file.empty() != config.meta_verify_token_file.empty()) {
    reader.AddError(
        "CARECAST_LISTENER_META_APP_SECRET_FILE and CARECAST_LISTENER_META_VERIFY_TOKEN_FILE "
        "go together: set both to serve the Meta webhook, or neither");
  }
  config.webhook_secret_file = reader.String("CARECAST_LISTENER_WEBHOOK_SECRET_FILE", "");

  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace carecast::listener
