// Audiences and campaigns, the P and S of POST. Both live in the organisation
// bucket ("audiences.<id>", "campaigns.<id>"). A campaign names objectives and
// audiences that must exist and fit its spoke; content joins a campaign under
// one of its pillars, which is why a pillar id, once created, is never removed.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/bus/subjects.h"
#include "services/planner/content_rules.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

constexpr size_t kMaxDescriptionChars = 2000;
constexpr size_t kMaxLocations = 20;
constexpr size_t kMaxLocationChars = 100;
constexpr size_t kMaxCampaignObjectives = 20;
constexpr size_t kMaxCampaignAudiences = 20;
constexpr size_t kMaxPillars = 12;
constexpr absl::Duration kMaxCampaignLength = absl::Hours(24 * (5 * 365 + 1));

// Each of `names` parses with `parse`, at most `max` of them, none twice.
template <class Parse>
absl::Status CheckNameList(std::string_view field,
                           const google::protobuf::RepeatedPtrField<std::string>& names, size_t max,
                           Parse&& parse) {
  if (static_cast<size_t>(names.size()) > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " lists more than ", max, " entries"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < names.size(); ++i) {
    const std::string entry = absl::StrCat(AsAbsl(field), "[", i, "]");
    RETURN_IF_ERROR(parse(entry, names[i]).status());
    if (!seen.insert(names[i]).second) {
      return absl::InvalidArgumentError(absl::StrCat(entry, " names ", names[i], " twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAudience(const v1::Audience& in) {
  RETURN_IF_ERROR(
      CheckText("audience.display_name", in.display_name(), kMaxDisplayNameChars, true));
  RETURN_IF_ERROR(CheckText("audience.description", in.description(), kMaxDescriptionChars, false));
  if (static_cast<size_t>(in.locations_size()) > kMaxLocations) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience.locations lists more than ", kMaxLocations, " places"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < in.locations_size(); ++i) {
    const std::string field = absl::StrCat("audience.locations[", i, "]");
    RETURN_IF_ERROR(CheckText(field, in.locations(i), kMaxLocationChars, true));
    if (!seen.insert(in.locations(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is named twice"));
    }
  }
  RETURN_IF_ERROR(CheckNetworks("audience.networks", in.networks()));
  if (!in.spoke().empty()) RETURN_IF_ERROR(ParseSpokeName("audience.spoke", in.spoke()).status());
  return absl::OkStatus();
}

// The checks of a campaign that need nothing stored.
absl::Status ValidateCampaign(const v1::Campaign& in) {
  RETURN_IF_ERROR(
      CheckText("campaign.display_name", in.display_name(), kMaxDisplayNameChars, true));
  RETURN_IF_ERROR(CheckText("campaign.description", in.description(), kMaxDescriptionChars, false));
  RETURN_IF_ERROR(CheckNameList("campaign.objectives", in.objectives(), kMaxCampaignObjectives,
                                ParseObjectiveName));
  RETURN_IF_ERROR(CheckNameList("campaign.audiences", in.audiences(), kMaxCampaignAudiences,
                                ParseAudienceName));
  if (in.pillars_size() == 0 || static_cast<size_t>(in.pillars_size()) > kMaxPillars) {
    return absl::InvalidArgumentError(
        absl::StrCat("campaign.pillars must hold 1 to ", kMaxPillars, " content pillars"));
  }
  std::set<std::string> ids;
  for (int i = 0; i < in.pillars_size(); ++i) {
    const v1::ContentPillar& pillar = in.pillars(i);
    const std::string field = absl::StrCat("campaign.pillars[", i, "]");
    if (!common::IsValidId(pillar.id())) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".id must be 1-63 characters of [a-z0-9-] starting with a letter or digit"));
    }
    if (!ids.insert(pillar.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".id '", pillar.id(), "' is used by another pillar"));
    }
    RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".display_name"), pillar.display_name(),
                              kMaxDisplayNameChars, true));
  }
  RETURN_IF_ERROR(CheckNetworks("campaign.networks", in.networks()));
  RETURN_IF_ERROR(CheckTimestamp("campaign.start_time", in.has_start_time(), in.start_time()));
  RETURN_IF_ERROR(CheckTimestamp("campaign.end_time", in.has_end_time(), in.end_time()));
  const absl::Time start = FromProto(in.start_time());
  const absl::Time end = FromProto(in.end_time());
  if (start >= end) {
    return absl::InvalidArgumentError("campaign.start_time must be before end_time");
  }
  if (end - start > kMaxCampaignLength) {
    return absl::InvalidArgumentError("campaign runs longer than 5 years");
  }
  if (!in.spoke().empty()) RETURN_IF_ERROR(ParseSpokeName("campaign.spoke", in.spoke()).status());
  return absl::OkStatus();
}

