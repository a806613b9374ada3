#include "services/common/redis/redis_url.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "services/common/redis/redis_sorted_index.h"

namespace carecast::common {
namespace {

TEST(ParseRedisUrlTest, HostOnlyUsesDefaults) {
  auto e = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0);
  EXPECT_TRUE(e->user.empty());
  EXPECT_TRUE(e->password.empty());
}

TEST(ParseRedisUrlTest, PortDbAndPassword) {
  auto e = ParseRedisUrl("redis://:s3cr%40t@127.0.0.1:6380/2");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 2);
  EXPECT_TRUE(e->user.empty());
  EXPECT_EQ(e->password, "s3cr@t");
}

TEST(ParseRedisUrlTest, UserAndPasswordAndLoneCredential) {
  auto acl = ParseRedisUrl("redis://app:pw@h:1/");
  ASSERT_TRUE(acl.ok()) << acl.status();
  EXPECT_EQ(acl->user, "app");
  EXPECT_EQ(acl->password, "pw");
  EXPECT_EQ(acl->db, 0);
  auto lone = ParseRedisUrl("redis://onlypass@h");
  ASSERT_TRUE(lone.ok());
  EXPECT_TRUE(lone->user.empty());
  EXPECT_EQ(lone->password, "onlypass");
  // The last '@' ends the credentials.
  auto at = ParseRedisUrl("redis://:p@ss@h:7");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->password, "p@ss");
  EXPECT_EQ(at->host, "h");
}

TEST(ParseRedisUrlTest, Ipv6) {
  auto e = ParseRedisUrl("redis://[::1]:7000/3");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->db, 3);
  auto no_port = ParseRedisUrl("redis://[fe80::1]");
  ASSERT_TRUE(no_port.ok());
  EXPECT_EQ(no_port->port, 6379);
}

TEST(ParseRedisUrlTest, RejectsBadUrls) {
  for (const char* url : {"", "localhost:6379", "rediss://h:6379", "http://h", "redis://",
                          "redis://:6379", "redis://h:", "redis://h:0", "redis://h:65536",
                          "redis://h:12a", "redis://h/x", "redis://h/-1", "redis://h/1?timeout=1",
                          "redis://[::1", "redis://[::1]x", "redis://:p%zz@h", "redis://:p%4@h"}) {
    EXPECT_EQ(ParseRedisUrl(url).status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
}

TEST(RedisScoreTest, RoundTripsAndInfinities) {
  EXPECT_EQ(RedisScore(1.5), "1.5");
  EXPECT_EQ(RedisScore(-2), "-2");
  EXPECT_EQ(RedisScore(1700000000123.0), "1700000000123");
  EXPECT_EQ(RedisScore(std::numeric_limits<double>::infinity()), "+inf");
  EXPECT_EQ(RedisScore(-std::numeric_limits<double>::infinity()), "-inf");
  const double third = 1.0 / 3.0;
  EXPECT_EQ(std::stod(RedisScore(third)), third);
}

}  // namespace
}  // namespace carecast::common
