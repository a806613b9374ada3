#include "services/common/redis/redis_client.h"

#include <poll.h>
#include <sys/time.h>

#include <csignal>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <hiredis/hiredis.h>

#include "services/common/redis/redis_url.h"

namespace carecast::common {
namespace {

// After a failed connect, commands fail fast for this long instead of each
// paying a connect attempt against a Redis that is down.
constexpr absl::Duration kReconnectHoldOff = absl::Milliseconds(100);

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

RedisReply Convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:  // only nested (EXEC); a top-level error becomes a Status
      out.kind = RedisReply::Kind::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
      break;
    case REDIS_REPLY_NIL:
    default:
      out.kind = RedisReply::Kind::kNil;
      break;
  }
  return out;
}

class HiredisClient final : public RedisClient {
 public:
  HiredisClient(RedisEndpoint endpoint, absl::Duration timeout, RedisObserver* observer,
                Logger& logger)
      : endpoint_(std::move(endpoint)), timeout_(timeout), observer_(observer), logger_(logger) {}
  ~HiredisClient() override { Drop(); }

  absl::Status ConnectNow() {
    std::lock_guard lock(mu_);
    return EnsureConnected();
  }

  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& args) override {
    absl::StatusOr<std::vector<RedisReply>> replies = Pipeline({args});
    if (!replies.ok()) return replies.status();
    return std::move(replies->front());
  }

  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands) override {
    std::vector<RedisReply> replies;
    if (commands.empty()) return replies;
    for (const auto& c : commands) {
      if (c.empty()) return absl::InvalidArgumentError("empty redis command");
    }
    std::lock_guard lock(mu_);
    if (observer_ == nullptr) return PipelineLocked(commands);
    const absl::Time start = absl::Now();
    absl::StatusOr<std::vector<RedisReply>> result = PipelineLocked(commands);
    observer_->CommandDone(RedisOpLabel(commands), absl::Now() - start, result.ok());
    return result;
  }

 private:
  // Pipeline() with mu_ held.
  absl::StatusOr<std::vector<RedisReply>> PipelineLocked(
      const std::vector<std::vector<std::string>>& commands) {
    std::vector<RedisReply> replies;
    for (int attempt = 0;; ++attempt) {
      if (absl::Status s = EnsureConnected(); !s.ok()) return s;
      for (const auto& c : commands) Append(c);
      std::optional<bool> sent_nothing = Flush();
      if (sent_nothing.has_value()) {
        const std::string error = ctx_->errstr;
        Lost(error);
        // Retrying is safe only when not a byte left: then Redis cannot have
        // run any of the commands.
        if (*sent_nothing && attempt == 0) continue;
        return absl::UnavailableError(absl::StrCat("redis write failed: ", error));
      }
      break;
    }
    absl::Status first_error = absl::OkStatus();
    replies.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK) {
        const std::string error = ctx_->errstr;
        Lost(error);
        return absl::UnavailableError(
            absl::StrCat("redis read failed (the command may have run): ", error));
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR && first_error.ok()) {
        first_error =
            absl::InternalError(absl::StrCat("redis: ", std::string(reply->str, reply->len)));
      }
      replies.push_back(Convert(*reply));
    }
    if (!first_error.ok()) return first_error;
    return replies;
  }

  void Append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    argv.reserve(args.size());
    argvlen.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      argvlen.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), argvlen.data());
  }

  // Writes the output buffer. nullopt on success; on failure, whether nothing
  // at all reached the socket.
  std::optional<bool> Flush() {
    const size_t before = sdslen(ctx_->obuf);
    int done = 0;
    while (!done) {
      if (redisBufferWrite(ctx_, &done) != REDIS_OK) return sdslen(ctx_->obuf) == before;
    }
    return std::nullopt;
  }

  // A connection Redis closed while idle reads as ready (EOF) before we send:
  // catching that here lets a restart cost no command at all.
  bool Stale() const {
    pollfd p{ctx_->fd, POLLIN, 0};
    return poll(&p, 1, 0) != 0;
  }

  absl::Status EnsureConnected() {
    if (ctx_ != nullptr && ctx_->err == 0 && !Stale()) return absl::OkStatus();
    if (ctx_ != nullptr) Lost(ctx_->err != 0 ? ctx_->errstr : "connection closed by redis");
    const absl::Time now = absl::Now();
    if (now - last_failed_connect_ < kReconnectHoldOff) {
      return absl::UnavailableError(absl::StrCat("redis unreachable: ", last_error_));
    }
    redisContext* c =
        redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, absl::ToTimeval(timeout_));
    if (c == nullptr || c->err != 0) {
      last_error_ = c == nullptr ? "cannot allocate context" : c->errstr;
      if (c != nullptr) redisFree(c);
      last_failed_connect_ = now;
      if (observer_ != nullptr) observer_->ConnectionChanged(false);
      return absl::UnavailableError(absl::StrCat("redis unreachable at ", endpoint_.host, ":",
                                                 endpoint_.port, ": ", last_error_));
    }
    redisSetTimeout(c, absl::ToTimeval(timeout_));
    ctx_ = c;
    if (absl::Status s = Handshake(); !s.ok()) {
      Drop();
      last_failed_connect_ = now;
      last_error_ = std::string(s.message());
      if (observer_ != nullptr) observer_->ConnectionChanged(false);
      return s;
    }
    if (observer_ != nullptr) observer_->ConnectionChanged(true);
    if (ever_connected_) {
      logger_.Info("redis: reconnected",
                   {{"host", endpoint_.host}, {"port", int64_t{endpoint_.port}}});
    }
    ever_connected_ = true;
    return absl::OkStatus();
  }

  // AUTH and SELECT on a fresh connection.
  absl::Status Handshake() {
    std::vector<std::vector<std::string>> setup;
    if (!endpoint_.password.empty()) {
      if (endpoint_.user.empty()) {
        setup.push_back({"AUTH", endpoint_.password});
      } else {
        setup.push_back({"AUTH", endpoint_.user, endpoint_.password});
      }
    }
    if (endpoint_.db != 0) setup.push_back({"SELECT", absl::StrCat(endpoint_.db)});
    for (const auto& cmd : setup) {
      Append(cmd);
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK) {
        return absl::UnavailableError(absl::StrCat("redis handshake failed: ", ctx_->errstr));
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR) {
        // Never echo the command: it holds the password.
        return cmd.front() == "AUTH"
                   ? absl::PermissionDeniedError("redis AUTH was refused")
                   : absl::InvalidArgumentError(absl::StrCat("redis SELECT failed: ",
                                                             std::string(reply->str, reply->len)));
      }
    }
    return absl::OkStatus();
  }

  void Lost(const std::string& error) {
    logger_.Warn("redis: connection lost",
                 {{"host", endpoint_.host}, {"port", int64_t{endpoint_.port}}, {"error", error}});
    Drop();
    if (observer_ != nullptr) observer_->ConnectionChanged(false);
  }

  void Drop() {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
  }

  const RedisEndpoint endpoint_;
  const absl::Duration timeout_;
  RedisObserver* const observer_;  // may be null
  Logger& logger_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;  // guarded by mu_; null while disconnected
  bool ever_connected_ = false;  // guarded by mu_
  absl::Time last_failed_connect_ = absl::InfinitePast();  // guarded by mu_
  std::string last_error_;                                 // guarded by mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisOptions& options,
                                                                  Logger& logger) {
  absl::StatusOr<RedisEndpoint> endpoint = ParseRedisUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  if (!options.password.empty()) endpoint->password = options.password;
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("redis timeout must be positive");
  }
  // hiredis writes with write(2): a peer that went away must surface as EPIPE,
  // not kill the process.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  auto client = std::make_unique<HiredisClient>(*std::move(endpoint), options.timeout,
                                                options.observer, logger);
  if (absl::Status s = client->ConnectNow(); !s.ok()) return s;
  return std::unique_ptr<RedisClient>(std::move(client));
}

}  // namespace carecast::common
