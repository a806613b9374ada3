#include "services/listener/listener.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/utf8.h"
#include "services/common/bus/subjects.h"

namespace carecast::listener {

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(
    common::KeyValueStoreFactory& buckets, const common::TopologyOptions& topology,
    common::EventBus& bus, common::SortedIndex& index, const MentionClassifier& classifier,
    ListenerMetrics& metrics, const common::Clock& clock, common::Logger& logger,
    const ListenerOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<common::KeyValueStore> mentions,
                   buckets.OpenBucket(common::BucketSpecFor(common::buckets::kMentions, topology)));
  ASSIGN_OR_RETURN(std::unique_ptr<common::KeyValueStore> inbox_items,
                   buckets.OpenBucket(common::BucketSpecFor(common::buckets::kInbox, topology)));
  return std::unique_ptr<Listener>(new Listener(std::move(mentions), std::move(inbox_items), bus,
                                                index, classifier, metrics, clock, logger,
                                                options));
}

Listener::Listener(std::unique_ptr<common::KeyValueStore> mentions,
                   std::unique_ptr<common::KeyValueStore> inbox_items, common::EventBus& bus,
                   common::SortedIndex& index, const MentionClassifier& classifier,
                   ListenerMetrics& metrics, const common::Clock& clock, common::Logger& logger,
                   const ListenerOptions& options)
    : options_(options),
      classifier_(classifier),
      mentions_(std::move(mentions)),
      inbox_items_(std::move(inbox_items)),
      inbox_(*inbox_items_, bus, index, metrics, clock, logger, options_),
      intake_(*mentions_, bus, inbox_, classifier, metrics, clock, logger, options_) {}

absl::StatusOr<CreateMentionResult> Listener::CreateMention(const v1::Mention& mention,
                                                            std::string_view source) {
  return intake_.Create(mention, source);
}

absl::StatusOr<v1::Mention> Listener::GetMention(std::string_view name) {
  return intake_.Get(name);
}

absl::StatusOr<InboxPage> Listener::ListInboxItems(v1::InboxItemState state, int page_size,
                                                   std::string_view page_token) {
  return inbox_.List(state, page_size, page_token);
}

absl::StatusOr<v1::InboxItem> Listener::CloseInboxItem(std::string_view name,
                                                       std::string_view resolution,
                                                       std::string_view actor) {
  return inbox_.Close(name, resolution, actor);
}

absl::Status Listener::WarmInboxIndex() { return inbox_.EnsureIndex(); }

absl::StatusOr<v1::TextAnalysis> Listener::AnalyzeText(std::string_view text, bool outgoing) {
  if (text.size() > options_.max_text_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("text must be at most ", options_.max_text_bytes, " bytes of UTF-8"));
  }
  if (!common::IsValidUtf8(text)) return absl::InvalidArgumentError("text must be valid UTF-8");
  return classifier_.Analyze(text, outgoing);
}

}  // namespace carecast::listener
