#include "services/listener/tracked_keywords.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/listener/audited_change.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kKey = "keywords";
constexpr std::string_view kResource = "listeningSettings/keywords";

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// The list as it will be stored, or why it cannot be.
absl::StatusOr<std::vector<std::string>> Normalised(const std::vector<std::string>& keywords) {
  if (keywords.size() > kMaxTrackedKeywords) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxTrackedKeywords, " keywords may be tracked"));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < keywords.size(); ++i) {
    std::string keyword(absl::StripAsciiWhitespace(keywords[i]));
    if (keyword.empty() || keyword.size() > kMaxTrackedKeywordBytes ||
        !common::IsValidUtf8(keyword) || HasControl(keyword)) {
      return absl::InvalidArgumentError(absl::StrCat("keywords[", i, "] must be 1 to ",
                                                     kMaxTrackedKeywordBytes,
                                                     " bytes of UTF-8 without control characters"));
    }
    if (seen.insert(keyword).second) out.push_back(std::move(keyword));
  }
  return out;
}

}  // namespace

TrackedKeywords::TrackedKeywords(common::EntityStore& store, KeywordSink sink,
                                 std::vector<std::string> configured, const common::Clock& clock,
                                 common::Logger& logger)
    : store_(store),
      sink_(std::move(sink)),
      configured_(std::move(configured)),
      clock_(clock),
      logger_(logger) {}

void TrackedKeywords::Apply(const v1::TrackedKeywordsSet& set, uint64_t revision) {
  std::lock_guard lock(mu_);
  if (revision <= applied_revision_) return;
  if (sink_) {
    if (absl::Status s = sink_({set.keywords().begin(), set.keywords().end()}); !s.ok()) {
      // Checked before it was stored; only a changed engine could refuse it.
      logger_.Error("the stored tracked keywords do not compile; the previous list stays",
                    {{"error", std::string(s.message())}, {"revision", absl::StrCat(revision)}});
      return;
    }
  }
  applied_revision_ = revision;
  logger_.Info("tracked keywords in force",
               {{"keywords", static_cast<int64_t>(set.keywords_size())},
                {"revision", static_cast<int64_t>(revision)}});
}

absl::Status TrackedKeywords::Load() {
  absl::StatusOr<common::Stored<v1::TrackedKeywordsSet>> stored =
      store_.GetLatest<v1::TrackedKeywordsSet>(kKey);
  if (absl::IsNotFound(stored.status())) return absl::OkStatus();  // the configured list stays
  if (!stored.ok()) return stored.status();
  Apply(stored->value, stored->revision);
  return absl::OkStatus();
}

absl::StatusOr<v1::TrackedKeywordsSet> TrackedKeywords::Set(
    const std::vector<std::string>& keywords, std::string_view request_id,
    const common::Caller& caller, const common::SpokeScope& scope) {
  RETURN_IF_ERROR(scope.RequireChange("", "tracked keywords"));
  ASSIGN_OR_RETURN(std::vector<std::string> list, Normalised(keywords));
  const ChangeActor actor = ChangeActor::Of(caller);
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    absl::StatusOr<common::Stored<v1::TrackedKeywordsSet>> stored =
        store_.GetLatest<v1::TrackedKeywordsSet>(kKey);
    if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
    const bool exists = stored.ok();
    if (exists && std::equal(stored->value.keywords().begin(), stored->value.keywords().end(),
                             list.begin(), list.end())) {
      RETURN_IF_ERROR(store_.Settle(kKey));
      Apply(stored->value, stored->revision);
      return stored->value;  // already the list (a retry)
    }
    const absl::Time now = clock_.Now();
    v1::TrackedKeywordsSet next;
    for (const std::string& k : list) next.add_keywords(k);
    next.set_actor(actor.subject);
    *next.mutable_update_time() = ToTimestamp(now);
    const uint64_t base = exists ? stored->revision : 0;
    std::vector<common::Change> changes = {AuditedChange(
        common::events::kTrackedKeywordsSet, next, kResource, absl::StrCat("b", base, ".set"),
        actor, request_id, absl::StrCat(list.size(), " keywords"), now)};
    absl::StatusOr<common::Stored<v1::TrackedKeywordsSet>> written =
        exists ? store_.Update(kKey, next, *stored, changes) : store_.Create(kKey, next, changes);
    if (absl::IsAborted(written.status()) || absl::IsAlreadyExists(written.status())) continue;
    if (!written.ok()) return written.status();
    Apply(written->value, written->revision);
    return written->value;
  }
  return absl::AbortedError("the tracked keywords kept changing; retry");
}

absl::StatusOr<v1::TrackedKeywordsSet> TrackedKeywords::Get() {
  absl::StatusOr<common::Stored<v1::TrackedKeywordsSet>> stored =
      store_.Get<v1::TrackedKeywordsSet>(kKey);
  if (stored.ok()) return stored->value;
  if (!absl::IsNotFound(stored.status())) return stored.status();
  v1::TrackedKeywordsSet configured;
  for (const std::string& k : configured_) configured.add_keywords(k);
  return configured;
}

common::Disposition TrackedKeywords::OnEvent(const common::Event& event) {
  // The event says a list was stored; the store says which list is newest.
  return Load().ok() ? common::Disposition::kAck : common::Disposition::kRetry;
}

}  // namespace carecast::listener
