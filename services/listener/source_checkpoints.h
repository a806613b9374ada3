// The stored state of each mention source (v1::MentionSourceState under
// "source.<name>" in the carecast_listening bucket): its cursor, and the lease
// that lets one listener replica at a time read the source. Every write is a
// compare-and-set on the revision read, so two replicas can never both move a
// cursor: the loser gets ABORTED and stops. The states carry no events; the
// mentions a source brings in are announced by the intake. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/listener_service.pb.h"

#include "services/common/store/entity_store.h"

namespace carecast::listener {

// "source.<name>".
std::string SourceStateKey(std::string_view name);

class SourceCheckpoints {
 public:
  // `store` is the carecast_listening bucket's; it must outlive this.
  explicit SourceCheckpoints(common::EntityStore& store) : store_(store) {}

  // The lease on source `name` for `holder` until now + `lease`, when nobody
  // else holds an unexpired one: the state to fence the next write on.
  // nullopt when another replica holds it (or won the race for it). Creates
  // the state on first use. UNAVAILABLE when KV cannot be reached.
  absl::StatusOr<std::optional<common::Stored<v1::MentionSourceState>>> Claim(
      std::string_view name, std::string_view kind, std::string_view holder, absl::Time now,
      absl::Duration lease);

  // Writes `next` over `base`, the state of source `name` (compare-and-set);
  // ABORTED when the state moved since (the lease was lost), and nothing is
  // written. `next.update_time` is set.
  absl::StatusOr<common::Stored<v1::MentionSourceState>> Write(
      std::string_view name, const common::Stored<v1::MentionSourceState>& base,
      v1::MentionSourceState next, absl::Time now);

  // Every stored state, by name (the sources no longer configured included).
  absl::StatusOr<std::vector<v1::MentionSourceState>> List();

 private:
  common::EntityStore& store_;
};

}  // namespace carecast::listener
