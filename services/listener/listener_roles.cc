#include "services/listener/listener_roles.h"

#include <string>

namespace carecast::listener {

common::RoleTable ListenerRoleTable() {
  using common::Role;
  const std::vector<Role> ingest = {Role::kService, Role::kResponder, Role::kAdmin};
  const std::vector<Role> read = {Role::kResponder, Role::kStrategist, Role::kAdmin};
  // Analysis stores nothing and helps every writer check a draft.
  const std::vector<Role> everyone = {Role::kContributor,      Role::kContentDeveloper,
                                      Role::kClinicalReviewer, Role::kComplianceReviewer,
                                      Role::kPublisher,        Role::kResponder,
                                      Role::kStrategist,       Role::kAdmin,
                                      Role::kService};
  return common::RoleTable({
      {std::string(kCreateMentionMethod), ingest},
      {std::string(kStreamMentionsMethod), ingest},
      {std::string(kGetMentionMethod), read},
      {std::string(kListInboxItemsMethod), read},
      {std::string(kCloseInboxItemMethod), {Role::kResponder}},
      {std::string(kResolveInboxItemMethod), {Role::kResponder}},
      {std::string(kAssignInboxItemMethod), {Role::kResponder}},
      {std::string(kSetInboxItemWaitingMethod), {Role::kResponder}},
      {std::string(kAddInboxNoteMethod), {Role::kResponder}},
      {std::string(kAnalyzeTextMethod), everyone},
      {std::string(kDraftReplyMethod), {Role::kResponder}},
      {std::string(kApproveReplyMethod), {Role::kResponder}},
      {std::string(kGetReplyMethod), read},
      {std::string(kListRepliesMethod), read},
      {std::string(kSetReplyPolicyMethod), {Role::kStrategist, Role::kAdmin}},
      {std::string(kGetReplyPolicyMethod), read},
      {std::string(kSetTrackedKeywordsMethod), {Role::kStrategist, Role::kAdmin}},
      {std::string(kGetTrackedKeywordsMethod), read},
      {std::string(kSetTopicTaxonomyMethod), {Role::kStrategist, Role::kAdmin}},
      {std::string(kGetTopicTaxonomyMethod), read},
      {std::string(kListMentionSourcesMethod), read},
  });
}

}  // namespace carecast::listener
