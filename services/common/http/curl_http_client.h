// HttpClient over libcurl (the only file that includes curl). Keeps a pool of
// easy handles so connections (and TLS sessions) are reused across calls; TLS
// peer and host verification are always on; the standard proxy variables
// (https_proxy, http_proxy, no_proxy, all_proxy) are honoured by libcurl.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/http/http_client.h"

namespace carecast::common {

struct CurlHttpClientOptions {
  // Replies with a larger body fail with RESOURCE_EXHAUSTED (1 MiB).
  size_t max_response_bytes = size_t{1} << 20;
  // Connecting (TCP and TLS) must finish within this, inside the call's timeout (5s).
  absl::Duration connect_timeout = absl::Seconds(5);
  // A CA bundle to trust instead of the system's (empty: the system store).
  std::string ca_file;
  // Sent as User-Agent.
  std::string user_agent = "CareCast/1";
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpReply> Send(const HttpCall& call) override;

 private:
  void* TakeHandle();
  void ReturnHandle(void* handle);

  const CurlHttpClientOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);  // CURL* easy handles
};

}  // namespace carecast::common
