// The tracked keywords every listener replica matches (brand names, campaign
// hashtags, crisis terms), replaced at run time by SetTrackedKeywords. The list
// is stored in the carecast_listening bucket under "keywords" (a
// TrackedKeywordsSet) and written with carecast.listening.keywords_set and its
// audit entry; each replica applies the stored list at start and whenever the
// event arrives (an ephemeral consumer per process), newest revision first, so
// a late or repeated event never brings an older list back. Until a list is
// set, the configured one (CARECAST_TRACKED_KEYWORDS) is in force.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event.h"
#include "services/common/bus/event_bus.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/entity_store.h"

namespace carecast::listener {

inline constexpr size_t kMaxTrackedKeywords = 500;
inline constexpr size_t kMaxTrackedKeywordBytes = 100;

// Puts a list in force in this process (the text engine's ReplaceTrackedKeywords).
using KeywordSink = std::function<absl::Status(std::vector<std::string>)>;

// Thread-safe. References must outlive it.
class TrackedKeywords {
 public:
  TrackedKeywords(common::EntityStore& store, KeywordSink sink, std::vector<std::string> configured,
                  const common::Clock& clock, common::Logger& logger);

  // Applies the stored list, if any (at start). UNAVAILABLE when KV is away.
  absl::Status Load();
  // Replaces the list: each keyword trimmed, 1..100 bytes of UTF-8 without
  // control characters, at most 500, duplicates dropped (first kept).
  // INVALID_ARGUMENT otherwise, and nothing changes. Hub callers only
  // (PERMISSION_DENIED): the list is the whole system's. Applied here at once,
  // and on every other replica from the event.
  absl::StatusOr<v1::TrackedKeywordsSet> Set(const std::vector<std::string>& keywords,
                                             std::string_view request_id,
                                             const common::Caller& caller,
                                             const common::SpokeScope& scope);
  // The list in force: the stored one, else the configured one.
  absl::StatusOr<v1::TrackedKeywordsSet> Get();
  // The ephemeral consumer's handler: re-reads the stored list and applies it
  // when newer than what is in force.
  common::Disposition OnEvent(const common::Event& event);

 private:
  // Puts `set` in force unless a newer revision already is.
  void Apply(const v1::TrackedKeywordsSet& set, uint64_t revision);

  common::EntityStore& store_;
  KeywordSink sink_;
  const std::vector<std::string> configured_;
  const common::Clock& clock_;
  common::Logger& logger_;
  std::mutex mu_;
  uint64_t applied_revision_ = 0;  // guarded by mu_
};

}  // namespace carecast::listener
