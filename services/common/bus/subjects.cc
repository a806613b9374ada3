#include "services/common/bus/subjects.h"

#include <vector>

#include "absl/strings/str_split.h"

#include "services/common/base/strings.h"

namespace carecast::common {

bool SubjectMatches(std::string_view filter, std::string_view subject) {
  std::vector<absl::string_view> f = absl::StrSplit(AsAbsl(filter), '.');
  std::vector<absl::string_view> s = absl::StrSplit(AsAbsl(subject), '.');
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == ">") return s.size() > i;
    if (i >= s.size()) return false;
    if (f[i] != "*" && f[i] != s[i]) return false;
  }
  return f.size() == s.size();
}

bool IsValidSubjectToken(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace carecast::common
