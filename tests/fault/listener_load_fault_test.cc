// F8 of the fault matrix (docs/reliability.md): the listener SIGKILLed under
// load. A load generator posts mentions to the listener's webhook
// (POST /v1/mentions) from several kept-alive connections, aiming at 5,000 a
// second; the listener is SIGKILLed mid-load and restarted, and the load goes
// on (against the restarted listener's port). A sender retries a mention that
// got no 2xx, as a webhook sender does. A user must see every mention whose
// POST got a 2xx stored once: its carecast.mention.classified event on the bus
// exactly once. Nothing accepted may be lost.
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/store/outbox.h"
#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

constexpr int kConnections = 32;
constexpr double kTargetRate = 5000;  // mentions a second, all connections together
constexpr absl::Duration kLoad = absl::Seconds(10);
constexpr absl::Duration kKillAfter = absl::Seconds(4);

class ListenerLoadFaultTest : public FaultTest {
 protected:
  static Env ListenerEnv() { return {{"CARECAST_TRACKED_KEYWORDS", "St Marys"}}; }
};

// What one connection's sender saw.
struct SenderTally {
  int64_t posted = 0;    // requests sent
  int64_t accepted = 0;  // mentions that got a 2xx (201 or 200)
  int64_t failed = 0;    // answers other than 2xx, or no answer
  std::vector<std::string> accepted_ids;
};

// Posts mention after mention on one kept-alive connection to the port in
// `port` (re-read after a failure) until `load_end`, paced to `rate` a second;
// a mention without a 2xx is retried until it gets one or `give_up` passes.
void Send(int connection, const std::atomic<int>& port, const std::string& token, double rate,
          absl::Time load_end, absl::Time give_up, SenderTally& tally) {
  int current = port.load();
  auto client = std::make_unique<httplib::Client>("127.0.0.1", current);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(5, 0);
  const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  const absl::Duration gap = absl::Seconds(1) / rate;
  absl::Time next = absl::Now();
  for (int64_t seq = 0; absl::Now() < load_end; ++seq) {
    const std::string id = absl::StrCat("17900", connection, "000", seq);
    const std::string body = absl::StrCat(
        R"({"network":"x","external_id":")", id,
        R"(","author_handle":"@neighbour","text":"Thanks St Marys for the flu clinic today"})");
    for (;;) {
      if (port.load() != current) {
        current = port.load();
        client = std::make_unique<httplib::Client>("127.0.0.1", current);
        client->set_keep_alive(true);
        client->set_tcp_nodelay(true);
        client->set_connection_timeout(1, 0);
        client->set_read_timeout(5, 0);
      }
      ++tally.posted;
      httplib::Result res = client->Post("/v1/mentions", headers, body, "application/json");
      if (res && (res->status == 200 || res->status == 201)) {
        ++tally.accepted;
        tally.accepted_ids.push_back(id);
        break;
      }
      ++tally.failed;
      if (absl::Now() > give_up) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    next += gap;
    if (const absl::Duration wait = next - absl::Now(); wait > absl::ZeroDuration())
      absl::SleepFor(wait);
  }
}

TEST_F(ListenerLoadFaultTest, AListenerKilledUnderLoadLosesNoAcceptedMention) {
  auto listener = Start(kListenerBinary, ListenerEnv());
  ASSERT_TRUE(listener.ok()) << listener.status();
  std::atomic<int> port = listener->http_port;

  const absl::Time start = absl::Now();
  const absl::Time load_end = start + kLoad;
  std::vector<SenderTally> tallies(kConnections);
  std::vector<std::thread> senders;
  senders.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    senders.emplace_back([&, i] {
      Send(i, port, hook_, kTargetRate / kConnections, load_end, load_end + absl::Seconds(20),
           tallies[i]);
    });
  }
  absl::SleepFor(kKillAfter);
  listener->process->Kill();
  const absl::Time killed = absl::Now();
  std::cout << "did: " << kConnections << " kept-alive connections posting mentions at up to "
            << kTargetRate << " a second; SIGKILLed the listener after "
            << absl::FormatDuration(kKillAfter) << "\n";
  auto restarted = Start(kListenerBinary, ListenerEnv());
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  port = restarted->http_port;
  std::cout << "did: restarted it (ready "
            << absl::FormatDuration(absl::Trunc(absl::Now() - killed, absl::Milliseconds(100)))
            << " after the kill); the load went on\n";
  for (std::thread& t : senders) t.join();
  const absl::Duration took = absl::Now() - start;

  int64_t posted = 0;
  int64_t accepted = 0;
  int64_t failed = 0;
  std::map<std::string, int> on_bus;
  for (const SenderTally& tally : tallies) {
    posted += tally.posted;
    accepted += tally.accepted;
    failed += tally.failed;
    for (const std::string& id : tally.accepted_ids) on_bus[id] = 0;
  }
  std::cout << "found: " << posted << " requests, " << accepted << " mentions accepted (2xx), "
            << failed << " answers without a 2xx (retried); "
            << accepted / absl::ToDoubleSeconds(kLoad) << " accepted a second over the "
            << absl::FormatDuration(kLoad) << " of load (target " << kTargetRate << ")\n";

  // Each accepted mention's classified event, once (events settle within the
  // outbox relay period after the restart).
  int lost = 0;
  int doubled = 0;
  const bool settled = PollUntil(
      [&] {
        for (auto& [id, n] : on_bus) n = 0;
        for (const common::Event& e : EventsOn(common::subjects::kMentionClassified)) {
          v1::MentionClassified payload;
          if (!common::DecodeEvent(e, &payload).ok()) continue;
          auto it = on_bus.find(payload.mention().external_id());
          if (it != on_bus.end()) ++it->second;
        }
        lost = doubled = 0;
        for (const auto& [id, n] : on_bus) {
          if (n == 0) ++lost;
          if (n > 1) ++doubled;
        }
        return lost == 0;
      },
      absl::Seconds(30));
  std::cout << "found: of " << on_bus.size() << " accepted mentions, " << lost
            << " not on the bus, " << doubled << " on it more than once ("
            << (settled ? "" : "not ") << "settled "
            << absl::FormatDuration(
                   absl::Trunc(absl::Now() - start - took, absl::Milliseconds(100)))
            << " after the load)\n";
  EXPECT_EQ(lost, 0) << "accepted mentions lost";
  EXPECT_EQ(doubled, 0) << "mentions stored twice";
  // What the services' outbox relays must read: the markers left in carecast_outbox.
  common::CapturingLogger logger;
  auto bus = common::NatsConnection::Connect({.url = nats_url(), .name = "outbox-check"}, logger);
  ASSERT_TRUE(bus.ok()) << bus.status();
  auto outbox = (*bus)->OpenBucket(common::BucketSpecFor(common::kOutboxBucket, {}));
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  absl::StatusOr<std::vector<std::string>> markers = (*outbox)->Keys("");
  std::cout << "found: the outbox bucket's markers: "
            << (markers.ok() ? absl::StrCat(markers->size(), " left")
                             : absl::StrCat("cannot be listed: ", markers.status().ToString()))
            << "\n";
}

}  // namespace
}  // namespace carecast::testing