// The fields a caller sets, copied onto `out` (name, spoke and output-only
// fields are left to the caller).
void CopyCampaignBody(const v1::Campaign& in, v1::Campaign& out) {
  out.set_display_name(in.display_name());
  out.set_description(in.description());
  *out.mutable_objectives() = in.objectives();
  *out.mutable_audiences() = in.audiences();
  *out.mutable_pillars() = in.pillars();
  *out.mutable_networks() = in.networks();
  *out.mutable_start_time() = in.start_time();
  *out.mutable_end_time() = in.end_time();
  out.set_archived(in.archived());
}

// A reference to a resource that is not there is a precondition of the
// request, not the resource the request is about: FAILED_PRECONDITION.
absl::Status Missing(const absl::Status& status, std::string_view field, std::string_view name) {
  if (absl::IsNotFound(status)) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(field), " names ", AsAbsl(name), ", which does not exist"));
  }
  return status;
}

// Two scopes fit when either is system-wide or both are the same spoke.
bool SpokesFit(std::string_view a, std::string_view b) { return a.empty() || b.empty() || a == b; }

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

// Audiences written before versions read as version 1.
int64_t AudienceVersion(const v1::Audience& a) { return std::max<int64_t>(a.version(), 1); }

// NOT_FOUND for a deleted audience, as for one that never was.
absl::StatusOr<Stored<v1::Audience>> LiveAudience(common::EntityStore& store,
                                                  const std::string& key, std::string_view name) {
  absl::StatusOr<Stored<v1::Audience>> audience = store.Get<v1::Audience>(key);
  if (!audience.ok()) return internal::NotFoundAs(audience.status(), name);
  if (audience->value.has_delete_time()) {
    return absl::NotFoundError(absl::StrCat(AsAbsl(name), " not found"));
  }
  return audience;
}

// Whether a post on `network` at `at` lies outside `campaign`'s networks or
// its [start_time, end_time).
bool OutsideCampaign(const v1::Campaign& campaign, v1::Network network, absl::Time at) {
  const bool network_fits = campaign.networks().empty() ||
                            std::find(campaign.networks().begin(), campaign.networks().end(),
                                      network) != campaign.networks().end();
  return !network_fits || at < FromProto(campaign.start_time()) ||
         at >= FromProto(campaign.end_time());
}

v1::AudienceChanged AudienceEvent(const v1::Audience& audience, const common::Caller& caller) {
  v1::AudienceChanged event;
  *event.mutable_audience() = audience;
  event.set_actor(caller.principal.subject);
  return event;
}

}  // namespace

absl::Status Planner::CheckPostCampaign(const v1::Content& content, v1::Network network,
                                        std::optional<absl::Time> publish_time,
                                        std::optional<std::pair<absl::Time, absl::Time>>* window) {
  if (content.campaign().empty()) return absl::OkStatus();
  return CheckCampaignFit(content.campaign(), "content.campaign", network, publish_time, window);
}

