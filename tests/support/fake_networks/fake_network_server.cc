#include "tests/support/fake_networks/fake_network_server.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <nlohmann/json.hpp>

namespace carecast::testing {
namespace {

// The after-commit fault of the create being handled on this server thread
// (set by BeginCreate, played by FinishCreate).
thread_local std::optional<FakeFault> tls_after_commit;
// When the request being handled on this server thread was received (set by
// the pre-routing handler when a commit log is kept).
thread_local absl::Time tls_arrival = absl::InfinitePast();

}  // namespace

FakeNetworkServer::FakeNetworkServer(std::string network)
    : network_(std::move(network)), http_(std::make_unique<httplib::Server>()) {
  http_->Get(R"(/files/(.+))",
             [this](const httplib::Request& req, httplib::Response& res) { ServeFile(req, res); });
}

void FakeNetworkServer::AddFile(const std::string& name, std::string bytes, std::string mime_type) {
  std::lock_guard lock(files_mu_);
  files_[name] = {std::move(bytes), std::move(mime_type)};
}

bool FakeNetworkServer::HostsFile(const std::string& name) const {
  std::lock_guard lock(files_mu_);
  return files_.contains(name);
}

void FakeNetworkServer::ServeFile(const httplib::Request& req, httplib::Response& res) const {
  std::lock_guard lock(files_mu_);
  auto it = files_.find(req.matches[1]);
  if (it == files_.end()) {
    res.status = 404;
    return;
  }
  res.status = 200;
  res.set_content(it->second.first, it->second.second.c_str());
}

FakeNetworkServer::~FakeNetworkServer() {
  Stop();
  if (commit_log_ != nullptr) std::fclose(commit_log_);
}

void FakeNetworkServer::set_latency(absl::Duration latency) { latency_ = latency; }

void FakeNetworkServer::set_threads(int threads) { threads_ = threads; }

absl::Status FakeNetworkServer::set_commit_log(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  std::lock_guard lock(mu_);
  if (commit_log_ != nullptr) std::fclose(commit_log_);
  commit_log_ = f;
  return absl::OkStatus();
}

absl::Status FakeNetworkServer::Start(int port) {
  int bound = port == 0 ? http_->bind_to_any_port("127.0.0.1")
                        : (http_->bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) return absl::UnavailableError(absl::StrCat(network_, " fake: cannot bind"));
  port_ = bound;
  if (threads_ > 0) {
    const size_t n = static_cast<size_t>(threads_);
    http_->new_task_queue = [n] { return new httplib::ThreadPool(n); };
  }
  http_->set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    tls_arrival = absl::Now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  if (latency_ > absl::ZeroDuration()) {
    const auto latency = absl::ToChronoMicroseconds(latency_);
    http_->set_post_routing_handler([latency](const httplib::Request&, httplib::Response&) {
      std::this_thread::sleep_for(latency);
    });
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib 0.11 (Debian 12) has no wait_until_ready(). The socket already
  // listens, so clients can connect; this only makes sure stop() will see the
  // accept loop running (stop() before it starts would leave join() hanging).
  while (!http_->is_running()) std::this_thread::yield();
  return absl::OkStatus();
}

void FakeNetworkServer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    released_ = true;
  }
  cv_.notify_all();
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeNetworkServer::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void FakeNetworkServer::QueueFault(FakeFault fault) {
  std::lock_guard lock(mu_);
  faults_.push_back(fault);
}

void FakeNetworkServer::set_stall(absl::Duration stall) {
  std::lock_guard lock(mu_);
  stall_ = stall;
}

void FakeNetworkServer::HoldNextCreate() {
  std::lock_guard lock(mu_);
  hold_next_ = true;
  holding_ = false;
  released_ = false;
}

bool FakeNetworkServer::WaitUntilHeld(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return holding_; });
}

void FakeNetworkServer::ReleaseHeld() {
  {
    std::lock_guard lock(mu_);
    released_ = true;
  }
  cv_.notify_all();
}

void FakeNetworkServer::AcceptToken(const std::string& token) {
  std::lock_guard lock(mu_);
  tokens_.insert(token);
  revoked_.erase(token);
}

void FakeNetworkServer::RevokeToken(const std::string& token) {
  std::lock_guard lock(mu_);
  tokens_.erase(token);
  revoked_.insert(token);
}

void FakeNetworkServer::SetRateLimit(int64_t limit, absl::Duration window) {
  std::lock_guard lock(mu_);
  rate_limit_ = limit;
  rate_window_ = window;
  window_start_ = absl::InfinitePast();
  window_used_ = 0;
}

void FakeNetworkServer::SetEngagement(const std::string& id, FakeEngagement engagement) {
  std::lock_guard lock(mu_);
  for (FakePost& post : posts_) {
    if (post.id == id) post.engagement = engagement;
  }
}

