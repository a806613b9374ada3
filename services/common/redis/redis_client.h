// The hiredis adapter: one connection with reconnect-on-error and pipelining.
// The only file family that includes hiredis.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/redis/redis_observer.h"

namespace carecast::common {

struct RedisOptions {
  std::string url;  // redis://[:password@]host:port[/db]
  std::string password;
  absl::Duration timeout = absl::Seconds(2);  // connect and per-command
  // Told about every call and connection change; must outlive the client. May be null.
  RedisObserver* observer = nullptr;
};

// A reply: nil, integer, string (bulk or status), or an array of replies.
struct RedisReply {
  enum class Kind { kNil, kInteger, kString, kArray };
  Kind kind = Kind::kNil;
  long long integer = 0;
  std::string str;
  std::vector<RedisReply> elements;
};

// Thread-safe (one mutex around the connection). A command that fails on a broken
// connection reconnects once and retries only when it did not reach Redis;
// otherwise UNAVAILABLE. A Redis error reply is INTERNAL with Redis's message.
class RedisClient {
 public:
  static absl::StatusOr<std::unique_ptr<RedisClient>> Connect(const RedisOptions& options,
                                                              Logger& logger);
  virtual ~RedisClient() = default;
  virtual absl::StatusOr<RedisReply> Command(const std::vector<std::string>& args) = 0;
  // Sends every command, then reads every reply: one round trip.
  virtual absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands) = 0;
};

}  // namespace carecast::common
