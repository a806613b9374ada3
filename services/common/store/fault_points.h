// Named steps at which a test build can make the process die, to prove that a
// step's successor survives a crash (tests under the `fault` CTest label).
//
// CARECAST_FAULT_AT="<step>" or "<step>#<n>" makes the n-th (default first)
// arrival at <step> kill the process with SIGKILL, after one JSON log line on
// stderr. Compiled in only when CARECAST_FAULT_POINTS is defined (the ci and dev
// presets); in other builds FaultPoint() is an empty inline function.
#pragma once

#include <string_view>

namespace carecast::common {

#ifdef CARECAST_FAULT_POINTS
void FaultPoint(std::string_view step);
#else
inline void FaultPoint(std::string_view) {}
#endif

}  // namespace carecast::common
