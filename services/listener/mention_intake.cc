#include "services/listener/mention_intake.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/listener/listener_names.h"
#include "services/listener/mention_validation.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kSource = "/carecast/listener";
constexpr std::string_view kNamePrefix = "mentions/";

// Written after every side effect of a mention succeeded, so a later repeat
// does not publish again once JetStream's duplicate window has passed.
std::string DoneKey(std::string_view id) { return absl::StrCat("done.", common::AsAbsl(id)); }

}  // namespace

std::string MentionId(v1::Network network, std::string_view external_id) {
  return common::IdFromRequest("mention", absl::StrCat(common::AsAbsl(NetworkName(network)), "/",
                                                       common::AsAbsl(external_id)));
}

MentionIntake::MentionIntake(common::KeyValueStore& mentions, common::EventBus& bus, Inbox& inbox,
                             const MentionClassifier& classifier, ListenerMetrics& metrics,
                             const common::Clock& clock, common::Logger& logger,
                             const ListenerOptions& options)
    : mentions_(mentions),
      bus_(bus),
      inbox_(inbox),
      classifier_(classifier),
      metrics_(metrics),
      clock_(clock),
      logger_(logger),
      options_(options) {}

absl::StatusOr<v1::Mention> MentionIntake::Load(std::string_view id) {
  ASSIGN_OR_RETURN(common::KvEntry kv, mentions_.Get(id));
  v1::Mention mention;
  if (!mention.ParseFromString(kv.value)) {
    return absl::DataLossError(absl::StrCat("mention ", common::AsAbsl(id), " does not parse"));
  }
  return mention;
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
    absl::StatusOr<uint64_t> created = mentions_.Create(id, mention.SerializeAsString());
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
    absl::StatusOr<common::KvEntry> done = mentions_.Get(DoneKey(id));
    if (done.ok()) return result;
    if (done.status().code() != absl::StatusCode::kNotFound) return done.status();
    logger_.Info("mention repeated before it was fully announced; completing",
                 {{"mention_id", id}});
  }
  if (absl::Status s = Announce(result.mention, id); !s.ok()) {
    logger_.Warn("mention stored but not yet announced; a retry completes it",
                 {{"mention_id", id}, {"error", std::string(s.message())}});
    if (s.code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(absl::StrCat("mention stored but not yet announced (",
                                                 s.message(), "); retry the same request"));
    }
    return s;
  }
  return result;
}

absl::Status MentionIntake::Announce(const v1::Mention& mention, std::string_view id) {
  v1::MentionClassified payload;
  *payload.mutable_mention() = mention;
  // The full analysis travels with the event; it is a pure function of the text,
  // so a re-announcement carries the same one under the same event id.
  *payload.mutable_analysis() = classifier_.Analyze(mention.text(), /*outgoing=*/false);
  RETURN_IF_ERROR(
      bus_.Publish(common::MakeEvent(common::subjects::kMentionClassified, payload, kSource,
                                     FromTimestamp(mention.receive_time()),
                                     absl::StrCat("mention.", common::AsAbsl(id), ".classified")))
          .status());
  if (mention.classification().needs_response()) {
    RETURN_IF_ERROR(inbox_.OpenForMention(mention, id).status());
  }
  return mentions_.Put(DoneKey(id), "1").status();
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
