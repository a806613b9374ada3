// An Authenticator for tests: fixed token strings map to principals; any other
// token is UNAUTHENTICATED.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "services/common/rpc/authenticator.h"

namespace carecast::testing {

// Thread-safe.
class FakeAuthenticator final : public common::Authenticator {
 public:
  FakeAuthenticator() = default;
  explicit FakeAuthenticator(std::map<std::string, common::Principal, std::less<>> tokens)
      : tokens_(std::move(tokens)) {}

  // `token` now authenticates as `principal`.
  void Add(std::string token, common::Principal principal);
  // Convenience: a token named after the subject, holding `roles`; by default
  // a hub user (spokes "*"), as most tests are not about spokes.
  void AddSubject(const std::string& subject, std::vector<common::Role> roles,
                  std::vector<std::string> spokes = {"*"});

  absl::StatusOr<common::Principal> Authenticate(std::string_view bearer_token) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, common::Principal, std::less<>> tokens_;
};

}  // namespace carecast::testing
