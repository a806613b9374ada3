// Who may call which ListenerService method. The webhook uses the
// CreateMention entry, so both ways in admit the same roles.
#pragma once

#include <string_view>

#include "services/common/rpc/role_table.h"

namespace carecast::listener {

inline constexpr std::string_view kCreateMentionMethod =
    "/carecast.v1.ListenerService/CreateMention";
inline constexpr std::string_view kStreamMentionsMethod =
    "/carecast.v1.ListenerService/StreamMentions";
inline constexpr std::string_view kGetMentionMethod = "/carecast.v1.ListenerService/GetMention";
inline constexpr std::string_view kListInboxItemsMethod =
    "/carecast.v1.ListenerService/ListInboxItems";
inline constexpr std::string_view kCloseInboxItemMethod =
    "/carecast.v1.ListenerService/CloseInboxItem";
inline constexpr std::string_view kResolveInboxItemMethod =
    "/carecast.v1.ListenerService/ResolveInboxItem";
inline constexpr std::string_view kAssignInboxItemMethod =
    "/carecast.v1.ListenerService/AssignInboxItem";
inline constexpr std::string_view kSetInboxItemWaitingMethod =
    "/carecast.v1.ListenerService/SetInboxItemWaiting";
inline constexpr std::string_view kAddInboxNoteMethod = "/carecast.v1.ListenerService/AddInboxNote";
inline constexpr std::string_view kAnalyzeTextMethod = "/carecast.v1.ListenerService/AnalyzeText";

// CreateMention, StreamMentions: service, responder, admin. GetMention,
// ListInboxItems: responder, strategist, admin. The inbox workflow
// (CloseInboxItem, ResolveInboxItem, AssignInboxItem, SetInboxItemWaiting,
// AddInboxNote): responder. AnalyzeText: every role. Spoke claims then limit
// which items a caller sees and changes (inbox.h).
common::RoleTable ListenerRoleTable();

}  // namespace carecast::listener
