#include "services/publisher/channels/redis_rate_limiter.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <openssl/evp.h>

namespace carecast::publisher {
namespace {

// Both scripts read "now" from ARGV[1] (the caller's clock) and never call
// TIME, so they are deterministic and replicate as scripts or as effects alike.
// A missing field reads as nil (remaining) or -inf (times): "not known".

// RateBucketState::Acquire. Returns the wait in ms (0: go, one call taken).
constexpr char kAcquireScript[] = R"lua(
local now = tonumber(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'remaining', 'reset_ms', 'blocked_until_ms')
local remaining = tonumber(v[1])
local reset = tonumber(v[2]) or -math.huge
local blocked = tonumber(v[3]) or -math.huge
if blocked > now then return blocked - now end
if remaining ~= nil and reset > now then
  if remaining <= 0 then return reset - now end
  redis.call('HSET', KEYS[1], 'remaining', string.format('%d', remaining - 1))
  return 0
end
if remaining ~= nil then redis.call('HDEL', KEYS[1], 'remaining') end
return 0
)lua";

// RateBucketState::Observe, then the TTL. ARGV: now, idle ttl, longest horizon
// kept (both ms), then the signal's blocked_until, remaining and reset ('' when
// the answer did not say).
constexpr char kObserveScript[] = R"lua(
local key = KEYS[1]
local now = tonumber(ARGV[1])
local idle = tonumber(ARGV[2])
local max_horizon = tonumber(ARGV[3])
local s_blocked = tonumber(ARGV[4])
local s_remaining = tonumber(ARGV[5])
local s_reset = tonumber(ARGV[6])
local v = redis.call('HMGET', key, 'remaining', 'reset_ms', 'blocked_until_ms')
local remaining = tonumber(v[1])
local reset = tonumber(v[2]) or -math.huge
local blocked = tonumber(v[3]) or -math.huge
local changed = false
if s_blocked ~= nil and s_blocked > blocked then
  blocked = s_blocked
  redis.call('HSET', key, 'blocked_until_ms', string.format('%d', blocked))
  changed = true
end
if s_remaining ~= nil then
  local signal_reset = s_reset or reset
  if signal_reset > reset or remaining == nil then
    redis.call('HSET', key, 'remaining', string.format('%d', s_remaining))
    if signal_reset > -math.huge then
      redis.call('HSET', key, 'reset_ms', string.format('%d', signal_reset))
    else
      redis.call('HDEL', key, 'reset_ms')
    end
    reset = signal_reset
    changed = true
  elseif signal_reset == reset and s_remaining < remaining then
    redis.call('HSET', key, 'remaining', string.format('%d', s_remaining))
    changed = true
  end
end
if changed then
  local horizon = math.max(reset, blocked)
  local ttl = idle
  if horizon > now then ttl = ttl + math.min(horizon - now, max_horizon) end
  redis.call('PEXPIRE', key, string.format('%d', ttl))
end
if changed then return 1 end
return 0
)lua";

// A bucket is kept at most this far past now (plus idle_ttl), whatever a
// network says: a reset years away is a bug, not a budget.
constexpr absl::Duration kMaxHorizon = absl::Hours(24 * 30);

// Lua numbers are doubles: every millisecond value handed to the scripts stays
// well inside 2^53 so it round-trips exactly.
constexpr int64_t kMaxMillis = int64_t{1} << 50;

int64_t Millis(absl::Time t) {
  return std::clamp<int64_t>(absl::ToUnixMillis(t), -kMaxMillis, kMaxMillis);
}

std::string OptionalMillis(const std::optional<absl::Time>& t) {
  return t ? absl::StrCat(Millis(*t)) : std::string();
}

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    // Without the digest every call goes through EVAL, which still works.
    return std::string();
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(common::RedisClient& redis, const common::Clock& clock,
                                   common::Logger& logger, RedisRateLimiterOptions options)
    : redis_(redis),
      clock_(clock),
      logger_(logger),
      options_(std::move(options)),
      acquire_{kAcquireScript, Sha1Hex(kAcquireScript)},
      observe_{kObserveScript, Sha1Hex(kObserveScript)} {}

std::string RedisRateLimiter::KeyOf(const RateBucket& bucket) const {
  return absl::StrCat(options_.key_prefix, bucket.Key());
}

absl::StatusOr<common::RedisReply> RedisRateLimiter::Run(const Script& script,
                                                         const std::string& key,
                                                         const std::vector<std::string>& args) {
  auto command = [&](std::string verb, const std::string& body) {
    std::vector<std::string> c = {std::move(verb), body, "1", key};
    c.insert(c.end(), args.begin(), args.end());
    return c;
  };
  if (!script.sha1.empty()) {
    absl::StatusOr<common::RedisReply> reply = redis_.Command(command("EVALSHA", script.sha1));
    // A Redis that restarted (or failed over) has forgotten the script; EVAL
    // runs it and loads it again. Any other answer is final.
    if (reply.ok() || !absl::StartsWith(reply.status().message(), "redis: NOSCRIPT")) return reply;
  }
  return redis_.Command(command("EVAL", script.source));
}

absl::StatusOr<absl::Duration> RedisRateLimiter::Acquire(const RateBucket& bucket) {
  const absl::Time now = clock_.Now();
  absl::StatusOr<common::RedisReply> reply =
      Run(acquire_, KeyOf(bucket), {absl::StrCat(Millis(now))});
  if (!reply.ok()) {
    // Whatever went wrong, the budget is unknown: the caller must not send.
    return absl::UnavailableError(
        absl::StrCat("rate budget store unavailable: ", reply.status().message()));
  }
  if (reply->kind != common::RedisReply::Kind::kInteger) {
    return absl::UnavailableError("rate budget store gave an unexpected answer");
  }
  return absl::Milliseconds(std::max<long long>(reply->integer, 0));
}

void RedisRateLimiter::Observe(const RateBucket& bucket, const RateSignal& signal) {
  if (!signal.blocked_until && !signal.remaining) return;  // nothing the rules use
  const absl::Time now = clock_.Now();
  absl::StatusOr<common::RedisReply> reply = Run(
      observe_, KeyOf(bucket),
      {absl::StrCat(Millis(now)), absl::StrCat(absl::ToInt64Milliseconds(options_.idle_ttl)),
       absl::StrCat(absl::ToInt64Milliseconds(kMaxHorizon)), OptionalMillis(signal.blocked_until),
       signal.remaining ? absl::StrCat(*signal.remaining) : std::string(),
       OptionalMillis(signal.reset)});
  if (reply.ok()) return;
  {
    std::lock_guard lock(log_mu_);
    if (now - last_observe_log_ < options_.observe_log_interval) return;
    last_observe_log_ = now;
  }
  // Losing this signal only means the next call goes out on what was known
  // before; the network's next answer says it again.
  logger_.Warn("cannot record a rate-limit signal; the budget is unknown until the next answer",
               {{"network", bucket.network},
                {"scope", bucket.scope},
                {"error", std::string(reply.status().message())}});
}

}  // namespace carecast::publisher
