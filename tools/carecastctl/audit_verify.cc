#include "tools/carecastctl/audit_verify.h"

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/store/audit_chain.h"
#include "services/common/store/audit_stream_identity.h"

namespace carecast::ctl {
namespace {

constexpr size_t kPage = 1000;
constexpr int64_t kProgressEvery = 10'000;

}  // namespace

void AuditVerifier::Add(const common::Event& event) {
  if (first_) {
    first_ = false;
    if (event.stream_sequence > 1) {
      problems_.push_back({"", event.stream_sequence,
                           absl::StrCat("the stream starts at sequence ", event.stream_sequence,
                                        ": the entries before it are gone")});
    }
  }
  ++entries_;
  carecast::v1::AuditRecorded recorded;
  if (!common::DecodeEvent(event, &recorded).ok()) {
    problems_.push_back({event.subject, event.stream_sequence, "the entry does not decode"});
    return;
  }
  const carecast::v1::AuditEntry& entry = recorded.entry();
  if (common::AuditEntryHash(entry) != entry.entry_hash()) {
    problems_.push_back(
        {event.subject, event.stream_sequence, "the entry's hash does not match its contents"});
  }
  auto [it, first_of_chain] = last_hash_.try_emplace(event.subject, "");
  if (first_of_chain && !entry.previous_hash().empty()) {
    problems_.push_back({event.subject, event.stream_sequence,
                         "the chain starts after entries that are gone (its first entry links "
                         "to an earlier one)"});
  } else if (!first_of_chain && entry.previous_hash() != it->second) {
    problems_.push_back(
        {event.subject, event.stream_sequence, "the entry does not link to the entry before it"});
  }
  it->second = entry.entry_hash();
}

absl::Status VerifyAuditStream(common::EventBus& bus, std::ostream& out, std::ostream& err,
                               common::KeyValueStore* control) {
  AuditVerifier verifier;
  int identity_problems = 0;
  if (control != nullptr) {
    absl::StatusOr<common::AuditStreamIdentity> identity =
        common::CheckAuditStreamIdentity(bus, *control);
    if (identity.ok() && identity->verdict == common::AuditStreamIdentity::Verdict::kRecreated) {
      ++identity_problems;
      out << "PROBLEM (the stream): it was made again at " << absl::FormatTime(identity->created)
          << "; the one on record was made at " << absl::FormatTime(identity->recorded)
          << ": every entry before is gone and the chains restart (acknowledge with carecastctl "
             "audit acknowledge-recreation once dealt with)\n";
    } else if (!identity.ok() && !absl::IsNotFound(identity.status())) {
      return identity.status();
    }
  }
  uint64_t next = 1;
  int64_t reported = 0;
  while (true) {
    absl::StatusOr<std::vector<common::Event>> page =
        bus.Read(std::string(common::streams::kAudit),
                 std::string(common::events::kAuditPrefix) + ">", next, kPage);
    if (absl::IsNotFound(page.status())) break;  // no audit stream: nothing recorded yet
    if (!page.ok()) return page.status();
    for (const common::Event& event : *page) verifier.Add(event);
    if (verifier.entries() - reported >= kProgressEvery) {
      reported = verifier.entries();
      err << "audit verify: " << reported << " entries read\n";
    }
    if (page->size() < kPage) break;
    next = page->back().stream_sequence + 1;
  }
  for (const AuditProblem& p : verifier.problems()) {
    out << "PROBLEM " << (p.subject.empty() ? "(the stream)" : p.subject) << " at sequence "
        << p.sequence << ": " << p.problem << "\n";
  }
  const size_t problems = verifier.problems().size() + static_cast<size_t>(identity_problems);
  out << "audit verify: " << verifier.entries() << " entries in " << verifier.chains()
      << " chains, " << problems << " problems\n";
  if (problems > 0) return absl::DataLossError(absl::StrCat(problems, " problems in the audit"));
  return absl::OkStatus();
}

}  // namespace carecast::ctl
