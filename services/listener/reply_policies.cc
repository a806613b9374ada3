#include "services/listener/reply_policies.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/utf8.h"
#include "services/common/text/phi_kind.h"
#include "services/listener/audited_change.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kSpokesPrefix = "spokes/";
constexpr std::string_view kHubKey = "policy.hub";
constexpr size_t kMaxTemplateIdBytes = 40;

// "policy.<spoke id>" for "spokes/{spoke}", kHubKey for the hub (empty).
absl::StatusOr<std::string> PolicyKey(std::string_view spoke) {
  if (spoke.empty()) return std::string(kHubKey);
  if (spoke.starts_with(kSpokesPrefix) && common::IsValidId(spoke.substr(kSpokesPrefix.size()))) {
    return absl::StrCat("policy.", common::AsAbsl(spoke.substr(kSpokesPrefix.size())));
  }
  return absl::InvalidArgumentError("spoke must look like spokes/{spoke}, or be empty for the hub");
}

// The policy's resource name in the audit trail: "replyPolicies/<spoke id|hub>".
std::string PolicyResource(std::string_view spoke) {
  if (spoke.empty()) return "replyPolicies/hub";
  return absl::StrCat("replyPolicies/", common::AsAbsl(spoke.substr(kSpokesPrefix.size())));
}

