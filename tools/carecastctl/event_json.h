// Renders a bus event as one JSON line for `carecastctl events tail`: its
// CloudEvents attributes and its protobuf payload in the protobuf JSON mapping.
#pragma once

#include <string>

#include "services/common/bus/event.h"

namespace carecast::ctl {

// {"subject":..,"id":..,"type":..,"source":..,"time":..,"sequence":..,"data":{..}}.
// A payload whose schema is unknown or that does not parse is shown as
// "data_error" with the reason instead of "data".
std::string EventToJson(const common::Event& event);

}  // namespace carecast::ctl
