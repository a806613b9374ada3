#include "services/common/rpc/http_request_parser.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/gzip_encode.h"

namespace carecast::common {
namespace {

using State = HttpRequestParser::State;
using carecast::testing::GzipEncode;
using carecast::testing::GzipOfZeros;

HttpParserLimits Limits(size_t max_body = 1024) {
  HttpParserLimits limits;
  limits.max_body_bytes = max_body;
  limits.max_header_bytes = 512;
  limits.max_headers = 8;
  return limits;
}

std::string Post(const std::string& extra_headers, const std::string& body) {
  return "POST /hook HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n" + body;
}

TEST(HttpRequestParserTest, ChunkedBodyArrivesWholeWhenFedOneByteAtATime) {
  const std::string raw = Post("Transfer-Encoding: chunked\r\n",
                               "5;ext=1\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
  HttpRequestParser parser(Limits());
  State state = State::kNeedMore;
  for (size_t i = 0; i < raw.size(); ++i) {
    ASSERT_EQ(state, State::kNeedMore) << "at byte " << i;
    state = parser.Feed(raw.substr(i, 1));
  }
  ASSERT_EQ(state, State::kComplete) << parser.error().reason;
  EXPECT_EQ(parser.request().body, "hello, world");
  EXPECT_EQ(parser.request().method, "POST");
  EXPECT_EQ(parser.request().path, "/hook");
  EXPECT_TRUE(parser.keep_alive());
}

TEST(HttpRequestParserTest, ChunkOverTheLimitIs413BeforeItsData) {
  HttpRequestParser parser(Limits(1024));
  EXPECT_EQ(parser.Feed(Post("Transfer-Encoding: chunked\r\n", "200\r\n")), State::kNeedMore);
  EXPECT_EQ(parser.Feed(std::string(512, 'a') + "\r\n"), State::kNeedMore);
  // 512 + 513 passes 1024 at the size line, before any of the chunk's bytes.
  EXPECT_EQ(parser.Feed("201\r\n"), State::kError);
  EXPECT_EQ(parser.error().status, 413);
  EXPECT_EQ(parser.error().reason, "request body larger than 1024 bytes");
}

TEST(HttpRequestParserTest, EndlessChunkFramingIs413) {
  // One payload byte per chunk, 400 bytes of extension each: the payload stays
  // tiny, the framing passes max_body_bytes + 4 KiB.
  std::string chunks;
  for (int i = 0; i < 20; ++i) chunks += "1;" + std::string(400, 'e') + "\r\nx\r\n";
  HttpRequestParser parser(Limits(1024));
  EXPECT_EQ(parser.Feed(Post("Transfer-Encoding: chunked\r\n", chunks)), State::kError);
  EXPECT_EQ(parser.error().status, 413);
}

TEST(HttpRequestParserTest, MalformedChunksAre400) {
  for (const char* body : {"zz\r\n", "ffffffffffffffffff\r\n", "5\r\nhelloXX", "5 x\r\n", "\r\n"}) {
    HttpRequestParser parser(Limits());
    EXPECT_EQ(parser.Feed(Post("Transfer-Encoding: chunked\r\n", body)), State::kError) << body;
    EXPECT_EQ(parser.error().status, 400) << body;
    EXPECT_NE(parser.error().reason.find("chunk"), std::string::npos) << parser.error().reason;
  }
}

TEST(HttpRequestParserTest, ContentLengthOverTheLimitIs413WithNoBodyByte) {
  HttpRequestParser parser(Limits(1024));
  EXPECT_EQ(parser.Feed(Post("Content-Length: 52428800\r\n", "")), State::kError);
  EXPECT_EQ(parser.error().status, 413);
}

TEST(HttpRequestParserTest, FramingConflictsAndUnknownCodingsAreRefused) {
  struct Case {
    std::string headers;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", 400},
           {"Content-Length: 3\r\nContent-Length: 4\r\n", 400},
           {"Content-Length: -1\r\n", 400},
           {"Content-Length: 3x\r\n", 400},
           {"Transfer-Encoding: gzip, chunked\r\n", 501},
           {"Content-Encoding: br\r\nContent-Length: 3\r\n", 415},
           {"Content-Encoding: gzip, gzip\r\nContent-Length: 3\r\n", 415},
           {" folded\r\n", 400},
           {"Bad Name: x\r\n", 400},
           {"NoColon\r\n", 400},
       }) {
    HttpRequestParser parser(Limits());
    EXPECT_EQ(parser.Feed(Post(c.headers, "abc")), State::kError) << c.headers;
    EXPECT_EQ(parser.error().status, c.status) << c.headers << parser.error().reason;
    EXPECT_FALSE(parser.error().reason.empty());
  }
}

TEST(HttpRequestParserTest, HeaderLimitsAre431) {
  HttpRequestParser big(Limits());
  EXPECT_EQ(big.Feed("GET / HTTP/1.1\r\nX-Big: " + std::string(600, 'a')), State::kError);
  EXPECT_EQ(big.error().status, 431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 9; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  HttpRequestParser parser(Limits());
  EXPECT_EQ(parser.Feed(many + "\r\n"), State::kError);
  EXPECT_EQ(parser.error().status, 431);
  EXPECT_EQ(parser.error().reason, "more than 8 header fields");
}

TEST(HttpRequestParserTest, BadRequestLinesAre400Or505) {
  for (const auto& [line, status] : std::vector<std::pair<std::string, int>>{
           {"hello\r\n\r\n", 400},
           {"GET /a b HTTP/1.1\r\n\r\n", 400},
           {"GET a HTTP/1.1\r\n\r\n", 400},
           {"GET /%zz HTTP/1.1\r\n\r\n", 400},
           {"GET / HTTP/2.0\r\n\r\n", 505},
       }) {
    HttpRequestParser parser(Limits());
    EXPECT_EQ(parser.Feed(line), State::kError) << line;
    EXPECT_EQ(parser.error().status, status) << line;
  }
}

TEST(HttpRequestParserTest, GzipBodyIsInflatedAndItsEncodingRemoved) {
  const std::string json = "{\"mention\":\"hello\"}";
  const std::string gz = GzipEncode(json);
  HttpRequestParser parser(Limits());
  ASSERT_EQ(
      parser.Feed(Post(
          "Content-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) + "\r\n", gz)),
      State::kComplete)
      << parser.error().reason;
  EXPECT_EQ(parser.request().body, json);
  EXPECT_EQ(parser.request().Header("content-encoding"), "");
}

TEST(HttpRequestParserTest, GzipBombIs413WhileInflating) {
  const std::string bomb = GzipOfZeros(size_t{64} << 20);
  ASSERT_LT(bomb.size(), size_t{128} * 1024);
  HttpRequestParser parser(Limits(size_t{256} * 1024));
  EXPECT_EQ(parser.Feed(Post(
                "Content-Encoding: gzip\r\nContent-Length: " + std::to_string(bomb.size()) + "\r\n",
                bomb)),
            State::kError);
  EXPECT_EQ(parser.error().status, 413);
  EXPECT_EQ(parser.error().reason, "decompressed request body larger than 262144 bytes");
  EXPECT_LE(parser.request().body.size(), size_t{256} * 1024);
}

TEST(HttpRequestParserTest, CorruptOrTruncatedGzipIs400) {
  const std::string gz = GzipEncode("{\"a\":1}");
  for (const std::string& body :
       {std::string("not gzip at all"), gz.substr(0, gz.size() - 4), gz + "trailing"}) {
    HttpRequestParser parser(Limits());
    EXPECT_EQ(parser.Feed(Post("Content-Encoding: gzip\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\n",
                               body)),
              State::kError);
    EXPECT_EQ(parser.error().status, 400) << parser.error().reason;
  }
}

TEST(HttpRequestParserTest, GzipCanBeTurnedOff) {
  HttpParserLimits limits = Limits();
  limits.accept_gzip = false;
  HttpRequestParser parser(limits);
  EXPECT_EQ(parser.Feed(Post("Content-Encoding: gzip\r\nContent-Length: 3\r\n", "abc")),
            State::kError);
  EXPECT_EQ(parser.error().status, 415);
}

TEST(HttpRequestParserTest, PipelinedRequestsParseOneAfterTheOther) {
  HttpRequestParser parser(Limits());
  ASSERT_EQ(parser.Feed(Post("Content-Length: 2\r\n", "ab") +
                        "GET /feeds/x.ics?a=1&b=two+words&a=2&c=%2F HTTP/1.1\r\n"
                        "Connection: close\r\nIf-None-Match: \"e\"\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(parser.request().body, "ab");
  ASSERT_EQ(parser.Reset(), State::kComplete);
  const HttpRequest& request = parser.request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/feeds/x.ics");
  EXPECT_EQ(request.query.at("a"), "1");
  EXPECT_EQ(request.query.at("b"), "two words");
  EXPECT_EQ(request.query.at("c"), "/");
  EXPECT_EQ(request.if_none_match, "\"e\"");
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.Reset(), State::kNeedMore);
  EXPECT_FALSE(parser.started());
}

TEST(HttpRequestParserTest, Http10ClosesUnlessAskedAndExpectContinueIsOffered) {
  HttpRequestParser old(Limits());
  ASSERT_EQ(old.Feed("GET / HTTP/1.0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(old.keep_alive());

  HttpRequestParser parser(Limits());
  EXPECT_EQ(parser.Feed(Post("Expect: 100-continue\r\nContent-Length: 2\r\n", "")),
            State::kNeedMore);
  EXPECT_TRUE(parser.TakeContinue());
  EXPECT_FALSE(parser.TakeContinue());
  EXPECT_EQ(parser.Feed("ok"), State::kComplete);
}

}  // namespace
}  // namespace carecast::common
