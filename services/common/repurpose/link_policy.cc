#include "services/common/repurpose/link_policy.h"

#include <vector>

#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {

LinkPolicy DefaultLinkPolicy(carecast::v1::Network network) {
  LinkPolicy policy;
  if (network == carecast::v1::NETWORK_INSTAGRAM) policy.handling = LinkHandling::kReplace;
  return policy;
}

std::string ApplyLinkPolicy(std::string_view text, const LinkPolicy& policy, size_t* changed) {
  if (changed != nullptr) *changed = 0;
  if (policy.handling == LinkHandling::kKeep) return std::string(text);
  const std::vector<Span> links = FindLinks(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const Span& link : links) {
    out.append(text.substr(pos, link.begin - pos));
    if (policy.handling == LinkHandling::kReplace) {
      out.append(policy.replacement);
    } else {
      // The space before the link goes with it; one after it stays and is
      // trimmed by NormalizeWhitespace when the link ended its line.
      while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    }
    pos = link.end;
    if (changed != nullptr) ++*changed;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace carecast::common::repurpose
