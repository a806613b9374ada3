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
inline constexpr std::string_view kDraftReplyMethod = "/carecast.v1.ListenerService/DraftReply";
inline constexpr std::string_view kApproveReplyMethod = "/carecast.v1.ListenerService/ApproveReply";
inline constexpr std::string_view kGetReplyMethod = "/carecast.v1.ListenerService/GetReply";
inline constexpr std::string_view kListRepliesMethod = "/carecast.v1.ListenerService/ListReplies";
inline constexpr std::string_view kSetReplyPolicyMethod =
    "/carecast.v1.ListenerService/SetReplyPolicy";
inline constexpr std::string_view kGetReplyPolicyMethod =
    "/carecast.v1.ListenerService/GetReplyPolicy";
inline constexpr std::string_view kSetTrackedKeywordsMethod =
    "/carecast.v1.ListenerService/SetTrackedKeywords";
inline constexpr std::string_view kGetTrackedKeywordsMethod =
    "/carecast.v1.ListenerService/GetTrackedKeywords";
inline constexpr std::string_view kSetTopicTaxonomyMethod =
    "/carecast.v1.ListenerService/SetTopicTaxonomy";
inline constexpr std::string_view kGetTopicTaxonomyMethod =
    "/carecast.v1.ListenerService/GetTopicTaxonomy";
inline constexpr std::string_view kListMentionSourcesMethod =
    "/carecast.v1.ListenerService/ListMentionSources";

// CreateMention, StreamMentions: service, responder, admin. GetMention,
// ListInboxItems: responder, strategist, admin. The inbox workflow
// (CloseInboxItem, ResolveInboxItem, AssignInboxItem, SetInboxItemWaiting,
// AddInboxNote) and replies (DraftReply, ApproveReply): responder. GetReply,
// ListReplies, GetReplyPolicy, GetTrackedKeywords, GetTopicTaxonomy: responder,
// strategist, admin. SetReplyPolicy: strategist, admin (the hub's: hub callers
// only). SetTrackedKeywords, SetTopicTaxonomy: strategist, admin, hub callers
// only. AnalyzeText: every role.
// Spoke claims then limit which items and replies a caller sees and changes.
common::RoleTable ListenerRoleTable();

}  // namespace carecast::listener
