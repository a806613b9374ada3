// CPU time a bench used, and the steal time of the machine it ran on. The CPU
// clocks are clock_gettime's thread and process clocks (a rate per CPU second
// does not depend on what else the machine runs); steal is read from the
// aggregate "cpu" line of /proc/stat, and is zero where that cannot be read.
// Thread-safe.
#pragma once

#include <cstdint>

namespace carecast::bench {

// CPU time the calling thread has used, in seconds.
double ThreadCpuSeconds();
// CPU time the whole process has used, in milliseconds.
double ProcessCpuMs();

// The machine's CPU time in jiffies, all CPUs together: the steal column and
// the sum of all columns (guest time is already counted in user and nice).
struct CpuTimes {
  uint64_t steal = 0;
  uint64_t total = 0;
};
CpuTimes ReadCpuTimes();
// The share of CPU time stolen between two readings, in percent; 0 when no
// time passed.
double StealPercent(const CpuTimes& before, const CpuTimes& after);

}  // namespace carecast::bench
