// A TCP proxy on 127.0.0.1 for partition tests: each connection it accepts is
// forwarded to a target port on 127.0.0.1. Partition() cuts it like a network
// that drops every packet: nothing is forwarded either way and no connection is
// closed (bytes wait in the kernel's buffers, then the senders' writes block),
// and new connections are not served. Heal() forwards again, what waited
// included. Thread-safe; the destructor closes everything.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace carecast::testing {

class TcpProxy {
 public:
  // Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`target_port`.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void Partition() { partitioned_ = true; }
  void Heal() { partitioned_ = false; }
  bool partitioned() const { return partitioned_; }
  // Connections accepted so far.
  int connections() const { return connections_; }

 private:
  TcpProxy(int listen_fd, int port, int target_port);
  void AcceptLoop();
  // Copies both ways between `client` and a new connection to the target.
  void Forward(int client);

  const int listen_fd_;
  const int port_;
  const int target_port_;
  std::atomic<bool> partitioned_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::thread> threads_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace carecast::testing
