#include "services/common/rpc/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <list>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "services/common/base/strings.h"
#include "services/common/rpc/http_connection.h"
#include "services/common/rpc/metrics_text.h"

namespace carecast::common {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kPrometheusText[] = "text/plain; version=0.0.4";

bool IsSegmentChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// `path` is `prefix` followed by one non-empty segment of [A-Za-z0-9._-].
bool MatchesPrefixRoute(const std::string& path, const std::string& prefix) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < path.size(); ++i) {
    if (!IsSegmentChar(path[i])) return false;
  }
  return true;
}

HttpResponse NotFound() { return HttpResponse{404, kJson, HttpErrorJson("not found"), {}}; }

// A listening TCP socket on address:port (port 0: any free port); -1 on failure.
int Listen(const std::string& address, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(address.empty() ? nullptr : address.c_str(), service.c_str(), &hints, &found) !=
      0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR alone (not SO_REUSEPORT, which would let a second process
    // share the port) allows a quick restart while old connections sit in
    // TIME_WAIT.
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

}  // namespace

struct HttpServer::Impl {
  // One accepted connection and the thread serving it.
  struct Connection {
    int fd = -1;  // -1 once the serving thread closed it
    bool done = false;
    std::thread thread;
  };

  Impl(HttpServerOptions o, prometheus::Registry& r, const SeriesTable* s)
      : options(std::move(o)),
        registry(r),
        series(s),
        // Every HttpServer on a registry shares these families (the registry
        // merges families of the same name).
        refused(prometheus::BuildCounter()
                    .Name("carecast_http_requests_refused_total")
                    .Help("HTTP requests refused before any handler, by status: 400 malformed, "
                          "408 too slow, 413 body too large, 415 or 501 unsupported encoding, "
                          "431 headers too large, 503 too many connections, 505 bad version.")
                    .Register(r)),
        open_gauge(prometheus::BuildGauge()
                       .Name("carecast_http_connections_open")
                       .Help("HTTP connections open now (each has a thread).")
                       .Register(r)
                       .Add({})) {
    connection_options.limits.max_header_bytes = options.max_header_bytes;
    connection_options.limits.max_headers = options.max_headers;
    connection_options.limits.max_body_bytes = options.max_body_bytes;
    connection_options.limits.accept_gzip = options.accept_gzip;
    connection_options.header_timeout = options.header_timeout;
    connection_options.body_timeout = options.body_timeout;
    connection_options.idle_timeout = options.idle_timeout;
    connection_options.write_timeout = options.write_timeout;
    connection_options.on_refused = [this](int status) { CountRefused(status); };
  }

  void CountRefused(int status) { refused.Add({{"code", std::to_string(status)}}).Increment(); }

  HttpResponse Dispatch(const HttpRequest& request) const;
  HttpResponse Route(const HttpRequest& request) const;
  void AcceptLoop();
  void Accept();
  void Serve(Connection* connection);
  // Joins the threads of connections that ended.
  void Reap();

  const HttpServerOptions options;
  HttpConnectionOptions connection_options;
  prometheus::Registry& registry;
  const SeriesTable* const series;
  prometheus::Family<prometheus::Counter>& refused;
  prometheus::Gauge& open_gauge;
  std::map<std::string, HttpHandler> post_routes;
  std::map<std::string, HttpHandler> get_routes;
  std::map<std::string, HttpHandler> get_prefix_routes;
  std::atomic<bool> ready{false};
  std::atomic<int> port{0};
  std::atomic<bool> stopping{false};

  std::mutex lifecycle_mu;  // Start/Stop
  bool started = false;     // guarded by lifecycle_mu
  bool stopped = false;     // guarded by lifecycle_mu
  int listen_fd = -1;
  int wake_fds[2] = {-1, -1};  // Stop writes to [1] to end the accept loop
  std::thread accept_thread;

  // std::mutex rather than absl::Mutex: Debian's abseil is not built with TSan,
  // which then cannot see an absl::Mutex and reports false races.
  std::mutex mu;
  std::list<Connection> connections ABSL_GUARDED_BY(mu);
  size_t open_connections ABSL_GUARDED_BY(mu) = 0;
};

HttpResponse HttpServer::Impl::Route(const HttpRequest& request) const {
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (get && request.path == "/metrics") {
    return HttpResponse{200, kPrometheusText, ScrapeText(registry, series), {}};
  }
  if (get && request.path == "/healthz") return HttpResponse{200, kJson, "{\"status\":\"ok\"}", {}};
  if (get && request.path == "/readyz") {
    return ready.load() ? HttpResponse{200, kJson, "{\"ready\":true}", {}}
                        : HttpResponse{503, kJson, "{\"ready\":false}", {}};
  }
  if (get) {
    if (auto it = get_routes.find(request.path); it != get_routes.end()) return it->second(request);
    for (const auto& [prefix, handler] : get_prefix_routes) {
      if (MatchesPrefixRoute(request.path, prefix)) return handler(request);
    }
    return NotFound();
  }
  if (request.method == "POST") {
    if (auto it = post_routes.find(request.path); it != post_routes.end()) {
      return it->second(request);
    }
  }
  return NotFound();
}

HttpResponse HttpServer::Impl::Dispatch(const HttpRequest& request) const {
  // A handler's exception text never reaches the client.
  try {
    return Route(request);
  } catch (...) {
    return HttpResponse{500, kJson, HttpErrorJson("internal error"), {}};
  }
}

void HttpServer::Impl::Serve(Connection* connection) {
  const int fd = connection->fd;
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  ServeHttpConnection(
      fd, connection_options, [this](const HttpRequest& request) { return Dispatch(request); },
      stopping);
  std::lock_guard lock(mu);
  close(fd);
  connection->fd = -1;
  connection->done = true;
  --open_connections;
  open_gauge.Decrement();
}

void HttpServer::Impl::Reap() {
  std::vector<std::thread> ended;
  {
    std::lock_guard lock(mu);
    for (auto it = connections.begin(); it != connections.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      ended.push_back(std::move(it->thread));
      it = connections.erase(it);
    }
  }
  for (std::thread& t : ended) t.join();
}

void HttpServer::Impl::Accept() {
  const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    // Out of descriptors: back off instead of spinning on a listener that stays readable.
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return;
  }
  std::lock_guard lock(mu);
  if (open_connections >= options.max_connections) {
    RefuseHttpConnection(fd);
    close(fd);
    CountRefused(503);
    return;
  }
  Connection& connection = connections.emplace_back();
  connection.fd = fd;
  // Counted before the thread starts, so its first response already sees itself.
  ++open_connections;
  open_gauge.Increment();
  try {
    // The thread cannot finish before this assignment: it takes `mu` to end.
    connection.thread = std::thread([this, c = &connection] { Serve(c); });
  } catch (const std::system_error&) {
    --open_connections;
    open_gauge.Decrement();
    RefuseHttpConnection(fd);
    close(fd);
    connections.pop_back();
    CountRefused(503);
  }
}

