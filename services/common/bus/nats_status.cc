#include "services/common/bus/nats_status.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

// JetStream API errors carry precise codes; only the ones callers act on are
// classified here, the rest fall back to the nats.c status.
std::optional<absl::StatusCode> CodeForJetStreamError(int js_error_code, NatsOperation op) {
  switch (js_error_code) {
    case JSStreamWrongLastSequenceErr:
    case JSStreamWrongLastMsgIDErr:
    case JSStreamSequenceNotMatchErr:
      return op == NatsOperation::kKvCreate ? absl::StatusCode::kAlreadyExists
                                            : absl::StatusCode::kAborted;
    case JSStreamNotFoundErr:
    case JSConsumerNotFoundErr:
    case JSNoMessageFoundErr:
    case JSSequenceNotFoundErr:
      return absl::StatusCode::kNotFound;
    case JSStreamNameExistErr:
    case JSConsumerNameExistErr:
      return absl::StatusCode::kAlreadyExists;
    case JSStreamInvalidConfig:
    case JSBadRequestErr:
    case JSStreamSubjectOverlapErr:
    case JSConsumerFilterNotSubsetErr:
    case JSConsumerBadDurableNameErr:
    case JSStreamReplicasNotSupportedErr:
    case JSStreamUpdateErr:
    case JSConsumerCreateErr:
    case JSStreamMessageExceedsMaximumErr:
      return absl::StatusCode::kInvalidArgument;
    case JSClusterNotAvailErr:
    case JSClusterNotLeaderErr:
    case JSClusterNoPeersErr:
    case JSStreamOfflineErr:
    case JSConsumerOfflineErr:
    case JSInsufficientResourcesErr:
    case JSStorageResourcesExceededErr:
    case JSMemoryResourcesExceededErr:
      return absl::StatusCode::kUnavailable;
    case JSNotEnabledErr:
    case JSNotEnabledForAccountErr:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return std::nullopt;
  }
}

absl::StatusCode CodeForNatsStatus(natsStatus status, std::string_view error_text,
                                   NatsOperation op) {
  switch (status) {
    case NATS_OK:
      return absl::StatusCode::kOk;
    case NATS_ERR:
      // Generic: the KV API reports a lost revision check only as text.
      if (absl::StrContains(AsAbsl(error_text), "wrong last sequence")) {
        return op == NatsOperation::kKvCreate ? absl::StatusCode::kAlreadyExists
                                              : absl::StatusCode::kAborted;
      }
      if (absl::StrContains(AsAbsl(error_text), "key exists")) {
        return absl::StatusCode::kAlreadyExists;
      }
      return absl::StatusCode::kInternal;
    case NATS_TIMEOUT:
    case NATS_IO_ERROR:
    case NATS_CONNECTION_CLOSED:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_DRAINING:
    case NATS_NO_RESPONDERS:
    case NATS_SLOW_CONSUMER:
    case NATS_MISSED_HEARTBEAT:
      return absl::StatusCode::kUnavailable;
    case NATS_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case NATS_ADDRESS_MISSING:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_ARG:
    case NATS_INVALID_TIMEOUT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_MAX_PAYLOAD:
      return absl::StatusCode::kInvalidArgument;
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
      return absl::StatusCode::kPermissionDenied;
    case NATS_SECURE_CONNECTION_WANTED:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_NO_SERVER_SUPPORT:
      return absl::StatusCode::kFailedPrecondition;
    case NATS_PROTOCOL_ERROR:
    case NATS_LINE_TOO_LONG:
    case NATS_INVALID_SUBSCRIPTION:
    case NATS_ILLEGAL_STATE:
    case NATS_MAX_DELIVERED_MSGS:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_NO_MEMORY:
    case NATS_SYS_ERROR:
    case NATS_FAILED_TO_INITIALIZE:
    case NATS_NOT_INITIALIZED:
    case NATS_SSL_ERROR:
    case NATS_MISMATCH:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;  // a value outside the enum
}

}  // namespace

absl::Status NatsToStatus(natsStatus status, int js_error_code, std::string_view error_text,
                          std::string_view what, NatsOperation op) {
  if (status == NATS_OK) return absl::OkStatus();
  // nats.c reports "no responders" on a JetStream publish as "JetStream not
  // enabled"; for a publish it means no stream listens on the subject, which is
  // the caller's deployment not being ready: UNAVAILABLE like any missing responder.
  if (status == NATS_NO_RESPONDERS) js_error_code = 0;
  absl::StatusCode code = absl::StatusCode::kInternal;
  if (auto js = CodeForJetStreamError(js_error_code, op); js_error_code != 0 && js.has_value()) {
    code = *js;
  } else {
    code = CodeForNatsStatus(status, error_text, op);
  }
  std::string message = absl::StrCat(AsAbsl(what), ": ", natsStatus_GetText(status));
  if (js_error_code != 0) absl::StrAppend(&message, " (jetstream error ", js_error_code, ")");
  if (!error_text.empty()) absl::StrAppend(&message, ": ", AsAbsl(error_text));
  return absl::Status(code, message);
}

absl::Status LastNatsError(natsStatus status, int js_error_code, std::string_view what,
                           NatsOperation op) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  return NatsToStatus(status, js_error_code, text == nullptr ? "" : text, what, op);
}

}  // namespace carecast::common
