#include "services/planner/audit_trail.h"

#include "absl/strings/str_cat.h"

#include "services/common/bus/event_codec.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {

Change MakeChange(const ChangeFacts& facts, const common::Caller& caller,
                  std::string_view request_id, std::string_view source, absl::Time time) {
  Change change;
  std::string id =
      common::ChangeEventId(EventIdStem(facts.resource), facts.base_revision, facts.fact);
  change.event = common::MakeEvent(facts.subject, *facts.payload, source, time, id);
  common::AuditRecord& audit = change.audit.emplace();
  audit.subject = AuditSubjectFor(facts.resource);
  audit.id = absl::StrCat("audit.", id);
  carecast::v1::AuditEntry& e = audit.entry;
  e.set_actor(caller.principal.subject);
  e.set_role(std::string(common::RoleName(caller.role)));
  e.set_action(facts.action);
  e.set_resource(facts.resource);
  e.set_version(facts.version);
  e.set_content_hash(facts.content_hash);
  e.set_request_id(std::string(request_id));
  *e.mutable_time() = ToProto(time);
  e.set_detail(facts.detail);
  return change;
}

}  // namespace carecast::planner
