#include "services/metrics/spike_watch.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <google/protobuf/timestamp.pb.h>

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"

namespace carecast::metrics {
namespace {

constexpr std::string_view kSource = "/carecast/metrics";

// Series names hold keywords people configured; ids keep to a safe alphabet.
std::string Safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    out.push_back(ok ? c : (c == ':' ? '.' : '_'));
  }
  return out;
}

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

std::string EventId(const v1::Alert& alert, bool raised) {
  return absl::StrCat("alert.", alert.name().substr(std::string_view("alerts/").size()),
                      raised ? ".raised" : ".resolved");
}

}  // namespace

SpikeWatch::SpikeWatch(SpikeWatchOptions options, common::EventBus& bus, const common::Clock& clock,
                       common::Logger& logger, prometheus::Registry& registry)
    : options_(std::move(options)),
      bus_(bus),
      clock_(clock),
      logger_(logger),
      raised_(prometheus::BuildCounter()
                  .Name("carecast_alerts_raised_total")
                  .Help("Spike and crisis alerts raised, by severity.")
                  .Register(registry)),
      active_(prometheus::BuildGauge()
                  .Name("carecast_alerts_active")
                  .Help("Spike and crisis alerts raised and not yet resolved, by severity.")
                  .Register(registry)),
      detector_(options_.detector),
      ticker_(options_.tick, common::PeriodicRunner::FirstRun::kAtOnce,
              [this] { Tick(clock_.Now()); }) {
  for (AlertSeverity s : {AlertSeverity::kWarning, AlertSeverity::kSevere}) {
    raised_.Add({{"severity", std::string(AlertSeverityName(s))}});
    active_.Add({{"severity", std::string(AlertSeverityName(s))}});
  }
}

SpikeWatch::~SpikeWatch() { Stop(); }

std::string SpikeWatch::AlertName(std::string_view series, absl::Time interval_start) {
  return absl::StrCat("alerts/", Safe(series), ".", absl::ToUnixSeconds(interval_start));
}

void SpikeWatch::ObserveMention(const v1::Mention& mention, absl::Time event_time) {
  // The receive time orders mentions as they arrived; replays see the same.
  const absl::Time at = mention.has_receive_time()
                            ? absl::FromUnixSeconds(mention.receive_time().seconds())
                            : event_time;
  std::lock_guard lock(mu_);
  detector_.Observe(mention, at);
}

void SpikeWatch::ObserveAlert(const v1::AlertChanged& /*alert*/, std::string_view event_id) {
  std::lock_guard lock(mu_);
  published_.insert(std::string(event_id));
}

v1::Alert SpikeWatch::ToProto(const SpikeAlert& alert) const {
  v1::Alert out;
  out.set_name(AlertName(alert.series, alert.interval_start));
  out.set_series(alert.series);
  out.set_severity(alert.severity == AlertSeverity::kSevere ? v1::ALERT_SEVERITY_SEVERE
                                                            : v1::ALERT_SEVERITY_WARNING);
  const bool raised = alert.change == SpikeAlert::Change::kRaised;
  out.set_state(raised ? v1::ALERT_STATE_ACTIVE : v1::ALERT_STATE_RESOLVED);
  SetTime(alert.interval_start, out.mutable_window_start());
  SetTime(alert.interval_end, out.mutable_window_end());
  out.set_count(alert.count);
  out.set_baseline_mean(alert.baseline_mean);
  out.set_threshold(alert.threshold);
  for (const std::string& m : alert.sample_mentions) out.add_sample_mentions(m);
  for (const std::string& spoke : alert.spokes) out.add_spokes(spoke);
  return out;
}

int SpikeWatch::Tick(absl::Time now) {
  std::vector<common::Event> events;
  {
    std::lock_guard lock(mu_);
    events.swap(unsent_);  // what the bus refused last time goes first
    for (const SpikeAlert& alert : detector_.Advance(now)) {
      if (alert.interval_end < live_from_) continue;  // history: state only
      const bool raised = alert.change == SpikeAlert::Change::kRaised;
      v1::AlertChanged payload;
      *payload.mutable_alert() = ToProto(alert);
      const std::string id = EventId(payload.alert(), raised);
      if (!published_.insert(id).second) continue;
      if (raised)
        raised_.Add({{"severity", std::string(AlertSeverityName(alert.severity))}}).Increment();
      logger_.Info(raised ? "alert raised" : "alert resolved",
                   {{"series", alert.series},
                    {"severity", std::string(AlertSeverityName(alert.severity))},
                    {"count", alert.count},
                    {"baseline", alert.baseline_mean}});
      events.push_back(common::MakeCatalogueEvent(
          raised ? common::events::kAlertRaised : common::events::kAlertResolved, payload, kSource,
          now, id));
    }
    int warning = 0;
    int severe = 0;
    for (const std::string& series : detector_.Active()) {
      (series.starts_with("crisis:") ? severe : warning)++;
    }
    active_.Add({{"severity", "warning"}}).Set(warning);
    active_.Add({{"severity", "severe"}}).Set(severe);
  }
  int published = 0;
  std::vector<common::Event> refused;
  for (common::Event& event : events) {
    // In order (raised before resolved); what the bus refuses is tried again
    // at the next tick, in the same order, under the same id.
    if (!refused.empty()) {
      refused.push_back(std::move(event));
      continue;
    }
    if (auto ack = bus_.Publish(event); ack.ok()) {
      ++published;
    } else {
      logger_.Warn("cannot publish alert event; will retry",
                   {{"event_id", event.id}, {"error", std::string(ack.status().message())}});
      refused.push_back(std::move(event));
    }
  }
  if (!refused.empty()) {
    std::lock_guard lock(mu_);
    refused.insert(refused.end(), std::make_move_iterator(unsent_.begin()),
                   std::make_move_iterator(unsent_.end()));
    unsent_ = std::move(refused);
  }
  return published;
}

void SpikeWatch::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return;
    started_ = true;
    // The interval that closed as the replay caught up is still news.
    live_from_ = clock_.Now() - options_.detector.interval;
  }
  ticker_.Start();
}

void SpikeWatch::Stop() { ticker_.Stop(); }

}  // namespace carecast::metrics
