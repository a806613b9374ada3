#include "services/listener/mention_validation.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/account_name.h"
#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

// "spokes/{spoke}/accounts/{account}" with both ids valid.
bool IsAccountName(std::string_view name) { return common::ParseAccountIds(name).has_value(); }

absl::Status Reject(std::string* reason, std::string_view label, const std::string& message) {
  *reason = std::string(label);
  return absl::InvalidArgumentError(message);
}

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

}  // namespace

absl::Status ValidateMention(const v1::Mention& mention, const ListenerOptions& options,
                             absl::Time now, std::string* reason) {
  if (mention.network() == v1::NETWORK_UNSPECIFIED) {
    return Reject(reason, "network", "mention.network must be set");
  }
  if (!v1::Network_IsValid(mention.network())) {
    return Reject(reason, "network", "mention.network is not a known network");
  }
  const std::string& external_id = mention.external_id();
  if (external_id.empty() || external_id.size() > kMaxExternalIdBytes ||
      !IsPrintableAscii(external_id)) {
    return Reject(reason, "external_id",
                  absl::StrCat("mention.external_id must be 1 to ", kMaxExternalIdBytes,
                               " printable ASCII characters without spaces"));
  }
  if (mention.author_handle().size() > kMaxAuthorHandleBytes) {
    return Reject(
        reason, "author_handle",
        absl::StrCat("mention.author_handle must be at most ", kMaxAuthorHandleBytes, " bytes"));
  }
  if (!common::IsValidUtf8(mention.author_handle())) {
    return Reject(reason, "author_handle", "mention.author_handle must be valid UTF-8");
  }
  if (!mention.account().empty() && !IsAccountName(mention.account())) {
    return Reject(reason, "account",
                  "mention.account must look like spokes/{spoke}/accounts/{account}");
  }
  const std::string& text = mention.text();
  if (text.size() > options.max_text_bytes) {
    return Reject(reason, "text_size",
                  absl::StrCat("mention.text must be at most ", options.max_text_bytes,
                               " bytes of UTF-8 (got ", text.size(), ")"));
  }
  if (!common::IsValidUtf8(text)) {
    return Reject(reason, "text_utf8", "mention.text must be valid UTF-8");
  }
  if (IsBlank(text)) return Reject(reason, "text_empty", "mention.text must not be empty");
  if (mention.has_create_time()) {
    if (!IsValidTimestamp(mention.create_time())) {
      return Reject(reason, "create_time", "mention.create_time is not a valid timestamp");
    }
    if (FromTimestamp(mention.create_time()) > now + kMaxClockSkew) {
      return Reject(reason, "create_time",
                    "mention.create_time must not be more than 5 minutes in the future");
    }
  }
  return absl::OkStatus();
}

}  // namespace carecast::listener
