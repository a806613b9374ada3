// schedule_load: a gRPC load client for the planner, used by dispatch_bench.sh.
//
//   schedule_load setup    --spoke ID --accounts N [--network mastodon|sandbox]
//   schedule_load schedule --spoke ID --accounts N --posts N --prefix P
//                          [--rate R | --herd] [--lead 10s] [--in-flight 64]
//                          [--network mastodon|sandbox] [--no-pace] [--batch B]
//
// setup: creates the spoke, N accounts (a0 .. a<N-1>) on the network, and one
// approved content with a variant for the network (contents/<spoke>-content):
// created by a writer, approved by a reviewer, as the planner demands.
// Repeating it is harmless (ALREADY_EXISTS is taken as done).
//
// schedule: SchedulePost for N posts on the accounts in turn. With --rate R, post
// i falls due at t0 + lead + i/R and its call is not sent before t0 + i/R (t0:
// when the command starts), so scheduling runs alongside dispatching with `lead`
// of slack (--no-pace: calls go out as fast as --in-flight allows, e.g. to load
// posts held far ahead with --lead 720h). With --herd every post falls due at t0 + lead exactly
// (calls go out as fast as --in-flight allows). The post id is "<prefix>-<due unix ms>-<i>", so the
// idempotency key the publisher sends ("<post id>.v1") tells the fake network each post's due time.
// --batch B (with --herd or --no-pace): BatchSchedulePosts with B entries per call
// instead of one SchedulePost per post (in_flight then counts batch calls).
// Prints one JSON line: calls, failures, calls/s achieved, and how many calls returned with less
// than a second of slack.
//
// Tokens (minted with carecastctl token) come from the environment:
//   CARECAST_BENCH_STRATEGIST_TOKEN  (role strategist: spoke, accounts, SchedulePost)
//   CARECAST_BENCH_WRITER_TOKEN      (content_developer)   setup only
//   CARECAST_BENCH_REVIEWER_TOKEN    (compliance_reviewer) setup only
// The planner address: --planner HOST:PORT or $CARECAST_PLANNER_ADDR.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "carecast/v1/planner_service.grpc.pb.h"