bool IsTemplateId(std::string_view id) {
  if (id.empty() || id.size() > kMaxTemplateIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// What a policy holds, without the fields a write fills in.
bool SameRules(const v1::ReplyPolicy& a, const v1::ReplyPolicy& b) {
  if (a.require_approval() != b.require_approval()) return false;
  if (a.templates_size() != b.templates_size()) return false;
  for (int i = 0; i < a.templates_size(); ++i) {
    if (a.templates(i).id() != b.templates(i).id() ||
        a.templates(i).text() != b.templates(i).text()) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<v1::GuardFinding> GuardOutgoing(const MentionClassifier& classifier,
                                            std::string_view text) {
  std::vector<v1::GuardFinding> findings;
  const v1::TextAnalysis analysis = classifier.Analyze(text, /*outgoing=*/true);
  for (const v1::PhiFinding& phi : analysis.phi_findings()) {
    if (phi.confidence() < common::text::kGuardThreshold) continue;
    v1::GuardFinding& finding = findings.emplace_back();
    finding.set_kind(phi.kind());
    finding.set_field("reply");
    finding.set_begin(phi.begin());
    finding.set_end(phi.end());
    finding.set_reason(phi.reason());
  }
  return findings;
}

v1::ReplyPolicy DefaultReplyPolicy() {
  v1::ReplyPolicy policy;
  policy.set_require_approval(false);
  v1::ReplyTemplate* offline = policy.add_templates();
  offline->set_id("take-it-offline");
  offline->set_text(
      "Thank you for reaching out. We would like to help, and to protect your privacy we "
      "cannot discuss details here. Please send us a private message or call our patient "
      "relations team so we can follow up with you directly.");
  return policy;
}

ReplyPolicies::ReplyPolicies(common::EntityStore& store, const MentionClassifier& classifier,
                             const common::Clock& clock, common::Logger& logger)
    : store_(store), classifier_(classifier), clock_(clock), logger_(logger) {}

absl::StatusOr<std::optional<common::Stored<v1::ReplyPolicy>>> ReplyPolicies::Load(
    std::string_view key) {
  absl::StatusOr<common::Stored<v1::ReplyPolicy>> stored = store_.Get<v1::ReplyPolicy>(key);
  if (absl::IsNotFound(stored.status())) return std::nullopt;
  if (!stored.ok()) return stored.status();
  return std::optional<common::Stored<v1::ReplyPolicy>>(*std::move(stored));
}

absl::StatusOr<v1::ReplyPolicy> ReplyPolicies::Effective(std::string_view spoke) {
  ASSIGN_OR_RETURN(const std::string key, PolicyKey(spoke));
  v1::ReplyPolicy policy = DefaultReplyPolicy();
  ASSIGN_OR_RETURN(std::optional<common::Stored<v1::ReplyPolicy>> own, Load(key));
  if (own.has_value()) {
    policy = std::move(own->value);
  } else if (!spoke.empty()) {
    ASSIGN_OR_RETURN(std::optional<common::Stored<v1::ReplyPolicy>> hub, Load(kHubKey));
    if (hub.has_value()) policy = std::move(hub->value);
  }
  policy.set_spoke(std::string(spoke));
  return policy;
}

absl::StatusOr<v1::ReplyPolicy> ReplyPolicies::Set(const v1::ReplyPolicy& policy,
                                                   std::string_view request_id,
                                                   const common::Caller& caller,
                                                   const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(const std::string key, PolicyKey(policy.spoke()));
  RETURN_IF_ERROR(scope.RequireChange(policy.spoke(), "reply policy"));
  if (policy.templates_size() > kMaxReplyTemplates) {
    return absl::InvalidArgumentError(
        absl::StrCat("a policy holds at most ", kMaxReplyTemplates, " templates"));
  }
  std::set<std::string> ids;
  for (const v1::ReplyTemplate& t : policy.templates()) {
    if (!IsTemplateId(t.id())) {
      return absl::InvalidArgumentError(
          "a template id must be 1 to 40 characters of a-z, 0-9, '_' and '-'");
    }
    if (!ids.insert(t.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("template id ", common::AsAbsl(t.id()), " is repeated"));
    }
    if (t.text().empty() || !common::IsValidUtf8(t.text()) ||
        common::CodePointCount(t.text()) > kMaxReplyChars) {
      return absl::InvalidArgumentError(absl::StrCat("template ", common::AsAbsl(t.id()),
                                                     " must be 1 to 2000 characters of UTF-8"));
    }
    if (std::vector<v1::GuardFinding> found = GuardOutgoing(classifier_, t.text());
        !found.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("template ", common::AsAbsl(t.id()),
                                                     " is refused by the outgoing guard (",
                                                     common::AsAbsl(found.front().kind()), ")"));
    }
  }

  const ChangeActor actor = ChangeActor::Of(caller);
  const std::string resource = PolicyResource(policy.spoke());
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<common::Stored<v1::ReplyPolicy>> stored, Load(key));
    if (stored.has_value() && SameRules(stored->value, policy)) return stored->value;
    v1::ReplyPolicy next;
    next.set_spoke(policy.spoke());
    next.set_require_approval(policy.require_approval());
    *next.mutable_templates() = policy.templates();
    next.set_updated_by(actor.subject);
    const absl::Time now = clock_.Now();
    *next.mutable_update_time() = ToTimestamp(now);
    v1::ReplyPolicyChanged payload;
    *payload.mutable_policy() = next;
    payload.set_actor(actor.subject);
    const uint64_t base = stored.has_value() ? stored->revision : 0;
    std::vector<common::Change> changes = {AuditedChange(
        common::events::kReplyPolicySet, payload, resource, absl::StrCat("b", base, ".set"), actor,
        request_id,
        absl::StrCat("approval ", next.require_approval() ? "required" : "not required", "; ",
                     next.templates_size(), " templates"),
        now)};
    absl::StatusOr<common::Stored<v1::ReplyPolicy>> written =
        stored.has_value() ? store_.Update(key, next, *stored, changes)
                           : store_.Create(key, next, changes);
    if (absl::IsAborted(written.status()) || absl::IsAlreadyExists(written.status())) continue;
    if (!written.ok()) return written.status();
    logger_.Info("reply policy set",
                 {{"resource", resource},
                  {"require_approval", next.require_approval() ? "true" : "false"},
                  {"templates", absl::StrCat(next.templates_size())}});
    return written->value;
  }
  return absl::AbortedError("the reply policy kept changing; retry");
}

}  // namespace carecast::listener
