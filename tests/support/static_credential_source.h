// A CredentialSource for tests: credentials set by the test; Refresh hands out
// the next queued credential (or fails as told: UNAUTHENTICATED when nothing is
// queued, as a source does for an account without a refresh token), counts the
// refreshes and records the tokens it was told were rejected. Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "services/publisher/channels/credentials.h"

namespace carecast::testing {

class StaticCredentialSource final : public publisher::CredentialSource {
 public:
  void Set(const std::string& account, publisher::Credential credential) {
    std::lock_guard lock(mu_);
    credentials_[account] = std::move(credential);
  }
  // The next Refresh of `account` returns this credential (and stores it).
  void QueueRefresh(const std::string& account, publisher::Credential credential) {
    std::lock_guard lock(mu_);
    refreshes_[account].push_back(std::move(credential));
  }
  // The next Refresh of `account` fails with `status` (UNAVAILABLE: a
  // transient failure; UNAUTHENTICATED: the account must be reconnected).
  void FailRefresh(const std::string& account, absl::Status status) {
    std::lock_guard lock(mu_);
    refreshes_[account].push_back(std::move(status));
  }
  int refresh_calls() const {
    std::lock_guard lock(mu_);
    return refresh_calls_;
  }
  // The rejected_access_token of every Refresh, in call order.
  std::vector<std::string> rejected_tokens() const {
    std::lock_guard lock(mu_);
    return rejected_;
  }

  absl::StatusOr<publisher::Credential> Get(std::string_view account) override {
    std::lock_guard lock(mu_);
    auto it = credentials_.find(std::string(account));
    if (it == credentials_.end()) return absl::NotFoundError("no credentials for the account");
    return it->second;
  }
  absl::StatusOr<publisher::Credential> Refresh(std::string_view account,
                                                std::string_view rejected) override {
    std::lock_guard lock(mu_);
    ++refresh_calls_;
    rejected_.emplace_back(rejected);
    auto& queue = refreshes_[std::string(account)];
    if (queue.empty()) return absl::UnauthenticatedError("the account must be reconnected");
    absl::StatusOr<publisher::Credential> next = std::move(queue.front());
    queue.pop_front();
    if (!next.ok()) return next.status();
    credentials_[std::string(account)] = *std::move(next);
    return credentials_[std::string(account)];
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, publisher::Credential> credentials_;
  std::map<std::string, std::deque<absl::StatusOr<publisher::Credential>>> refreshes_;
  std::vector<std::string> rejected_;
  int refresh_calls_ = 0;
};

}  // namespace carecast::testing
