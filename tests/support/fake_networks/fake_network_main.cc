// carecast-fake-network: one local fake network as a process, for scripts/run.sh
// and manual trials (never for production).
//
//   carecast-fake-network <network> [--port N] [--port-file PATH]
//                         [--latency 50ms] [--threads N] [--rate-limit N/5m|0]
//                         [--commit-log PATH]
//
// --latency     every answer leaves that long after its handler ran, without
//               holding up other requests (each waits on its own server thread)
// --threads     server threads (default httplib's: max(8, cores - 1)); a kept-alive
//               connection holds one, so give at least the clients' connections
// --rate-limit  the network's request budget, e.g. 300/5m (Mastodon's default
//               here), or 0 for none (no rate headers either; benchmarks)
// --commit-log  one JSON line per committed create: arrival_us (unix microseconds
//               when its request arrived), id, key (Idempotency-Key), author, text
//
// <network>: mastodon, x, facebook, instagram, linkedin, bluesky, wordpress, webhook.
// Listens on 127.0.0.1 (port 0: a free one), writes the port to PATH when given,
// logs one JSON line when listening and one with what it counted when it stops
// (SIGTERM or SIGINT), e.g. {"msg":"stopped","creates_accepted":1,...}.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

#include "tests/support/fake_networks/bluesky_fake.h"
#include "tests/support/fake_networks/facebook_fake.h"
#include "tests/support/fake_networks/instagram_fake.h"
#include "tests/support/fake_networks/linkedin_fake.h"
#include "tests/support/fake_networks/mastodon_fake.h"
#include "tests/support/fake_networks/webhook_fake.h"
#include "tests/support/fake_networks/wordpress_fake.h"
#include "tests/support/fake_networks/x_fake.h"

namespace {

using carecast::testing::FakeNetworkServer;

std::map<std::string, std::function<std::unique_ptr<FakeNetworkServer>()>> Fakes() {
  return {
      {"mastodon", [] { return std::make_unique<carecast::testing::MastodonFake>(); }},
      {"x", [] { return std::make_unique<carecast::testing::XFake>(); }},
      {"facebook", [] { return std::make_unique<carecast::testing::FacebookFake>(); }},
      {"webhook", [] { return std::make_unique<carecast::testing::WebhookFake>(); }},
      {"bluesky", [] { return std::make_unique<carecast::testing::BlueskyFake>(); }},
      {"instagram", [] { return std::make_unique<carecast::testing::InstagramFake>(); }},
      {"linkedin", [] { return std::make_unique<carecast::testing::LinkedInFake>(); }},
      {"wordpress", [] { return std::make_unique<carecast::testing::WordPressFake>(); }},
  };
}

int Usage() {
  std::fprintf(
      stderr,
      "usage: carecast-fake-network <network> [--port N] [--port-file PATH]\n"
      "         [--latency 50ms] [--threads N] [--rate-limit N/5m|0] [--commit-log PATH]\n");
  std::fprintf(stderr, "networks:");
  for (const auto& [name, make] : Fakes()) std::fprintf(stderr, " %s", name.c_str());
  std::fprintf(stderr, "\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string network = argv[1];
  int port = 0;
  std::string port_file;
  std::string commit_log;
  absl::Duration latency = absl::ZeroDuration();
  int threads = 0;
  std::optional<std::pair<int64_t, absl::Duration>> rate_limit;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--port-file" && i + 1 < argc) {
      port_file = argv[++i];
    } else if (arg == "--commit-log" && i + 1 < argc) {
      commit_log = argv[++i];
    } else if (arg == "--latency" && i + 1 < argc) {
      if (!absl::ParseDuration(argv[++i], &latency) || latency < absl::ZeroDuration())
        return Usage();
    } else if (arg == "--threads" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &threads) || threads < 1 || threads > 4096) return Usage();
    } else if (arg == "--rate-limit" && i + 1 < argc) {
      std::string value = argv[++i];
      int64_t limit = 0;
      absl::Duration window = absl::Minutes(5);
      std::vector<std::string> parts = absl::StrSplit(value, '/');
      if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &limit) || limit < 0) return Usage();
      if (parts.size() == 2 &&
          (!absl::ParseDuration(parts[1], &window) || window <= absl::ZeroDuration()))
        return Usage();
      rate_limit = {limit, window};
    } else {
      return Usage();
    }
  }
  auto fakes = Fakes();
  auto it = fakes.find(network);
  if (it == fakes.end()) return Usage();

  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  std::unique_ptr<FakeNetworkServer> fake = it->second();
  fake->set_latency(latency);
  fake->set_threads(threads);
  if (rate_limit) fake->SetRateLimit(rate_limit->first, rate_limit->second);
  if (!commit_log.empty()) {
    if (absl::Status s = fake->set_commit_log(commit_log); !s.ok()) {
      std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"cannot open the commit log\"}\n");
      return 1;
    }
  }
  if (absl::Status s = fake->Start(port); !s.ok()) {
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"cannot listen\",\"network\":\"%s\"}\n",
                 network.c_str());
    return 1;
  }
  if (!port_file.empty()) std::ofstream(port_file) << fake->port() << "\n";
  std::printf("{\"level\":\"info\",\"msg\":\"listening\",\"network\":\"%s\",\"port\":%d}\n",
              network.c_str(), fake->port());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  const long long creates = fake->creates_accepted();
  const long long requests = fake->requests();
  const long long over_limit = fake->over_limit_requests();
  fake->Stop();
  std::printf(
      "{\"level\":\"info\",\"msg\":\"stopped\",\"network\":\"%s\",\"creates_accepted\":%lld,"
      "\"requests\":%lld,\"over_limit_requests\":%lld}\n",
      network.c_str(), creates, requests, over_limit);
  return 0;
}
