#include "services/common/base/shutdown_signal.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

#include "absl/time/clock.h"

namespace carecast::common {
namespace {

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set = ShutdownSet();
  int signal = 0;
  // sigwait only fails for an invalid set, which ShutdownSet never builds.
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

std::optional<int> WaitForShutdownSignalFor(absl::Duration timeout) {
  sigset_t set = ShutdownSet();
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
    timespec ts = absl::ToTimespec(left);
    int signal = sigtimedwait(&set, nullptr, &ts);
    if (signal > 0) return signal;
    // EINTR: another signal's handler ran; keep waiting for the rest of the time.
    if (errno != EINTR) return std::nullopt;
  }
}

}  // namespace carecast::common
