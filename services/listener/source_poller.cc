#include "services/listener/source_poller.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/store/fault_points.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

// The metric outcome of a source's error (mention_source.h lists the codes).
std::string_view FetchOutcome(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      return "unauthenticated";
    case absl::StatusCode::kFailedPrecondition:
      return "refused";
    case absl::StatusCode::kInternal:
      return "malformed";
    default:
      return "unavailable";
  }
}

// What is stored and logged of an error: its code and message (sources keep
// tokens and mention text out of their messages).
std::string Describe(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

}  // namespace

SourcePoller::SourcePoller(std::unique_ptr<MentionSource> source, SourcePollOptions options,
                           SourceCheckpoints& checkpoints, MentionSink sink,
                           ListenerMetrics& metrics, const common::Clock& clock,
                           common::Logger& logger)
    : source_(std::move(source)),
      options_(std::move(options)),
      checkpoints_(checkpoints),
      sink_(std::move(sink)),
      metrics_(metrics),
      clock_(clock),
      logger_(logger),
      runner_(options_.period, common::PeriodicRunner::FirstRun::kAtOnce, [this] { RunRound(); }) {}

SourcePoller::~SourcePoller() { runner_.Stop(); }

SourceRoundReport SourcePoller::RunRound() {
  std::lock_guard lock(round_mu_);
  SourceRoundReport report;
  const absl::Duration lease =
      options_.lease > absl::ZeroDuration() ? options_.lease : 3 * options_.period;
  absl::Time now = clock_.Now();
  absl::StatusOr<std::optional<common::Stored<v1::MentionSourceState>>> claimed =
      checkpoints_.Claim(source_->name(), options_.kind, options_.holder, now, lease);
  if (!claimed.ok()) {
    report.error = claimed.status();
    metrics_.SourceFetch(source_->name(), "store_unavailable");
    logger_.Warn("mention source state unreadable",
                 {{"source", source_->name()}, {"error", Describe(claimed.status())}});
    return report;
  }
  if (!claimed->has_value()) return report;  // another replica holds the lease
  report.held = true;
  common::Stored<v1::MentionSourceState> state = **std::move(claimed);
  if (state.value.has_not_before_time() && FromTimestamp(state.value.not_before_time()) > now) {
    return report;  // the network asked to wait
  }

  for (int page_number = 0; page_number < options_.max_pages_per_round; ++page_number) {
    absl::StatusOr<SourcePage> page = source_->Fetch(state.value.cursor());
    now = clock_.Now();
    if (!page.ok()) {
      report.error = page.status();
      RecordFailure(state, page.status(), FetchOutcome(page.status()), now);
      return report;
    }
    ++report.pages;
    int accepted = 0;
    int rejected = 0;
    for (const v1::Mention& mention : page->mentions) {
      absl::Status stored = sink_(mention);
      if (stored.ok()) {
        ++accepted;
      } else if (absl::IsInvalidArgument(stored)) {
        // Never acceptable (too long, not UTF-8...): skipping it is the only
        // way the source moves on. Counted; the external id is not PHI.
        ++rejected;
        logger_.Warn("mention from source refused", {{"source", source_->name()},
                                                     {"external_id", mention.external_id()},
                                                     {"error", std::string(stored.message())}});
      } else {
        // Cannot store now: the cursor stays, so the page is read again.
        report.accepted += accepted;
        report.rejected += rejected;
        report.error = stored;
        RecordFailure(state, stored, "intake_unavailable", now);
        return report;
      }
    }
    report.accepted += accepted;
    report.rejected += rejected;
    // Every mention of a page that had some is stored; the cursor has not moved.
    if (!page->mentions.empty()) common::FaultPoint("listener:after_source_page_stored");

    v1::MentionSourceState next = state.value;
    next.set_cursor(page->next_checkpoint);
    next.set_accepted_count(next.accepted_count() + accepted);
    next.set_rejected_count(next.rejected_count() + rejected);
    *next.mutable_lease_expire_time() = ToTimestamp(now + lease);
    const bool rate_limited = page->not_before > now;
    if (rate_limited) {
      *next.mutable_not_before_time() = ToTimestamp(page->not_before);
    } else {
      next.clear_not_before_time();
      *next.mutable_last_success_time() = ToTimestamp(now);
      next.clear_last_error();
      next.clear_last_error_time();
    }
    absl::StatusOr<common::Stored<v1::MentionSourceState>> written =
        checkpoints_.Write(source_->name(), state, std::move(next), now);
    if (!written.ok()) {
      // ABORTED: the lease went to another replica while this one read (it
      // stalled past the lease). It reads from the stored cursor; the
      // mentions stored here are repeats to it.
      report.error = written.status();
      metrics_.SourceFetch(source_->name(),
                           absl::IsAborted(written.status()) ? "lease_lost" : "store_unavailable");
      logger_.Warn("mention source cursor not moved",
                   {{"source", source_->name()}, {"error", Describe(written.status())}});
      return report;
    }
    state = *std::move(written);
    if (rate_limited) {
      metrics_.SourceFetch(source_->name(), "rate_limited");
      logger_.Info("mention source rate limited",
                   {{"source", source_->name()},
                    {"retry_in_seconds",
                     static_cast<int64_t>(absl::ToInt64Seconds(page->not_before - now))}});
      return report;
    }
    metrics_.SourceFetch(source_->name(), "ok");
    metrics_.SourceSucceeded(source_->name(), now);
    if (!page->more) break;
  }
  if (report.accepted > 0 || report.rejected > 0) {
    logger_.Info("mention source read", {{"source", source_->name()},
                                         {"pages", static_cast<int64_t>(report.pages)},
                                         {"accepted", static_cast<int64_t>(report.accepted)},
                                         {"rejected", static_cast<int64_t>(report.rejected)}});
  }
  return report;
}

void SourcePoller::RecordFailure(const common::Stored<v1::MentionSourceState>& state,
                                 const absl::Status& error, std::string_view outcome,
                                 absl::Time now) {
  metrics_.SourceFetch(source_->name(), outcome);
  logger_.Warn(
      "mention source failed",
      {{"source", source_->name()}, {"outcome", std::string(outcome)}, {"error", Describe(error)}});
  v1::MentionSourceState next = state.value;
  next.set_last_error(Describe(error));
  *next.mutable_last_error_time() = ToTimestamp(now);
  // Best effort: the error is also in the log and the metric.
  (void)checkpoints_.Write(source_->name(), state, std::move(next), now);
}

}  // namespace carecast::listener
