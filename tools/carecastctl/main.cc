// carecastctl: the command-line client for every CareCast API.
// Composition only: parses the command line and hands off to one command.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/health_client.h"
#include "services/common/store/audit_stream_identity.h"
#include "tools/carecastctl/audit_verify.h"
#include "tools/carecastctl/events_tail.h"
#include "tools/carecastctl/mention_stream.h"
#include "tools/carecastctl/posts_command.h"
#include "tools/carecastctl/rpc_invoker.h"
#include "tools/carecastctl/service_catalog.h"
#include "tools/carecastctl/token_command.h"

namespace {

constexpr char kUsage[] = R"(carecastctl: drive CareCast from the command line.

usage: carecastctl [--addr HOST:PORT] [--token JWT] [--timeout DURATION] COMMAND ...

  <service> <Method> [JSON|-]   call any unary RPC; service is planner, publisher,
                                listener or metrics; JSON is the request in the
                                protobuf JSON mapping ("-" reads it from stdin)
  methods                       list every RPC
  posts confirm-published POST [--external-id ID] [--url URL] [--note TEXT]
                                a NEEDS_HUMAN post is on the network: record it
                                PUBLISHED (give --external-id, --url or both)
  posts confirm-not-published POST [--at RFC3339] [--note TEXT]
                                a NEEDS_HUMAN post is not on the network: send it
                                again at --at (default now); to cancel it instead:
                                planner CancelPost '{"name":"posts/ID","reason":"..."}'
  mentions stream [FILE|-]      send JSON-lines Mentions over StreamMentions
  events tail [--subject S] [--all] [--count N] [--timeout D]
                                print bus events as JSON lines (needs --nats URL or
                                CARECAST_NATS_URL); --all replays retained events
  audit verify                  check every resource's hash chain in the audit
                                stream, and that the stream is the one on record
                                (needs --nats); exit 1 on a problem
  audit acknowledge-recreation  record a re-created audit stream as the one on
                                record, once its loss has been dealt with
  token --key PEM --sub NAME --roles R1,R2 [--ttl D] [--spokes S1,S2|'*']
        [--issuer I] [--audience A]   mint a signed JWT for a local user
  health [ADDR] [--service NAME] [--timeout D]
                                exit 0 when the gRPC server reports SERVING

Addresses default to $CARECAST_<SERVICE>_ADDR, then 127.0.0.1:5005x.
The bearer token defaults to $CARECAST_TOKEN.
Exit status: 0 success, 1 the call failed (status on stderr as JSON), 2 usage.
)";

int Usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "carecastctl: " << problem << "\n\n";
  std::cerr << kUsage;
  return 2;
}

int PrintError(const absl::Status& status) {
  std::string out = "{\"code\":";
  carecast::common::AppendJsonString(out, absl::StatusCodeToString(status.code()));
  out += ",\"message\":";
  carecast::common::AppendJsonString(out, std::string(status.message()));
  std::cerr << out << "}\n";
  return 1;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

std::shared_ptr<grpc::Channel> Dial(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// `health [ADDR] [--service NAME] [--timeout D]`: 0 when the server reports SERVING.
// (Kept out of main to hold main within the function-size limit.)
int RunHealth(const std::vector<std::string>& args, const std::string& addr,
              carecast::ctl::CallOptions call) {
  std::string target = addr, service;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--service" && k + 1 < args.size())
      service = args[++k];
    else if (args[k] == "--timeout" && k + 1 < args.size()) {
      if (!absl::ParseDuration(args[++k], &call.timeout))
        return Usage("--timeout takes a duration");
    } else
      target = args[k];
  }
  if (target.empty()) return Usage("health needs an address");
  auto status = carecast::common::CheckHealth(Dial(target), service, call.timeout);
  if (!status.ok()) return PrintError(status.status());
  bool serving = *status == carecast::common::HealthState::kServing;
  std::cout << (serving ? "SERVING" : "NOT_SERVING") << "\n";
  return serving ? 0 : 1;
}

// `posts ...`: a named command for one unary call (tools/carecastctl/posts_command.h).
int RunPosts(const std::vector<std::string>& args, const std::string& addr,
             const carecast::ctl::CallOptions& call) {
  using namespace carecast::ctl;
  absl::StatusOr<PostsCall> posts = ParsePostsCommand(args);
  if (!posts.ok()) return Usage(std::string(posts.status().message()));
  const ServiceEntry* service = FindService(posts->service);
  std::string target = addr.empty() ? AddressFor(*service) : addr;
  auto response = InvokeUnaryJson(Dial(target), *service, posts->method, posts->request_json, call);
  if (!response.ok()) return PrintError(response.status());
  std::cout << *response << "\n";
  return 0;
}

}  // namespace

