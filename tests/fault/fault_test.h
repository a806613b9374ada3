// The fixture of the `fault` CTest label: real service binaries on a real
// nats-server and redis-server (LocalServersTest), one of them SIGKILLed at a
// named step (CARECAST_FAULT_AT, services/common/store/fault_points.h) and
// restarted without it, and the helpers to look at what a user sees afterwards:
// the planner's gRPC answers, the events on the bus, the audit trail, the
// sandbox's count of channel calls and the metrics service's /metrics.
//
// Restarted services run with a short outbox relay period and grace (500ms), so
// what a killed writer left owing is settled within about a second. A missing
// server or service binary fails the test; it never skips.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/logger.h"
#include "services/common/bus/event.h"
#include "services/common/bus/nats_connection.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "tests/support/local_servers_test.h"

namespace carecast::testing {

inline constexpr char kPlannerBinary[] = "services/planner/carecast-planner";
inline constexpr char kPublisherBinary[] = "services/publisher/carecast-publisher";
inline constexpr char kListenerBinary[] = "services/listener/carecast-listener";
inline constexpr char kMetricsBinary[] = "services/metrics/carecast-metrics";

// libfaketime (Debian's libfaketime package), preloaded to skew a service's clock.
inline constexpr char kLibFakeTime[] = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

// The outbox relay period and grace every service in these tests runs with.
inline constexpr absl::Duration kRelayPeriod = absl::Milliseconds(500);

class FaultTest : public LocalServersTest {
 protected:
  using Env = std::map<std::string, std::string>;

  void SetUp() override;
  // On failure, prints the last lines of every service log.
  void TearDown() override;

  // Starts `binary` (relative to the build directory) with the common test
  // environment plus `extra`, and waits until it is ready.
  absl::StatusOr<ServiceProcess> Start(const std::string& binary, const Env& extra = {});
  // The same with CARECAST_FAULT_AT=`step` ("<step>" or "<step>#<n>").
  absl::StatusOr<ServiceProcess> StartWithFault(const std::string& binary, const std::string& step,
                                                const Env& extra = {});
  // The environment that runs a service on a clock `skew` ahead of (or behind)
  // the machine's: libfaketime preloaded (scripts/install-deps.sh installs
  // `faketime`). Fails the test when the library is missing; it never skips.
  static Env SkewedClock(absl::Duration skew);
  // Calls at the sandbox, first seen on a poll every 50 ms: for each post of
  // `posts` that had a call within `timeout`, the real time its first call was
  // seen (its publisher's own clock stamps the call).
  std::map<std::string, absl::Time> WatchFirstCalls(const std::vector<std::string>& posts,
                                                    absl::Duration timeout);

  // Waits until `service` exits; OK only when it died of SIGKILL (exit by
  // signal 9) after the fault point's log line for `step` (without "#n").
  absl::Status ExpectKilledAt(ServiceProcess& service, std::string_view step,
                              absl::Duration timeout = absl::Seconds(20));

  static std::shared_ptr<grpc::Channel> ChannelTo(const ServiceProcess& service);
  // A client context with a 10 s deadline and "authorization: Bearer <token>".
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token);

