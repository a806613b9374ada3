#include "services/listener/listener_grpc_service.h"

#include "services/common/base/status_macros.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/listener/listener_roles.h"

namespace carecast::listener {

v1::StreamMentionsResponse AnswerStreamItem(Listener& listener, int64_t index,
                                            const v1::StreamMentionsRequest& request) {
  v1::StreamMentionsResponse response;
  response.set_index(index);
  absl::StatusOr<CreateMentionResult> result = listener.CreateMention(request.mention(), "grpc");
  if (!result.ok()) {
    response.set_error_code(static_cast<int32_t>(result.status().code()));
    response.set_error_message(std::string(result.status().message()));
    return response;
  }
  *response.mutable_mention() = std::move(result->mention);
  response.set_inbox_item(result->inbox_item);
  return response;
}

ListenerGrpcService::ListenerGrpcService(Listener& listener, common::RpcEdge& edge)
    : listener_(listener), edge_(edge) {
  // StreamMentions parses each message itself as part of the stream.
  using Base = v1::ListenerService::Service;
  ParseStrictly(&Base::CreateMention);
  ParseStrictly(&Base::GetMention);
  ParseStrictly(&Base::ListInboxItems);
  ParseStrictly(&Base::CloseInboxItem);
  ParseStrictly(&Base::ResolveInboxItem);
  ParseStrictly(&Base::AssignInboxItem);
  ParseStrictly(&Base::SetInboxItemWaiting);
  ParseStrictly(&Base::AddInboxNote);
  ParseStrictly(&Base::AnalyzeText);
  ParseStrictly(&Base::DraftReply);
  ParseStrictly(&Base::ApproveReply);
  ParseStrictly(&Base::GetReply);
  ParseStrictly(&Base::ListReplies);
  ParseStrictly(&Base::SetReplyPolicy);
  ParseStrictly(&Base::GetReplyPolicy);
  ParseStrictly(&Base::SetTrackedKeywords);
  ParseStrictly(&Base::GetTrackedKeywords);
  ParseStrictly(&Base::SetTopicTaxonomy);
  ParseStrictly(&Base::GetTopicTaxonomy);
  ParseStrictly(&Base::ListMentionSources);
}

grpc::Status ListenerGrpcService::CreateMention(grpc::ServerContext* context,
                                                const v1::CreateMentionRequest* request,
                                                v1::CreateMentionResponse* response) {
  return edge_.Unary(context, kCreateMentionMethod, [&](const common::Caller&) -> absl::Status {
    ASSIGN_OR_RETURN(CreateMentionResult result,
                     listener_.CreateMention(request->mention(), "grpc"));
    *response->mutable_mention() = std::move(result.mention);
    response->set_inbox_item(result.inbox_item);
    return absl::OkStatus();
  });
}

grpc::Status ListenerGrpcService::StreamMentions(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::StreamMentionsResponse, v1::StreamMentionsRequest>* stream) {
  common::RpcEdge::Call call(edge_, context, kStreamMentionsMethod, "bidi_stream");
  if (absl::Status admitted = call.Admit(); !admitted.ok()) return call.Finish(admitted);
  v1::StreamMentionsRequest request;
  int64_t index = 0;
  while (stream->Read(&request)) {
    if (context->IsCancelled()) return call.Finish(absl::CancelledError("stream cancelled"));
    if (!stream->Write(AnswerStreamItem(listener_, index++, request))) {
      return call.Finish(absl::CancelledError("client stopped reading"));
    }
  }
  return call.Finish(absl::OkStatus());
}

grpc::Status ListenerGrpcService::GetMention(grpc::ServerContext* context,
                                             const v1::GetMentionRequest* request,
                                             v1::GetMentionResponse* response) {
  return edge_.Unary(context, kGetMentionMethod, [&](const common::Caller&) -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_mention(), listener_.GetMention(request->name()));
    return absl::OkStatus();
  });
}

