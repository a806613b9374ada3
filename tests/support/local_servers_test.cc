#include "tests/support/local_servers_test.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

#include "tests/support/http_probe.h"
#include "tests/support/test_tokens.h"

namespace carecast::testing {

absl::StatusOr<LocalServersTest::ServiceProcess> LocalServersTest::StartServiceBinary(
    const std::string& relative_path, const std::map<std::string, std::string>& extra_env,
    absl::Duration timeout) {
  const char* binary_dir = std::getenv("CARECAST_BINARY_DIR");
  if (binary_dir == nullptr)
    return absl::FailedPreconditionError("CARECAST_BINARY_DIR is not set (run through ctest)");
  ServiceProcess service;
  service.grpc_port = FindFreePort();
  do {
    service.http_port = FindFreePort();
  } while (service.http_port == service.grpc_port);
  std::map<std::string, std::string> env = {
      {"CARECAST_NATS_URL", nats_url()},
      {"CARECAST_STREAM_REPLICAS", std::to_string(stream_replicas())},
      {"CARECAST_REDIS_URL", redis_server_->url()},
      {"CARECAST_JWT_PUBLIC_KEY_FILE", TestTokens::Get().public_key_file()},
      {"CARECAST_BIND_ADDRESS", "127.0.0.1"},
      {"CARECAST_GRPC_PORT", std::to_string(service.grpc_port)},
      {"CARECAST_HTTP_PORT", std::to_string(service.http_port)}};
  for (const auto& [key, value] : extra_env) env[key] = value;
  const std::string log = absl::StrCat(
      work_dir(), "/", std::filesystem::path(relative_path).filename().string(), ".log");
  auto process = ChildProcess::Start(absl::StrCat(binary_dir, "/", relative_path), {}, env, log);
  if (!process.ok()) return process.status();
  service.process = std::make_unique<ChildProcess>(*std::move(process));
  const bool ready = PollUntil(
      [&] {
        auto r = HttpCall(service.http_port, "GET", "/readyz");
        return r.ok() && r->status == 200;
      },
      timeout);
  if (!ready)
    return absl::DeadlineExceededError(
        absl::StrCat(relative_path, " did not become ready; see ", log));
  return service;
}

}  // namespace carecast::testing
