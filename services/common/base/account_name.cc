#include "services/common/base/account_name.h"

#include "services/common/base/ids.h"

namespace carecast::common {
namespace {

// Takes "segment/" off the front of `rest`; the segment, or nullopt without a '/'.
std::optional<std::string_view> NextSegment(std::string_view& rest) {
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view segment = rest.substr(0, slash);
  rest.remove_prefix(slash + 1);
  return segment;
}

}  // namespace

std::optional<AccountIds> ParseAccountIds(std::string_view name) {
  std::string_view rest = name;
  const std::optional<std::string_view> spokes = NextSegment(rest);
  const std::optional<std::string_view> spoke = NextSegment(rest);
  const std::optional<std::string_view> accounts = NextSegment(rest);
  // `rest` is now the account id; a further '/' makes it invalid below.
  if (!spokes || *spokes != "spokes" || !spoke || !accounts || *accounts != "accounts")
    return std::nullopt;
  if (!IsValidId(*spoke) || !IsValidId(rest)) return std::nullopt;
  return AccountIds{std::string(*spoke), std::string(rest)};
}

}  // namespace carecast::common
