#include "bench/common/cpu_usage.h"

#include <time.h>

#include <fstream>
#include <sstream>
#include <string>

namespace carecast::bench {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ProcessCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

CpuTimes ReadCpuTimes() {
  std::ifstream in("/proc/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line);
  std::string label;
  fields >> label;
  CpuTimes t;
  uint64_t v = 0;
  // user nice system idle iowait irq softirq steal guest guest_nice: the first
  // eight, as guest and guest_nice are part of user and nice.
  for (int i = 0; i < 8 && fields >> v; ++i) {
    t.total += v;
    if (i == 7) t.steal = v;
  }
  return t;
}

double StealPercent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total) return 0;
  return 100.0 * static_cast<double>(after.steal - before.steal) /
         static_cast<double>(after.total - before.total);
}

}  // namespace carecast::bench
