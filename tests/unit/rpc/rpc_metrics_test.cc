#include "services/common/rpc/rpc_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "carecast/v1/listener_service.pb.h"

namespace carecast::common {
namespace {

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(RpcMetricsTest, SplitsMethodAndCountsByCode) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  const std::string m = "/carecast.v1.PlannerService/CreateContent";
  metrics.Started(m, "unary");
  metrics.Handled(m, "unary", absl::StatusCode::kOk, absl::Milliseconds(3));
  metrics.Started(m, "unary");
  metrics.Handled(m, "unary", absl::StatusCode::kPermissionDenied, absl::Milliseconds(2));
  metrics.Started(m, "unary");
  metrics.Handled(m, "unary", absl::StatusCode::kPermissionDenied, absl::Seconds(20));

  const std::string text = Scrape(registry);
  const std::string labels =
      "grpc_method=\"CreateContent\",grpc_service=\"carecast.v1.PlannerService\","
      "grpc_type=\"unary\"";
  EXPECT_TRUE(Contains(text, "grpc_server_started_total{" + labels + "} 3")) << text;
  EXPECT_TRUE(Contains(text, "grpc_server_handled_total{grpc_code=\"OK\"," + labels + "} 1"))
      << text;
  EXPECT_TRUE(
      Contains(text, "grpc_server_handled_total{grpc_code=\"PermissionDenied\"," + labels + "} 2"))
      << text;
  EXPECT_TRUE(Contains(text, "grpc_server_handling_seconds_count{" + labels + "} 3")) << text;
  // 3 ms lands in the 0.005 bucket; 20 s only in +Inf.
  EXPECT_TRUE(Contains(text, "grpc_server_handling_seconds_bucket{" + labels + ",le=\"0.005\"} 2"))
      << text;
  EXPECT_TRUE(Contains(text, "grpc_server_handling_seconds_bucket{" + labels + ",le=\"10\"} 2"))
      << text;
  EXPECT_TRUE(Contains(text, "grpc_server_handling_seconds_bucket{" + labels + ",le=\"+Inf\"} 3"))
      << text;
  // Codes never seen are not exported.
  EXPECT_FALSE(Contains(text, "grpc_code=\"Internal\"")) << text;
}

TEST(RpcMetricsTest, InitializeExportsEveryMethodAtZeroWithItsStreamingType) {
  // Keeps the generated listener descriptors linked in.
  ASSERT_NE(carecast::v1::StreamMentionsRequest::descriptor(), nullptr);
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  metrics.Initialize("/carecast.v1.ListenerService/StreamMentions");
  metrics.Initialize("/carecast.v1.ListenerService/CreateMention");
  const std::string text = Scrape(registry);
  EXPECT_TRUE(Contains(text,
                       "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"StreamMentions\","
                       "grpc_service=\"carecast.v1.ListenerService\",grpc_type=\"bidi_stream\"} 0"))
      << text;
  EXPECT_TRUE(Contains(text,
                       "grpc_server_started_total{grpc_method=\"CreateMention\","
                       "grpc_service=\"carecast.v1.ListenerService\",grpc_type=\"unary\"} 0"))
      << text;
  EXPECT_EQ(GrpcTypeOf("/no.Such/Method"), "unary");
}

TEST(RpcMetricsTest, TwoInstancesOnOneRegistryShareSeries) {
  prometheus::Registry registry;
  RpcMetrics a(registry);
  RpcMetrics b(registry);
  a.Started("/s.S/M", "unary");
  b.Started("/s.S/M", "unary");
  EXPECT_TRUE(Contains(Scrape(registry),
                       "grpc_server_started_total{grpc_method=\"M\",grpc_service=\"s.S\","
                       "grpc_type=\"unary\"} 2"));
}

TEST(RpcMetricsTest, CodeLabelsMatchGoGrpcPrometheus) {
  EXPECT_EQ(GrpcCodeLabel(absl::StatusCode::kOk), "OK");
  EXPECT_EQ(GrpcCodeLabel(absl::StatusCode::kCancelled), "Canceled");
  EXPECT_EQ(GrpcCodeLabel(absl::StatusCode::kInvalidArgument), "InvalidArgument");
  EXPECT_EQ(GrpcCodeLabel(absl::StatusCode::kDeadlineExceeded), "DeadlineExceeded");
  EXPECT_EQ(GrpcCodeLabel(absl::StatusCode::kUnauthenticated), "Unauthenticated");
  EXPECT_EQ(GrpcCodeLabel(absl::StatusCode::kDataLoss), "DataLoss");
}

}  // namespace
}  // namespace carecast::common
