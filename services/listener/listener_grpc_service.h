// ListenerService over gRPC: a thin translator from requests to the Listener
// core. Every call goes through the RpcEdge (token, role table, metrics, log).
#pragma once

#include "carecast/v1/listener_service.grpc.pb.h"

#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/strict_request_parsing.h"
#include "services/listener/listener.h"

namespace carecast::listener {

// One answer of StreamMentions: the accepted mention, or the error code and
// message of a rejected one, at position `index`.
v1::StreamMentionsResponse AnswerStreamItem(Listener& listener, int64_t index,
                                            const v1::StreamMentionsRequest& request);

// Thread-safe. References must outlive it.
class ListenerGrpcService final
    : public common::StrictlyParsedService<v1::ListenerService::Service> {
 public:
  ListenerGrpcService(Listener& listener, common::RpcEdge& edge);

  grpc::Status CreateMention(grpc::ServerContext* context, const v1::CreateMentionRequest* request,
                             v1::CreateMentionResponse* response) override;
  // Admits the caller once, then answers each request in order; a rejected
  // mention is answered with its error and the stream goes on.
  grpc::Status StreamMentions(grpc::ServerContext* context,
                              grpc::ServerReaderWriter<v1::StreamMentionsResponse,
                                                       v1::StreamMentionsRequest>* stream) override;
  grpc::Status GetMention(grpc::ServerContext* context, const v1::GetMentionRequest* request,
                          v1::GetMentionResponse* response) override;
  grpc::Status ListInboxItems(grpc::ServerContext* context,
                              const v1::ListInboxItemsRequest* request,
                              v1::ListInboxItemsResponse* response) override;
  grpc::Status CloseInboxItem(grpc::ServerContext* context,
                              const v1::CloseInboxItemRequest* request,
                              v1::CloseInboxItemResponse* response) override;
  grpc::Status ResolveInboxItem(grpc::ServerContext* context,
                                const v1::ResolveInboxItemRequest* request,
                                v1::ResolveInboxItemResponse* response) override;
  grpc::Status AssignInboxItem(grpc::ServerContext* context,
                               const v1::AssignInboxItemRequest* request,
                               v1::AssignInboxItemResponse* response) override;
  grpc::Status SetInboxItemWaiting(grpc::ServerContext* context,
                                   const v1::SetInboxItemWaitingRequest* request,
                                   v1::SetInboxItemWaitingResponse* response) override;
  grpc::Status AddInboxNote(grpc::ServerContext* context, const v1::AddInboxNoteRequest* request,
                            v1::AddInboxNoteResponse* response) override;
  grpc::Status AnalyzeText(grpc::ServerContext* context, const v1::AnalyzeTextRequest* request,
                           v1::AnalyzeTextResponse* response) override;
  grpc::Status DraftReply(grpc::ServerContext* context, const v1::DraftReplyRequest* request,
                          v1::DraftReplyResponse* response) override;
  grpc::Status ApproveReply(grpc::ServerContext* context, const v1::ApproveReplyRequest* request,
                            v1::ApproveReplyResponse* response) override;
  grpc::Status GetReply(grpc::ServerContext* context, const v1::GetReplyRequest* request,
                        v1::GetReplyResponse* response) override;
  grpc::Status ListReplies(grpc::ServerContext* context, const v1::ListRepliesRequest* request,
                           v1::ListRepliesResponse* response) override;
  grpc::Status SetReplyPolicy(grpc::ServerContext* context,
                              const v1::SetReplyPolicyRequest* request,
                              v1::SetReplyPolicyResponse* response) override;
  grpc::Status GetReplyPolicy(grpc::ServerContext* context,
                              const v1::GetReplyPolicyRequest* request,
                              v1::GetReplyPolicyResponse* response) override;
  grpc::Status SetTrackedKeywords(grpc::ServerContext* context,
                                  const v1::SetTrackedKeywordsRequest* request,
                                  v1::SetTrackedKeywordsResponse* response) override;
  grpc::Status GetTrackedKeywords(grpc::ServerContext* context,
                                  const v1::GetTrackedKeywordsRequest* request,
                                  v1::GetTrackedKeywordsResponse* response) override;
  grpc::Status SetTopicTaxonomy(grpc::ServerContext* context,
                                const v1::SetTopicTaxonomyRequest* request,
                                v1::SetTopicTaxonomyResponse* response) override;
  grpc::Status GetTopicTaxonomy(grpc::ServerContext* context,
                                const v1::GetTopicTaxonomyRequest* request,
                                v1::GetTopicTaxonomyResponse* response) override;
  grpc::Status ListMentionSources(grpc::ServerContext* context,
                                  const v1::ListMentionSourcesRequest* request,
                                  v1::ListMentionSourcesResponse* response) override;

 private:
  Listener& listener_;
  common::RpcEdge& edge_;
};

}  // namespace carecast::listener
