// The one parser of an account's resource name, "spokes/{spoke}/accounts/{account}",
// for every service that reads one from a record, an event or a file (the
// planner, which answers field-level errors, has its own in resource_names.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace carecast::common {

struct AccountIds {
  std::string spoke;    // the spoke's id ("north"), not its name
  std::string account;  // the account's id within the spoke
};

// The two ids when `name` has that shape and both are valid ids (IsValidId);
// nullopt otherwise.
std::optional<AccountIds> ParseAccountIds(std::string_view name);

}  // namespace carecast::common
