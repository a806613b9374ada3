// Who may call which PublisherService method.
#pragma once

#include <string_view>

#include "services/common/rpc/role_table.h"

namespace carecast::publisher {

inline constexpr std::string_view kGetPublisherStatusMethod =
    "/carecast.v1.PublisherService/GetPublisherStatus";
inline constexpr std::string_view kListDeliveriesMethod =
    "/carecast.v1.PublisherService/ListDeliveries";

// Every method: publisher, strategist, admin and service.
common::RoleTable PublisherRoleTable();

}  // namespace carecast::publisher
