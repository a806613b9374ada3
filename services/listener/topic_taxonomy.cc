#include "services/listener/topic_taxonomy.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

#include "services/common/base/status_macros.h"
#include "services/common/text/text_config.h"
#include "services/listener/audited_change.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kKey = "taxonomy";
constexpr std::string_view kResource = "listeningSettings/taxonomy";

bool SameTopics(const TopicDefinitions& a, const TopicDefinitions& b) {
  if (a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

TopicTaxonomy::TopicTaxonomy(common::EntityStore& store, TaxonomySink sink,
                             const common::Clock& clock, common::Logger& logger)
    : store_(store), sink_(std::move(sink)), clock_(clock), logger_(logger) {}

void TopicTaxonomy::Apply(const v1::TopicTaxonomySet& set, uint64_t revision) {
  std::lock_guard lock(mu_);
  if (revision <= applied_revision_) return;
  const absl::Time start = absl::Now();
  if (sink_) {
    if (absl::Status s = sink_(TaxonomyTsv(set.topics())); !s.ok()) {
      // Built before it was stored; only a changed engine could refuse it.
      logger_.Error("the stored topic taxonomy does not build; the previous one stays",
                    {{"error", std::string(s.message())}, {"revision", absl::StrCat(revision)}});
      return;
    }
  }
  applied_revision_ = revision;
  logger_.Info("topic taxonomy in force",
               {{"topics", static_cast<int64_t>(set.topics_size())},
                {"revision", static_cast<int64_t>(revision)},
                {"rebuild_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
}

absl::Status TopicTaxonomy::Load() {
  absl::StatusOr<common::Stored<v1::TopicTaxonomySet>> stored =
      store_.GetLatest<v1::TopicTaxonomySet>(kKey);
  if (absl::IsNotFound(stored.status())) return absl::OkStatus();  // the built-in one stays
  if (!stored.ok()) return stored.status();
  Apply(stored->value, stored->revision);
  return absl::OkStatus();
}

absl::StatusOr<v1::TopicTaxonomySet> TopicTaxonomy::Set(const TopicDefinitions& topics,
                                                        std::string_view request_id,
                                                        const common::Caller& caller,
                                                        const common::SpokeScope& scope) {
  RETURN_IF_ERROR(scope.RequireChange("", "topic taxonomy"));
  ASSIGN_OR_RETURN(TopicDefinitions normalised, NormalisedTopics(topics));
  if (absl::Status built = CheckTaxonomyCompiles(TaxonomyTsv(normalised)); !built.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the taxonomy does not build: ", built.message()));
  }
  const ChangeActor actor = ChangeActor::Of(caller);
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    absl::StatusOr<common::Stored<v1::TopicTaxonomySet>> stored =
        store_.GetLatest<v1::TopicTaxonomySet>(kKey);
    if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
    const bool exists = stored.ok();
    if (exists && SameTopics(stored->value.topics(), normalised)) {
      RETURN_IF_ERROR(store_.Settle(kKey));
      Apply(stored->value, stored->revision);
      return stored->value;  // already the taxonomy (a retry)
    }
    const absl::Time now = clock_.Now();
    v1::TopicTaxonomySet next;
    *next.mutable_topics() = normalised;
    next.set_actor(actor.subject);
    *next.mutable_update_time() = ToTimestamp(now);
    const uint64_t base = exists ? stored->revision : 0;
    std::vector<common::Change> changes = {AuditedChange(
        common::events::kTopicTaxonomySet, next, kResource, absl::StrCat("b", base, ".set"), actor,
        request_id, absl::StrCat(normalised.size(), " topics"), now)};
    absl::StatusOr<common::Stored<v1::TopicTaxonomySet>> written =
        exists ? store_.Update(kKey, next, *stored, changes) : store_.Create(kKey, next, changes);
    if (absl::IsAborted(written.status()) || absl::IsAlreadyExists(written.status())) continue;
    if (!written.ok()) return written.status();
    Apply(written->value, written->revision);
    return written->value;
  }
  return absl::AbortedError("the topic taxonomy kept changing; retry");
}

absl::StatusOr<v1::TopicTaxonomySet> TopicTaxonomy::Get() {
  absl::StatusOr<common::Stored<v1::TopicTaxonomySet>> stored =
      store_.Get<v1::TopicTaxonomySet>(kKey);
  if (stored.ok()) return stored->value;
  if (!absl::IsNotFound(stored.status())) return stored.status();
  v1::TopicTaxonomySet built_in;
  *built_in.mutable_topics() = ParseTaxonomyTsv(common::text::EmbeddedDataFile("taxonomy.tsv"));
  return built_in;
}

common::Disposition TopicTaxonomy::OnEvent(const common::Event& /*event*/) {
  // The event says a taxonomy was stored; the store says which one is newest.
  return Load().ok() ? common::Disposition::kAck : common::Disposition::kRetry;
}

}  // namespace carecast::listener