// `audit verify` and `audit acknowledge-recreation` (audit_verify.h).
int RunAudit(const std::vector<std::string>& rest, const std::string& nats_url) {
  const bool verify = !rest.empty() && rest[0] == "verify";
  const bool acknowledge = !rest.empty() && rest[0] == "acknowledge-recreation";
  if (!verify && !acknowledge)
    return Usage("audit takes the subcommand 'verify' or 'acknowledge-recreation'");
  if (nats_url.empty()) return Usage("audit needs --nats URL or CARECAST_NATS_URL");
  carecast::common::SystemClock clock;
  carecast::common::JsonLogger logger("carecastctl", carecast::common::LogLevel::kWarn, clock,
                                      stderr);
  auto bus =
      carecast::common::NatsConnection::Connect({.url = nats_url, .name = "carecastctl"}, logger);
  if (!bus.ok()) return PrintError(bus.status());
  auto control =
      (*bus)->OpenBucket(carecast::common::BucketSpecFor(carecast::common::buckets::kControl, {}));
  if (!control.ok()) return PrintError(control.status());
  if (acknowledge) {
    absl::StatusOr<absl::Time> created = carecast::common::AcknowledgeAuditStream(**bus, **control);
    if (!created.ok()) return PrintError(created.status());
    std::cout << "audit stream made at " << absl::FormatTime(*created)
              << " is now the one on record\n";
    return 0;
  }
  absl::Status status =
      carecast::ctl::VerifyAuditStream(**bus, std::cout, std::cerr, control->get());
  return status.ok() ? 0 : PrintError(status);
}

int main(int argc, char** argv) {
  using namespace carecast::ctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string addr;
  std::string nats_url = EnvOr("CARECAST_NATS_URL", "");
  CallOptions call;
  call.bearer_token = EnvOr("CARECAST_TOKEN", "");

  // Global flags come before the command.
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : std::string(); };
    if (a == "--addr")
      addr = value();
    else if (a == "--token")
      call.bearer_token = value();
    else if (a == "--nats")
      nats_url = value();
    else if (a == "--timeout") {
      if (!absl::ParseDuration(value(), &call.timeout))
        return Usage("--timeout takes a duration like 10s");
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else
      break;
  }
  if (i >= args.size()) return Usage("no command given");
  const std::string command = args[i++];
  std::vector<std::string> rest(args.begin() + static_cast<long>(i), args.end());

  if (command == "methods") {
    for (const auto& service : Services()) {
      const auto* d = Describe(service);
      for (int m = 0; d != nullptr && m < d->method_count(); ++m)
        std::cout << service.short_name << " " << d->method(m)->name() << "\n";
    }
    return 0;
  }
  if (command == "token") return RunTokenCommand(rest, std::cout, std::cerr);
  if (command == "health") return RunHealth(rest, addr, call);
  if (command == "events") {
    if (rest.empty() || rest[0] != "tail") return Usage("events takes the subcommand 'tail'");
    TailOptions tail;
    for (size_t k = 1; k < rest.size(); ++k) {
      auto value = [&]() -> std::string { return k + 1 < rest.size() ? rest[++k] : std::string(); };
      if (rest[k] == "--subject")
        tail.subject = value();
      else if (rest[k] == "--all")
        tail.from_start = true;
      else if (rest[k] == "--count") {
        if (!absl::SimpleAtoi(value(), &tail.max_events) || tail.max_events < 0)
          return Usage("--count takes a whole number");
      } else if (rest[k] == "--timeout") {
        if (!absl::ParseDuration(value(), &tail.idle_timeout))
          return Usage("--timeout takes a duration");
      } else
        return Usage("unknown option for events tail: " + rest[k]);
    }
    if (nats_url.empty()) return Usage("events tail needs --nats URL or CARECAST_NATS_URL");
    carecast::common::SystemClock clock;
    carecast::common::JsonLogger logger("carecastctl", carecast::common::LogLevel::kWarn, clock,
                                        stderr);
    auto bus =
        carecast::common::NatsConnection::Connect({.url = nats_url, .name = "carecastctl"}, logger);
    if (!bus.ok()) return PrintError(bus.status());
    absl::Status status = TailEvents(**bus, tail, std::cout);
    return status.ok() ? 0 : PrintError(status);
  }

  if (command == "posts") return RunPosts(rest, addr, call);
  if (command == "audit") return RunAudit(rest, nats_url);

  const ServiceEntry* service = FindService(command);
  if (command == "mentions") {
    if (rest.empty() || rest[0] != "stream") return Usage("mentions takes the subcommand 'stream'");
    const ServiceEntry* listener = FindService("listener");
    std::string target = addr.empty() ? AddressFor(*listener) : addr;
    std::ifstream file;
    std::istream* in = &std::cin;
    if (rest.size() > 1 && rest[1] != "-") {
      file.open(rest[1]);
      if (!file) return Usage("cannot read " + rest[1]);
      in = &file;
    }
    int rejected = StreamMentions(Dial(target), call, *in, std::cout, std::cerr);
    return rejected == 0 ? 0 : 1;
  }
  if (service == nullptr) return Usage("unknown command or service: " + command);
  if (rest.empty()) return Usage("which method of " + command + "? (carecastctl methods)");
  std::string json = rest.size() > 1 ? rest[1] : "{}";
  if (json == "-") json.assign(std::istreambuf_iterator<char>(std::cin), {});
  std::string target = addr.empty() ? AddressFor(*service) : addr;
  auto response = InvokeUnaryJson(Dial(target), *service, rest[0], json, call);
  if (!response.ok()) return PrintError(response.status());
  std::cout << *response << "\n";
  return 0;
}
