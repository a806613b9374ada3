// The exit status of every CareCast service, one table for all four (documented
// in docs/operations.md, "Exit codes"). A start-up failure is logged as one JSON
// line naming what failed before the process exits with its code.
#pragma once

namespace carecast::common {

enum class ExitCode : int {
  // Stopped after SIGTERM or SIGINT, in order (docs/operations.md).
  kOk = 0,
  // A dependency failed at start: NATS (connect, streams, buckets), Redis, a port
  // that cannot be bound, the core's background work. Restarting may help.
  kDependency = 1,
  // The configuration is invalid, or a file it names cannot be used (the JWT
  // public key, a secret file, the sandbox directory, channel credentials, the
  // tracked keywords). Restarting does not help until the configuration changes.
  kConfig = 2,
};

// `code` as main()'s return value.
constexpr int ExitStatus(ExitCode code) { return static_cast<int>(code); }

}  // namespace carecast::common
