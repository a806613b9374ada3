#include "services/listener/mention_intake.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/store/fault_points.h"
#include "services/listener/listener_names.h"
#include "services/listener/mention_validation.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kSource = "/carecast/listener";
constexpr std::string_view kNamePrefix = "mentions/";

}  // namespace

std::string MentionId(v1::Network network, std::string_view external_id) {
  return common::IdFromRequest("mention", absl::StrCat(common::AsAbsl(NetworkName(network)), "/",
                                                       common::AsAbsl(external_id)));
}

MentionIntake::MentionIntake(common::EntityStore& mentions, Inbox& inbox,
                             const MentionClassifier& classifier, ListenerMetrics& metrics,
                             const common::Clock& clock, common::Logger& logger,
                             const ListenerOptions& options)
    : mentions_(mentions),
      inbox_(inbox),
      classifier_(classifier),
      metrics_(metrics),
      clock_(clock),
      logger_(logger),
      options_(options) {}

absl::StatusOr<v1::Mention> MentionIntake::Load(std::string_view id) {
  ASSIGN_OR_RETURN(common::Stored<v1::Mention> stored, mentions_.Get<v1::Mention>(id));
  return std::move(stored.value);
}

absl::StatusOr<CreateMentionResult> MentionIntake::Create(const v1::Mention& input,
                                                          std::string_view source) {
  const absl::Time now = clock_.Now();
  std::string reason;
  if (absl::Status s = ValidateMention(input, options_, now, &reason); !s.ok()) {
    metrics_.MentionRejected(reason);
    logger_.Info("mention rejected", {{"reason", reason}, {"source", std::string(source)}});
    return s;
  }
  const std::string id = MentionId(input.network(), input.external_id());

  CreateMentionResult result;
  absl::StatusOr<v1::Mention> stored = Load(id);
  if (stored.ok()) {
    result.mention = *std::move(stored);
  } else if (stored.status().code() == absl::StatusCode::kNotFound) {
    v1::Mention mention = input;
    mention.set_name(absl::StrCat(common::AsAbsl(kNamePrefix), id));
    const absl::Time start = absl::Now();
    *mention.mutable_classification() = classifier_.Classify(mention.text());
    metrics_.Classified(absl::Now() - start);
    *mention.mutable_receive_time() = ToTimestamp(now);
    if (!mention.has_create_time()) *mention.mutable_create_time() = mention.receive_time();
    absl::StatusOr<common::Stored<v1::Mention>> created =
        mentions_.Create(id, mention, {ClassifiedChange(mention, id)});
    if (created.ok()) {
      result.mention = std::move(mention);
      result.created = true;
    } else if (created.status().code() == absl::StatusCode::kAlreadyExists) {
      // A concurrent call with the same mention won; use what it stored.
      ASSIGN_OR_RETURN(result.mention, Load(id));
    } else {
      return created.status();
    }
  } else {
    return stored.status();
  }
  metrics_.MentionReceived(NetworkName(result.mention.network()), source);
  if (result.mention.classification().needs_response()) {
    result.inbox_item = absl::StrCat("inboxItems/", id);
  }
  if (result.created) {
    logger_.Info("mention accepted",
                 {{"mention_id", id},
                  {"network", std::string(NetworkName(result.mention.network()))},
                  {"source", std::string(source)},
                  {"needs_response", result.mention.classification().needs_response()},
                  {"urgent", result.mention.classification().urgent()}});
  } else {
    // A repeat: finish what the first call's write may still owe the bus.
    RETURN_IF_ERROR(mentions_.Settle(id));
  }
  common::FaultPoint("listener:after_mention_stored");
  if (result.mention.classification().needs_response()) {
    absl::StatusOr<v1::InboxItem> item = inbox_.OpenForMention(result.mention, id);
    if (!item.ok()) {
      // Accepted: the consumer of the classified event opens the item once KV
      // and Redis answer, and a retry of this call does too.
      logger_.Warn("mention stored but its inbox item not opened yet",
                   {{"mention_id", id}, {"error", std::string(item.status().message())}});
      return absl::UnavailableError(
          absl::StrCat("mention stored but its inbox item is not open yet (",
                       item.status().message(), "); retry the same request"));
    }
  }
  return result;
}

common::Change MentionIntake::ClassifiedChange(const v1::Mention& mention,
                                               std::string_view id) const {
  v1::MentionClassified payload;
  *payload.mutable_mention() = mention;
  // The full analysis travels with the event; it is a pure function of the text.
  *payload.mutable_analysis() = classifier_.Analyze(mention.text(), /*outgoing=*/false);
  common::Change change;
  change.event = common::MakeEvent(common::subjects::kMentionClassified, payload, kSource,
                                   FromTimestamp(mention.receive_time()),
                                   absl::StrCat("mention.", common::AsAbsl(id), ".classified"));
  return change;
}

common::Disposition MentionIntake::OpenInboxFromEvent(const common::Event& event) {
  v1::MentionClassified payload;
  if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
  const v1::Mention& mention = payload.mention();
  if (!mention.classification().needs_response()) return common::Disposition::kAck;
  std::string_view name = mention.name();
  if (!absl::StartsWith(common::AsAbsl(name), common::AsAbsl(kNamePrefix))) {
    return common::Disposition::kReject;
  }
  absl::StatusOr<v1::InboxItem> item =
      inbox_.OpenForMention(mention, name.substr(kNamePrefix.size()));
  return item.ok() ? common::Disposition::kAck : common::Disposition::kRetry;
}

absl::StatusOr<v1::Mention> MentionIntake::Get(std::string_view name) {
  if (!absl::StartsWith(common::AsAbsl(name), common::AsAbsl(kNamePrefix)) ||
      !common::IsValidId(name.substr(kNamePrefix.size()))) {
    return absl::InvalidArgumentError("name must look like mentions/{mention}");
  }
  const std::string_view id = name.substr(kNamePrefix.size());
  absl::StatusOr<v1::Mention> mention = Load(id);
  if (mention.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("mention ", common::AsAbsl(id), " not found"));
  }
  return mention;
}

}  // namespace carecast::listener
