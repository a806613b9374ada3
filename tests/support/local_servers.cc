#include "tests/support/local_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "tests/support/child_process.h"

namespace carecast::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(15);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);
constexpr int kPortAttempts = 5;

}  // namespace

std::string MakeTempDir(std::string_view kind) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/carecast-",
                                     std::string(kind), "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

// Connects to 127.0.0.1:port, sends `request`, and reads until `complete`
// says the reply is whole or `timeout` passes. Returns what was read.
std::string Exchange(int port, const std::string& request,
                     const std::function<bool(const std::string&)>& complete,
                     absl::Duration timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    const absl::Time deadline = absl::Now() + timeout;
    char buf[4096];
    while (!complete(reply)) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return reply;
}

namespace {

// True when `port` can be bound on 127.0.0.1 right now (0: any port, whose
// number is then written to `port`).
bool BindsOnLoopback(int& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (bound) port = ntohs(addr.sin_port);
  close(fd);
  return bound;
}

// The first port of the kernel's ephemeral range (the ports it gives to
// outgoing connections and to bind(0)); 32768 when unreadable.
int FirstEphemeralPort() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (range >> low >> high && low > 0) return low;
  return 32768;
}

}  // namespace

int FindFreePort() {
  // A port below the ephemeral range: one from bind(0) is an ephemeral port,
  // which any outgoing connection of any test may take as its own before the
  // server it was picked for binds it (seen in CI as "Address already in
  // use"). Picked at random so parallel tests rarely try the same one.
  constexpr int kLowest = 10000;
  const int first_ephemeral = FirstEphemeralPort();
  if (first_ephemeral - kLowest >= 1000) {
    static std::mutex mu;
    static std::mt19937 rng(static_cast<uint32_t>(getpid()) ^
                            static_cast<uint32_t>(absl::ToUnixNanos(absl::Now())));
    std::uniform_int_distribution<int> pick(kLowest, first_ephemeral - 1);
    for (int attempt = 0; attempt < 64; ++attempt) {
      int port = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        port = pick(rng);
      }
      if (BindsOnLoopback(port)) return port;
    }
  }
  int port = 0;
  return BindsOnLoopback(port) ? port : 0;
}

std::string FindBinary(std::string_view name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view d : absl::StrSplit(path, ':', absl::SkipEmpty())) dirs.emplace_back(d);
  }
  // Debian installs nats-server in /usr/sbin, which a user's PATH may lack.
  for (const char* d : {"/usr/sbin", "/usr/local/sbin", "/sbin"}) dirs.emplace_back(d);
  for (const auto& d : dirs) {
    std::string candidate = absl::StrCat(d, "/", std::string(name));
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

bool PollUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (done()) return true;
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

LocalServer::~LocalServer() {
  Kill();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

absl::Status LocalServer::Launch() {
  const std::string log = absl::StrCat(dir_, "/server.log");
  auto child = ChildProcess::Start(binary_, Args(), {}, log);
  if (!child.ok()) return child.status();
  process_ = std::make_unique<ChildProcess>(std::move(*child));
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline) {
    if (!process_->Running()) {
      process_.reset();
      return absl::UnavailableError(absl::StrCat(binary_, " exited at start (see ", log, ")"));
    }
    if (Ready()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return absl::DeadlineExceededError(
      absl::StrCat(binary_, " did not become ready (see ", log, ")"));
}

absl::Status LocalServer::StartOnFreePort() {
  if (dir_.empty()) return absl::InternalError("cannot create a temp directory");
  absl::Status last = absl::UnavailableError("no port tried");
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    port_ = FindFreePort();
    if (port_ == 0) continue;
    last = Launch();
    if (last.ok()) return last;
  }
  return last;
}

absl::Status LocalServer::Stop() {
  if (!process_) return absl::OkStatus();
  auto exited = process_->Terminate(kStopTimeout);
  process_.reset();
  if (!exited.ok()) return absl::DeadlineExceededError("server ignored SIGTERM; killed");
  return absl::OkStatus();
}

void LocalServer::Kill() { process_.reset(); }

void LocalServer::Signal(int signal) {
  if (process_ != nullptr) ::kill(process_->pid(), signal);
}

absl::Status LocalServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Launch();
}

absl::StatusOr<std::unique_ptr<LocalNatsServer>> LocalNatsServer::Start() {
  std::string binary = FindBinary("nats-server");
  if (binary.empty()) return absl::NotFoundError("nats-server is not installed (not on PATH)");
  std::unique_ptr<LocalNatsServer> server(new LocalNatsServer(binary, MakeTempDir("nats")));
  if (absl::Status s = server->StartOnFreePort(); !s.ok()) return s;
  return server;
}

std::string LocalNatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port()); }

std::vector<std::string> LocalNatsServer::Args() const {
  const std::string conf = absl::StrCat(dir(), "/nats.conf");
  std::ofstream(conf, std::ios::trunc) << "# written by tests/support/local_servers.cc\n"
                                       << "max_payload: 1MB\n"
                                       << "jetstream {\n"
                                       << "  max_memory_store: 256MB\n"
                                       << "  max_file_store: 1GB\n"
                                       << "}\n";
  return {"-c",
          conf,
          "-js",
          "-a",
          "127.0.0.1",
          "-p",
          absl::StrCat(port()),
          "-sd",
          absl::StrCat(dir(), "/jetstream")};
}

