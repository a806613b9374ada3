#include "services/listener/source_checkpoints.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kKeyPrefix = "source.";

}  // namespace

std::string SourceStateKey(std::string_view name) {
  return absl::StrCat(common::AsAbsl(kKeyPrefix), common::AsAbsl(name));
}

absl::StatusOr<std::optional<common::Stored<v1::MentionSourceState>>> SourceCheckpoints::Claim(
    std::string_view name, std::string_view kind, std::string_view holder, absl::Time now,
    absl::Duration lease) {
  const std::string key = SourceStateKey(name);
  // The leader's copy: a replica that is behind would show an expired lease
  // the holder has renewed (the write would then lose, but only after a read).
  absl::StatusOr<common::Stored<v1::MentionSourceState>> current =
      store_.GetLatest<v1::MentionSourceState>(key);
  v1::MentionSourceState next;
  if (current.ok()) {
    const v1::MentionSourceState& state = current->value;
    if (state.lease_holder() != holder && state.has_lease_expire_time() &&
        FromTimestamp(state.lease_expire_time()) > now) {
      return std::nullopt;
    }
    next = state;
  } else if (absl::IsNotFound(current.status())) {
    next.set_name(absl::StrCat("mentionSources/", common::AsAbsl(name)));
  } else {
    return current.status();
  }
  next.set_kind(std::string(kind));
  next.set_lease_holder(std::string(holder));
  *next.mutable_lease_expire_time() = ToTimestamp(now + lease);
  *next.mutable_update_time() = ToTimestamp(now);
  absl::StatusOr<common::Stored<v1::MentionSourceState>> written =
      current.ok() ? store_.Update(key, std::move(next), *current)
                   : store_.Create(key, std::move(next));
  if (absl::IsAborted(written.status()) || absl::IsAlreadyExists(written.status())) {
    return std::nullopt;  // another replica claimed it between the read and the write
  }
  RETURN_IF_ERROR(written.status());
  return std::optional<common::Stored<v1::MentionSourceState>>(*std::move(written));
}

absl::StatusOr<common::Stored<v1::MentionSourceState>> SourceCheckpoints::Write(
    std::string_view name, const common::Stored<v1::MentionSourceState>& base,
    v1::MentionSourceState next, absl::Time now) {
  *next.mutable_update_time() = ToTimestamp(now);
  return store_.Update(SourceStateKey(name), std::move(next), base);
}

absl::StatusOr<std::vector<v1::MentionSourceState>> SourceCheckpoints::List() {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.Keys(kKeyPrefix));
  std::vector<v1::MentionSourceState> out;
  for (absl::StatusOr<common::Stored<v1::MentionSourceState>>& state :
       store_.GetMany<v1::MentionSourceState>(keys)) {
    if (absl::IsNotFound(state.status())) continue;  // deleted since the listing
    RETURN_IF_ERROR(state.status());
    out.push_back(std::move(state->value));
  }
  return out;
}

}  // namespace carecast::listener
