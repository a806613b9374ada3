// A Prometheus-like scraper for the bench: one kept-alive HTTP/1.1 connection to
// 127.0.0.1, GET /metrics again and again, each body read whole by its
// Content-Length (Prometheus reuses its connection between scrapes too).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace carecast::bench {

class ScrapeClient {
 public:
  explicit ScrapeClient(int port) : port_(port) {}
  ~ScrapeClient();
  ScrapeClient(const ScrapeClient&) = delete;
  ScrapeClient& operator=(const ScrapeClient&) = delete;

  // The body of one GET /metrics; reconnects when the server closed the connection.
  absl::StatusOr<std::string> Scrape();

 private:
  absl::Status Connect();
  absl::StatusOr<std::string> Exchange();

  const int port_;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the previous response
};

}  // namespace carecast::bench
