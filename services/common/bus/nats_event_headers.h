// Event <-> NATS message in CloudEvents binary mode: the attributes travel as
// "ce-*" headers, the protobuf body as the payload, the id also as Nats-Msg-Id.
// Internal to the NATS adapter.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include <nats/nats.h>

#include "services/common/bus/event.h"

namespace carecast::common {

inline constexpr char kCeId[] = "ce-id";
inline constexpr char kCeSource[] = "ce-source";
inline constexpr char kCeType[] = "ce-type";
inline constexpr char kCeSpecVersion[] = "ce-specversion";
inline constexpr char kCeTime[] = "ce-time";
inline constexpr char kCeDataContentType[] = "ce-datacontenttype";
inline constexpr char kCeDataSchema[] = "ce-dataschema";
inline constexpr char kNatsMsgId[] = "Nats-Msg-Id";
inline constexpr char kNatsExpectedLastSubjectSequence[] = "Nats-Expected-Last-Subject-Sequence";

// A new message on event.subject carrying the event; the caller owns it.
// `expected_last_subject_sequence` adds JetStream's per-subject CAS header.
absl::StatusOr<natsMsg*> NewEventMsg(const Event& event,
                                     std::optional<uint64_t> expected_last_subject_sequence);

// Reads the envelope back (subject, headers, payload). INVALID_ARGUMENT when
// ce-id is missing or ce-time does not parse. Sequence and delivery count are
// left for the caller, which knows where the message came from.
absl::StatusOr<Event> EventFromMsg(natsMsg* msg);

}  // namespace carecast::common
