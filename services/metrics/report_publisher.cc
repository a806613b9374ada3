#include "services/metrics/report_publisher.h"

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/metrics/iso_week.h"

namespace carecast::metrics {
namespace {

constexpr char kSource[] = "carecast-metrics";

}  // namespace

ReportPublisher::ReportPublisher(ReportPublisherOptions options, const MetricsService& service,
                                 const ProgramFigures& figures, common::EventBus& bus,
                                 const common::Clock& clock, common::Logger& logger)
    : options_(options),
      service_(service),
      figures_(figures),
      bus_(bus),
      clock_(clock),
      logger_(logger),
      ticker_(options_.tick, common::PeriodicRunner::FirstRun::kAtOnce,
              [this] { Tick(clock_.Now()); }) {}

ReportPublisher::~ReportPublisher() { Stop(); }

std::string ReportPublisher::EventIdOf(std::string_view report_name) {
  return absl::StrCat("report.", common::AsAbsl(report_name));
}

void ReportPublisher::ObserveReport(std::string_view event_id) {
  std::lock_guard lock(mu_);
  published_.insert(std::string(event_id));
}

int ReportPublisher::Tick(absl::Time now) {
  const IsoWeek week = IsoWeekOf(IsoWeekOf(now).start - absl::Hours(24));
  if (now < week.end() + options_.delay) return 0;
  std::vector<std::string> scopes = {""};
  for (std::string& spoke : figures_.Spokes()) scopes.push_back(std::move(spoke));
  int published = 0;
  for (const std::string& spoke : scopes) {
    const std::string id = EventIdOf(WeeklyReportName(spoke, week));
    {
      std::lock_guard lock(mu_);
      if (published_.contains(id)) continue;
    }
    v1::ReportPublished payload;
    *payload.mutable_report() = service_.BuildReport(spoke, week);
    const common::Event event =
        common::MakeCatalogueEvent(common::events::kReportPublished, payload, kSource, now, id);
    if (auto ack = bus_.Publish(event); !ack.ok()) {
      logger_.Warn(
          "cannot publish weekly report; will retry",
          {{"report", payload.report().name()}, {"error", std::string(ack.status().message())}});
      continue;
    }
    {
      std::lock_guard lock(mu_);
      published_.insert(id);
    }
    ++published;
    logger_.Info("weekly report published", {{"report", payload.report().name()},
                                             {"posts", payload.report().posts_published()},
                                             {"suggestions", payload.report().suggestions_size()}});
  }
  return published;
}

void ReportPublisher::Start() { ticker_.Start(); }

void ReportPublisher::Stop() { ticker_.Stop(); }

}  // namespace carecast::metrics