absl::Status Planner::CheckCampaignFit(std::string_view campaign, std::string_view field,
                                       v1::Network network, std::optional<absl::Time> publish_time,
                                       std::optional<std::pair<absl::Time, absl::Time>>* window) {
  ASSIGN_OR_RETURN(std::string id, ParseCampaignName(field, campaign));
  absl::StatusOr<Stored<v1::Campaign>> stored = organisation_.Get<v1::Campaign>(CampaignKey(id));
  RETURN_IF_ERROR(Missing(stored.status(), field, campaign));
  const v1::Campaign& c = stored->value;
  const absl::Time start = FromProto(c.start_time());
  const absl::Time end = FromProto(c.end_time());
  if (window != nullptr) *window = std::make_pair(start, end);
  if (!c.networks().empty() &&
      std::find(c.networks().begin(), c.networks().end(), network) == c.networks().end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "network ", AsAbsl(NetworkField(network)), " is not one of the networks of campaign ",
        c.name(), "; add it to the campaign or post on one of its networks"));
  }
  if (publish_time.has_value() && (*publish_time < start || *publish_time >= end)) {
    return absl::FailedPreconditionError(
        absl::StrCat("publish_time ", Rfc3339(*publish_time), " is outside campaign ", c.name(),
                     " (from ", Rfc3339(start), " up to, not including, ", Rfc3339(end), ")"));
  }
  return absl::OkStatus();
}

absl::Status Planner::CheckCampaignReferences(const v1::Campaign& campaign) {
  if (!campaign.spoke().empty()) {
    ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("campaign.spoke", campaign.spoke()));
    RETURN_IF_ERROR(Missing(organisation_.Get<v1::Spoke>(SpokeKey(spoke_id)).status(),
                            "campaign.spoke", campaign.spoke()));
  }
  for (int i = 0; i < campaign.objectives_size(); ++i) {
    const std::string field = absl::StrCat("campaign.objectives[", i, "]");
    const std::string& name = campaign.objectives(i);
    ASSIGN_OR_RETURN(std::string id, ParseObjectiveName(field, name));
    absl::StatusOr<Stored<v1::Objective>> objective = objectives_.Get<v1::Objective>(id);
    RETURN_IF_ERROR(Missing(objective.status(), field, name));
    const v1::Objective& o = objective->value;
    if (!o.campaign().empty() && o.campaign() != campaign.name()) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": ", name, " is scoped to ", o.campaign()));
    }
    if (!SpokesFit(o.spoke(), campaign.spoke())) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": ", name, " belongs to ", o.spoke(), ", the campaign to ", campaign.spoke()));
    }
  }
  for (int i = 0; i < campaign.audiences_size(); ++i) {
    const std::string field = absl::StrCat("campaign.audiences[", i, "]");
    const std::string& name = campaign.audiences(i);
    ASSIGN_OR_RETURN(std::string id, ParseAudienceName(field, name));
    absl::StatusOr<Stored<v1::Audience>> audience =
        LiveAudience(organisation_, AudienceKey(id), name);
    RETURN_IF_ERROR(Missing(audience.status(), field, name));
    if (!SpokesFit(audience->value.spoke(), campaign.spoke())) {
      return absl::FailedPreconditionError(absl::StrCat(field, ": ", name, " belongs to ",
                                                        audience->value.spoke(),
                                                        ", the campaign to ", campaign.spoke()));
    }
  }
  return absl::OkStatus();
}

absl::Status Planner::CheckContentCampaign(std::string_view campaign, std::string_view pillar,
                                           std::string_view spoke,
                                           std::string_view current_campaign) {
  if (campaign.empty()) {
    if (!pillar.empty()) {
      return absl::InvalidArgumentError("content.pillar is set without a content.campaign");
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string id, ParseCampaignName("content.campaign", campaign));
  if (pillar.empty()) {
    return absl::InvalidArgumentError(
        "content.pillar is required with a campaign: name one of its pillars");
  }
  absl::StatusOr<Stored<v1::Campaign>> stored = organisation_.Get<v1::Campaign>(CampaignKey(id));
  RETURN_IF_ERROR(Missing(stored.status(), "content.campaign", campaign));
  const v1::Campaign& c = stored->value;
  if (c.archived() && campaign != current_campaign) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(campaign), " is archived and takes no new content"));
  }
  if (!c.spoke().empty() && c.spoke() != spoke) {
    return absl::FailedPreconditionError(absl::StrCat(
        AsAbsl(campaign), " belongs to ", c.spoke(), "; content of ",
        spoke.empty() ? std::string("the whole system") : std::string(spoke), " cannot join it"));
  }
  const bool has_pillar = std::any_of(c.pillars().begin(), c.pillars().end(),
                                      [&](const v1::ContentPillar& p) { return p.id() == pillar; });
  if (!has_pillar) {
    return absl::FailedPreconditionError(absl::StrCat("content.pillar '", AsAbsl(pillar),
                                                      "' is not a pillar of ", AsAbsl(campaign)));
  }
  return absl::OkStatus();
}

