// A child process for tests: started with extra environment variables and its
// output in a log file, killed with the test process (PR_SET_PDEATHSIG), and
// stopped with SIGTERM so tests can check graceful shutdown.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::testing {

class ChildProcess {
 public:
  // Runs `binary` with `args`, the parent's environment plus `env`, stdout and
  // stderr appended to `log_file`.
  static absl::StatusOr<ChildProcess> Start(const std::string& binary,
                                            const std::vector<std::string>& args,
                                            const std::map<std::string, std::string>& env,
                                            const std::string& log_file);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL when still running

  pid_t pid() const { return pid_; }
  const std::string& log_file() const { return log_file_; }
  // True while the process has not exited.
  bool Running();
  // SIGTERM, then waits up to `grace`; returns the exit code (128+signal when
  // killed by a signal), or DEADLINE_EXCEEDED after a SIGKILL when it did not stop.
  absl::StatusOr<int> Terminate(absl::Duration grace);
  // SIGKILL now and reap.
  void Kill();

 private:
  ChildProcess(pid_t pid, std::string log_file) : pid_(pid), log_file_(std::move(log_file)) {}
  pid_t pid_ = -1;
  std::string log_file_;
  int exit_code_ = -1;
};

}  // namespace carecast::testing
