#include "services/common/http/http_client.h"

#include "absl/strings/ascii.h"

namespace carecast::common {

std::string HttpReply::Header(std::string_view name) const {
  std::string wanted = absl::AsciiStrToLower(std::string(name));
  for (const auto& [key, value] : headers) {
    if (key == wanted) return value;
  }
  return "";
}

}  // namespace carecast::common