absl::Status Planner::CheckObjectiveCampaign(const v1::Objective& objective) {
  if (objective.campaign().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string id, ParseCampaignName("objective.campaign", objective.campaign()));
  absl::StatusOr<Stored<v1::Campaign>> stored = organisation_.Get<v1::Campaign>(CampaignKey(id));
  RETURN_IF_ERROR(Missing(stored.status(), "objective.campaign", objective.campaign()));
  if (!SpokesFit(objective.spoke(), stored->value.spoke())) {
    return absl::FailedPreconditionError(
        absl::StrCat("objective.spoke ", objective.spoke(), " does not fit ", objective.campaign(),
                     ", which belongs to ", stored->value.spoke()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::CreateAudienceResponse> Planner::CreateAudience(
    const Caller& caller, const v1::CreateAudienceRequest& request) {
  static constexpr std::string_view kMethod = "CreateAudience";
  return Mutate<v1::CreateAudienceResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateAudienceResponse> {
        const v1::Audience& in = request.audience();
        RETURN_IF_ERROR(ValidateAudience(in));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(in.spoke(), "audiences"));
        if (!in.spoke().empty()) {
          ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("audience.spoke", in.spoke()));
          RETURN_IF_ERROR(Missing(organisation_.Get<v1::Spoke>(SpokeKey(spoke_id)).status(),
                                  "audience.spoke", in.spoke()));
        }
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("audience_id", request.audience_id(), kMethod,
                                                  caller, request.request_id(), &derived));
        const absl::Time now = clock_.Now();
        v1::CreateAudienceResponse response;
        v1::Audience& audience = *response.mutable_audience();
        audience.set_name(AudienceName(id));
        audience.set_display_name(in.display_name());
        audience.set_description(in.description());
        *audience.mutable_locations() = in.locations();
        *audience.mutable_networks() = in.networks();
        audience.set_spoke(in.spoke());
        audience.set_created_by(caller.principal.subject);
        *audience.mutable_create_time() = ToProto(now);
        audience.set_version(1);
        audience.set_updated_by(caller.principal.subject);
        *audience.mutable_update_time() = ToProto(now);
        v1::AudienceCreated event;
        *event.mutable_audience() = audience;
        event.set_actor(caller.principal.subject);
        const std::vector<Change> changes = {NewChange({.resource = audience.name(),
                                                        .base_revision = 0,
                                                        .fact = "created",
                                                        .subject = subjects::kAudienceCreated,
                                                        .payload = &event,
                                                        .action = "audience.create",
                                                        .version = 1},
                                                       caller, request.request_id(), now)};
        const std::string key = AudienceKey(id);
        auto created = organisation_.Create(key, audience, changes);
        if (!created.ok()) {
          if (!absl::IsAlreadyExists(created.status())) return created.status();
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(audience.name(), " already exists"));
          }
          // A retry whose first attempt wrote but kept no replay record.
          (void)organisation_.Settle(key);
          ASSIGN_OR_RETURN(Stored<v1::Audience> existing, organisation_.Get<v1::Audience>(key));
          *response.mutable_audience() = std::move(existing.value);
          return response;
        }
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetAudienceResponse> Planner::GetAudience(
    const Caller& caller, const v1::GetAudienceRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseAudienceName("name", request.name()));
  ASSIGN_OR_RETURN(Stored<v1::Audience> audience,
                   LiveAudience(organisation_, AudienceKey(id), request.name()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(audience.value.spoke(), request.name()));
  v1::GetAudienceResponse response;
  *response.mutable_audience() = std::move(audience.value);
  return response;
}

absl::StatusOr<v1::ListAudiencesResponse> Planner::ListAudiences(
    const Caller& caller, const v1::ListAudiencesRequest& request) {
  if (!request.spoke().empty()) {
    RETURN_IF_ERROR(ParseSpokeName("spoke", request.spoke()).status());
  }
  const SpokeScope spokes = SpokeScope::For(caller);
  if (!request.spoke().empty()) RETURN_IF_ERROR(spokes.RequireRead(request.spoke()));
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string scope = absl::StrCat("audiences:", request.spoke());
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), scope));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kAudienceKeyPrefix));
  std::sort(keys.begin(), keys.end());
  v1::ListAudiencesResponse response;
  ASSIGN_OR_RETURN(uint64_t next,
                   internal::FilteredPage<v1::Audience>(
                       organisation_, keys, offset, page,
                       [&](const v1::Audience& a) {
                         if (a.has_delete_time() || !spokes.MaySee(a.spoke())) return false;
                         return request.spoke().empty() || SpokesFit(a.spoke(), request.spoke());
                       },
                       [&](v1::Audience a) { *response.add_audiences() = std::move(a); }));
  if (next != 0) response.set_next_page_token(EncodePageToken(scope, next));
  return response;
}

