#include "tests/support/local_nats_cluster.h"

#include <fstream>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {

LocalNatsNode::LocalNatsNode(std::string binary, std::string dir, std::string name,
                             int cluster_port, std::vector<int> route_ports)
    : LocalServer(std::move(binary), std::move(dir)),
      name_(std::move(name)),
      cluster_port_(cluster_port),
      route_ports_(std::move(route_ports)) {}

std::string LocalNatsNode::url() const { return absl::StrCat("nats://127.0.0.1:", port()); }

std::vector<std::string> LocalNatsNode::Args() const {
  const std::string conf = absl::StrCat(dir(), "/nats.conf");
  std::vector<std::string> routes;
  routes.reserve(route_ports_.size());
  for (int p : route_ports_) routes.push_back(absl::StrCat("nats-route://127.0.0.1:", p));
  std::ofstream(conf, std::ios::trunc) << "# written by tests/support/local_nats_cluster.cc\n"
                                       << "server_name: " << name_ << "\n"
                                       << "max_payload: 1MB\n"
                                       << "jetstream {\n"
                                       << "  store_dir: \"" << dir() << "/jetstream\"\n"
                                       << "  max_memory_store: 256MB\n"
                                       << "  max_file_store: 1GB\n"
                                       << "}\n"
                                       << "cluster {\n"
                                       << "  name: carecast-test\n"
                                       << "  listen: 127.0.0.1:" << cluster_port_ << "\n"
                                       << "  routes: [" << absl::StrJoin(routes, ", ") << "]\n"
                                       << "}\n";
  return {"-c", conf, "-a", "127.0.0.1", "-p", absl::StrCat(port())};
}

bool LocalNatsNode::Ready() const {
  std::string reply = Exchange(
      port(), "PING\r\n", [](const std::string& r) { return absl::StrContains(r, "PONG"); },
      absl::Seconds(1));
  return absl::StrContains(reply, "PONG");
}

bool LocalNatsNode::JetStreamReady() const {
  std::string reply =
      JetStreamRequest(port(), "$JS.API.INFO", "account_info_response", absl::Seconds(1));
  return absl::StrContains(reply, "account_info_response") &&
         !absl::StrContains(reply, "\"error\"");
}

absl::StatusOr<std::unique_ptr<LocalNatsCluster>> LocalNatsCluster::Start(int nodes) {
  const std::string binary = FindBinary("nats-server");
  if (binary.empty()) return absl::NotFoundError("nats-server is not installed (not on PATH)");
  std::vector<int> cluster_ports;
  while (static_cast<int>(cluster_ports.size()) < nodes) {
    const int p = FindFreePort();
    if (p != 0 && absl::c_find(cluster_ports, p) == cluster_ports.end()) cluster_ports.push_back(p);
  }
  std::unique_ptr<LocalNatsCluster> cluster(new LocalNatsCluster());
  for (int i = 0; i < nodes; ++i) {
    std::vector<int> routes;
    for (int j = 0; j < nodes; ++j)
      if (j != i) routes.push_back(cluster_ports[static_cast<size_t>(j)]);
    cluster->nodes_.push_back(std::make_unique<LocalNatsNode>(
        binary, MakeTempDir(absl::StrCat("nats-n", i)), absl::StrCat("n", i),
        cluster_ports[static_cast<size_t>(i)], std::move(routes)));
    if (absl::Status s = cluster->nodes_.back()->Launch(); !s.ok()) return s;
  }
  if (absl::Status s = cluster->WaitUntilReady(absl::Seconds(30)); !s.ok()) return s;
  return cluster;
}

std::string LocalNatsCluster::url() const {
  std::vector<std::string> urls;
  urls.reserve(nodes_.size());
  for (const auto& n : nodes_) urls.push_back(n->url());
  return absl::StrJoin(urls, ",");
}

absl::Status LocalNatsCluster::WaitUntilReady(absl::Duration timeout) const {
  // Every node answers, and the meta leader knows enough peers to place a
  // stream with one replica per node (it may answer before all have joined).
  const std::string probe = absl::StrCat(
      R"({"name":"CARECAST_TEST_PROBE","subjects":["carecast.test.probe"],"num_replicas":)",
      nodes_.size(), R"(,"storage":"memory"})");
  const bool ready = PollUntil(
      [&] {
        int first_running = -1;
        for (size_t i = 0; i < nodes_.size(); ++i) {
          if (!nodes_[i]->running()) continue;
          if (!nodes_[i]->JetStreamReady()) return false;
          if (first_running < 0) first_running = static_cast<int>(i);
        }
        if (first_running < 0) return false;
        const int port = nodes_[static_cast<size_t>(first_running)]->port();
        const std::string created =
            JetStreamRequest(port, "$JS.API.STREAM.CREATE.CARECAST_TEST_PROBE",
                             "stream_create_response", absl::Seconds(5), probe);
        if (created.empty() || absl::StrContains(created, "\"error\"")) return false;
        (void)JetStreamRequest(port, "$JS.API.STREAM.DELETE.CARECAST_TEST_PROBE",
                               "stream_delete_response", absl::Seconds(5));
        return true;
      },
      timeout);
  if (ready) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("the JetStream cluster did not elect a meta leader within ",
                   absl::FormatDuration(timeout), " (see each node's server.log)"));
}

absl::StatusOr<int> LocalNatsCluster::LeaderOf(std::string_view stream) const {
  for (const auto& n : nodes_) {
    if (!n->running()) continue;
    const std::string reply =
        JetStreamRequest(n->port(), absl::StrCat("$JS.API.STREAM.INFO.", std::string(stream)),
                         "stream_info_response", absl::Seconds(2));
    // The payload follows the MSG line (the server's INFO line comes first).
    const size_t msg = reply.find("MSG ");
    const size_t start = msg == std::string::npos ? msg : reply.find('{', msg);
    const size_t end = reply.rfind('}');
    if (start == std::string::npos || end == std::string::npos || end < start) continue;
    nlohmann::json info = nlohmann::json::parse(reply.substr(start, end - start + 1), nullptr,
                                                /*allow_exceptions=*/false);
    if (info.is_discarded() || !info.contains("cluster")) continue;
    const std::string leader = info["cluster"].value("leader", "");
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (!leader.empty() && nodes_[i]->name() == leader) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat("stream ", std::string(stream), " has no leader now"));
}

absl::StatusOr<int> LocalNatsCluster::WaitForLeader(std::string_view stream,
                                                    absl::Duration timeout) const {
  absl::StatusOr<int> leader = LeaderOf(stream);
  PollUntil(
      [&] {
        leader = LeaderOf(stream);
        return leader.ok();
      },
      timeout);
  return leader;
}

}  // namespace carecast::testing
