// Sends protobuf's own log lines (e.g. "String field ... contains invalid UTF-8")
// to a JSON Logger instead of plain text on stderr. Protobuf's handler is
// process-wide, so main() calls this once; `logger` must live until exit.
#pragma once

#include "services/common/base/logger.h"

namespace carecast::common {

void RouteProtobufLogsTo(Logger& logger);

}  // namespace carecast::common