absl::StatusOr<v1::UpdateAudienceResponse> Planner::UpdateAudience(
    const Caller& caller, const v1::UpdateAudienceRequest& request) {
  return Mutate<v1::UpdateAudienceResponse>(
      caller, "UpdateAudience", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::UpdateAudienceResponse> {
        const v1::Audience& in = request.audience();
        ASSIGN_OR_RETURN(std::string id, ParseAudienceName("audience.name", in.name()));
        if (request.expected_version() <= 0) {
          return absl::InvalidArgumentError(
              "expected_version is required (the version that was read)");
        }
        RETURN_IF_ERROR(ValidateAudience(in));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::Audience> written,
            internal::ReadModifyWrite<v1::Audience>(
                organisation_, AudienceKey(id), in.name(),
                [&](v1::Audience& audience) -> absl::Status {
                  if (audience.has_delete_time()) {
                    return absl::NotFoundError(absl::StrCat(in.name(), " not found"));
                  }
                  RETURN_IF_ERROR(scope.RequireChangeOf(audience.spoke(), audience.name()));
                  const int64_t version = AudienceVersion(audience);
                  if (version != request.expected_version()) {
                    return absl::AbortedError(
                        absl::StrCat(audience.name(), " is at version ", version, ", not ",
                                     request.expected_version(), "; read it again"));
                  }
                  if (!in.spoke().empty() && in.spoke() != audience.spoke()) {
                    return absl::InvalidArgumentError(absl::StrCat(
                        "audience.spoke cannot change (", audience.name(), " belongs to ",
                        audience.spoke().empty() ? "the whole system" : audience.spoke(), ")"));
                  }
                  audience.set_display_name(in.display_name());
                  audience.set_description(in.description());
                  *audience.mutable_locations() = in.locations();
                  *audience.mutable_networks() = in.networks();
                  audience.set_version(version + 1);
                  audience.set_updated_by(caller.principal.subject);
                  *audience.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Audience& after, uint64_t base) {
                  const v1::AudienceChanged event = AudienceEvent(after, caller);
                  return std::vector<Change>{NewChange({.resource = after.name(),
                                                        .base_revision = base,
                                                        .fact = "updated",
                                                        .subject = subjects::kAudienceUpdated,
                                                        .payload = &event,
                                                        .action = "audience.update",
                                                        .version = after.version()},
                                                       caller, request.request_id(), now)};
                }));
        wrote = true;
        v1::UpdateAudienceResponse response;
        *response.mutable_audience() = std::move(written.value);
        return response;
      });
}

