#include "services/common/cadence/feed_token_file.h"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"

namespace carecast::common::cadence {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FeedTokens>> LoadFeedTokens(const std::string& path,
                                                                 const std::string& current) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("CARECAST_FEED_TOKEN_KEYS_FILE: cannot read ", path));
  }
  std::vector<FeedTokenKey> keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string id, hex, extra;
    if (!(fields >> id)) continue;  // blank or comment
    const std::string where = absl::StrCat("CARECAST_FEED_TOKEN_KEYS_FILE line ", number, ": ");
    if (!(fields >> hex) || (fields >> extra) || hex.size() % 2 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected \"<key id> <secret as hex>\""));
    }
    std::string secret;
    for (size_t i = 0; i < hex.size(); i += 2) {
      const int hi = HexDigit(hex[i]);
      const int lo = HexDigit(hex[i + 1]);
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(absl::StrCat(where, "the secret is not hex"));
      }
      secret.push_back(static_cast<char>(hi * 16 + lo));
    }
    keys.push_back({.id = id, .secret = std::move(secret)});
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError("CARECAST_FEED_TOKEN_KEYS_FILE: the file holds no key");
  }
  ASSIGN_OR_RETURN(FeedTokens tokens,
                   FeedTokens::Create(keys, current.empty() ? keys.back().id : current));
  return std::make_shared<const FeedTokens>(std::move(tokens));
}

}  // namespace carecast::common::cadence