grpc::Status ListenerGrpcService::ListInboxItems(grpc::ServerContext* context,
                                                 const v1::ListInboxItemsRequest* request,
                                                 v1::ListInboxItemsResponse* response) {
  return edge_.Unary(
      context, kListInboxItemsMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            InboxPage page,
            listener_.ListInboxItems(request->state(), request->page_size(), request->page_token(),
                                     common::SpokeScope::For(caller)));
        for (v1::InboxItem& item : page.items) *response->add_inbox_items() = std::move(item);
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::CloseInboxItem(grpc::ServerContext* context,
                                                 const v1::CloseInboxItemRequest* request,
                                                 v1::CloseInboxItemResponse* response) {
  return edge_.Unary(
      context, kCloseInboxItemMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            *response->mutable_inbox_item(),
            listener_.CloseInboxItem(request->name(), request->resolution(),
                                     caller.principal.subject, common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::ResolveInboxItem(grpc::ServerContext* context,
                                                   const v1::ResolveInboxItemRequest* request,
                                                   v1::ResolveInboxItemResponse* response) {
  return edge_.Unary(
      context, kResolveInboxItemMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            *response->mutable_inbox_item(),
            listener_.ResolveInboxItem(request->name(), request->resolution(),
                                       caller.principal.subject, common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::AssignInboxItem(grpc::ServerContext* context,
                                                  const v1::AssignInboxItemRequest* request,
                                                  v1::AssignInboxItemResponse* response) {
  return edge_.Unary(
      context, kAssignInboxItemMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            *response->mutable_inbox_item(),
            listener_.AssignInboxItem(request->name(), request->assignee(),
                                      caller.principal.subject, common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::SetInboxItemWaiting(grpc::ServerContext* context,
                                                      const v1::SetInboxItemWaitingRequest* request,
                                                      v1::SetInboxItemWaitingResponse* response) {
  return edge_.Unary(
      context, kSetInboxItemWaitingMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_inbox_item(),
                         listener_.SetInboxItemWaiting(request->name(), caller.principal.subject,
                                                       common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::AddInboxNote(grpc::ServerContext* context,
                                               const v1::AddInboxNoteRequest* request,
                                               v1::AddInboxNoteResponse* response) {
  return edge_.Unary(
      context, kAddInboxNoteMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            *response->mutable_inbox_item(),
            listener_.AddInboxNote(request->name(), request->text(), request->request_id(),
                                   caller.principal.subject, common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::AnalyzeText(grpc::ServerContext* context,
                                              const v1::AnalyzeTextRequest* request,
                                              v1::AnalyzeTextResponse* response) {
  return edge_.Unary(context, kAnalyzeTextMethod, [&](const common::Caller&) -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_analysis(),
                     listener_.AnalyzeText(request->text(), request->outgoing()));
    return absl::OkStatus();
  });
}

grpc::Status ListenerGrpcService::DraftReply(grpc::ServerContext* context,
                                             const v1::DraftReplyRequest* request,
                                             v1::DraftReplyResponse* response) {
  return edge_.Unary(context, kDraftReplyMethod, [&](const common::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(
        DraftOutcome outcome,
        listener_.DraftReply(request->inbox_item(), request->text(), request->account(),
                             request->request_id(), caller, common::SpokeScope::For(caller)));
    if (outcome.reply.has_value()) *response->mutable_reply() = std::move(*outcome.reply);
    for (v1::GuardFinding& f : outcome.findings) *response->add_findings() = std::move(f);
    for (v1::ReplyTemplate& t : outcome.templates) *response->add_templates() = std::move(t);
    return absl::OkStatus();
  });
}

grpc::Status ListenerGrpcService::ApproveReply(grpc::ServerContext* context,
                                               const v1::ApproveReplyRequest* request,
                                               v1::ApproveReplyResponse* response) {
  return edge_.Unary(
      context, kApproveReplyMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_reply(),
                         listener_.ApproveReply(request->name(), request->request_id(), caller,
                                                common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::GetReply(grpc::ServerContext* context,
                                           const v1::GetReplyRequest* request,
                                           v1::GetReplyResponse* response) {
  return edge_.Unary(context, kGetReplyMethod, [&](const common::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_reply(),
                     listener_.GetReply(request->name(), common::SpokeScope::For(caller)));
    return absl::OkStatus();
  });
}

grpc::Status ListenerGrpcService::ListReplies(grpc::ServerContext* context,
                                              const v1::ListRepliesRequest* request,
                                              v1::ListRepliesResponse* response) {
  return edge_.Unary(
      context, kListRepliesMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            std::vector<v1::Reply> replies,
            listener_.ListReplies(request->inbox_item(), common::SpokeScope::For(caller)));
        for (v1::Reply& r : replies) *response->add_replies() = std::move(r);
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::SetReplyPolicy(grpc::ServerContext* context,
                                                 const v1::SetReplyPolicyRequest* request,
                                                 v1::SetReplyPolicyResponse* response) {
  return edge_.Unary(
      context, kSetReplyPolicyMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_policy(),
                         listener_.SetReplyPolicy(request->policy(), request->request_id(), caller,
                                                  common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::GetReplyPolicy(grpc::ServerContext* context,
                                                 const v1::GetReplyPolicyRequest* request,
                                                 v1::GetReplyPolicyResponse* response) {
  return edge_.Unary(
      context, kGetReplyPolicyMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            *response->mutable_policy(),
            listener_.GetReplyPolicy(request->spoke(), common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::SetTrackedKeywords(grpc::ServerContext* context,
                                                     const v1::SetTrackedKeywordsRequest* request,
                                                     v1::SetTrackedKeywordsResponse* response) {
  return edge_.Unary(
      context, kSetTrackedKeywordsMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_keywords(),
                         listener_.SetTrackedKeywords(
                             {request->keywords().begin(), request->keywords().end()},
                             request->request_id(), caller, common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::GetTrackedKeywords(grpc::ServerContext* context,
                                                     const v1::GetTrackedKeywordsRequest* request,
                                                     v1::GetTrackedKeywordsResponse* response) {
  return edge_.Unary(
      context, kGetTrackedKeywordsMethod, [&](const common::Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_keywords(), listener_.GetTrackedKeywords());
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::SetTopicTaxonomy(grpc::ServerContext* context,
                                                   const v1::SetTopicTaxonomyRequest* request,
                                                   v1::SetTopicTaxonomyResponse* response) {
  return edge_.Unary(
      context, kSetTopicTaxonomyMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_taxonomy(),
                         listener_.SetTopicTaxonomy(request->topics(), request->request_id(),
                                                    caller, common::SpokeScope::For(caller)));
        return absl::OkStatus();
      });
}

grpc::Status ListenerGrpcService::GetTopicTaxonomy(grpc::ServerContext* context,
                                                   const v1::GetTopicTaxonomyRequest* request,
                                                   v1::GetTopicTaxonomyResponse* response) {
  return edge_.Unary(context, kGetTopicTaxonomyMethod, [&](const common::Caller&) -> absl::Status {
    ASSIGN_OR_RETURN(*response->mutable_taxonomy(), listener_.GetTopicTaxonomy());
    return absl::OkStatus();
  });
}

grpc::Status ListenerGrpcService::ListMentionSources(grpc::ServerContext* context,
                                                     const v1::ListMentionSourcesRequest* request,
                                                     v1::ListMentionSourcesResponse* response) {
  return edge_.Unary(context, kListMentionSourcesMethod,
                     [&](const common::Caller&) -> absl::Status {
                       ASSIGN_OR_RETURN(std::vector<v1::MentionSourceState> sources,
                                        listener_.ListMentionSources());
                       for (v1::MentionSourceState& source : sources)
                         *response->add_sources() = std::move(source);
                       return absl::OkStatus();
                     });
}

}  // namespace carecast::listener