absl::StatusOr<v1::DeleteAudienceResponse> Planner::DeleteAudience(
    const Caller& caller, const v1::DeleteAudienceRequest& request) {
  return Mutate<v1::DeleteAudienceResponse>(
      caller, "DeleteAudience", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::DeleteAudienceResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseAudienceName("name", request.name()));
        if (request.expected_version() < 0) {
          return absl::InvalidArgumentError("expected_version must not be negative");
        }
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        // Scope first, so a caller who may not change it learns nothing of the
        // campaigns that name it.
        ASSIGN_OR_RETURN(Stored<v1::Audience> current,
                         LiveAudience(organisation_, AudienceKey(id), request.name()));
        RETURN_IF_ERROR(scope.RequireChangeOf(current.value.spoke(), request.name()));
        // Every campaign naming it, archived or not: a campaign must never name
        // an audience that is gone. A campaign that comes to name it between
        // this scan and the write below is the one race left (CreateCampaign
        // and UpdateCampaign read the audience as live just before).
        ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kCampaignKeyPrefix));
        std::sort(keys.begin(), keys.end());
        std::vector<std::string> naming;
        for (const std::string& key : keys) {
          absl::StatusOr<Stored<v1::Campaign>> campaign = organisation_.Get<v1::Campaign>(key);
          if (absl::IsNotFound(campaign.status())) continue;
          RETURN_IF_ERROR(campaign.status());
          const auto& audiences = campaign->value.audiences();
          if (std::find(audiences.begin(), audiences.end(), request.name()) != audiences.end()) {
            naming.push_back(campaign->value.name());
          }
        }
        if (!naming.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              request.name(), " is named by ", naming.size(),
              naming.size() == 1 ? " campaign: " : " campaigns: ", absl::StrJoin(naming, ", "),
              "; remove it from them first"));
        }
        ASSIGN_OR_RETURN(
            Stored<v1::Audience> written,
            internal::ReadModifyWrite<v1::Audience>(
                organisation_, AudienceKey(id), request.name(),
                [&](v1::Audience& audience) -> absl::Status {
                  if (audience.has_delete_time()) {
                    return absl::NotFoundError(absl::StrCat(request.name(), " not found"));
                  }
                  RETURN_IF_ERROR(scope.RequireChangeOf(audience.spoke(), audience.name()));
                  const int64_t version = AudienceVersion(audience);
                  if (request.expected_version() != 0 && version != request.expected_version()) {
                    return absl::AbortedError(
                        absl::StrCat(audience.name(), " is at version ", version, ", not ",
                                     request.expected_version(), "; read it again"));
                  }
                  audience.set_version(version + 1);
                  audience.set_deleted_by(caller.principal.subject);
                  *audience.mutable_delete_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Audience& after, uint64_t base) {
                  const v1::AudienceChanged event = AudienceEvent(after, caller);
                  return std::vector<Change>{NewChange({.resource = after.name(),
                                                        .base_revision = base,
                                                        .fact = "deleted",
                                                        .subject = subjects::kAudienceDeleted,
                                                        .payload = &event,
                                                        .action = "audience.delete",
                                                        .version = after.version()},
                                                       caller, request.request_id(), now)};
                }));
        wrote = true;
        v1::DeleteAudienceResponse response;
        *response.mutable_audience() = std::move(written.value);
        return response;
      });
}

