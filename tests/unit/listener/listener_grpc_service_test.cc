// ListenerService through a real in-process gRPC server with the RpcEdge: the
// bidi stream answers every request in order, and the edge enforces tokens and
// roles per method.
#include "services/listener/listener_grpc_service.h"

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/listener/listener_roles.h"
#include "tests/support/fake_authenticator.h"
#include "tests/support/grpc_probe.h"
#include "tests/unit/listener/listener_fixture.h"

namespace carecast::listener {
namespace {

using ::testing::HasSubstr;

class ListenerGrpcServiceTest : public ListenerFixture {
 protected:
  ListenerGrpcServiceTest()
      : rpc_metrics_(registry_),
        edge_(auth_, roles_, rpc_metrics_, logger_),
        service_(*listener_, edge_) {
    auth_.AddSubject("svc", {common::Role::kService});
    auth_.AddSubject("alice", {common::Role::kResponder});
    auth_.AddSubject("strat", {common::Role::kStrategist});
    auth_.AddSubject("nora", {common::Role::kResponder}, {"north"});
    common::GrpcServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    auto server = common::GrpcServer::Start(options, {&service_});
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::ListenerService::NewStub(server_->InProcessChannel());
  }
  ~ListenerGrpcServiceTest() override { server_->Shutdown(absl::Seconds(1)); }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  testing::FakeAuthenticator auth_;
  common::RoleTable roles_ = ListenerRoleTable();
  common::RpcMetrics rpc_metrics_;
  common::RpcEdge edge_;
  ListenerGrpcService service_;
  std::unique_ptr<common::GrpcServer> server_;
  std::unique_ptr<v1::ListenerService::Stub> stub_;
};

TEST_F(ListenerGrpcServiceTest, StreamAnswersEveryRequestInOrderAndGoesOnAfterARejection) {
  auto context = Context("svc");
  auto stream = stub_->StreamMentions(context.get());
  std::vector<v1::Mention> mentions = {MakeMention("s1", "rude staff"), MakeMention("s2", ""),
                                       MakeMention("s3", "thank you"), MakeMention("s1", "again")};
  // Writes run on their own thread, as a pipelining client would: the
  // in-process transport does not buffer, so writing everything before reading
  // would block both ends.
  std::atomic<int> written = 0;
  std::thread writer([&] {
    for (const v1::Mention& m : mentions) {
      v1::StreamMentionsRequest request;
      *request.mutable_mention() = m;
      if (!stream->Write(request)) return;
      ++written;
    }
    stream->WritesDone();
  });
  std::vector<v1::StreamMentionsResponse> responses;
  v1::StreamMentionsResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  writer.join();
  EXPECT_EQ(written.load(), 4);
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(responses.size(), 4u);
  for (size_t i = 0; i < responses.size(); ++i) EXPECT_EQ(responses[i].index(), int64_t(i));
  EXPECT_EQ(responses[0].error_code(), 0);
  EXPECT_EQ(responses[0].mention().name(), "mentions/" + MentionId(v1::NETWORK_X, "s1"));
  EXPECT_FALSE(responses[0].inbox_item().empty());
  EXPECT_EQ(responses[1].error_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(responses[1].error_message(), HasSubstr("text must not be empty"));
  EXPECT_FALSE(responses[1].has_mention());
  EXPECT_EQ(responses[2].error_code(), 0);
  EXPECT_TRUE(responses[2].inbox_item().empty());
  // The repeat answers with the stored mention.
  EXPECT_EQ(responses[3].mention().text(), "rude staff");
  EXPECT_EQ(Events("carecast.mention.classified").size(), 2u);
}

TEST_F(ListenerGrpcServiceTest, StreamRefusesCallersWithoutTokenOrRole) {
  for (const std::string& token : {std::string(""), std::string("strat")}) {
    auto context = Context(token);
    auto stream = stub_->StreamMentions(context.get());
    v1::StreamMentionsRequest request;
    *request.mutable_mention() = MakeMention("x1", "rude");
    stream->Write(request);
    stream->WritesDone();
    v1::StreamMentionsResponse response;
    EXPECT_FALSE(stream->Read(&response));
    grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), token.empty() ? grpc::StatusCode::UNAUTHENTICATED
                                                 : grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(KeyCount("carecast_mentions"), 0u);
}

TEST_F(ListenerGrpcServiceTest, TheInboxWorkflowTranslatesAndScopesBySpoke) {
  v1::CreateMentionRequest create;
  *create.mutable_mention() = MakeMention("wf1", "terrible, why?");
  create.mutable_mention()->set_account("spokes/south/accounts/main");
  v1::CreateMentionResponse created;
  ASSERT_TRUE(stub_->CreateMention(Context("svc").get(), create, &created).ok());
  const std::string name = created.inbox_item();

  v1::AssignInboxItemRequest assign;
  assign.set_name(name);
  assign.set_assignee("bob");
  v1::AssignInboxItemResponse assigned;
  EXPECT_EQ(stub_->AssignInboxItem(Context("strat").get(), assign, &assigned).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A responder of another spoke: the item looks missing.
  EXPECT_EQ(stub_->AssignInboxItem(Context("nora").get(), assign, &assigned).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListInboxItemsRequest list;
  v1::ListInboxItemsResponse listed;
  ASSERT_TRUE(stub_->ListInboxItems(Context("nora").get(), list, &listed).ok());
  EXPECT_EQ(listed.inbox_items_size(), 0);
  ASSERT_TRUE(stub_->AssignInboxItem(Context("alice").get(), assign, &assigned).ok());
  EXPECT_EQ(assigned.inbox_item().state(), v1::INBOX_ITEM_STATE_ASSIGNED);
  EXPECT_EQ(assigned.inbox_item().assignee(), "bob");

  v1::AddInboxNoteRequest note;
  note.set_name(name);
  note.set_text("Asked them to call patient relations");
  note.set_request_id("n-1");
  v1::AddInboxNoteResponse noted;
  ASSERT_TRUE(stub_->AddInboxNote(Context("alice").get(), note, &noted).ok());
  ASSERT_EQ(noted.inbox_item().notes_size(), 1);
  EXPECT_EQ(noted.inbox_item().notes(0).author(), "alice");
  note.set_text("");
  EXPECT_EQ(stub_->AddInboxNote(Context("alice").get(), note, &noted).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::SetInboxItemWaitingRequest wait;
  wait.set_name(name);
  v1::SetInboxItemWaitingResponse waiting;
  ASSERT_TRUE(stub_->SetInboxItemWaiting(Context("alice").get(), wait, &waiting).ok());
  EXPECT_EQ(waiting.inbox_item().state(), v1::INBOX_ITEM_STATE_WAITING);

  v1::ResolveInboxItemRequest resolve;
  resolve.set_name(name);
  resolve.set_resolution("Taken offline");
  v1::ResolveInboxItemResponse resolved;
  ASSERT_TRUE(stub_->ResolveInboxItem(Context("alice").get(), resolve, &resolved).ok());
  EXPECT_EQ(resolved.inbox_item().state(), v1::INBOX_ITEM_STATE_RESOLVED);
  EXPECT_EQ(stub_->SetInboxItemWaiting(Context("alice").get(), wait, &waiting).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ListenerGrpcServiceTest, UnaryMethodsTranslateAndCheckRoles) {
  v1::CreateMentionRequest create;
  *create.mutable_mention() = MakeMention("u1", "terrible, why?");
  v1::CreateMentionResponse created;
  ASSERT_TRUE(stub_->CreateMention(Context("svc").get(), create, &created).ok());
  EXPECT_FALSE(created.inbox_item().empty());
  EXPECT_EQ(stub_->CreateMention(Context("strat").get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::CreateMentionRequest bad;
  *bad.mutable_mention() = MakeMention("", "x");
  grpc::Status invalid = stub_->CreateMention(Context("svc").get(), bad, &created);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(invalid.error_message(), HasSubstr("external_id"));

  v1::GetMentionRequest get;
  get.set_name(created.mention().name());
  v1::GetMentionResponse got;
  ASSERT_TRUE(stub_->GetMention(Context("strat").get(), get, &got).ok());
  EXPECT_EQ(got.mention().external_id(), "u1");
  get.set_name("mentions/0000");
  EXPECT_EQ(stub_->GetMention(Context("strat").get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ListInboxItemsRequest list;
  v1::ListInboxItemsResponse listed;
  ASSERT_TRUE(stub_->ListInboxItems(Context("alice").get(), list, &listed).ok());
  ASSERT_EQ(listed.inbox_items_size(), 1);
  list.set_page_token("bogus");
  EXPECT_EQ(stub_->ListInboxItems(Context("alice").get(), list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::CloseInboxItemRequest close;
  close.set_name(created.inbox_item());
  close.set_resolution("Answered and moved to direct messages");
  v1::CloseInboxItemResponse closed;
  EXPECT_EQ(stub_->CloseInboxItem(Context("strat").get(), close, &closed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->CloseInboxItem(Context("alice").get(), close, &closed).ok());
  EXPECT_EQ(closed.inbox_item().closed_by(), "alice");
  close.set_resolution("again");
  EXPECT_EQ(stub_->CloseInboxItem(Context("alice").get(), close, &closed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::AnalyzeTextRequest analyze;
  analyze.set_text("terrible service");
  v1::AnalyzeTextResponse analysis;
  ASSERT_TRUE(stub_->AnalyzeText(Context("strat").get(), analyze, &analysis).ok());
  EXPECT_EQ(analysis.analysis().sentiment(), v1::SENTIMENT_NEGATIVE);
  // Invalid UTF-8 in a proto3 string: protobuf refuses to parse the request, and
  // the service answers INVALID_ARGUMENT (not gRPC's bare INTERNAL) and stores nothing.
  {
    v1::CreateMentionRequest raw;
    raw.mutable_mention()->set_network(v1::NETWORK_X);
    raw.mutable_mention()->set_external_id("utf8-probe");
    raw.mutable_mention()->set_text("PLACEHOLDER!");
    std::string bytes = raw.SerializeAsString();
    const size_t before = KeyCount("carecast_mentions");
    bytes.replace(bytes.find("PLACEHOLDER!"), 12, std::string("bad \xff text!!", 12));
    absl::Status status = testing::CallRawUnary(
        server_->InProcessChannel(), "/carecast.v1.ListenerService/CreateMention", bytes, "svc");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("not valid UTF-8"));
    EXPECT_EQ(KeyCount("carecast_mentions"), before);
  }
  analyze.set_text(std::string(1001, 'a'));
  grpc::Status oversized = stub_->AnalyzeText(Context("strat").get(), analyze, &analysis);
  EXPECT_EQ(oversized.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(oversized.error_message(), HasSubstr("at most 1000 bytes"));
  EXPECT_EQ(stub_->AnalyzeText(Context("").get(), analyze, &analysis).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace carecast::listener
