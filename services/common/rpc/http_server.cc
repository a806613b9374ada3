#include "services/common/rpc/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include <prometheus/text_serializer.h>

namespace carecast::common {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kPrometheusText[] = "text/plain; version=0.0.4";

// httplib matches routes with std::regex. Every pattern handed to it is an
// escaped literal, so matching a request path is a plain comparison that fails
// at the first differing character (no backtracking on untrusted input).
std::string LiteralPattern(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (std::string_view("\\^$.|?*+()[]{}-").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The request as handlers see it: method, path, body, query, headers (names in
// lower case).
HttpRequest ToHttpRequest(const httplib::Request& req) {
  HttpRequest request{req.method, req.path, req.body, req.get_header_value("Content-Type"),
                      req.get_header_value("Authorization")};
  for (const auto& [key, value] : req.params) request.query.emplace(key, value);
  request.if_none_match = req.get_header_value("If-None-Match");
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace(std::move(lower), value);
  }
  return request;
}

void Reply(const HttpResponse& response, httplib::Response& res) {
  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name, value);
  if (response.status != 304) res.set_content(response.body, response.content_type);
}

std::string ErrorJson(std::string_view reason) {
  std::string out = "{\"error\":\"";
  out.append(reason);  // fixed ASCII reasons only
  out += "\"}";
  return out;
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, prometheus::Registry& r) : options(std::move(o)), registry(r) {}

  HttpServerOptions options;
  prometheus::Registry& registry;
  httplib::Server server;
  std::map<std::string, HttpHandler> post_routes;
  std::map<std::string, HttpHandler> get_routes;
  std::map<std::string, HttpHandler> get_prefix_routes;
  std::atomic<bool> ready{false};
  std::atomic<int> port{0};
  std::mutex mu;  // guards started/stopped and thread
  bool started = false;
  bool stopped = false;
  std::thread thread;
};

HttpServer::HttpServer(HttpServerOptions options, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), registry)) {}

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
  std::lock_guard lock(impl.mu);
  if (impl.started) return absl::FailedPreconditionError("HTTP server already started");
  httplib::Server& server = impl.server;

  // httplib's default sets SO_REUSEPORT, which lets a second process bind the
  // same port and silently share its traffic. SO_REUSEADDR alone still allows a
  // quick restart while old connections sit in TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_payload_max_length(impl.options.max_body_bytes);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);

  server.Get("/metrics", [&impl](const httplib::Request&, httplib::Response& res) {
    prometheus::TextSerializer serializer;
    res.set_content(serializer.Serialize(impl.registry.Collect()), kPrometheusText);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", kJson);
  });
  server.Get("/readyz", [&impl](const httplib::Request&, httplib::Response& res) {
    if (impl.ready.load()) {
      res.set_content("{\"ready\":true}", kJson);
    } else {
      res.status = 503;
      res.set_content("{\"ready\":false}", kJson);
    }
  });
  for (const auto& route : impl.get_prefix_routes) {
    const auto& handler = route.second;
    // One character class: linear-time matching, no backtracking.
    server.Get(LiteralPattern(route.first) + "[A-Za-z0-9._-]+",
               [&handler](const httplib::Request& req, httplib::Response& res) {
                 Reply(handler(ToHttpRequest(req)), res);
               });
  }
  for (const auto& route : impl.get_routes) {
    const auto& handler = route.second;
    server.Get(LiteralPattern(route.first),
               [&handler](const httplib::Request& req, httplib::Response& res) {
                 Reply(handler(ToHttpRequest(req)), res);
               });
  }
  for (const auto& route : impl.post_routes) {
    const auto& handler = route.second;
    server.Post(LiteralPattern(route.first),
                [&handler](const httplib::Request& req, httplib::Response& res) {
                  Reply(handler(ToHttpRequest(req)), res);
                });
  }
  // Errors httplib produces itself (413 before any handler, 404, 400) answer in
  // JSON like every other response; handler bodies are left alone.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [&impl](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        switch (res.status) {
          case 404:
            res.set_content(ErrorJson("not found"), kJson);
            break;
          case 413:
            res.set_content(ErrorJson(absl::StrCat("request body larger than ",
                                                   impl.options.max_body_bytes, " bytes")),
                            kJson);
            break;
          default:
            res.set_content(ErrorJson("bad request"), kJson);
            break;
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  // httplib would otherwise put the exception text in a response header.
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
        res.status = 500;
        res.set_content(ErrorJson("internal error"), kJson);
      });

  int port = impl.options.port;
  if (port == 0) {
    port = server.bind_to_any_port(impl.options.address);
    if (port < 0) port = 0;
  } else if (!server.bind_to_port(impl.options.address, port)) {
    port = 0;
  }
  if (port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve HTTP on ", impl.options.address, ":", impl.options.port));
  }
  impl.port.store(port);
  impl.started = true;
  // The socket already listens; this thread only accepts and hands each
  // connection to httplib's worker pool.
  impl.thread = std::thread([&server] { server.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs; waiting here makes
  // Stop() right after Start() safe. The loop starts within microseconds.
  for (int i = 0; i < 5000 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->port.load(); }

void HttpServer::SetReady(bool ready) { impl_->ready.store(ready); }

void HttpServer::Stop() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ready.store(false);
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace carecast::common
