// Configuration of carecast-metrics, read from the environment at start.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/env_config.h"
#include "services/metrics/spike_detector.h"

namespace carecast::metrics {

inline constexpr int kDefaultGrpcPort = 50054;
inline constexpr int kDefaultHttpPort = 9104;

struct MetricsConfig {
  // The shared variables (CARECAST_GRPC_PORT 50054, CARECAST_HTTP_PORT 9104, NATS,
  // JWT, ...). The metrics service does not use Redis: its figures are rebuilt
  // from the events stream. CARECAST_REDIS_URL is accepted but optional here.
  common::CommonConfig common;
  // CARECAST_METRICS_REPLAY_LOG_EVERY (default 1000, 1..10000000): a progress line
  // every this many events while the stream is replayed at start.
  int64_t replay_log_every = 1000;
  // CARECAST_METRICS_PENDING_INTERVAL (default 2s): how often
  // carecast_metrics_consumer_pending is refreshed.
  absl::Duration pending_interval = absl::Seconds(2);
  // The spike detector (spike_detector.h): CARECAST_SPIKE_INTERVAL (15m; divides
  // a week, 1m..24h), CARECAST_SPIKE_FALSE_ALARM_PROBABILITY (1e-5, the
  // sensitivity), CARECAST_SPIKE_MIN_COUNT (5), CARECAST_SPIKE_COOLDOWN (2h),
  // CARECAST_SPIKE_TIME_ZONE (UTC; the IANA zone whose weeks the seasonal
  // baseline follows, e.g. America/Chicago),
  // CARECAST_CRISIS_TERMS (comma-separated tracked keywords that raise a severe
  // alert from CARECAST_CRISIS_MIN_COUNT mentions in one interval, default 3).
  SpikeOptions spikes;
  // CARECAST_SPIKE_TICK (default 15s, 100ms..5m): how often closed intervals are
  // looked at, so an alert is announced at most this long after its interval.
  absl::Duration spike_tick = absl::Seconds(15);
  // CARECAST_FEED_TOKEN_KEYS_FILE / CARECAST_FEED_TOKEN_CURRENT_KEY: the link
  // token key ring the planner's calendar feeds use (feed_token_file.h), signing
  // the weekly reports' page and PDF links. Empty: reports carry no links and
  // /reports/ answers 404.
  std::string link_token_keys_file;
  std::string link_token_current_key;
  // CARECAST_REPORT_PUBLISH_DELAY (default 1h, 0..7d): how long after a week
  // ends its reports are published as carecast.report.published, so late
  // readings count. CARECAST_REPORT_TICK (default 5m, 1s..1h): how often it looks.
  absl::Duration report_publish_delay = absl::Hours(1);
  absl::Duration report_tick = absl::Minutes(5);
};

// INVALID_ARGUMENT naming every bad or missing variable.
absl::StatusOr<MetricsConfig> ReadMetricsConfig(const common::EnvSource& env);

}  // namespace carecast::metrics