void FakeNetworkServer::SetFollowers(const std::string& account, int64_t followers) {
  std::lock_guard lock(mu_);
  followers_[account] = followers;
}

void FakeNetworkServer::QueueReadFault(FakeFault fault) {
  std::lock_guard lock(mu_);
  read_faults_.push_back(fault);
}

bool FakeNetworkServer::BeginRead(httplib::Response& res) {
  std::lock_guard lock(mu_);
  if (read_faults_.empty()) return true;
  FakeFault fault = read_faults_.front();
  read_faults_.pop_front();
  switch (fault) {
    case FakeFault::kRateLimited:
      AnswerRateLimited(res, std::max<int64_t>(rate_limit_, 1), absl::Now() + absl::Seconds(2));
      return false;
    case FakeFault::kTokenExpired:
      AnswerTokenExpired(res);
      return false;
    case FakeFault::kServerErrorBefore:
      AnswerServerError(res, 503);
      return false;
    case FakeFault::kServerErrorAfter:
    case FakeFault::kTimeoutAfterCommit:
    case FakeFault::kDuplicateRefusal:
      return true;  // not a read's failure: served as usual
  }
  return true;
}

int64_t FakeNetworkServer::ServeFollowers(const std::string& account) {
  std::lock_guard lock(mu_);
  ++follower_reads_;
  auto it = followers_.find(account);
  return it == followers_.end() ? 0 : it->second;
}

int64_t FakeNetworkServer::follower_reads() const {
  std::lock_guard lock(mu_);
  return follower_reads_;
}

std::string FakeNetworkServer::AddExistingPost(FakePost post) {
  std::lock_guard lock(mu_);
  if (post.id.empty()) post.id = absl::StrCat(next_id_++);
  if (post.create_time == absl::UnixEpoch()) post.create_time = absl::Now();
  posts_.push_back(post);
  return post.id;
}

int64_t FakeNetworkServer::creates_accepted() const {
  std::lock_guard lock(mu_);
  return creates_;
}

int64_t FakeNetworkServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int64_t FakeNetworkServer::over_limit_requests() const {
  std::lock_guard lock(mu_);
  return over_limit_;
}

std::vector<FakePost> FakeNetworkServer::posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

std::optional<FakePost> FakeNetworkServer::FindPost(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const FakePost& post : posts_) {
    if (post.id == id) return post;
  }
  return std::nullopt;
}

int64_t FakeNetworkServer::CountWithText(const std::string& text) const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const FakePost& post : posts_) {
    if (!post.deleted && post.text == text) ++n;
  }
  return n;
}

bool FakeNetworkServer::Admit(const httplib::Request& req, httplib::Response& res) {
  std::string token = TokenOf(req);
  int64_t limit = 0;
  int64_t remaining = 0;
  absl::Time reset;
  {
    std::lock_guard lock(mu_);
    ++requests_;
    bool known = tokens_.empty() ? !token.empty() : tokens_.count(token) > 0;
    if (!known || revoked_.count(token) > 0) {
      AnswerTokenExpired(res);
      return false;
    }
    if (req.method == "DELETE" && !delete_faults_.empty()) {
      FakeFault fault = delete_faults_.front();
      delete_faults_.pop_front();
      switch (fault) {
        case FakeFault::kRateLimited:
          AnswerRateLimited(res, std::max<int64_t>(rate_limit_, 1), absl::Now() + absl::Seconds(1));
          return false;
        case FakeFault::kTokenExpired:
          AnswerTokenExpired(res);
          return false;
        case FakeFault::kServerErrorBefore:
          AnswerServerError(res, 503);
          return false;
        case FakeFault::kServerErrorAfter:
        case FakeFault::kTimeoutAfterCommit:
        case FakeFault::kDuplicateRefusal:
          break;  // not a delete's failure: served as usual
      }
    }
    if (rate_limit_ > 0) {
      absl::Time now = absl::Now();
      if (now >= window_start_ + rate_window_) {
        window_start_ = now;
        window_used_ = 0;
      }
      reset = window_start_ + rate_window_;
      limit = rate_limit_;
      if (window_used_ >= rate_limit_) {
        ++over_limit_;
        AnswerRateLimited(res, rate_limit_, reset);
        return false;
      }
      ++window_used_;
      remaining = rate_limit_ - window_used_;
    }
  }
  if (limit > 0) AddRateHeaders(res, limit, remaining, reset);
  return true;
}

std::optional<FakeFault> FakeNetworkServer::TakeFault() {
  if (faults_.empty()) return std::nullopt;
  FakeFault fault = faults_.front();
  faults_.pop_front();
  return fault;
}

