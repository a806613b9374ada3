// Who may call which PublisherService method.
#pragma once

#include <string_view>

#include "services/common/rpc/role_table.h"

namespace carecast::publisher {

inline constexpr std::string_view kGetPublisherStatusMethod =
    "/carecast.v1.PublisherService/GetPublisherStatus";
inline constexpr std::string_view kListDeliveriesMethod =
    "/carecast.v1.PublisherService/ListDeliveries";
inline constexpr std::string_view kConfirmPostPublishedMethod =
    "/carecast.v1.PublisherService/ConfirmPostPublished";
inline constexpr std::string_view kConfirmPostNotPublishedMethod =
    "/carecast.v1.PublisherService/ConfirmPostNotPublished";

// | method                                   | roles                                 |
// |------------------------------------------|---------------------------------------|
// | GetPublisherStatus, ListDeliveries       | publisher, strategist, admin, service |
// | ConfirmPostPublished,                    | publisher, admin                      |
// |   ConfirmPostNotPublished                |                                       |
// Role order decides which role the audit trail records when a caller holds
// several. Deny by default: a method missing here is refused to everyone.
common::RoleTable PublisherRoleTable();

}  // namespace carecast::publisher
