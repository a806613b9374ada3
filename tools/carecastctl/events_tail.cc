#include "tools/carecastctl/events_tail.h"

#include <condition_variable>
#include <mutex>

#include "absl/strings/match.h"

#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "tools/carecastctl/event_json.h"

namespace carecast::ctl {

absl::Status TailEvents(common::EventBus& bus, const TailOptions& options, std::ostream& out) {
  common::ConsumerSpec spec;
  spec.stream = std::string(absl::StartsWith(common::AsAbsl(options.subject),
                                             common::AsAbsl(common::events::kAuditPrefix))
                                ? common::events::kAuditRecorded.stream
                                : common::streams::kEvents);
  spec.filter_subject = options.subject;
  spec.deliver_all = options.from_start;
  spec.ack_wait = absl::Seconds(30);

  std::mutex mu;
  std::condition_variable cv;
  int seen = 0;
  absl::Time last = absl::Now();
  auto subscription = bus.Subscribe(spec, [&](const common::Event& event) {
    std::lock_guard lock(mu);
    if (options.max_events > 0 && seen >= options.max_events) return common::Disposition::kAck;
    out << EventToJson(event) << std::endl;
    ++seen;
    last = absl::Now();
    cv.notify_all();
    return common::Disposition::kAck;
  });
  if (!subscription.ok()) return subscription.status();

  std::unique_lock lock(mu);
  while (true) {
    if (options.max_events > 0 && seen >= options.max_events) break;
    if (options.idle_timeout > absl::ZeroDuration() && absl::Now() - last >= options.idle_timeout)
      break;
    cv.wait_for(lock, std::chrono::milliseconds(100));
  }
  lock.unlock();
  subscription->reset();
  return absl::OkStatus();
}

}  // namespace carecast::ctl
