// A CredentialSource for tests: credentials set by the test; Refresh hands out
// the next queued credential (or fails as told) and counts the refreshes.
// Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>

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
  int refresh_calls() const {
    std::lock_guard lock(mu_);
    return refresh_calls_;
  }

  absl::StatusOr<publisher::Credential> Get(std::string_view account) override {
    std::lock_guard lock(mu_);
    auto it = credentials_.find(std::string(account));
    if (it == credentials_.end()) return absl::NotFoundError("no credentials for the account");
    return it->second;
  }
  absl::StatusOr<publisher::Credential> Refresh(std::string_view account,
                                                std::string_view /*rejected*/) override {
    std::lock_guard lock(mu_);
    ++refresh_calls_;
    auto& queue = refreshes_[std::string(account)];
    if (queue.empty()) return absl::UnauthenticatedError("the account must be reconnected");
    credentials_[std::string(account)] = queue.front();
    queue.pop_front();
    return credentials_[std::string(account)];
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, publisher::Credential> credentials_;
  std::map<std::string, std::deque<publisher::Credential>> refreshes_;
  int refresh_calls_ = 0;
};

}  // namespace carecast::testing
