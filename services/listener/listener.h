// The listener core: mention intake, the inbox and text analysis, behind
// interfaces only (KV, event bus, sorted index, classifier, clock, logger), so
// it runs the same on fakes and on JetStream + Redis.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "carecast/v1/analysis.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/index_reconciler.h"
#include "services/common/redis/sorted_index.h"
#include "services/common/store/entity_store.h"
#include "services/common/store/outbox.h"
#include "services/common/store/outbox_relay.h"
#include "services/listener/inbox.h"
#include "services/listener/listener_config.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/mention_classifier.h"
#include "services/listener/mention_intake.h"
#include "services/listener/replies.h"
#include "services/listener/reply_policies.h"
#include "services/listener/source_checkpoints.h"
#include "services/listener/source_poller.h"
#include "services/listener/sources/mention_source.h"
#include "services/listener/topic_taxonomy.h"
#include "services/listener/tracked_keywords.h"

namespace carecast::listener {

// What the listener works through; every reference must outlive the Listener.
struct ListenerDeps {
  common::KeyValueStoreFactory& buckets;
  common::EventBus& bus;
  common::SortedIndex& index;
  const MentionClassifier& classifier;
  ListenerMetrics& metrics;
  const common::Clock& clock;
  common::Logger& logger;
  common::OutboxObserver& outbox_observer = common::NullOutboxObserver();
  // Puts a new tracked-keyword list in force (the text engine's
  // ReplaceTrackedKeywords); null: SetTrackedKeywords stores lists that change nothing here.
  KeywordSink keyword_sink = nullptr;
  // Rebuilds the text engine with a new topic taxonomy
  // (TextEngineHolder::ReplaceTaxonomy); null: SetTopicTaxonomy stores
  // taxonomies that change nothing here.
  TaxonomySink taxonomy_sink = nullptr;
};

// Thread-safe. Owns its KV bucket handles.
class Listener {
 public:
  // Opens the carecast_mentions, carecast_inbox, carecast_replies,
  // carecast_listening and carecast_outbox buckets
  // (creating them when missing, with options.stream_replicas). UNAVAILABLE when
  // the store cannot be reached. Start() begins the background work.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(const ListenerOptions& options,
                                                          const ListenerDeps& deps);
  ~Listener();

  // The buckets whose writes carry events (for the outbox metrics' labels).
  static std::vector<std::string> EntityBuckets();

  // Starts the background work: the outbox relay (writes left owing events by a
  // crash or a bus outage), the durable "listener-inbox" consumer that opens
  // inbox items from carecast.mention.classified, the durable "listener-replies"
  // consumer that records what the publisher did with each reply, an ephemeral
  // consumer that puts newly set tracked keywords in force (after applying the
  // stored list), another that does the same for the topic taxonomy, the
  // reconciliation of the
  // inbox indexes with KV every options.index_reconcile_period, and the inbox
  // SLA check every options.sla_check_period. The relay runs every
  // options.relay.period. UNAVAILABLE without the bus.
  absl::Status Start();
  void Stop();

  // Reads `source` into the intake (source_poller.h) once Start() ran; call
  // before Start(). The mentions are counted with source label options.kind.
  void AddSource(std::unique_ptr<MentionSource> source, SourcePollOptions options);
  // The pollers added (tests run their rounds directly).
  const std::vector<std::unique_ptr<SourcePoller>>& source_pollers() const { return pollers_; }
  // The stored state of every mention source, by name.
  absl::StatusOr<std::vector<v1::MentionSourceState>> ListMentionSources() {
    return checkpoints_.List();
  }
  // One relay sweep (tests); the number of writes settled.
  absl::StatusOr<int> SweepOutbox();

