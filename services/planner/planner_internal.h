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
#include "services/planner/planner.h"
#include "services/planner/validation.h"

namespace carecast::planner {

struct Planner::Buckets {
  std::unique_ptr<common::KeyValueStore> organisation;
  std::unique_ptr<common::KeyValueStore> objectives;
  std::unique_ptr<common::KeyValueStore> contents;
  std::unique_ptr<common::KeyValueStore> posts;
  std::unique_ptr<common::KeyValueStore> control;
  std::unique_ptr<common::KeyValueStore> requests;
};

namespace internal {

// Attempts of a read-check-write whose checks are all redone on every attempt,
// so retrying after a lost compare-and-set is safe.
inline constexpr int kCasAttempts = 5;

// NOT_FOUND "<name> not found" for a missing key; other errors unchanged.
inline absl::Status NotFoundAs(const absl::Status& status, std::string_view name) {
  if (status.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat(common::AsAbsl(name), " not found"));
  }
  return status;
}

// Reads `key`, lets `mutate(T&)` check and change it, writes it back fenced by
// the revision read; repeats on a lost compare-and-set. `mutate` returning an
// error stops without writing.
template <class T, class Mutate>
absl::StatusOr<Stored<T>> ReadModifyWrite(ProtoBucket& bucket, const std::string& key,
                                          std::string_view name, Mutate&& mutate) {
  absl::Status last;
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    absl::StatusOr<Stored<T>> current = bucket.Get<T>(key);
    if (!current.ok()) return NotFoundAs(current.status(), name);
    RETURN_IF_ERROR(mutate(current->value));
    absl::StatusOr<uint64_t> revision = bucket.Update(key, current->value, current->revision);
    if (revision.ok()) return Stored<T>{std::move(current->value), *revision};
    last = revision.status();
    if (last.code() != absl::StatusCode::kAborted) return last;
  }
  return absl::AbortedError(
      absl::StrCat(common::AsAbsl(name), " is being changed concurrently; try again"));
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
      RETURN_IF_ERROR(audit_.Record(record->changes));
      return response;
    }
  }
  std::vector<Change> changes;
  ASSIGN_OR_RETURN(Response response, fn(changes));
  if (!request_id.empty() && !changes.empty()) {
    // Saved before the changes are recorded, so a retry after a failed publish
    // finds the record and completes them.
    if (absl::Status s = replay_.Save(key, {response.SerializeAsString(), changes}); !s.ok()) {
      logger_.Warn("request replay record not saved",
                   {{"method", std::string(method)}, {"error", std::string(s.message())}});
    }
  }
  RETURN_IF_ERROR(audit_.Record(changes));
  return response;
}

}  // namespace carecast::planner