namespace {

namespace v1 = carecast::v1;

struct Options {
  std::string command;
  std::string planner;
  std::string spoke = "bench";
  std::string network = "mastodon";
  int accounts = 16;
  int64_t posts = 0;
  double rate = 200;
  bool herd = false;
  bool pace = true;
  absl::Duration lead = absl::Seconds(10);
  int in_flight = 64;
  int batch = 1;
  std::string prefix = "p";
};

int Usage(const std::string& problem) {
  std::fprintf(
      stderr,
      "schedule_load: %s\n"
      "usage: schedule_load setup --spoke ID --accounts N [--network mastodon|sandbox]\n"
      "       schedule_load schedule --spoke ID --accounts N --posts N --prefix P\n"
      "                     [--rate R | --herd] [--lead 10s] [--in-flight 64] [--no-pace]\n"
      "                     [--batch B]\n"
      "                     [--planner HOST:PORT]\n",
      problem.c_str());
  return 2;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

v1::Network NetworkOf(const std::string& name) {
  return name == "sandbox" ? v1::NETWORK_SANDBOX : v1::NETWORK_MASTODON;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token, absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

bool Done(const grpc::Status& status, const std::string& what) {
  if (status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS) return true;
  std::fprintf(stderr, "schedule_load: %s failed: %d %s\n", what.c_str(),
               static_cast<int>(status.error_code()), status.error_message().c_str());
  return false;
}

std::string ContentName(const Options& o) { return absl::StrCat("contents/", o.spoke, "-content"); }

int Setup(const Options& o, v1::PlannerService::Stub& stub) {
  const std::string strategist = Env("CARECAST_BENCH_STRATEGIST_TOKEN");
  const std::string writer = Env("CARECAST_BENCH_WRITER_TOKEN");
  const std::string reviewer = Env("CARECAST_BENCH_REVIEWER_TOKEN");
  if (strategist.empty() || writer.empty() || reviewer.empty())
    return Usage("setup needs CARECAST_BENCH_{STRATEGIST,WRITER,REVIEWER}_TOKEN");
  const absl::Duration timeout = absl::Seconds(30);
  {
    v1::CreateSpokeRequest req;
    req.set_spoke_id(o.spoke);
    req.mutable_spoke()->set_display_name("Benchmark Hospital");
    req.set_request_id(absl::StrCat("bench-spoke-", o.spoke));
    v1::CreateSpokeResponse res;
    if (!Done(stub.CreateSpoke(Context(strategist, timeout).get(), req, &res), "CreateSpoke"))
      return 1;
  }
  for (int i = 0; i < o.accounts; ++i) {
    v1::CreateAccountRequest req;
    req.set_parent(absl::StrCat("spokes/", o.spoke));
    req.set_account_id(absl::StrCat("a", i));
    req.mutable_account()->set_network(NetworkOf(o.network));
    req.mutable_account()->set_handle(absl::StrCat("@a", i, "@bench.example"));
    req.mutable_account()->set_time_zone("UTC");
    req.set_request_id(absl::StrCat("bench-account-", o.spoke, "-", o.network, "-", i));
    v1::CreateAccountResponse res;
    if (!Done(stub.CreateAccount(Context(strategist, timeout).get(), req, &res),
              absl::StrCat("CreateAccount a", i)))
      return 1;
  }
  const std::string text = "Walk-in flu shots at St Mary, weekdays 8-6. #fluseason";
  {
    v1::CreateContentRequest req;
    req.set_content_id(absl::StrCat(o.spoke, "-content"));
    req.set_request_id(absl::StrCat("bench-content-", o.spoke));
    v1::Content& c = *req.mutable_content();
    c.set_title("Flu shots");
    c.set_text(text);
    c.set_spoke(absl::StrCat("spokes/", o.spoke));
    for (v1::Network n : {v1::NETWORK_MASTODON, v1::NETWORK_SANDBOX}) {
      v1::ContentVariant& variant = *c.add_variants();
      variant.set_network(n);
      variant.set_text(text);
    }
    v1::CreateContentResponse res;
    grpc::Status s = stub.CreateContent(Context(writer, timeout).get(), req, &res);
    if (!Done(s, "CreateContent")) return 1;
    if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return 0;  // approved earlier
  }
  {
    v1::SubmitContentRequest req;
    req.set_name(ContentName(o));
    v1::SubmitContentResponse res;
    if (!Done(stub.SubmitContent(Context(writer, timeout).get(), req, &res), "SubmitContent"))
      return 1;
  }
  {
    v1::ApproveContentRequest req;
    req.set_name(ContentName(o));
    req.set_version(1);
    v1::ApproveContentResponse res;
    if (!Done(stub.ApproveContent(Context(reviewer, timeout).get(), req, &res), "ApproveContent"))
      return 1;
  }
  std::printf("{\"setup\":\"done\",\"spoke\":\"%s\",\"accounts\":%d,\"content\":\"%s\"}\n",
              o.spoke.c_str(), o.accounts, ContentName(o).c_str());
  return 0;
}

int Schedule(const Options& o, const std::shared_ptr<grpc::Channel>& channel) {
  const std::string token = Env("CARECAST_BENCH_STRATEGIST_TOKEN");
  if (token.empty()) return Usage("schedule needs CARECAST_BENCH_STRATEGIST_TOKEN");
  if (o.posts <= 0) return Usage("--posts must be positive");
  const absl::Time t0 = absl::Now();
  const absl::Time first_due = t0 + o.lead;
  const std::string content = ContentName(o);

  std::atomic<int64_t> next{0};
  std::atomic<int64_t> ok{0}, failed{0}, tight{0};
  std::mutex error_mu;
  std::map<std::string, int64_t> errors;
  // Entry i of the schedule: its request and its due time.
  auto entry = [&](int64_t i, absl::Time* due_out) {
    absl::Time due = first_due;
    if (!o.herd) due = first_due + absl::Seconds(static_cast<double>(i) / o.rate);
    const int64_t due_ms = absl::ToUnixMillis(due);
    v1::SchedulePostRequest req;
    req.set_content(content);
    req.set_account(absl::StrCat("spokes/", o.spoke, "/accounts/a", i % o.accounts));
    req.mutable_publish_time()->set_seconds(due_ms / 1000);
    req.mutable_publish_time()->set_nanos(static_cast<int32_t>(due_ms % 1000) * 1000000);
    const std::string id = absl::StrCat(o.prefix, "-", due_ms, "-", i);
    req.set_post_id(id);
    req.set_request_id(id);
    *due_out = due;
    return req;
  };
  auto count = [&](const std::string& id, absl::Time due, int code, const std::string& message) {
    if (code == 0) {
      ok.fetch_add(1);
      if (due - absl::Now() < absl::Seconds(1)) tight.fetch_add(1);
      return;
    }
    failed.fetch_add(1);
    std::lock_guard lock(error_mu);
    if (++errors[absl::StrCat(code, " ", message)] == 1)
      std::fprintf(stderr, "schedule_load: scheduling %s: %d %s\n", id.c_str(), code,
                   message.c_str());
  };
  auto worker = [&] {
    auto stub = v1::PlannerService::NewStub(channel);
    const int64_t step = o.batch;
    for (;;) {
      const int64_t first = next.fetch_add(step);
      if (first >= o.posts) return;
      if (step == 1) {
        if (!o.herd) {
          const absl::Duration wait =
              t0 + absl::Seconds(static_cast<double>(first) / o.rate) - absl::Now();
          if (o.pace && wait > absl::ZeroDuration()) absl::SleepFor(wait);
        }
        absl::Time due;
        v1::SchedulePostRequest req = entry(first, &due);
        v1::SchedulePostResponse res;
        grpc::Status s = stub->SchedulePost(Context(token, absl::Seconds(30)).get(), req, &res);
        count(req.post_id(), due, static_cast<int>(s.error_code()), s.error_message());
        continue;
      }
      v1::BatchSchedulePostsRequest batch;
      std::vector<absl::Time> dues;
      for (int64_t i = first; i < std::min(first + step, o.posts); ++i) {
        dues.emplace_back();
        *batch.add_requests() = entry(i, &dues.back());
      }
      v1::BatchSchedulePostsResponse res;
      grpc::Status s =
          stub->BatchSchedulePosts(Context(token, absl::Seconds(120)).get(), batch, &res);
      for (int j = 0; j < batch.requests_size(); ++j) {
        const std::string& id = batch.requests(j).post_id();
        if (!s.ok()) {
          count(id, dues[j], static_cast<int>(s.error_code()), s.error_message());
        } else if (j >= res.results_size()) {
          count(id, dues[j], static_cast<int>(grpc::StatusCode::INTERNAL), "no result");
        } else {
          count(id, dues[j], res.results(j).code(), res.results(j).message());
        }
      }
    }
  };
  std::vector<std::thread> threads;
  const int n = std::max<int>(1, std::min<int64_t>(o.in_flight, (o.posts + o.batch - 1) / o.batch));
  threads.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - t0);
  std::printf(
      "{\"prefix\":\"%s\",\"posts\":%lld,\"scheduled\":%lld,\"failed\":%lld,"
      "\"tight_under_1s\":%lld,\"elapsed_s\":%.3f,\"calls_per_s\":%.1f,\"in_flight\":%d,"
      "\"first_due_ms\":%lld,\"herd\":%s,\"rate\":%.1f,\"batch\":%d}\n",
      o.prefix.c_str(), static_cast<long long>(o.posts), static_cast<long long>(ok.load()),
      static_cast<long long>(failed.load()), static_cast<long long>(tight.load()), elapsed,
      static_cast<double>(ok.load() + failed.load()) / elapsed, n,
      static_cast<long long>(absl::ToUnixMillis(first_due)), o.herd ? "true" : "false", o.rate,
      o.batch);
  return failed.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) return Usage("a command is needed");
  o.command = argv[1];
  o.planner = Env("CARECAST_PLANNER_ADDR");
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--planner") {
      o.planner = value();
    } else if (a == "--spoke") {
      o.spoke = value();
    } else if (a == "--network") {
      o.network = value();
      if (o.network != "mastodon" && o.network != "sandbox") return Usage("unknown --network");
    } else if (a == "--accounts") {
      if (!absl::SimpleAtoi(value(), &o.accounts) || o.accounts < 1) return Usage("--accounts");
    } else if (a == "--posts") {
      if (!absl::SimpleAtoi(value(), &o.posts)) return Usage("--posts");
    } else if (a == "--rate") {
      if (!absl::SimpleAtod(value(), &o.rate) || o.rate <= 0) return Usage("--rate");
    } else if (a == "--herd") {
      o.herd = true;
    } else if (a == "--no-pace") {
      o.pace = false;
    } else if (a == "--lead") {
      if (!absl::ParseDuration(value(), &o.lead)) return Usage("--lead");
    } else if (a == "--in-flight") {
      if (!absl::SimpleAtoi(value(), &o.in_flight) || o.in_flight < 1) return Usage("--in-flight");
    } else if (a == "--batch") {
      if (!absl::SimpleAtoi(value(), &o.batch) || o.batch < 1 || o.batch > 1000)
        return Usage("--batch must be 1..1000");
    } else if (a == "--prefix") {
      o.prefix = value();
    } else {
      return Usage("unknown option " + a);
    }
  }
  if (o.planner.empty()) return Usage("--planner or CARECAST_PLANNER_ADDR is needed");
  if (o.batch > 1 && !o.herd && o.pace) return Usage("--batch needs --herd or --no-pace");
  grpc::ChannelArguments args;
  // Separate connections per channel argument set would not help: one HTTP/2
  // connection carries all in-flight calls, as carecastctl's does.
  auto channel = grpc::CreateCustomChannel(o.planner, grpc::InsecureChannelCredentials(), args);
  if (o.command == "setup") {
    auto stub = v1::PlannerService::NewStub(channel);
    return Setup(o, *stub);
  }
  if (o.command == "schedule") return Schedule(o, channel);
  return Usage("unknown command " + o.command);
}
