// F9 of the fault matrix (docs/reliability.md): the audit stream deleted while
// the planner runs, the planner SIGKILLed and restarted (its EnsureStreams
// makes the stream again). What an auditor sees: the loss is reported (the
// planner's carecast_audit_stream_recreated is 1, `carecastctl audit verify`
// fails naming the stream), never silently restarted chains; the record of
// what people do goes on; an operator's acknowledgement clears the report.
#include <iostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/store/audit_stream_identity.h"
#include "tests/fault/fault_test.h"
#include "tools/carecastctl/audit_verify.h"

namespace carecast::testing {
namespace {

constexpr char kRecreatedSeries[] = "carecast_audit_stream_recreated";

class AuditFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto bus =
        common::NatsConnection::Connect({.url = nats_url(), .name = "audit-fault-test"}, logger_);
    ASSERT_TRUE(bus.ok()) << bus.status();
    bus_ = *std::move(bus);
  }
  // `carecastctl audit verify` as an auditor runs it; what it printed.
  absl::Status Verify(std::string* printed) {
    auto control = bus_->OpenBucket(common::BucketSpecFor(common::buckets::kControl, {}));
    if (!control.ok()) return control.status();
    std::ostringstream out;
    std::ostringstream err;
    absl::Status s = ctl::VerifyAuditStream(*bus_, out, err, control->get());
    *printed = out.str();
    return s;
  }
  std::optional<double> Recreated(const ServiceProcess& planner) {
    return ScrapeSeries(planner.http_port, kRecreatedSeries);
  }

  common::CapturingLogger logger_;
  std::unique_ptr<common::NatsConnection> bus_;
};

TEST_F(AuditFaultTest, ADeletedAndRecreatedAuditStreamIsReportedNeverSilentlyRestarted) {
  auto planner = Start(kPlannerBinary);
  ASSERT_TRUE(planner.ok()) << planner.status();
  auto stub = v1::PlannerService::NewStub(ChannelTo(*planner));
  ASSERT_TRUE(CreateSandboxAccount(*stub).ok());
  ASSERT_TRUE(CreateApprovedContent(*stub, "Walk-in flu shots at St Mary, weekdays 8-6.").ok());
  std::string printed;
  ASSERT_TRUE(Verify(&printed).ok()) << printed;
  std::cout << "found before: " << printed;
  EXPECT_EQ(Recreated(*planner), 0.0);

  const std::string deleted =
      JetStreamRequest(nats_server_->port(), "$JS.API.STREAM.DELETE.CARECAST_AUDIT",
                       "stream_delete_response", absl::Seconds(5));
  ASSERT_NE(deleted.find("\"success\":true"), std::string::npos) << deleted;
  std::cout << "did: deleted the audit stream CARECAST_AUDIT\n";
  planner->process->Kill();
  auto restarted = Start(kPlannerBinary);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  std::cout << "did: SIGKILLed and restarted the planner (it makes the stream again)\n";

  EXPECT_EQ(Recreated(*restarted), 1.0) << "the planner did not report the lost entries";
  // People go on working, and their actions are recorded in the new stream.
  stub = v1::PlannerService::NewStub(ChannelTo(*restarted));
  ASSERT_TRUE(CreateApprovedContent(*stub, "Flu shot clinics open Saturday.").ok());
  absl::Status verified = Verify(&printed);
  std::cout << "found after: " << printed;
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(printed.find("PROBLEM (the stream): it was made again"), std::string::npos);

  // An operator deals with the loss and acknowledges it.
  auto control = bus_->OpenBucket(common::BucketSpecFor(common::buckets::kControl, {}));
  ASSERT_TRUE(control.ok());
  ASSERT_TRUE(common::AcknowledgeAuditStream(*bus_, **control).ok());
  EXPECT_TRUE(Verify(&printed).ok()) << printed;
  restarted->process->Kill();
  auto again = Start(kPlannerBinary);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Recreated(*again), 0.0) << "the acknowledgement did not clear the report";
}

}  // namespace
}  // namespace carecast::testing
