// Real nats-server (JetStream) and redis-server processes on free loopback
// ports, for integration and fault tests. Each server lives in its own temp
// directory, is killed when the object is destroyed, and dies with the test
// process even if the test crashes (PR_SET_PDEATHSIG). Start() returns NOT_FOUND
// when the binary is not installed, which tests turn into a failure (never a skip).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "tests/support/child_process.h"

namespace carecast::testing {

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's
// ephemeral range so no outgoing connection takes it before its server binds.
int FindFreePort();

// Absolute path of `name` on PATH (then /usr/sbin, /usr/local/sbin, /sbin), or
// empty when it is nowhere.
std::string FindBinary(std::string_view name);

// A new directory /tmp/carecast-<kind>-XXXXXX (under $TMPDIR when set); empty on failure.
std::string MakeTempDir(std::string_view kind);

// Connects to 127.0.0.1:port, sends `request`, and reads until `complete`
// says the reply is whole or `timeout` passes. Returns what was read.
std::string Exchange(int port, const std::string& request,
                     const std::function<bool(const std::string&)>& complete,
                     absl::Duration timeout);

// Sends a JetStream API request (`payload`, JSON or empty) on `subject` to the nats-server at
// `port` in plain NATS protocol; the raw reply, which holds `answer_type`
// (e.g. "account_info_response") when JetStream answered, " 503" when nothing
// could (not ready, no leader), or is empty after `timeout`.
std::string JetStreamRequest(int port, std::string_view subject, std::string_view answer_type,
                             absl::Duration timeout, std::string_view payload = "");

// Calls `done` every 10 ms until it returns true; false when `timeout` passes first.
bool PollUntil(const std::function<bool()>& done, absl::Duration timeout);

// One server child process; the two servers below differ only in how they start
// and how they say they are ready.
class LocalServer {
 public:
  virtual ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  int port() const { return port_; }
  bool running() const { return process_ != nullptr && process_->Running(); }
  // The directory holding the server's data and its log (server.log).
  const std::string& dir() const { return dir_; }

  // SIGTERM, then SIGKILL after 10 s; waits for the process to exit.
  absl::Status Stop();
  // SIGKILL now (a crash); waits for the process to exit.
  void Kill();
  // Sends `signal` (SIGSTOP to freeze the server, SIGCONT to resume it).
  void Signal(int signal);
  // Starts again on the same port and with the same data directory (stopping
  // first when still running); returns once it answers.
  absl::Status Restart();

 protected:
  LocalServer(std::string binary, std::string dir)
      : binary_(std::move(binary)), dir_(std::move(dir)) {}
  // Picks free ports until the server comes up (a port can be taken between
  // FindFreePort and the server binding it).
  absl::Status StartOnFreePort();
  virtual std::vector<std::string> Args() const = 0;
  // True when the server at port() answers as ready.
  virtual bool Ready() const = 0;

 private:
  absl::Status Launch();

  const std::string binary_;
  const std::string dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// nats-server -js on 127.0.0.1 with its store in a temp directory.
class LocalNatsServer final : public LocalServer {
 public:
  static absl::StatusOr<std::unique_ptr<LocalNatsServer>> Start();
  std::string url() const;  // nats://127.0.0.1:<port>

 private:
  using LocalServer::LocalServer;
  std::vector<std::string> Args() const override;
  // JetStream answers $JS.API.INFO.
  bool Ready() const override;
};

// redis-server without persistence on 127.0.0.1.
class LocalRedisServer final : public LocalServer {
 public:
  // `extra_args` follow the usual ones and are kept for restarts (e.g.
  // {"--maxmemory", "4mb", "--maxmemory-policy", "allkeys-random"}).
  static absl::StatusOr<std::unique_ptr<LocalRedisServer>> Start(
      std::vector<std::string> extra_args = {});
  std::string url() const;  // redis://127.0.0.1:<port>
  // FLUSHALL through a separate connection.
  absl::Status FlushAll();
  // Sends one command (its words) through a separate connection and returns
  // its reply as Redis wrote it ("+OK\r\n", ":1\r\n", "$2\r\nhi\r\n"): a
  // simple, error, integer or bulk reply, not an array. UNAVAILABLE when no
  // whole reply came within `timeout`; an error reply ("-...") is returned as is.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& words,
                                      absl::Duration timeout = absl::Seconds(5)) const;

 private:
  using LocalServer::LocalServer;
  std::vector<std::string> Args() const override;
  bool Ready() const override;  // PING answers PONG

  std::vector<std::string> extra_args_;
};

}  // namespace carecast::testing
