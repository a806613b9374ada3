// Helpers shared by the planner's method files; not part of its interface.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/planner/planner.h"
#include "services/planner/validation.h"

namespace carecast::planner {

using common::SpokeScope;

struct Planner::Buckets {
  std::unique_ptr<common::KeyValueStore> organisation;
  std::unique_ptr<common::KeyValueStore> objectives;
  std::unique_ptr<common::KeyValueStore> contents;
  std::unique_ptr<common::KeyValueStore> posts;
  std::unique_ptr<common::KeyValueStore> control;
  std::unique_ptr<common::KeyValueStore> requests;
  std::unique_ptr<common::KeyValueStore> outbox;
};

namespace internal {

// NOT_FOUND "<name> not found" for a missing key; other errors unchanged.
inline absl::Status NotFoundAs(const absl::Status& status, std::string_view name) {
  if (status.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat(common::AsAbsl(name), " not found"));
  }
  return status;
}

// The entity store's read-modify-write with NOT_FOUND named after `name`.
template <class T, class Mutate, class Describe>
absl::StatusOr<Stored<T>> ReadModifyWrite(common::EntityStore& store, const std::string& key,
                                          std::string_view name, Mutate&& mutate,
                                          Describe&& describe) {
  absl::StatusOr<Stored<T>> written =
      store.ReadModifyWrite<T>(key, std::forward<Mutate>(mutate), std::forward<Describe>(describe));
  if (!written.ok()) return NotFoundAs(written.status(), name);
  return written;
}

// Reads `keys` (sorted) from `offset`, keeping what `keep` accepts until `page`
// are kept; returns the offset to continue from (0 when done).
template <class T, class Keep, class Add>
absl::StatusOr<uint64_t> FilteredPage(common::EntityStore& store,
                                      const std::vector<std::string>& keys, uint64_t offset,
                                      size_t page, Keep&& keep, Add&& add) {
  size_t kept = 0;
  size_t i = offset;
  for (; i < keys.size() && kept < page; ++i) {
    absl::StatusOr<Stored<T>> item = store.Get<T>(keys[i]);
    if (absl::IsNotFound(item.status())) continue;
    if (!item.ok()) return item.status();
    if (!keep(item->value)) continue;
    add(std::move(item->value));
    ++kept;
  }
  return i < keys.size() ? i : 0;
}

}  // namespace internal

template <class Response, class Fn>
absl::StatusOr<Response> Planner::Mutate(const Caller& caller, std::string_view method,
                                         const std::string& request_id, Fn&& fn) {
  RETURN_IF_ERROR(CheckRequestId(request_id));
  std::string key;
  if (!request_id.empty()) {
    key = RequestReplay::Key(method, caller.principal.subject, request_id);
    ASSIGN_OR_RETURN(std::optional<ReplayRecord> record, replay_.Find(key));
    if (record) {
      Response response;
      if (!response.ParseFromString(record->response)) {
        return absl::DataLossError("stored response of this request_id does not parse");
      }
      return response;
    }
  }
  bool wrote = false;
  ASSIGN_OR_RETURN(Response response, fn(wrote));
  if (!request_id.empty() && wrote) {
    if (absl::Status s = replay_.Save(key, {response.SerializeAsString()}); !s.ok()) {
      logger_.Warn("request replay record not saved",
                   {{"method", std::string(method)}, {"error", std::string(s.message())}});
    }
  }
  return response;
}

}  // namespace carecast::planner
