// `carecastctl token`: mints a signed JWT for a local user with the private key
// the run script made (services hold only the public key).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace carecast::ctl {

// Prints the token on `out`; returns the process exit status.
int RunTokenCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace carecast::ctl
