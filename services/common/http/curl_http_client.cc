#include "services/common/http/curl_http_client.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include <curl/curl.h>

namespace carecast::common {
namespace {

// curl_global_init is not thread-safe; run it once before the first handle.
void GlobalInitOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

struct ReplyBuffer {
  HttpReply* reply = nullptr;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* buffer = static_cast<ReplyBuffer*>(user);
  size_t bytes = size * count;
  if (buffer->reply->body.size() + bytes > buffer->max_bytes) {
    buffer->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  buffer->reply->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* buffer = static_cast<ReplyBuffer*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  // A new status line (after a 100 Continue or a redirect) starts a new header set.
  if (line.substr(0, 5) == "HTTP/") {
    buffer->reply->headers.clear();
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name = absl::AsciiStrToLower(std::string(line.substr(0, colon)));
  std::string raw(line.substr(colon + 1));
  buffer->reply->headers.emplace_back(std::move(name),
                                      std::string(absl::StripAsciiWhitespace(raw)));
  return bytes;
}

// The host part of `url`, for error messages (never the path or query, which
// may carry tokens).
std::string HostOf(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  size_t end = rest.find_first_of("/?#");
  return std::string(rest.substr(0, end));
}

absl::Status TransportError(CURLcode code, bool too_large, std::string_view url) {
  std::string where = absl::StrCat(HostOf(url), ": ", curl_easy_strerror(code));
  if (too_large) return absl::ResourceExhaustedError(absl::StrCat(where, " (reply too large)"));
  switch (code) {
    // The request cannot have reached the server.
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::UnavailableError(where);
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(where);
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(where);
    default:
      // Sent or partly sent: the server may have acted on it.
      return absl::InternalError(where);
  }
}

bool KnownMethod(std::string_view method) {
  return method == "GET" || method == "POST" || method == "PUT" || method == "PATCH" ||
         method == "DELETE";
}

}  // namespace

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) : options_(std::move(options)) {
  GlobalInitOnce();
}

CurlHttpClient::~CurlHttpClient() {
  std::lock_guard lock(mu_);
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* CurlHttpClient::TakeHandle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void CurlHttpClient::ReturnHandle(void* handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(handle);
}

absl::StatusOr<HttpReply> CurlHttpClient::Send(const HttpCall& call) {
  if (!KnownMethod(call.method))
    return absl::InvalidArgumentError(absl::StrCat("unsupported HTTP method ", call.method));
  if (!absl::StartsWith(call.url, "https://") && !absl::StartsWith(call.url, "http://"))
    return absl::InvalidArgumentError("URL must start with http:// or https://");
  if (call.timeout <= absl::ZeroDuration())
    return absl::DeadlineExceededError(absl::StrCat(HostOf(call.url), ": no time left"));

  CURL* curl = static_cast<CURL*>(TakeHandle());
  if (curl == nullptr) return absl::UnavailableError("cannot create a curl handle");
  // reset keeps the handle's connection cache and TLS sessions, drops options.
  curl_easy_reset(curl);

  HttpReply reply;
  ReplyBuffer buffer{&reply, options_.max_response_bytes, false};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : call.headers)
    headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  // libcurl would otherwise add "Expect: 100-continue" to larger bodies.
  headers = curl_slist_append(headers, "Expect:");

  int64_t timeout_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(call.timeout));
  int64_t connect_ms =
      std::min<int64_t>(timeout_ms, absl::ToInt64Milliseconds(options_.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_ms));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a create must never be replayed
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &buffer);
  if (call.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }

  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    // A handle whose transfer broke may hold a half-used connection; drop it.
    curl_easy_cleanup(curl);
    return TransportError(code, buffer.too_large, call.url);
  }
  ReturnHandle(curl);
  reply.status = static_cast<int>(status);
  return reply;
}

}  // namespace carecast::common
