// Checks a mention arriving from outside before anything is stored.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/listener/listener_config.h"

namespace carecast::listener {

inline constexpr size_t kMaxExternalIdBytes = 256;
inline constexpr size_t kMaxAuthorHandleBytes = 256;
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);

// OK, or INVALID_ARGUMENT naming the field and the rule. `*reason` is set to a
// short fixed label for the rejection metric ("network", "external_id",
// "author_handle", "text_empty", "text_utf8", "text_size", "create_time").
// Output-only fields (name, classification, receive_time) are ignored.
absl::Status ValidateMention(const v1::Mention& mention, const ListenerOptions& options,
                             absl::Time now, std::string* reason);

}  // namespace carecast::listener