absl::StatusOr<v1::CreateCampaignResponse> Planner::CreateCampaign(
    const Caller& caller, const v1::CreateCampaignRequest& request) {
  static constexpr std::string_view kMethod = "CreateCampaign";
  return Mutate<v1::CreateCampaignResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateCampaignResponse> {
        const v1::Campaign& in = request.campaign();
        RETURN_IF_ERROR(ValidateCampaign(in));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(in.spoke(), "campaigns"));
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("campaign_id", request.campaign_id(), kMethod,
                                                  caller, request.request_id(), &derived));
        const absl::Time now = clock_.Now();
        v1::CreateCampaignResponse response;
        v1::Campaign& campaign = *response.mutable_campaign();
        campaign.set_name(CampaignName(id));
        CopyCampaignBody(in, campaign);
        campaign.set_spoke(in.spoke());
        RETURN_IF_ERROR(CheckCampaignReferences(campaign));
        campaign.set_version(1);
        campaign.set_created_by(caller.principal.subject);
        campaign.set_updated_by(caller.principal.subject);
        *campaign.mutable_create_time() = ToProto(now);
        *campaign.mutable_update_time() = ToProto(now);
        v1::CampaignChanged event;
        *event.mutable_campaign() = campaign;
        event.set_actor(caller.principal.subject);
        const std::vector<Change> changes = {NewChange({.resource = campaign.name(),
                                                        .base_revision = 0,
                                                        .fact = "created",
                                                        .subject = subjects::kCampaignCreated,
                                                        .payload = &event,
                                                        .action = "campaign.create",
                                                        .version = 1},
                                                       caller, request.request_id(), now)};
        const std::string key = CampaignKey(id);
        auto created = organisation_.Create(key, campaign, changes);
        if (!created.ok()) {
          if (!absl::IsAlreadyExists(created.status())) return created.status();
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(campaign.name(), " already exists"));
          }
          (void)organisation_.Settle(key);
          ASSIGN_OR_RETURN(Stored<v1::Campaign> existing, organisation_.Get<v1::Campaign>(key));
          *response.mutable_campaign() = std::move(existing.value);
          return response;
        }
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetCampaignResponse> Planner::GetCampaign(
    const Caller& caller, const v1::GetCampaignRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseCampaignName("name", request.name()));
  absl::StatusOr<Stored<v1::Campaign>> campaign = organisation_.Get<v1::Campaign>(CampaignKey(id));
  if (!campaign.ok()) return internal::NotFoundAs(campaign.status(), request.name());
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(campaign->value.spoke(), request.name()));
  v1::GetCampaignResponse response;
  *response.mutable_campaign() = std::move(campaign->value);
  return response;
}

absl::StatusOr<v1::ListCampaignsResponse> Planner::ListCampaigns(
    const Caller& caller, const v1::ListCampaignsRequest& request) {
  if (!request.spoke().empty()) {
    RETURN_IF_ERROR(ParseSpokeName("spoke", request.spoke()).status());
  }
  const SpokeScope spokes = SpokeScope::For(caller);
  if (!request.spoke().empty()) RETURN_IF_ERROR(spokes.RequireRead(request.spoke()));
  std::optional<absl::Time> active_at;
  std::string scope = absl::StrCat("campaigns:", request.spoke());
  if (request.has_active_at()) {
    RETURN_IF_ERROR(CheckTimestamp("active_at", true, request.active_at()));
    active_at = FromProto(request.active_at());
    absl::StrAppend(&scope, ":", request.active_at().seconds(), ".", request.active_at().nanos());
  }
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), scope));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kCampaignKeyPrefix));
  std::sort(keys.begin(), keys.end());
  v1::ListCampaignsResponse response;
  auto keep = [&](const v1::Campaign& c) {
    if (!spokes.MaySee(c.spoke())) return false;
    if (!request.spoke().empty() && !SpokesFit(c.spoke(), request.spoke())) return false;
    if (!active_at) return true;
    return !c.archived() && FromProto(c.start_time()) <= *active_at &&
           *active_at < FromProto(c.end_time());
  };
  ASSIGN_OR_RETURN(uint64_t next, internal::FilteredPage<v1::Campaign>(
                                      organisation_, keys, offset, page, keep, [&](v1::Campaign c) {
                                        *response.add_campaigns() = std::move(c);
                                      }));
  if (next != 0) response.set_next_page_token(EncodePageToken(scope, next));
  return response;
}

