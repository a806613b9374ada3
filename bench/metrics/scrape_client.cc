#include "bench/metrics/scrape_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace carecast::bench {

ScrapeClient::~ScrapeClient() {
  if (fd_ >= 0) close(fd_);
}

absl::Status ScrapeClient::Connect() {
  if (fd_ >= 0) close(fd_);
  buffer_.clear();
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScrapeClient::Exchange() {
  static constexpr char kRequest[] = "GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n";
  if (send(fd_, kRequest, sizeof(kRequest) - 1, MSG_NOSIGNAL) != sizeof(kRequest) - 1)
    return absl::UnavailableError("send failed");
  size_t header_end = std::string::npos;
  size_t body_size = 0;
  char chunk[1 << 16];
  while (true) {
    if (header_end == std::string::npos) {
      header_end = buffer_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::string head = absl::AsciiStrToLower(buffer_.substr(0, header_end));
        const size_t at = head.find("content-length:");
        if (head.compare(0, 12, "http/1.1 200") != 0 || at == std::string::npos)
          return absl::InternalError(absl::StrCat("bad response: ", buffer_.substr(0, 200)));
        const size_t eol = head.find("\r\n", at);
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(head.substr(at + 15, eol - at - 15)),
                              &body_size))
          return absl::InternalError("bad Content-Length");
        buffer_.reserve(header_end + 4 + body_size);
      }
    }
    if (header_end != std::string::npos && buffer_.size() >= header_end + 4 + body_size) {
      std::string body = buffer_.substr(header_end + 4, body_size);
      buffer_.erase(0, header_end + 4 + body_size);
      return body;
    }
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return absl::UnavailableError("connection closed");
    }
  }
}

absl::StatusOr<std::string> ScrapeClient::Scrape() {
  if (fd_ < 0) {
    if (absl::Status s = Connect(); !s.ok()) return s;
  }
  absl::StatusOr<std::string> body = Exchange();
  if (body.ok() || body.status().code() != absl::StatusCode::kUnavailable) return body;
  if (absl::Status s = Connect(); !s.ok()) return s;  // the server closed an idle connection
  return Exchange();
}

}  // namespace carecast::bench
