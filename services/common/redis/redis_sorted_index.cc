#include "services/common/redis/redis_sorted_index.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

// Members per ZADD: bounds one command's size; the commands still share one
// round trip through Pipeline.
constexpr size_t kAddChunk = 512;

// Takes and removes the lowest-scored members in one step, so no two callers
// ever receive the same member.
constexpr char kPopScript[] = R"lua(
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #items, 2 do
  redis.call('ZREM', KEYS[1], items[i])
end
return items
)lua";

// LIMIT's count: -1 means "all" to Redis.
std::string LimitCount(size_t limit) {
  if (limit > static_cast<size_t>(std::numeric_limits<int64_t>::max())) return "-1";
  return absl::StrCat(limit);
}

absl::StatusOr<std::vector<ScoredMember>> ParseWithScores(const RedisReply& reply) {
  if (reply.kind != RedisReply::Kind::kArray || reply.elements.size() % 2 != 0) {
    return absl::InternalError("redis: unexpected reply to a WITHSCORES range");
  }
  std::vector<ScoredMember> out;
  out.reserve(reply.elements.size() / 2);
  for (size_t i = 0; i < reply.elements.size(); i += 2) {
    ScoredMember m;
    m.member = reply.elements[i].str;
    if (!absl::SimpleAtod(reply.elements[i + 1].str, &m.score)) {
      return absl::InternalError("redis: unparsable score");
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::string RedisScore(double score) {
  if (std::isinf(score)) return score > 0 ? "+inf" : "-inf";
  return absl::StrFormat("%.17g", score);
}

RedisSortedIndex::RedisSortedIndex(RedisClient& client, std::string prefix)
    : client_(client), prefix_(std::move(prefix)) {}

std::string RedisSortedIndex::IndexKey(std::string_view index) const {
  return absl::StrCat(prefix_, "idx:", AsAbsl(index));
}

std::string RedisSortedIndex::MarkerKey(std::string_view marker) const {
  return absl::StrCat(prefix_, "marker:", AsAbsl(marker));
}

absl::Status RedisSortedIndex::Add(std::string_view index,
                                   const std::vector<ScoredMember>& members) {
  if (members.empty()) return absl::OkStatus();
  for (const auto& m : members) {
    if (std::isnan(m.score)) return absl::InvalidArgumentError("score is NaN");
  }
  const std::string key = IndexKey(index);
  std::vector<std::vector<std::string>> commands;
  for (size_t start = 0; start < members.size(); start += kAddChunk) {
    std::vector<std::string> cmd = {"ZADD", key};
    for (size_t i = start; i < std::min(members.size(), start + kAddChunk); ++i) {
      cmd.push_back(RedisScore(members[i].score));
      cmd.push_back(members[i].member);
    }
    commands.push_back(std::move(cmd));
  }
  absl::StatusOr<std::vector<RedisReply>> replies = client_.Pipeline(commands);
  return replies.status();
}

std::vector<std::string> RedisSortedIndex::Commands() {
  return {"ZADD", "ZREM", "ZRANGEBYSCORE", "ZCOUNT", "EVAL", "EXISTS", "SET"};
}

absl::Status RedisSortedIndex::Remove(std::string_view index, std::string_view member) {
  return client_.Command({"ZREM", IndexKey(index), std::string(member)}).status();
}

absl::StatusOr<std::vector<ScoredMember>> RedisSortedIndex::RangeByScore(std::string_view index,
                                                                         double min, double max,
                                                                         size_t offset,
                                                                         size_t limit) {
  if (limit == 0) return std::vector<ScoredMember>{};
  absl::StatusOr<RedisReply> reply =
      client_.Command({"ZRANGEBYSCORE", IndexKey(index), RedisScore(min), RedisScore(max),
                       "WITHSCORES", "LIMIT", absl::StrCat(offset), LimitCount(limit)});
  if (!reply.ok()) return reply.status();
  return ParseWithScores(*reply);
}

absl::StatusOr<int64_t> RedisSortedIndex::Count(std::string_view index, double min, double max) {
  absl::StatusOr<RedisReply> reply =
      client_.Command({"ZCOUNT", IndexKey(index), RedisScore(min), RedisScore(max)});
  if (!reply.ok()) return reply.status();
  if (reply->kind != RedisReply::Kind::kInteger) {
    return absl::InternalError("redis: ZCOUNT did not return an integer");
  }
  return static_cast<int64_t>(reply->integer);
}

absl::StatusOr<std::vector<ScoredMember>> RedisSortedIndex::PopUpTo(std::string_view index,
                                                                    double max, size_t limit) {
  if (limit == 0) return std::vector<ScoredMember>{};
  absl::StatusOr<RedisReply> reply = client_.Command(
      {"EVAL", kPopScript, "1", IndexKey(index), RedisScore(max), LimitCount(limit)});
  if (!reply.ok()) return reply.status();
  return ParseWithScores(*reply);
}

absl::StatusOr<bool> RedisSortedIndex::HasMarker(std::string_view marker) {
  absl::StatusOr<RedisReply> reply = client_.Command({"EXISTS", MarkerKey(marker)});
  if (!reply.ok()) return reply.status();
  return reply->kind == RedisReply::Kind::kInteger && reply->integer > 0;
}

absl::Status RedisSortedIndex::SetMarker(std::string_view marker) {
  return client_.Command({"SET", MarkerKey(marker), "1"}).status();
}

}  // namespace carecast::common