namespace {

// True once `r` holds a whole MSG or HMSG frame (its byte count read from the
// frame's first line), or an -ERR.
bool HasWholeMessage(const std::string& r) {
  if (absl::StrContains(r, "-ERR")) return true;
  size_t at = r.find("MSG ");
  if (at == std::string::npos) return false;
  const size_t line_end = r.find("\r\n", at);
  if (line_end == std::string::npos) return false;
  const std::string line = r.substr(at, line_end - at);
  const size_t last_space = line.rfind(' ');
  size_t total = 0;
  if (last_space == std::string::npos || !absl::SimpleAtoi(line.substr(last_space + 1), &total)) {
    return false;
  }
  return r.size() >= line_end + 2 + total;
}

}  // namespace

std::string JetStreamRequest(int port, std::string_view subject, std::string_view answer_type,
                             absl::Duration timeout, std::string_view payload) {
  // Plain NATS protocol, no responders reported (503) while JetStream is not
  // ready (starting, or a cluster without a leader).
  const std::string request = absl::StrCat(
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n"
      "SUB _INBOX.carecast_probe 1\r\n"
      "PUB ",
      std::string(subject), " _INBOX.carecast_probe ", payload.size(), "\r\n", std::string(payload),
      "\r\n");
  std::string reply = Exchange(port, request, HasWholeMessage, timeout);
  // The caller looks for the answer's type; a reply without it is no answer.
  if (!absl::StrContains(reply, std::string(answer_type)) && !absl::StrContains(reply, " 503"))
    return "";
  return reply;
}

bool LocalNatsServer::Ready() const {
  std::string reply =
      JetStreamRequest(port(), "$JS.API.INFO", "account_info_response", absl::Seconds(1));
  return absl::StrContains(reply, "account_info_response") &&
         !absl::StrContains(reply, "\"error\"");
}

absl::StatusOr<std::unique_ptr<LocalRedisServer>> LocalRedisServer::Start(
    std::vector<std::string> extra_args) {
  std::string binary = FindBinary("redis-server");
  if (binary.empty()) return absl::NotFoundError("redis-server is not installed (not on PATH)");
  std::unique_ptr<LocalRedisServer> server(new LocalRedisServer(binary, MakeTempDir("redis")));
  server->extra_args_ = std::move(extra_args);
  if (absl::Status s = server->StartOnFreePort(); !s.ok()) return s;
  return server;
}

std::string LocalRedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port()); }

std::vector<std::string> LocalRedisServer::Args() const {
  std::vector<std::string> args = {"--port",       absl::StrCat(port()),
                                   "--bind",       "127.0.0.1",
                                   "--save",       "",
                                   "--appendonly", "no",
                                   "--dir",        dir(),
                                   "--daemonize",  "no"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  return args;
}

bool LocalRedisServer::Ready() const {
  std::string reply = Exchange(
      port(), "PING\r\n", [](const std::string& r) { return absl::StrContains(r, "\r\n"); },
      absl::Seconds(1));
  return absl::StartsWith(reply, "+PONG");
}

absl::Status LocalRedisServer::FlushAll() {
  std::string reply = Exchange(
      port(), "FLUSHALL\r\n", [](const std::string& r) { return absl::StrContains(r, "\r\n"); },
      absl::Seconds(5));
  if (!absl::StartsWith(reply, "+OK")) {
    return absl::UnavailableError(absl::StrCat("FLUSHALL failed: ", reply));
  }
  return absl::OkStatus();
}

namespace {

// True once `r` starts with one whole simple, error, integer or bulk reply.
bool HasWholeRedisReply(const std::string& r) {
  const size_t line_end = r.find("\r\n");
  if (line_end == std::string::npos) return false;
  if (r[0] != '$') return true;
  int64_t length = 0;
  if (!absl::SimpleAtoi(r.substr(1, line_end - 1), &length)) return true;  // malformed: stop
  if (length < 0) return true;                                             // $-1: nil
  return r.size() >= line_end + 2 + static_cast<size_t>(length) + 2;
}

}  // namespace

absl::StatusOr<std::string> LocalRedisServer::Command(const std::vector<std::string>& words,
                                                      absl::Duration timeout) const {
  std::string request = absl::StrCat("*", words.size(), "\r\n");
  for (const std::string& word : words)
    absl::StrAppend(&request, "$", word.size(), "\r\n", word, "\r\n");
  std::string reply = Exchange(port(), request, HasWholeRedisReply, timeout);
  if (!HasWholeRedisReply(reply)) {
    return absl::UnavailableError(absl::StrCat("no whole reply to ", words.empty() ? "" : words[0],
                                               " within ", absl::FormatDuration(timeout)));
  }
  return reply;
}

}  // namespace carecast::testing
