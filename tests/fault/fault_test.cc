#include "tests/fault/fault_test.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <google/protobuf/util/time_util.h>

#include "carecast/v1/store.pb.h"

#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/topology.h"
#include "services/common/store/audit_chain.h"
#include "services/common/store/outbox.h"
#include "tests/support/http_probe.h"
#include "tests/support/test_tokens.h"

namespace carecast::testing {
namespace {

using common::Role;

std::string Token(const std::string& subject, std::vector<Role> roles) {
  return TestTokens::Get().Mint(subject, std::move(roles));
}

absl::Status FromGrpc(const grpc::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(common::AsAbsl(what), ": ", s.error_message()));
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

}  // namespace

FaultTest::FaultTest()
    : sam_(Token("sam", {Role::kStrategist})),
      wendy_(Token("wendy", {Role::kContentDeveloper})),
      rita_(Token("rita", {Role::kComplianceReviewer})),
      paul_(Token("paul", {Role::kPublisher})),
      ray_(Token("ray", {Role::kResponder})),
      hook_(Token("social-webhook", {Role::kService})) {}

void FaultTest::SetUp() {
#ifndef CARECAST_FAULT_POINTS
  GTEST_FAIL() << "this build has no fault points (configure with CARECAST_FAULT_POINTS=ON, as "
                  "the ci and dev presets do); the fault tests cannot run without them";
#endif
  // Checked here as well, whatever the base fixture does about it: a fault test
  // without its servers fails, it never skips.
  for (const char* server : {"nats-server", "redis-server"}) {
    if (FindBinary(server).empty())
      GTEST_FAIL() << server << " is not installed (scripts/install-deps.sh installs it)";
  }
  LocalServersTest::SetUp();
  if (HasFatalFailure() || IsSkipped()) return;
  sandbox_dir_ = absl::StrCat(work_dir(), "/sandbox");
  std::filesystem::create_directories(sandbox_dir_);
  auto bus = common::NatsConnection::Connect({.url = nats_url(), .name = "fault-test"}, logger_);
  ASSERT_TRUE(bus.ok()) << bus.status();
  bus_ = *std::move(bus);
}

void FaultTest::TearDown() {
  if (HasFailure()) std::cerr << LogTails();
}

absl::StatusOr<LocalServersTest::ServiceProcess> FaultTest::Start(const std::string& binary,
                                                                  const Env& extra) {
  Env env = {
      {"CARECAST_SANDBOX_DIR", sandbox_dir_},
      {"CARECAST_OUTBOX_RELAY_PERIOD", absl::FormatDuration(kRelayPeriod)},
      {"CARECAST_OUTBOX_RELAY_GRACE", absl::FormatDuration(kRelayPeriod)},
      {"CARECAST_LOG_LEVEL", "debug"},
      {"CARECAST_FAULT_AT", ""},
  };
  for (const auto& [key, value] : extra) env[key] = value;
  return StartServiceBinary(binary, env);
}

FaultTest::Env FaultTest::SkewedClock(absl::Duration skew) {
  const std::string library = kLibFakeTime;
  EXPECT_TRUE(std::filesystem::exists(library))
      << library << " is missing (scripts/install-deps.sh installs the faketime package)";
  const int64_t seconds = absl::ToInt64Seconds(skew);
  return {{"LD_PRELOAD", library},
          {"FAKETIME", absl::StrCat(seconds >= 0 ? "+" : "", seconds, "s")},
          // A wall clock set wrong leaves the monotonic clock alone; faked, it
          // would stretch every timed wait (deadlines on the kernel's clock) by `skew`.
          {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
}

std::map<std::string, absl::Time> FaultTest::WatchFirstCalls(const std::vector<std::string>& posts,
                                                             absl::Duration timeout) {
  std::map<std::string, absl::Time> seen;
  const absl::Time deadline = absl::Now() + timeout;
  while (seen.size() < posts.size() && absl::Now() < deadline) {
    auto calls = publisher::ReadSandboxCalls(sandbox_dir_);
    const absl::Time now = absl::Now();
    if (calls.ok()) {
      for (const publisher::SandboxCall& call : *calls) {
        if (std::find(posts.begin(), posts.end(), call.post) != posts.end())
          seen.emplace(call.post, now);
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return seen;
}

absl::StatusOr<LocalServersTest::ServiceProcess> FaultTest::StartWithFault(
    const std::string& binary, const std::string& step, const Env& extra) {
  Env env = extra;
  env["CARECAST_FAULT_AT"] = step;
  return Start(binary, env);
}

absl::Status FaultTest::ExpectKilledAt(ServiceProcess& service, std::string_view step,
                                       absl::Duration timeout) {
  if (!PollUntil([&] { return !service.process->Running(); }, timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("the service did not die at ",
                                                    common::AsAbsl(step), " within ",
                                                    absl::FormatDuration(timeout)));
  }
  // Terminate on an exited process sends nothing and returns its exit code.
  absl::StatusOr<int> code = service.process->Terminate(absl::ZeroDuration());
  if (!code.ok()) return code.status();
  if (*code != 128 + SIGKILL) {
    return absl::InternalError(
        absl::StrCat("the service exited with ", *code, ", not by SIGKILL (", 128 + SIGKILL, ")"));
  }
  std::ifstream log(service.process->log_file());
  std::stringstream text;
  text << log.rdbuf();
  const std::string line = absl::StrCat("\"step\":\"", common::AsAbsl(step), "\"");
  if (!absl::StrContains(text.str(), "fault point reached") ||
      !absl::StrContains(text.str(), line)) {
    return absl::InternalError(absl::StrCat("killed by SIGKILL but not at the fault point ",
                                            common::AsAbsl(step), " (no log line)"));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> FaultTest::ChannelTo(const ServiceProcess& service) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", service.grpc_port),
                             grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> FaultTest::Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

absl::Status FaultTest::CreateSandboxAccount(v1::PlannerService::Stub& planner) {
  return CreateSpokeWithSandboxAccount(planner, "st-marys", "St Mary Hospital");
}

absl::Status FaultTest::CreateSpokeWithSandboxAccount(v1::PlannerService::Stub& planner,
                                                      const std::string& spoke_id,
                                                      const std::string& display_name) {
  v1::CreateSpokeRequest spoke;
  spoke.set_spoke_id(spoke_id);
  spoke.mutable_spoke()->set_display_name(display_name);
  v1::CreateSpokeResponse spoke_resp;
  if (absl::Status s =
          FromGrpc(planner.CreateSpoke(Context(sam_).get(), spoke, &spoke_resp), "CreateSpoke");
      !s.ok())
    return s;
  v1::CreateAccountRequest account;
  account.set_parent(absl::StrCat("spokes/", spoke_id));
  account.set_account_id("sandbox-main");
  account.mutable_account()->set_network(v1::NETWORK_SANDBOX);
  account.mutable_account()->set_handle("@stmarys");
  account.mutable_account()->set_time_zone("America/Chicago");
  v1::CreateAccountResponse account_resp;
  return FromGrpc(planner.CreateAccount(Context(sam_).get(), account, &account_resp),
                  "CreateAccount");
}

absl::StatusOr<std::string> FaultTest::CreateSubmittedContent(
    v1::PlannerService::Stub& planner, const std::string& text,
    const std::vector<std::string>& x_thread, const std::string& spoke) {
  v1::CreateContentRequest req;
  v1::Content* c = req.mutable_content();
  c->set_title("Flu shots");
  c->set_text(text);
  c->set_spoke(spoke);
  // The same text for the sandbox, X (the channel fault tests) and Mastodon (the herd).
  for (v1::Network network : {v1::NETWORK_SANDBOX, v1::NETWORK_X, v1::NETWORK_MASTODON}) {
    v1::ContentVariant* v = c->add_variants();
    v->set_network(network);
    v->set_text(text);
    if (network == v1::NETWORK_X) {
      for (const std::string& part : x_thread) v->add_thread_parts(part);
    }
  }
  v1::CreateContentResponse resp;
  if (absl::Status s =
          FromGrpc(planner.CreateContent(Context(wendy_).get(), req, &resp), "CreateContent");
      !s.ok())
    return s;
  v1::SubmitContentRequest sub;
  sub.set_name(resp.content().name());
  v1::SubmitContentResponse sub_resp;
  if (absl::Status s =
          FromGrpc(planner.SubmitContent(Context(wendy_).get(), sub, &sub_resp), "SubmitContent");
      !s.ok())
    return s;
  return resp.content().name();
}

absl::StatusOr<v1::Content> FaultTest::Approve(v1::PlannerService::Stub& planner,
                                               const std::string& content) {
  v1::ApproveContentRequest req;
  req.set_name(content);
  req.set_version(1);
  v1::ApproveContentResponse resp;
  if (absl::Status s =
          FromGrpc(planner.ApproveContent(Context(rita_).get(), req, &resp), "ApproveContent");
      !s.ok())
    return s;
  return resp.content();
}

absl::StatusOr<std::string> FaultTest::CreateApprovedContent(
    v1::PlannerService::Stub& planner, const std::string& text,
    const std::vector<std::string>& x_thread, const std::string& spoke) {
  absl::StatusOr<std::string> content = CreateSubmittedContent(planner, text, x_thread, spoke);
  if (!content.ok()) return content.status();
  absl::StatusOr<v1::Content> approved = Approve(planner, *content);
  if (!approved.ok()) return approved.status();
  return *content;
}

absl::Status FaultTest::CreateAccountOn(v1::PlannerService::Stub& planner,
                                        const std::string& account_id, v1::Network network) {
  v1::CreateAccountRequest account;
  account.set_parent("spokes/st-marys");
  account.set_account_id(account_id);
  account.mutable_account()->set_network(network);
  account.mutable_account()->set_handle("@stmarys");
  account.mutable_account()->set_time_zone("America/Chicago");
  v1::CreateAccountResponse account_resp;
  return FromGrpc(planner.CreateAccount(Context(sam_).get(), account, &account_resp),
                  "CreateAccount");
}

absl::StatusOr<v1::Post> FaultTest::Schedule(v1::PlannerService::Stub& planner,
                                             const std::string& content, absl::Time publish_time,
                                             const std::string& request_id,
                                             const std::string& account) {
  v1::SchedulePostRequest req;
  req.set_content(content);
  req.set_account(account);
  *req.mutable_publish_time() = ToProto(publish_time);
  req.set_request_id(request_id);
  v1::SchedulePostResponse resp;
  if (absl::Status s =
          FromGrpc(planner.SchedulePost(Context(paul_).get(), req, &resp), "SchedulePost");
      !s.ok())
    return s;
  return resp.post();
}

v1::Post FaultTest::WaitForPostState(v1::PlannerService::Stub& planner, const std::string& post,
                                     v1::PostState state, absl::Duration timeout) {
  v1::Post last;
  PollUntil(
      [&] {
        v1::GetPostRequest req;
        req.set_name(post);
        v1::GetPostResponse resp;
        if (planner.GetPost(Context(paul_).get(), req, &resp).ok()) last = resp.post();
        return last.state() == state;
      },
      timeout);
  return last;
}

std::vector<std::string> FaultTest::ScheduleBurst(v1::PlannerService::Stub& planner, int n,
                                                  absl::Time first, absl::Duration spacing,
                                                  const std::string& prefix,
                                                  const std::string& account) {
  // The account's spoke: "spokes/<id>" of "spokes/<id>/accounts/<id>".
  const std::string spoke = account.substr(0, account.find("/accounts/"));
  auto content =
      CreateApprovedContent(planner, "Walk-in flu shots at St Mary, weekdays 8-6.", {}, spoke);
  EXPECT_TRUE(content.ok()) << content.status();
  std::vector<std::string> posts;
  for (int i = 0; content.ok() && i < n; ++i) {
    auto post =
        Schedule(planner, *content, first + i * spacing, absl::StrCat(prefix, "-", i), account);
    EXPECT_TRUE(post.ok()) << post.status();
    if (post.ok()) posts.push_back(post->name());
  }
  return posts;
}

void FaultTest::SetSpokeHeld(v1::PlannerService::Stub& planner, const std::string& spoke,
                             bool held) {
  grpc::Status status;
  PollUntil(
      [&] {
        if (held) {
          v1::HoldPublishingRequest request;
          request.set_reason("drill: the clinic's review");
          request.set_request_id(absl::StrCat("drill-hold-", spoke));
          request.set_spoke(spoke);
          v1::HoldPublishingResponse response;
          status = planner.HoldPublishing(Context(sam_).get(), request, &response);
        } else {
          v1::ResumePublishingRequest request;
          request.set_request_id(absl::StrCat("drill-resume-", spoke));
          request.set_spoke(spoke);
          v1::ResumePublishingResponse response;
          status = planner.ResumePublishing(Context(sam_).get(), request, &response);
        }
        return status.ok();
      },
      absl::Seconds(20));
  ASSERT_TRUE(status.ok()) << status.error_message();
}

FaultTest::BurstOutcome FaultTest::ExpectEachPublishedOnceOrVisible(
    v1::PlannerService::Stub& planner, const std::vector<std::string>& posts,
    absl::Duration timeout) {
  const auto ended = [](const v1::Post& post) {
    return post.state() == v1::POST_STATE_PUBLISHED || post.state() == v1::POST_STATE_NEEDS_HUMAN ||
           post.state() == v1::POST_STATE_FAILED;
  };
  const absl::Time deadline = absl::Now() + timeout;
  BurstOutcome outcome;
  absl::Duration latest = absl::ZeroDuration();  // the latest a post went out after its time
  for (const std::string& name : posts) {
    v1::Post post;
    PollUntil(
        [&] {
          v1::GetPostRequest req;
          req.set_name(name);
          v1::GetPostResponse resp;
          if (planner.GetPost(Context(paul_).get(), req, &resp).ok()) post = resp.post();
          return ended(post);
        },
        std::max(deadline - absl::Now(), absl::ZeroDuration()));
    const size_t calls = SandboxCallsFor(name).size();
    if (post.state() == v1::POST_STATE_PUBLISHED) {
      ++outcome.published;
      latest = std::max(latest, FromProto(post.published_time()) - FromProto(post.publish_time()));
      EXPECT_EQ(calls, 1u) << name << ": a second call is a double send";
    } else if (ended(post)) {
      ++outcome.needs_human;
      EXPECT_LE(calls, 1u) << name << ": a second call is a double send";
    } else {
      ++outcome.lost;
      ADD_FAILURE() << name << " did not end within " << absl::FormatDuration(timeout) << ": "
                    << post.ShortDebugString();
    }
  }
  std::cout << "found: of " << posts.size() << " posts, " << outcome.published
            << " published with one call each at the sandbox, " << outcome.needs_human
            << " visibly NEEDS_HUMAN or FAILED, " << outcome.lost
            << " neither; the latest went out "
            << absl::FormatDuration(absl::Trunc(latest, absl::Milliseconds(100)))
            << " after its time\n";
  const int markers = WaitForNoOutboxMarkers(absl::Seconds(20));
  EXPECT_EQ(markers, 0) << "writes left owing their events";
  std::cout << "found: " << markers << " outbox markers left\n";
  return outcome;
}

void FaultTest::ExpectAPostScheduledNowGoesOut(v1::PlannerService::Stub& planner) {
  absl::StatusOr<std::string> content = absl::UnknownError("not tried");
  PollUntil(
      [&] {
        content = CreateApprovedContent(planner, "Flu shots resume Monday at St Mary.");
        return content.ok();
      },
      absl::Seconds(20));
  ASSERT_TRUE(content.ok()) << "the planner does not serve: " << content.status();
  absl::StatusOr<v1::Post> post = absl::UnknownError("not tried");
  PollUntil(
      [&] {
        post = Schedule(planner, *content, absl::Now() + absl::Seconds(2), "scheduled-after");
        return post.ok();
      },
      absl::Seconds(20));
  ASSERT_TRUE(post.ok()) << post.status();
  std::cout << "did: scheduled one more post\n";
  const BurstOutcome later =
      ExpectEachPublishedOnceOrVisible(planner, {post->name()}, absl::Seconds(30));
  EXPECT_EQ(later.published, 1) << "the publisher does not publish";
}

std::vector<v1::AuditEntry> FaultTest::AuditOf(v1::PlannerService::Stub& planner,
                                               const std::string& resource) {
  std::vector<v1::AuditEntry> entries;
  std::string token;
  do {
    v1::ListAuditEntriesRequest req;
    req.set_resource(resource);
    req.set_page_token(token);
    v1::ListAuditEntriesResponse resp;
    grpc::Status s = planner.ListAuditEntries(Context(sam_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << "ListAuditEntries " << resource << ": " << s.error_message();
    if (!s.ok()) break;
    entries.insert(entries.end(), resp.entries().begin(), resp.entries().end());
    token = resp.next_page_token();
  } while (!token.empty());
  return entries;
}

absl::Status FaultTest::CheckAuditChain(const std::vector<v1::AuditEntry>& entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const v1::AuditEntry& e = entries[i];
    if (e.entry_hash() != common::AuditEntryHash(e))
      return absl::DataLossError(absl::StrCat("entry ", i, " (", e.action(), ") is not its hash"));
    const std::string want_previous = i == 0 ? "" : entries[i - 1].entry_hash();
    if (e.previous_hash() != want_previous)
      return absl::DataLossError(
          absl::StrCat("entry ", i, " (", e.action(), ") does not link to the one before"));
  }
  return absl::OkStatus();
}

std::vector<common::Event> FaultTest::EventsOn(std::string_view subject) {
  std::vector<common::Event> out;
  uint64_t start = 1;
  for (;;) {
    auto page =
        bus_->Read(std::string(common::streams::kEvents), std::string(subject), start, 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->empty()) break;
    out.insert(out.end(), page->begin(), page->end());
    if (page->size() < 1000) break;
    start = page->back().stream_sequence + 1;
  }
  return out;
}

bool FaultTest::DecodePayload(const common::Event& event, google::protobuf::Message* out) {
  return common::DecodeEvent(event, out).ok();
}

int FaultTest::WaitForCount(const std::function<int()>& count, int want, absl::Duration timeout) {
  int last = 0;
  PollUntil(
      [&] {
        last = count();
        return last >= want;
      },
      timeout);
  return last;
}

int FaultTest::OutboxMarkers() {
  if (outbox_ == nullptr) {
    auto bucket = bus_->OpenBucket(common::BucketSpecFor(common::kOutboxBucket, {}));
    if (!bucket.ok()) return -1;
    outbox_ = *std::move(bucket);
  }
  auto keys = outbox_->Keys("");
  return keys.ok() ? static_cast<int>(keys->size()) : -1;
}

int FaultTest::WaitForNoOutboxMarkers(absl::Duration timeout) {
  int last = -1;
  PollUntil(
      [&] {
        last = OutboxMarkers();
        return last == 0;
      },
      timeout);
  if (last > 0) PrintOutboxMarkers();
  return last;
}

void FaultTest::PrintOutboxMarkers() {
  if (outbox_ == nullptr) return;
  auto keys = outbox_->Keys("");
  if (!keys.ok()) return;
  for (const std::string& key : *keys) {
    auto entry = outbox_->GetLatest(key);
    carecast::v1::OutboxMarker marker;
    if (entry.ok() && marker.ParseFromString(entry->value)) {
      std::cout << "found: marker " << key << " left for " << marker.bucket() << "/" << marker.key()
                << " by " << marker.writer() << " at "
                << google::protobuf::util::TimeUtil::ToString(marker.time()) << "\n";
    } else {
      std::cout << "found: marker " << key << " left, unreadable\n";
    }
  }
}

std::vector<publisher::SandboxCall> FaultTest::SandboxCallsFor(const std::string& post) {
  auto calls = publisher::ReadSandboxCalls(sandbox_dir_);
  EXPECT_TRUE(calls.ok()) << calls.status();
  std::vector<publisher::SandboxCall> out;
  if (!calls.ok()) return out;
  for (publisher::SandboxCall& call : *calls)
    if (call.post == post) out.push_back(std::move(call));
  return out;
}

std::optional<double> FaultTest::ScrapeSeries(int http_port, const std::string& series) {
  auto resp = HttpCall(http_port, "GET", "/metrics");
  if (!resp.ok() || resp->status != 200) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(resp->body, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ')
      continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return std::nullopt;
}

std::string FaultTest::LogTails() const {
  std::ostringstream out;
  if (nats_server_ == nullptr && nats_cluster_ == nullptr) return "";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, "carecast-") || !absl::EndsWith(name, ".log")) continue;
    std::ifstream log(entry.path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(log, line);) lines.push_back(line);
    out << "--- " << name << " (last lines)\n";
    for (size_t i = lines.size() > 25 ? lines.size() - 25 : 0; i < lines.size(); ++i)
      out << lines[i] << "\n";
  }
  return out.str();
}

}  // namespace carecast::testing
