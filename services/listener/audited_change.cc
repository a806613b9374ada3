#include "services/listener/audited_change.h"

#include "absl/strings/str_replace.h"

#include "services/common/bus/subjects.h"
#include "services/common/rpc/principal.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {

ChangeActor ChangeActor::Of(const common::Caller& caller) {
  return {.subject = caller.principal.subject, .role = std::string(common::RoleName(caller.role))};
}

ChangeActor ChangeActor::System() { return {.subject = "carecast-listener", .role = "listener"}; }

std::string ResourceStem(std::string_view resource) {
  return absl::StrReplaceAll(common::AsAbsl(resource), {{"/", "."}});
}

common::AuditRecord AuditFor(const common::EventKind& kind, std::string_view resource,
                             std::string_view event_id, const ChangeActor& actor,
                             std::string_view request_id, std::string detail, absl::Time time) {
  common::AuditRecord audit;
  audit.subject = absl::StrCat(common::AsAbsl(common::subjects::kAuditPrefix),
                               common::AsAbsl(ResourceStem(resource)));
  audit.id = absl::StrCat("audit.", common::AsAbsl(event_id));
  v1::AuditEntry& entry = audit.entry;
  entry.set_actor(actor.subject);
  entry.set_role(actor.role);
  entry.set_action(std::string(kind.audit_action));
  entry.set_resource(std::string(resource));
  entry.set_request_id(std::string(request_id));
  *entry.mutable_time() = ToTimestamp(time);
  entry.set_detail(std::move(detail));
  return audit;
}

}  // namespace carecast::listener
