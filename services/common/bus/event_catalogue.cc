#include "services/common/bus/event_catalogue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/bus/subjects.h"

namespace carecast::common {

std::string EventKind::CloudEventsType() const {
  return absl::StrCat(AsAbsl(subject), ".v", version);
}

std::string EventKind::DataSchema() const {
  return absl::StrCat(AsAbsl(kDataSchemaPrefix), AsAbsl(payload));
}

std::string_view EventKind::Domain() const {
  std::string_view rest = subject.substr(subject.find('.') + 1);
  return rest.substr(0, rest.find('.'));
}

std::string_view EventKind::PayloadShortName() const {
  size_t dot = payload.rfind('.');
  return dot == std::string_view::npos ? payload : payload.substr(dot + 1);
}

std::span<const EventKind* const> AllEventKinds() { return events::kAll; }

const EventKind* FindEventKind(std::string_view subject) {
  for (const EventKind* kind : events::kAll) {
    if (kind->per_resource ? SubjectMatches(kind->subject, subject) : kind->subject == subject)
      return kind;
  }
  return nullptr;
}

std::string DomainFilter(const EventKind& kind) {
  if (kind.per_resource) return std::string(kind.subject);
  // "carecast.post.scheduled" -> "carecast.post.>".
  return absl::StrCat(AsAbsl(kind.subject.substr(0, kind.subject.rfind('.'))), ".>");
}

std::vector<std::string_view> StreamDomains(std::string_view stream) {
  std::vector<std::string_view> domains;
  for (const EventKind* kind : events::kAll) {
    if (kind->stream != stream) continue;
    if (std::find(domains.begin(), domains.end(), kind->Domain()) == domains.end())
      domains.push_back(kind->Domain());
  }
  return domains;
}

std::vector<std::string> StreamSubjectFilters(std::string_view stream) {
  std::vector<std::string> filters;
  for (const EventKind* kind : events::kAll) {
    if (kind->stream != stream) continue;
    std::string filter = DomainFilter(*kind);
    if (std::find(filters.begin(), filters.end(), filter) == filters.end())
      filters.push_back(std::move(filter));
  }
  return filters;
}

}  // namespace carecast::common
