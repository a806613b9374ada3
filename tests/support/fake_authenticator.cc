#include "tests/support/fake_authenticator.h"

namespace carecast::testing {

void FakeAuthenticator::Add(std::string token, common::Principal principal) {
  std::lock_guard lock(mu_);
  tokens_[std::move(token)] = std::move(principal);
}

void FakeAuthenticator::AddSubject(const std::string& subject, std::vector<common::Role> roles,
                                   std::vector<std::string> spokes) {
  Add(subject, common::Principal{subject, std::move(roles), std::move(spokes)});
}

absl::StatusOr<common::Principal> FakeAuthenticator::Authenticate(
    std::string_view bearer_token) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(bearer_token);
  if (it == tokens_.end()) return absl::UnauthenticatedError("unknown token");
  return it->second;
}

}  // namespace carecast::testing
