// A JetStream cluster of real nats-server processes (three by default) on
// loopback ports chosen at run time, for tests that must see what happens
// where CareCast runs in production: R3 streams and KV buckets, a leader that
// dies, a follower that freezes. Each node keeps its own store directory, so a
// node killed and restarted rejoins with what it had. Start() returns once the
// cluster has a meta leader and JetStream answers on every node; NOT_FOUND
// when nats-server is not installed (tests fail on it; they never skip).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "tests/support/local_servers.h"

namespace carecast::testing {

// One node: nats-server -js with a server name, a cluster port and routes to
// the other nodes' cluster ports.
class LocalNatsNode final : public LocalServer {
 public:
  LocalNatsNode(std::string binary, std::string dir, std::string name, int cluster_port,
                std::vector<int> route_ports);
  // Launches on a free client port; ready once it answers PING (JetStream
  // waits for a quorum of nodes, so the cluster checks that as a whole).
  absl::Status Launch() { return StartOnFreePort(); }
  const std::string& name() const { return name_; }
  std::string url() const;  // nats://127.0.0.1:<client port>
  // Whether JetStream answers on this node (its meta leader is known).
  bool JetStreamReady() const;

 private:
  std::vector<std::string> Args() const override;
  bool Ready() const override;

  const std::string name_;
  const int cluster_port_;
  const std::vector<int> route_ports_;
};

class LocalNatsCluster {
 public:
  static absl::StatusOr<std::unique_ptr<LocalNatsCluster>> Start(int nodes = 3);

  int size() const { return static_cast<int>(nodes_.size()); }
  LocalNatsNode& node(int i) { return *nodes_[static_cast<size_t>(i)]; }
  // Every node's client URL, comma-separated (what CARECAST_NATS_URL takes).
  std::string url() const;
  // The index of the node leading `stream` (e.g. "KV_carecast_posts",
  // "CARECAST_EVENTS"), asked of the running nodes; NOT_FOUND while it has none.
  absl::StatusOr<int> LeaderOf(std::string_view stream) const;
  // Waits until `stream` has a leader (after a leader was killed); its index.
  absl::StatusOr<int> WaitForLeader(std::string_view stream, absl::Duration timeout) const;
  // Waits until JetStream answers on every running node.
  absl::Status WaitUntilReady(absl::Duration timeout) const;

 private:
  LocalNatsCluster() = default;
  std::vector<std::unique_ptr<LocalNatsNode>> nodes_;
};

}  // namespace carecast::testing