absl::StatusOr<v1::UpdateCampaignResponse> Planner::UpdateCampaign(
    const Caller& caller, const v1::UpdateCampaignRequest& request) {
  return Mutate<v1::UpdateCampaignResponse>(
      caller, "UpdateCampaign", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::UpdateCampaignResponse> {
        const v1::Campaign& in = request.campaign();
        ASSIGN_OR_RETURN(std::string id, ParseCampaignName("campaign.name", in.name()));
        if (request.expected_version() <= 0) {
          return absl::InvalidArgumentError(
              "expected_version is required (the version that was read)");
        }
        RETURN_IF_ERROR(ValidateCampaign(in));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::Campaign> written,
            internal::ReadModifyWrite<v1::Campaign>(
                organisation_, CampaignKey(id), in.name(),
                [&](v1::Campaign& campaign) -> absl::Status {
                  RETURN_IF_ERROR(scope.RequireChangeOf(campaign.spoke(), campaign.name()));
                  if (campaign.version() != request.expected_version()) {
                    return absl::AbortedError(
                        absl::StrCat(campaign.name(), " is at version ", campaign.version(),
                                     ", not ", request.expected_version(), "; read it again"));
                  }
                  if (!in.spoke().empty() && in.spoke() != campaign.spoke()) {
                    return absl::InvalidArgumentError(absl::StrCat(
                        "campaign.spoke cannot change (", campaign.name(), " belongs to ",
                        campaign.spoke().empty() ? "the whole system" : campaign.spoke(), ")"));
                  }
                  for (const v1::ContentPillar& kept : campaign.pillars()) {
                    const bool still = std::any_of(
                        in.pillars().begin(), in.pillars().end(),
                        [&](const v1::ContentPillar& p) { return p.id() == kept.id(); });
                    if (!still) {
                      return absl::FailedPreconditionError(
                          absl::StrCat("campaign.pillars drops '", kept.id(),
                                       "': content may name it, so a pillar is never removed"));
                    }
                  }
                  CopyCampaignBody(in, campaign);
                  RETURN_IF_ERROR(CheckCampaignReferences(campaign));
                  campaign.set_version(campaign.version() + 1);
                  campaign.set_updated_by(caller.principal.subject);
                  *campaign.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Campaign& after, uint64_t base) {
                  v1::CampaignChanged event;
                  *event.mutable_campaign() = after;
                  event.set_actor(caller.principal.subject);
                  return std::vector<Change>{
                      NewChange({.resource = after.name(),
                                 .base_revision = base,
                                 .fact = "updated",
                                 .subject = subjects::kCampaignUpdated,
                                 .payload = &event,
                                 .action = "campaign.update",
                                 .version = after.version(),
                                 .detail = after.archived() ? "archived" : ""},
                                caller, request.request_id(), now)};
                }));
        wrote = true;
        v1::UpdateCampaignResponse response;
        *response.mutable_campaign() = std::move(written.value);
        RETURN_IF_ERROR(SettlePostsOutside(caller, response.campaign(),
                                           request.cancel_posts_outside(), request.request_id(),
                                           now, response));
        return response;
      });
}

absl::Status Planner::SettlePostsOutside(const Caller& caller, const v1::Campaign& campaign,
                                         bool cancel, std::string_view request_id, absl::Time now,
                                         v1::UpdateCampaignResponse& response) {
  // Only posts still to go out; what went out (or is going) is history.
  const std::vector<v1::PostState> states = {v1::POST_STATE_SCHEDULED,
                                             v1::POST_STATE_AWAITING_APPROVAL};
  auto outside = [&](const v1::Post& post) {
    return post.campaign() == campaign.name() &&
           OutsideCampaign(campaign, post.network(), FromProto(post.publish_time()));
  };
  std::vector<std::string> cancelled;
  if (cancel) {
    RETURN_IF_ERROR(
        CancelPostsWhere(caller, outside, states,
                         absl::StrCat("outside ", campaign.name(), " after its update to version ",
                                      campaign.version()),
                         request_id, now, "cancelled_outside_campaign", &cancelled));
    std::sort(cancelled.begin(), cancelled.end());
    for (const std::string& name : cancelled) response.add_cancelled_posts(name);
  }
  std::vector<std::string> left;
  RETURN_IF_ERROR(posts_.kv().Scan("", [&](std::string_view, const common::KvEntry& entry) {
    v1::Post post;
    if (!post.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (outside(post) && std::find(states.begin(), states.end(), post.state()) != states.end()) {
      left.push_back(post.name());
    }
    return absl::OkStatus();
  }));
  std::sort(left.begin(), left.end());
  for (std::string& name : left) response.add_posts_outside(std::move(name));
  return absl::OkStatus();
}

}  // namespace carecast::planner
