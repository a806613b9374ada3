#include "tests/e2e/story/running_suite.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

#include "tests/support/grpc_probe.h"
#include "tests/support/test_tokens.h"

namespace carecast::testing {
namespace {

std::string BinaryDir() {
  const char* dir = std::getenv("CARECAST_BINARY_DIR");
  return dir != nullptr ? dir : ".";
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunningSuite>> RunningSuite::Start(const ServiceEnv& overrides) {
  auto suite = std::unique_ptr<RunningSuite>(new RunningSuite());
  auto nats = LocalNatsServer::Start();
  if (!nats.ok()) return nats.status();
  suite->nats_ = std::move(*nats);
  auto redis = LocalRedisServer::Start();
  if (!redis.ok()) return redis.status();
  suite->redis_ = std::move(*redis);

  suite->work_dir_ = absl::StrCat(suite->nats_->dir(), "/suite");
  suite->sandbox_dir_ = absl::StrCat(suite->work_dir_, "/sandbox");
  std::filesystem::create_directories(suite->sandbox_dir_);

  const std::string bin = BinaryDir();
  struct Spec {
    std::string name, binary;
    std::map<std::string, std::string> extra;
  };
  std::vector<Spec> specs = {
      {"planner", bin + "/services/planner/carecast-planner", {}},
      {"publisher-1",
       bin + "/services/publisher/carecast-publisher",
       {{"CARECAST_PUBLISHER_ID", "publisher-1"}}},
      {"publisher-2",
       bin + "/services/publisher/carecast-publisher",
       {{"CARECAST_PUBLISHER_ID", "publisher-2"}}},
      {"listener",
       bin + "/services/listener/carecast-listener",
       {{"CARECAST_TRACKED_KEYWORDS", "st marys,flu shot,emergency room"}}},
      {"metrics", bin + "/services/metrics/carecast-metrics", {}},
  };
  for (auto& spec : specs) {
    SuiteService service;
    service.name = spec.name;
    service.grpc_port = FindFreePort();
    service.http_port = FindFreePort();
    std::map<std::string, std::string> env = {
        {"CARECAST_GRPC_PORT", std::to_string(service.grpc_port)},
        {"CARECAST_HTTP_PORT", std::to_string(service.http_port)},
        {"CARECAST_BIND_ADDRESS", "127.0.0.1"},
        {"CARECAST_NATS_URL", suite->nats_->url()},
        {"CARECAST_REDIS_URL", suite->redis_->url()},
        {"CARECAST_JWT_PUBLIC_KEY_FILE", TestTokens::Get().public_key_file()},
        {"CARECAST_SANDBOX_DIR", suite->sandbox_dir_},
        {"CARECAST_LOG_LEVEL", "debug"},
    };
    env.insert(spec.extra.begin(), spec.extra.end());
    if (auto it = overrides.find(spec.name); it != overrides.end()) {
      for (const auto& [key, value] : it->second) env[key] = value;
    }
    auto process = ChildProcess::Start(spec.binary, {}, env,
                                       absl::StrCat(suite->work_dir_, "/", spec.name, ".log"));
    if (!process.ok()) return process.status();
    service.process = std::make_unique<ChildProcess>(std::move(*process));
    service.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", service.grpc_port),
                                          grpc::InsecureChannelCredentials());
    suite->services_.push_back(std::move(service));
  }
  for (auto& service : suite->services_) {
    bool serving = PollUntil(
        [&] {
          auto state = CheckHealth(service.channel, "", absl::Milliseconds(500));
          return state.ok() && *state == HealthState::kServing;
        },
        absl::Seconds(30));
    if (!serving)
      return absl::UnavailableError(
          absl::StrCat(service.name, " did not report SERVING\n", suite->LogTails()));
  }
  return suite;
}

SuiteService& RunningSuite::service(const std::string& name) {
  for (auto& s : services_)
    if (s.name == name) return s;
  std::abort();
}

std::vector<SuiteService*> RunningSuite::services() {
  std::vector<SuiteService*> out;
  for (auto& s : services_) out.push_back(&s);
  return out;
}

std::string RunningSuite::LogTails() const {
  std::ostringstream out;
  for (const auto& s : services_) {
    if (!s.process) continue;
    std::ifstream log(s.process->log_file());
    std::vector<std::string> lines;
    for (std::string line; std::getline(log, line);) lines.push_back(line);
    out << "--- " << s.name << " (last lines)\n";
    for (size_t i = lines.size() > 15 ? lines.size() - 15 : 0; i < lines.size(); ++i)
      out << lines[i] << "\n";
  }
  return out.str();
}

std::unique_ptr<grpc::ClientContext> AuthedContext(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

}  // namespace carecast::testing
