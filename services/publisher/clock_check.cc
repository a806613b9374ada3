#include "services/publisher/clock_check.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace carecast::publisher {

ClockCheck::ClockCheck(const ClockCheckOptions& options, ServerTime server_time,
                       const common::Clock& clock, common::Logger& logger,
                       prometheus::Registry& registry)
    : options_(options),
      server_time_(std::move(server_time)),
      clock_(clock),
      logger_(logger),
      offset_gauge_(prometheus::BuildGauge()
                        .Name("carecast_publisher_clock_offset_seconds")
                        .Help("This publisher's clock minus the reference server's (Redis TIME), "
                              "at the last measurement.")
                        .Register(registry)
                        .Add({})),
      skewed_gauge_(prometheus::BuildGauge()
                        .Name("carecast_publisher_clock_skewed")
                        .Help("1 while this publisher's clock is off the reference server's by "
                              "more than CARECAST_PUBLISHER_MAX_CLOCK_SKEW (it claims nothing), "
                              "else 0.")
                        .Register(registry)
                        .Add({})) {
  skewed_gauge_.Set(options_.tolerance > absl::ZeroDuration() ? 1 : 0);
}

ClockCheck::ServerTime ClockCheck::RedisTime(common::RedisClient& redis) {
  return [&redis]() -> absl::StatusOr<absl::Time> {
    absl::StatusOr<common::RedisReply> reply = redis.Command({"TIME"});
    if (!reply.ok()) return reply.status();
    int64_t seconds = 0;
    int64_t micros = 0;
    if (reply->kind != common::RedisReply::Kind::kArray || reply->elements.size() != 2 ||
        !absl::SimpleAtoi(reply->elements[0].str, &seconds) ||
        !absl::SimpleAtoi(reply->elements[1].str, &micros)) {
      return absl::InternalError("TIME: unexpected reply");
    }
    return absl::FromUnixSeconds(seconds) + absl::Microseconds(micros);
  };
}

bool ClockCheck::Allows() {
  if (options_.tolerance <= absl::ZeroDuration()) return true;
  std::lock_guard lock(mu_);
  if (clock_.Now() - last_measured_ >= options_.period) Measure();
  return verdict_ == Verdict::kAgrees;
}

std::optional<absl::Duration> ClockCheck::offset() const {
  std::lock_guard lock(mu_);
  return offset_;
}

void ClockCheck::Measure() {
  const absl::Time before = clock_.Now();
  absl::StatusOr<absl::Time> server = server_time_();
  const absl::Time after = clock_.Now();
  last_measured_ = after;
  const absl::Duration round_trip = after - before;
  if (!server.ok() || round_trip > options_.tolerance) return;  // says nothing
  const absl::Duration offset = before + round_trip / 2 - *server;
  offset_ = offset;
  offset_gauge_.Set(absl::ToDoubleSeconds(offset));
  // The true offset is within half the round trip of the measured one.
  const bool skewed = absl::AbsDuration(offset) - round_trip / 2 > options_.tolerance;
  if (skewed && verdict_ != Verdict::kSkewed) {
    logger_.Error("this clock is off the server's; dispatch stops until it agrees again",
                  {{"offset", absl::FormatDuration(offset)},
                   {"tolerance", absl::FormatDuration(options_.tolerance)}});
  } else if (!skewed && verdict_ != Verdict::kAgrees) {
    logger_.Info("this clock agrees with the server's; dispatch may run",
                 {{"offset", absl::FormatDuration(offset)}});
  }
  verdict_ = skewed ? Verdict::kSkewed : Verdict::kAgrees;
  skewed_gauge_.Set(skewed ? 1 : 0);
}

}  // namespace carecast::publisher
