// The guard over text the health system is about to publish: it finds personal
// identifiers (phone numbers, e-mail addresses, record numbers) that must never go
// out in a post. PatternGuard is the first, pattern-based implementation; the full
// text engine replaces it behind the same interface.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "carecast/v1/resources.pb.h"

namespace carecast::planner {

// Thread-safe. Check() takes valid UTF-8 and returns every finding with kind,
// byte offsets and a reason; `field` is left for the caller to fill. Findings
// never carry the matched text, so they can be logged and returned to callers.
class OutgoingTextGuard {
 public:
  virtual ~OutgoingTextGuard() = default;
  virtual std::vector<carecast::v1::GuardFinding> Check(std::string_view text) const = 0;
};

// Finds, with RE2 (linear time on untrusted text):
//   phone_number   North American numbers with any of " .-()" separators and an
//                  optional +1/1 prefix; international "+<country> ..." numbers
//   email_address  local@domain.tld
//   record_number  an identifier after MRN / medical record / record # / acct /
//                  account # / patient id / chart, or a run of 6+ digits within a
//                  few words after such a word
//   national_id    US SSN shape 123-45-6789
class PatternGuard final : public OutgoingTextGuard {
 public:
  PatternGuard();
  ~PatternGuard() override;
  std::vector<carecast::v1::GuardFinding> Check(std::string_view text) const override;

 private:
  struct Patterns;
  std::unique_ptr<Patterns> patterns_;
};

}  // namespace carecast::planner