void HttpServer::Impl::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_fds[0], POLLIN, 0}};
    // The timeout only bounds how long ended threads wait to be joined.
    const int rc = poll(fds, 2, 1000);
    if (fds[1].revents != 0) return;
    Reap();
    if (rc > 0 && (fds[0].revents & POLLIN) != 0) Accept();
  }
}

HttpServer::HttpServer(HttpServerOptions options, prometheus::Registry& registry,
                       const SeriesTable* series)
    : impl_(std::make_unique<Impl>(std::move(options), registry, series)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::AddPostRoute(const std::string& path, HttpHandler handler) {
  impl_->post_routes[path] = std::move(handler);
}

void HttpServer::AddGetRoute(const std::string& path, HttpHandler handler) {
  impl_->get_routes[path] = std::move(handler);
}

void HttpServer::AddGetPrefixRoute(const std::string& prefix, HttpHandler handler) {
  impl_->get_prefix_routes[prefix] = std::move(handler);
}

absl::Status HttpServer::Start() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.lifecycle_mu);
  if (impl.started) return absl::FailedPreconditionError("HTTP server already started");
  impl.listen_fd = Listen(impl.options.address, impl.options.port);
  if (impl.listen_fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve HTTP on ", AsAbsl(impl.options.address), ":", impl.options.port));
  }
  if (pipe2(impl.wake_fds, O_CLOEXEC) != 0) {
    close(impl.listen_fd);
    return absl::InternalError("cannot create the HTTP server's wake pipe");
  }
  impl.port.store(BoundPort(impl.listen_fd));
  impl.started = true;
  impl.accept_thread = std::thread([&impl] { impl.AcceptLoop(); });
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->port.load(); }

void HttpServer::SetReady(bool ready) { impl_->ready.store(ready); }

void HttpServer::Stop() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.lifecycle_mu);
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  impl.ready.store(false);
  impl.stopping.store(true);
  const char byte = 0;
  (void)write(impl.wake_fds[1], &byte, 1);
  if (impl.accept_thread.joinable()) impl.accept_thread.join();
  close(impl.listen_fd);
  close(impl.wake_fds[0]);
  close(impl.wake_fds[1]);
  std::vector<std::thread> threads;
  {
    std::lock_guard connections_lock(impl.mu);
    // Ends every read: a connection waiting for a request closes at once; one
    // whose handler is running still writes its response (marked close), within
    // write_timeout.
    for (Impl::Connection& connection : impl.connections) {
      if (connection.fd >= 0) shutdown(connection.fd, SHUT_RD);
      threads.push_back(std::move(connection.thread));
    }
  }
  for (std::thread& t : threads) t.join();
  std::lock_guard connections_lock(impl.mu);
  impl.connections.clear();
}

}  // namespace carecast::common