  // The planner's side of a story, through `planner`: the spoke "st-marys" with
  // the sandbox account "sandbox-main"; content written by wendy, submitted and
  // approved by rita; a post scheduled by paul.
  absl::Status CreateSandboxAccount(v1::PlannerService::Stub& planner);
  // Another spoke, "spokes/<spoke_id>", with its own sandbox account "sandbox-main".
  absl::Status CreateSpokeWithSandboxAccount(v1::PlannerService::Stub& planner,
                                             const std::string& spoke_id,
                                             const std::string& display_name);
  // `x_thread`: thread parts of the X variant (the text is its first post).
  absl::StatusOr<std::string> CreateSubmittedContent(v1::PlannerService::Stub& planner,
                                                     const std::string& text,
                                                     const std::vector<std::string>& x_thread = {},
                                                     const std::string& spoke = "spokes/st-marys");
  absl::StatusOr<v1::Content> Approve(v1::PlannerService::Stub& planner,
                                      const std::string& content);
  absl::StatusOr<std::string> CreateApprovedContent(v1::PlannerService::Stub& planner,
                                                    const std::string& text,
                                                    const std::vector<std::string>& x_thread = {},
                                                    const std::string& spoke = "spokes/st-marys");
  absl::StatusOr<v1::Post> Schedule(
      v1::PlannerService::Stub& planner, const std::string& content, absl::Time publish_time,
      const std::string& request_id = "",
      const std::string& account = "spokes/st-marys/accounts/sandbox-main");
  // Another account of the spoke "st-marys" (after CreateSandboxAccount made the spoke).
  absl::Status CreateAccountOn(v1::PlannerService::Stub& planner, const std::string& account_id,
                               v1::Network network);
  // The post as the planner shows it once it is in `state` (or the last seen
  // when `timeout` passes first).
  v1::Post WaitForPostState(v1::PlannerService::Stub& planner, const std::string& post,
                            v1::PostState state, absl::Duration timeout);
  // A burst: `n` posts of one new approved content (of the account's spoke) on `account`, due from
  // `first`, one every `spacing` (request ids "<prefix>-<i>"); their names.
  // Fails the test when one cannot be scheduled.
  std::vector<std::string> ScheduleBurst(
      v1::PlannerService::Stub& planner, int n, absl::Time first, absl::Duration spacing,
      const std::string& prefix = "burst",
      const std::string& account = "spokes/st-marys/accounts/sandbox-main");
  // A person (sam) holds or resumes publishing for `spoke`, retrying while a
  // call fails (up to 20 s); fails the test when it cannot.
  void SetSpokeHeld(v1::PlannerService::Stub& planner, const std::string& spoke, bool held);
  // How a burst ended, as a user sees it.
  struct BurstOutcome {
    int published = 0;    // PUBLISHED, each with exactly one call at the sandbox
    int needs_human = 0;  // NEEDS_HUMAN or FAILED: visible, at most one call each
    int lost = 0;         // neither within the timeout
  };
  // Waits up to `timeout` for every post of `posts` to end, and checks each:
  // PUBLISHED with exactly one sandbox call, or visibly NEEDS_HUMAN or FAILED
  // with at most one; then that no outbox marker is left. Prints "found:" lines.
  BurstOutcome ExpectEachPublishedOnceOrVisible(v1::PlannerService::Stub& planner,
                                                const std::vector<std::string>& posts,
                                                absl::Duration timeout);
  // Still serving: a person writes, approves and schedules a post due in 2 s
  // (retrying each call for up to 20 s, as a person would), and it is
  // published with one call at the sandbox within 30 s.
  void ExpectAPostScheduledNowGoesOut(v1::PlannerService::Stub& planner);
  // Every audit entry of `resource`, in order; fails the test when it cannot be read.
  std::vector<v1::AuditEntry> AuditOf(v1::PlannerService::Stub& planner,
                                      const std::string& resource);
  // OK when each entry's hash is its own and links to the entry before it.
  static absl::Status CheckAuditChain(const std::vector<v1::AuditEntry>& entries);

  // Events on the events stream with exactly `subject`.
  std::vector<common::Event> EventsOn(std::string_view subject);
  // How many events on `subject` decode to `Payload` and satisfy `match`.
  template <class Payload>
  int CountEvents(std::string_view subject, const std::function<bool(const Payload&)>& match) {
    int n = 0;
    for (const common::Event& e : EventsOn(subject)) {
      Payload payload;
      if (DecodePayload(e, &payload) && match(payload)) ++n;
    }
    return n;
  }
  // Polls until `count()` is at least `want`; returns the last count.
  static int WaitForCount(const std::function<int()>& count, int want, absl::Duration timeout);

  // Markers left in carecast_outbox (writes whose events are still owed), or -1
  // when the bucket cannot be read.
  int OutboxMarkers();
  // Polls until no marker is left; returns the last count, and prints the
  // markers still left when there are some.
  int WaitForNoOutboxMarkers(absl::Duration timeout = absl::Seconds(10));
  void PrintOutboxMarkers();

  // The sandbox's Publish calls for `post` (calls.jsonl), in order.
  std::vector<publisher::SandboxCall> SandboxCallsFor(const std::string& post);

  // The value of the series `series` (name plus labels exactly as exposed, e.g.
  // `carecast_posts_needing_human{network="sandbox"}`) on the /metrics page of
  // the service on `http_port`; nullopt when absent or unreadable.
  static std::optional<double> ScrapeSeries(int http_port, const std::string& series);

  // The last lines of every service log in the servers' directory.
  std::string LogTails() const;

  const std::string& sandbox_dir() const { return sandbox_dir_; }

  // JWTs of the story's people.
  const std::string sam_;    // strategist
  const std::string wendy_;  // content developer
  const std::string rita_;   // compliance reviewer
  const std::string paul_;   // publisher
  const std::string ray_;    // responder
  const std::string hook_;   // the social webhook (service)

  FaultTest();

 private:
  static bool DecodePayload(const common::Event& event, google::protobuf::Message* out);

  common::CapturingLogger logger_;
  std::unique_ptr<common::NatsConnection> bus_;
  std::unique_ptr<common::KeyValueStore> outbox_;  // opened on first use
  std::string sandbox_dir_;
};

}  // namespace carecast::testing
