#include "services/common/store/fault_points.h"

#ifdef CARECAST_FAULT_POINTS

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"

namespace carecast::common {
namespace {

struct Target {
  std::string step;
  int remaining = 0;  // arrivals left before the one that kills; <0: none configured
};

Target& Configured() {
  static Target target = [] {
    Target t{.step = {}, .remaining = -1};
    const char* env = std::getenv("CARECAST_FAULT_AT");
    if (env == nullptr || *env == '\0') return t;
    std::string value(env);
    int nth = 1;
    if (size_t hash = value.find('#'); hash != std::string::npos) {
      if (!absl::SimpleAtoi(value.substr(hash + 1), &nth) || nth < 1) nth = 1;
      value.resize(hash);
    }
    t.step = value;
    t.remaining = nth;
    return t;
  }();
  return target;
}

std::mutex mu;

}  // namespace

void FaultPoint(std::string_view step) {
  Target& target = Configured();
  if (target.remaining < 0 || step != target.step) return;
  std::lock_guard lock(mu);
  if (--target.remaining != 0) return;
  std::string line =
      "{\"level\":\"error\",\"msg\":\"fault point reached; killing the process\","
      "\"step\":\"" +
      target.step + "\"}\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  raise(SIGKILL);
}

}  // namespace carecast::common

#endif  // CARECAST_FAULT_POINTS
