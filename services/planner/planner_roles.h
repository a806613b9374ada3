// Which roles may call which PlannerService method (see planner_roles.cc).
#pragma once

#include "services/common/rpc/role_table.h"

namespace carecast::planner {

// The planner's RoleTable; a unit test checks it covers every method.
common::RoleTable PlannerRoleTable();

}  // namespace carecast::planner
