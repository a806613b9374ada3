#include "services/common/bus/bus_observer.h"

namespace carecast::common {

std::string ConsumerLabel(const ConsumerSpec& spec) {
  if (!spec.durable.empty()) return spec.durable;
  // Filter subjects and purposes are fixed in code, so either keeps the label set
  // bounded; the server's generated name would make a new series per process.
  return "ephemeral-" + (spec.purpose.empty() ? spec.filter_subject : spec.purpose);
}

}  // namespace carecast::common
