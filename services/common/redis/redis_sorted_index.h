// SortedIndex on Redis sorted sets. Index `name` lives at key <prefix>idx:<name>,
// marker `m` at <prefix>marker:<m>. PopUpTo runs as one Lua script, so it is
// atomic across clients. Thread-safe as the RedisClient is; errors are the
// client's (UNAVAILABLE when Redis cannot be reached).
#pragma once

#include <string>
#include <vector>

#include "services/common/redis/redis_client.h"
#include "services/common/redis/sorted_index.h"

namespace carecast::common {

class RedisSortedIndex final : public SortedIndex {
 public:
  // `prefix` namespaces every key, e.g. "carecast:". `client` must outlive this.
  RedisSortedIndex(RedisClient& client, std::string prefix);

  absl::Status Add(std::string_view index, const std::vector<ScoredMember>& members) override;
  absl::Status Remove(std::string_view index, std::string_view member) override;
  absl::StatusOr<std::vector<ScoredMember>> RangeByScore(std::string_view index, double min,
                                                         double max, size_t offset,
                                                         size_t limit) override;
  absl::StatusOr<int64_t> Count(std::string_view index, double min, double max) override;
  absl::StatusOr<std::vector<ScoredMember>> PopUpTo(std::string_view index, double max,
                                                    size_t limit) override;
  absl::StatusOr<bool> HasMarker(std::string_view marker) override;
  absl::Status SetMarker(std::string_view marker) override;

  // Every Redis command this class sends (ZADD, ZREM, ...), for pre-creating
  // their metric series.
  static std::vector<std::string> Commands();

 private:
  std::string IndexKey(std::string_view index) const;
  std::string MarkerKey(std::string_view marker) const;

  RedisClient& client_;
  const std::string prefix_;
};

// A score as Redis reads it back exactly: "-inf", "+inf" or 17 significant digits.
std::string RedisScore(double score);

}  // namespace carecast::common
