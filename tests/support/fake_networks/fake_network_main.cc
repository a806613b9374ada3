// carecast-fake-network: one local fake network as a process, for scripts/run.sh
// and manual trials (never for production).
//
//   carecast-fake-network <network> [--port N] [--port-file PATH]
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
#include <string>

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
  std::fprintf(stderr, "usage: carecast-fake-network <network> [--port N] [--port-file PATH]\n");
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
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--port-file" && i + 1 < argc) {
      port_file = argv[++i];
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
