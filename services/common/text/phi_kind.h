// Kinds of personal / health information the engine reports, and one finding.
#pragma once

#include <cstdint>
#include <string_view>

namespace carecast::common::text {

// HIPAA Safe Harbor identifier kinds that occur in text, plus patient
// disclosure (a person with a condition, treatment or visit) and, for outgoing
// text, phrases that confirm someone is a patient and individual medical advice.
enum class PhiKind : uint8_t {
  kName,
  kDate,
  kAgeOver89,
  kPhone,
  kFax,
  kEmail,
  kSsn,
  kMedicalRecordNumber,
  kHealthPlanNumber,
  kAccountNumber,
  kStreetAddress,
  kZipCode,
  kUrl,
  kIpAddress,
  kDeviceId,
  kLicensePlate,
  kLicenseNumber,
  kOtherId,
  kPatientDisclosure,
  kPatientConfirmation,
  kMedicalAdvice,
};
inline constexpr int kPhiKindCount = 21;

// Stable lowercase name used in protos and logs, e.g. "medical_record_number".
std::string_view PhiKindName(PhiKind kind);

// Findings at or above this confidence go to a human before publishing.
inline constexpr double kGuardThreshold = 0.5;

struct PhiFinding {
  PhiKind kind;
  // UTF-8 byte offsets into the analysed text, end exclusive.
  uint32_t begin;
  uint32_t end;
  double confidence;
  // Why it was flagged (for reply frames, the frame: "reply_medical_advice:
  // change_medicine + medicine"). Never contains the text; valid while the
  // TextAnalyzer that produced it lives.
  std::string_view reason;
};

}  // namespace carecast::common::text
