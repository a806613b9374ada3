#include "services/listener/listener.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/utf8.h"
#include "services/common/bus/subjects.h"

namespace carecast::listener {

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(const ListenerOptions& options,
                                                           const ListenerDeps& deps) {
  const common::TopologyOptions topology{.replicas = options.stream_replicas};
  auto open = [&](std::string_view name) {
    return deps.buckets.OpenBucket(common::BucketSpecFor(name, topology));
  };
  Buckets buckets;
  ASSIGN_OR_RETURN(buckets.mentions, open(common::buckets::kMentions));
  ASSIGN_OR_RETURN(buckets.inbox_items, open(common::buckets::kInbox));
  ASSIGN_OR_RETURN(buckets.replies, open(common::buckets::kReplies));
  ASSIGN_OR_RETURN(buckets.listening, open(common::buckets::kListening));
  ASSIGN_OR_RETURN(buckets.outbox, open(common::kOutboxBucket));
  return std::unique_ptr<Listener>(new Listener(options, deps, std::move(buckets)));
}

Listener::Listener(const ListenerOptions& options, const ListenerDeps& deps, Buckets buckets)
    : options_(options),
      classifier_(deps.classifier),
      bus_(deps.bus),
      mentions_kv_(std::move(buckets.mentions)),
      inbox_kv_(std::move(buckets.inbox_items)),
      replies_kv_(std::move(buckets.replies)),
      listening_kv_(std::move(buckets.listening)),
      outbox_kv_(std::move(buckets.outbox)),
      outbox_(deps.bus, *outbox_kv_, deps.clock, deps.logger, deps.outbox_observer, "listener"),
      mentions_(*mentions_kv_, std::string(common::buckets::kMentions), outbox_),
      inbox_items_(*inbox_kv_, std::string(common::buckets::kInbox), outbox_),
      reply_records_(*replies_kv_, std::string(common::buckets::kReplies), outbox_),
      settings_(*listening_kv_, std::string(common::buckets::kListening), outbox_),
      inbox_(inbox_items_, deps.index, deps.metrics, deps.clock, deps.logger, options_),
      intake_(mentions_, inbox_, deps.classifier, deps.metrics, deps.clock, deps.logger, options_),
      reply_policies_(reply_records_, deps.classifier, deps.clock, deps.logger),
      replies_(reply_records_, mentions_, inbox_items_, inbox_, reply_policies_, deps.classifier,
               deps.metrics, deps.clock, deps.logger),
      keywords_(settings_, deps.keyword_sink, options_.tracked_keywords, deps.clock, deps.logger),
      taxonomy_(settings_, deps.taxonomy_sink, deps.clock, deps.logger),
      checkpoints_(settings_),
      metrics_(deps.metrics),
      clock_(deps.clock),
      logger_(deps.logger),
      reconcile_runner_(options_.index_reconcile_period,
                        common::PeriodicRunner::FirstRun::kAfterOnePeriod,
                        [this] {
                          // Errors are logged by the reconciler; the next period tries again.
                          (void)inbox_.ReconcileIndex();
                        }),
      sla_runner_(options_.sla_check_period, common::PeriodicRunner::FirstRun::kAfterOnePeriod,
                  [this, &logger = deps.logger] {
                    if (absl::StatusOr<SlaReport> report = inbox_.CheckSla(); !report.ok()) {
                      logger.Warn("inbox SLA check failed; the next period tries again",
                                  {{"error", std::string(report.status().message())}});
                    }
                  }) {}

Listener::~Listener() { Stop(); }

std::vector<std::string> Listener::EntityBuckets() {
  return {std::string(common::buckets::kMentions), std::string(common::buckets::kInbox),
          std::string(common::buckets::kReplies), std::string(common::buckets::kListening)};
}

absl::Status Listener::Start() {
  common::ConsumerSpec spec;
  spec.stream = std::string(common::streams::kEvents);
  spec.durable = "listener-inbox";  // shared by replicas: each mention handled once
  spec.filter_subject = std::string(common::subjects::kMentionClassified);
  spec.deliver_all = true;
  // KV or Redis outages are retried, not dropped.
  spec.max_deliver = 1000;
  // Opening an item takes milliseconds; a short ack wait means an event held by a
  // listener that died is redelivered within seconds (an urgent mention must not
  // wait the default 30 s to reach the inbox).
  spec.ack_wait = absl::Seconds(5);
  ASSIGN_OR_RETURN(inbox_sub_, bus_.Subscribe(spec, [this](const common::Event& e) {
    return intake_.OpenInboxFromEvent(e);
  }));
  common::ConsumerSpec replies = spec;
  replies.durable = "listener-replies";  // shared by replicas
  // Published, failed and NEEDS_HUMAN posts; only reply posts matter here.
  replies.filter_subject = "carecast.post.>";
  ASSIGN_OR_RETURN(replies_sub_, bus_.Subscribe(replies, [this](const common::Event& e) {
    return replies_.OnPostEvent(e);
  }));
  common::ConsumerSpec keywords;
  keywords.stream = std::string(common::streams::kEvents);
  keywords.durable = "";  // every replica must put every list in force
  keywords.purpose = "keywords";
  keywords.filter_subject = std::string(common::subjects::kTrackedKeywordsSet);
  keywords.deliver_all = false;
  keywords.max_deliver = 100;
  ASSIGN_OR_RETURN(keywords_sub_, bus_.Subscribe(keywords, [this](const common::Event& e) {
    return keywords_.OnEvent(e);
  }));
  common::ConsumerSpec taxonomy = keywords;
  taxonomy.purpose = "taxonomy";
  taxonomy.filter_subject = std::string(common::subjects::kTopicTaxonomySet);
  ASSIGN_OR_RETURN(taxonomy_sub_, bus_.Subscribe(taxonomy, [this](const common::Event& e) {
    return taxonomy_.OnEvent(e);
  }));
  // After subscribing, so a list or taxonomy set in between is not missed.
  RETURN_IF_ERROR(keywords_.Load());
  RETURN_IF_ERROR(taxonomy_.Load());
  relay_ = std::make_unique<common::OutboxRelay>(
      outbox_,
      std::vector<common::EntityStore*>{&mentions_, &inbox_items_, &reply_records_, &settings_},
      options_.relay);
  relay_->Start();
  reconcile_runner_.Start();
  sla_runner_.Start();
  for (const std::unique_ptr<SourcePoller>& poller : pollers_) poller->Start();
  return absl::OkStatus();
}

void Listener::AddSource(std::unique_ptr<MentionSource> source, SourcePollOptions options) {
  metrics_.AddSource(source->name());
  const std::string kind = options.kind;
  pollers_.push_back(std::make_unique<SourcePoller>(
      std::move(source), std::move(options), checkpoints_,
      [this, kind](const v1::Mention& mention) { return intake_.Create(mention, kind).status(); },
      metrics_, clock_, logger_));
}

void Listener::Stop() {
  for (const std::unique_ptr<SourcePoller>& poller : pollers_) poller->Stop();
  sla_runner_.Stop();
  reconcile_runner_.Stop();
  if (relay_ != nullptr) relay_->Stop();
  taxonomy_sub_.reset();
  keywords_sub_.reset();
  replies_sub_.reset();
  inbox_sub_.reset();
}

absl::StatusOr<int> Listener::SweepOutbox() {
  if (relay_ == nullptr) {
    relay_ = std::make_unique<common::OutboxRelay>(
        outbox_,
        std::vector<common::EntityStore*>{&mentions_, &inbox_items_, &reply_records_, &settings_},
        common::OutboxRelayOptions{});
  }
  return relay_->SweepOnce();
}

absl::StatusOr<CreateMentionResult> Listener::CreateMention(const v1::Mention& mention,
                                                            std::string_view source) {
  return intake_.Create(mention, source);
}

absl::StatusOr<v1::Mention> Listener::GetMention(std::string_view name) {
  return intake_.Get(name);
}

absl::StatusOr<InboxPage> Listener::ListInboxItems(v1::InboxItemState state, int page_size,
                                                   std::string_view page_token,
                                                   const common::SpokeScope& scope) {
  return inbox_.List(state, page_size, page_token, scope);
}

absl::StatusOr<v1::InboxItem> Listener::CloseInboxItem(std::string_view name,
                                                       std::string_view resolution,
                                                       std::string_view actor,
                                                       const common::SpokeScope& scope) {
  return inbox_.Resolve(name, resolution, actor, scope);
}

absl::StatusOr<v1::InboxItem> Listener::ResolveInboxItem(std::string_view name,
                                                         std::string_view resolution,
                                                         std::string_view actor,
                                                         const common::SpokeScope& scope) {
  return inbox_.Resolve(name, resolution, actor, scope);
}

absl::StatusOr<v1::InboxItem> Listener::AssignInboxItem(std::string_view name,
                                                        std::string_view assignee,
                                                        std::string_view actor,
                                                        const common::SpokeScope& scope) {
  return inbox_.Assign(name, assignee, actor, scope);
}

absl::StatusOr<v1::InboxItem> Listener::SetInboxItemWaiting(std::string_view name,
                                                            std::string_view actor,
                                                            const common::SpokeScope& scope) {
  return inbox_.SetWaiting(name, actor, scope);
}

absl::StatusOr<v1::InboxItem> Listener::AddInboxNote(std::string_view name, std::string_view text,
                                                     std::string_view request_id,
                                                     std::string_view actor,
                                                     const common::SpokeScope& scope) {
  return inbox_.AddNote(name, text, request_id, actor, scope);
}

absl::StatusOr<DraftOutcome> Listener::DraftReply(std::string_view item, std::string_view text,
                                                  std::string_view account,
                                                  std::string_view request_id,
                                                  const common::Caller& caller,
                                                  const common::SpokeScope& scope) {
  return replies_.Draft(item, text, account, request_id, caller, scope);
}

absl::StatusOr<v1::Reply> Listener::ApproveReply(std::string_view name, std::string_view request_id,
                                                 const common::Caller& caller,
                                                 const common::SpokeScope& scope) {
  return replies_.Approve(name, request_id, caller, scope);
}

absl::StatusOr<v1::Reply> Listener::GetReply(std::string_view name,
                                             const common::SpokeScope& scope) {
  return replies_.Get(name, scope);
}

absl::StatusOr<std::vector<v1::Reply>> Listener::ListReplies(std::string_view item,
                                                             const common::SpokeScope& scope) {
  return replies_.List(item, scope);
}

absl::StatusOr<v1::ReplyPolicy> Listener::SetReplyPolicy(const v1::ReplyPolicy& policy,
                                                         std::string_view request_id,
                                                         const common::Caller& caller,
                                                         const common::SpokeScope& scope) {
  return reply_policies_.Set(policy, request_id, caller, scope);
}

absl::StatusOr<v1::ReplyPolicy> Listener::GetReplyPolicy(std::string_view spoke,
                                                         const common::SpokeScope& scope) {
  if (!spoke.empty()) RETURN_IF_ERROR(scope.RequireRead(spoke));
  return reply_policies_.Effective(spoke);
}

absl::StatusOr<SlaReport> Listener::CheckInboxSla() { return inbox_.CheckSla(); }

absl::Status Listener::WarmInboxIndex() {
  // A full reconciliation whether or not the marker is there: the sets behind
  // a surviving marker may be gone. It sets the marker too.
  return inbox_.ReconcileIndex().status();
}

absl::StatusOr<common::ReconcileReport> Listener::ReconcileInboxIndex() {
  return inbox_.ReconcileIndex();
}

absl::StatusOr<v1::TextAnalysis> Listener::AnalyzeText(std::string_view text, bool outgoing) {
  if (text.size() > options_.max_text_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("text must be at most ", options_.max_text_bytes, " bytes of UTF-8"));
  }
  if (!common::IsValidUtf8(text)) return absl::InvalidArgumentError("text must be valid UTF-8");
  return classifier_.Analyze(text, outgoing);
}

}  // namespace carecast::listener