bool FakeNetworkServer::BeginCreate(httplib::Response& res) {
  tls_after_commit.reset();
  std::unique_lock lock(mu_);
  if (hold_next_) {
    hold_next_ = false;
    holding_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_ || stopping_; });
    holding_ = false;
  }
  std::optional<FakeFault> fault = TakeFault();
  if (!fault) return true;
  switch (*fault) {
    case FakeFault::kRateLimited:
      AnswerRateLimited(res, rate_limit_ > 0 ? rate_limit_ : 1, absl::Now() + absl::Seconds(2));
      return false;
    case FakeFault::kServerErrorBefore:
      AnswerServerError(res, 503);
      return false;
    case FakeFault::kTokenExpired:
      AnswerTokenExpired(res);
      return false;
    case FakeFault::kDuplicateRefusal:
      AnswerDuplicate(res);
      return false;
    case FakeFault::kServerErrorAfter:
    case FakeFault::kTimeoutAfterCommit:
      tls_after_commit = fault;
      return true;
  }
  return true;
}

std::string FakeNetworkServer::Commit(FakePost post) {
  std::lock_guard lock(mu_);
  if (post.id.empty()) post.id = absl::StrCat(next_id_++);
  if (post.create_time == absl::UnixEpoch()) post.create_time = absl::Now();
  ++creates_;
  if (commit_log_ != nullptr) {
    absl::Time arrival = tls_arrival == absl::InfinitePast() ? post.create_time : tls_arrival;
    auto key = post.attributes.find("idempotency_key");
    nlohmann::json entry = {{"arrival_us", absl::ToUnixMicros(arrival)},
                            {"id", post.id},
                            {"key", key == post.attributes.end() ? "" : key->second},
                            {"author", post.author},
                            {"text", post.text}};
    std::string line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), commit_log_);
    std::fflush(commit_log_);
  }
  posts_.push_back(post);
  return post.id;
}

void FakeNetworkServer::FinishCreate(httplib::Response& res) {
  std::optional<FakeFault> fault = std::exchange(tls_after_commit, std::nullopt);
  if (!fault) return;
  if (*fault == FakeFault::kServerErrorAfter) {
    AnswerServerError(res, 500);
    return;
  }
  // kTimeoutAfterCommit: the post is stored; the answer comes too late.
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, absl::ToChronoMilliseconds(stall_), [&] { return stopping_; });
}

void FakeNetworkServer::QueueDeleteFault(FakeFault fault) {
  std::lock_guard lock(mu_);
  delete_faults_.push_back(fault);
}

int64_t FakeNetworkServer::deletes_accepted() const {
  std::lock_guard lock(mu_);
  return deletes_;
}

int64_t FakeNetworkServer::live_posts() const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const FakePost& post : posts_)
    if (!post.deleted) ++n;
  return n;
}

bool FakeNetworkServer::MarkDeleted(const std::string& id) {
  std::lock_guard lock(mu_);
  for (FakePost& post : posts_) {
    if (post.id == id && !post.deleted) {
      post.deleted = true;
      ++deletes_;
      return true;
    }
  }
  return false;
}

bool FakeNetworkServer::UpdatePost(const std::string& id,
                                   const std::function<void(FakePost&)>& update) {
  std::lock_guard lock(mu_);
  for (FakePost& post : posts_) {
    if (post.id == id) {
      update(post);
      return true;
    }
  }
  return false;
}

std::string FakeNetworkServer::TokenOf(const httplib::Request& req) const {
  std::string auth = req.get_header_value("Authorization");
  if (absl::StartsWith(auth, "Bearer ")) return auth.substr(7);
  return "";
}

void FakeNetworkServer::AnswerRateLimited(httplib::Response& res, int64_t /*limit*/,
                                          absl::Time reset) const {
  int64_t wait = std::max<int64_t>(1, absl::ToInt64Seconds(reset - absl::Now()) + 1);
  res.status = 429;
  res.set_header("Retry-After", absl::StrCat(wait));
  res.set_content(R"({"error":"rate limited"})", "application/json");
}

void FakeNetworkServer::AnswerTokenExpired(httplib::Response& res) const {
  res.status = 401;
  res.set_content(R"({"error":"The access token is invalid"})", "application/json");
}

void FakeNetworkServer::AnswerDuplicate(httplib::Response& res) const {
  res.status = 409;
  res.set_content(R"({"error":"duplicate"})", "application/json");
}

void FakeNetworkServer::AnswerServerError(httplib::Response& res, int status) const {
  res.status = status;
  res.set_content(R"({"error":"internal server error"})", "application/json");
}

void FakeNetworkServer::AddRateHeaders(httplib::Response& /*res*/, int64_t /*limit*/,
                                       int64_t /*remaining*/, absl::Time /*reset*/) const {}

}  // namespace carecast::testing
