// The topic taxonomy every listener replica classifies mentions with, replaced
// at run time by SetTopicTaxonomy. It is stored in the carecast_listening
// bucket under "taxonomy" (a TopicTaxonomySet) and written with
// carecast.listening.taxonomy_set and its audit entry; each replica applies the
// stored taxonomy at start and whenever the event arrives (an ephemeral
// consumer per process), newest revision first, so a late or repeated event
// never brings an older taxonomy back. Until one is set, the built-in
// taxonomy.tsv is in force.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event.h"
#include "services/common/bus/event_bus.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/entity_store.h"
#include "services/listener/taxonomy_tsv.h"

namespace carecast::listener {

// Puts a taxonomy ("topic<TAB>phrase|phrase" lines) in force in this process
// (TextEngineHolder::ReplaceTaxonomy); the engine's error when it does not build.
using TaxonomySink = std::function<absl::Status(std::string)>;

// Thread-safe. References must outlive it.
class TopicTaxonomy {
 public:
  TopicTaxonomy(common::EntityStore& store, TaxonomySink sink, const common::Clock& clock,
                common::Logger& logger);

  // Applies the stored taxonomy, if any (at start). UNAVAILABLE when KV is away.
  absl::Status Load();
  // Replaces the taxonomy after NormalisedTopics (taxonomy_tsv.h) and a build
  // of the engine with it: INVALID_ARGUMENT otherwise, and nothing changes.
  // Hub callers only (PERMISSION_DENIED): the taxonomy is the whole system's.
  // Applied here at once, and on every other replica from the event.
  absl::StatusOr<v1::TopicTaxonomySet> Set(const TopicDefinitions& topics,
                                           std::string_view request_id,
                                           const common::Caller& caller,
                                           const common::SpokeScope& scope);
  // The taxonomy in force: the stored one, else the built-in one (no actor).
  absl::StatusOr<v1::TopicTaxonomySet> Get();
  // The ephemeral consumer's handler: re-reads the stored taxonomy and applies
  // it when newer than what is in force.
  common::Disposition OnEvent(const common::Event& event);

 private:
  // Puts `set` in force unless a newer revision already is.
  void Apply(const v1::TopicTaxonomySet& set, uint64_t revision);

  common::EntityStore& store_;
  TaxonomySink sink_;
  const common::Clock& clock_;
  common::Logger& logger_;
  std::mutex mu_;                  // held across the sink, so replacements apply in revision order
  uint64_t applied_revision_ = 0;  // guarded by mu_
};

}  // namespace carecast::listener