  // See MentionIntake::Create. `source` is "grpc" or "webhook".
  absl::StatusOr<CreateMentionResult> CreateMention(const v1::Mention& mention,
                                                    std::string_view source);
  absl::StatusOr<v1::Mention> GetMention(std::string_view name);
  // See Inbox::List; `scope` limits the items to the caller's spokes.
  absl::StatusOr<InboxPage> ListInboxItems(
      v1::InboxItemState state, int page_size, std::string_view page_token,
      const common::SpokeScope& scope = common::SpokeScope::Hub());
  // The inbox workflow (Inbox::Assign, SetWaiting, Resolve, AddNote). `actor` is
  // the caller's subject (closed_by, a note's author); `scope` its spokes.
  // CloseInboxItem is the older name of ResolveInboxItem.
  absl::StatusOr<v1::InboxItem> CloseInboxItem(
      std::string_view name, std::string_view resolution, std::string_view actor,
      const common::SpokeScope& scope = common::SpokeScope::Hub());
  absl::StatusOr<v1::InboxItem> ResolveInboxItem(std::string_view name, std::string_view resolution,
                                                 std::string_view actor,
                                                 const common::SpokeScope& scope);
  absl::StatusOr<v1::InboxItem> AssignInboxItem(std::string_view name, std::string_view assignee,
                                                std::string_view actor,
                                                const common::SpokeScope& scope);
  absl::StatusOr<v1::InboxItem> SetInboxItemWaiting(std::string_view name, std::string_view actor,
                                                    const common::SpokeScope& scope);
  absl::StatusOr<v1::InboxItem> AddInboxNote(std::string_view name, std::string_view text,
                                             std::string_view request_id, std::string_view actor,
                                             const common::SpokeScope& scope);
  // Replies (replies.h) and reply policies (reply_policies.h).
  absl::StatusOr<DraftOutcome> DraftReply(std::string_view item, std::string_view text,
                                          std::string_view account, std::string_view request_id,
                                          const common::Caller& caller,
                                          const common::SpokeScope& scope);
  absl::StatusOr<v1::Reply> ApproveReply(std::string_view name, std::string_view request_id,
                                         const common::Caller& caller,
                                         const common::SpokeScope& scope);
  absl::StatusOr<v1::Reply> GetReply(std::string_view name, const common::SpokeScope& scope);
  absl::StatusOr<std::vector<v1::Reply>> ListReplies(std::string_view item,
                                                     const common::SpokeScope& scope);
  absl::StatusOr<v1::ReplyPolicy> SetReplyPolicy(const v1::ReplyPolicy& policy,
                                                 std::string_view request_id,
                                                 const common::Caller& caller,
                                                 const common::SpokeScope& scope);
  absl::StatusOr<v1::ReplyPolicy> GetReplyPolicy(std::string_view spoke,
                                                 const common::SpokeScope& scope);
  // The tracked keywords (tracked_keywords.h).
  absl::StatusOr<v1::TrackedKeywordsSet> SetTrackedKeywords(
      const std::vector<std::string>& keywords, std::string_view request_id,
      const common::Caller& caller, const common::SpokeScope& scope) {
    return keywords_.Set(keywords, request_id, caller, scope);
  }
  absl::StatusOr<v1::TrackedKeywordsSet> GetTrackedKeywords() { return keywords_.Get(); }
  // The keywords consumer's handler (tests call it directly).
  common::Disposition OnKeywordsEvent(const common::Event& event) {
    return keywords_.OnEvent(event);
  }
  // The topic taxonomy (topic_taxonomy.h).
  absl::StatusOr<v1::TopicTaxonomySet> SetTopicTaxonomy(const TopicDefinitions& topics,
                                                        std::string_view request_id,
                                                        const common::Caller& caller,
                                                        const common::SpokeScope& scope) {
    return taxonomy_.Set(topics, request_id, caller, scope);
  }
  absl::StatusOr<v1::TopicTaxonomySet> GetTopicTaxonomy() { return taxonomy_.Get(); }
  // The taxonomy consumer's handler (tests call it directly).
  common::Disposition OnTaxonomyEvent(const common::Event& event) {
    return taxonomy_.OnEvent(event);
  }
  // The "listener-replies" consumer's handler (tests call it directly).
  common::Disposition OnPostEvent(const common::Event& event) {
    return replies_.OnPostEvent(event);
  }
  // One SLA check (tests; the runner): see Inbox::CheckSla.
  absl::StatusOr<SlaReport> CheckInboxSla();
  // Checks the inbox indexes against KV: rebuilds them when their marker is gone
  // (also done lazily by listings), reconciles them otherwise. Main calls it at start.
  absl::Status WarmInboxIndex();
  // One reconciliation of the inbox indexes with KV (tests; the runner).
  absl::StatusOr<common::ReconcileReport> ReconcileInboxIndex();
  // INVALID_ARGUMENT for invalid UTF-8 or text over the size limit; stores nothing.
  absl::StatusOr<v1::TextAnalysis> AnalyzeText(std::string_view text, bool outgoing);

 private:
  struct Buckets {
    std::unique_ptr<common::KeyValueStore> mentions;
    std::unique_ptr<common::KeyValueStore> inbox_items;
    std::unique_ptr<common::KeyValueStore> replies;
    std::unique_ptr<common::KeyValueStore> listening;
    std::unique_ptr<common::KeyValueStore> outbox;
  };
  Listener(const ListenerOptions& options, const ListenerDeps& deps, Buckets buckets);

  const ListenerOptions options_;
  const MentionClassifier& classifier_;
  common::EventBus& bus_;
  std::unique_ptr<common::KeyValueStore> mentions_kv_;
  std::unique_ptr<common::KeyValueStore> inbox_kv_;
  std::unique_ptr<common::KeyValueStore> replies_kv_;
  std::unique_ptr<common::KeyValueStore> listening_kv_;
  std::unique_ptr<common::KeyValueStore> outbox_kv_;
  common::Outbox outbox_;
  common::EntityStore mentions_;
  common::EntityStore inbox_items_;
  common::EntityStore reply_records_;
  common::EntityStore settings_;
  Inbox inbox_;
  MentionIntake intake_;
  ReplyPolicies reply_policies_;
  Replies replies_;
  TrackedKeywords keywords_;
  TopicTaxonomy taxonomy_;
  SourceCheckpoints checkpoints_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
  std::vector<std::unique_ptr<SourcePoller>> pollers_;
  std::unique_ptr<common::OutboxRelay> relay_;
  std::unique_ptr<common::Subscription> inbox_sub_;
  std::unique_ptr<common::Subscription> replies_sub_;
  std::unique_ptr<common::Subscription> keywords_sub_;
  std::unique_ptr<common::Subscription> taxonomy_sub_;
  common::PeriodicRunner reconcile_runner_;
  common::PeriodicRunner sla_runner_;
};

}  // namespace carecast::listener
