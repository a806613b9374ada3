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
inline constexpr std::string_view kAnalyzeTextMethod = "/carecast.v1.ListenerService/AnalyzeText";

// CreateMention, StreamMentions: service, responder, admin. GetMention,
// ListInboxItems: responder, strategist, admin. CloseInboxItem: responder.
// AnalyzeText: every role.
common::RoleTable ListenerRoleTable();

}  // namespace carecast::listener
