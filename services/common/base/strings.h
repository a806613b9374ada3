// Debian 12's abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), which std::string_view does not convert
// to. Project code uses std::string_view; AsAbsl() crosses into absl calls
// (StrCat, StrSplit, status constructors).
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace carecast::common {

inline absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view AsStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace carecast::common
