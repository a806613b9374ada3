// Spokes, channel accounts and objectives.
#include <cmath>

#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

constexpr size_t kMaxHandleChars = 100;
constexpr size_t kMaxSecretNameBytes = 253;

bool IsKnownNetwork(int network) {
  return network != v1::NETWORK_UNSPECIFIED && v1::Network_IsValid(network);
}

// A secret reference is a name, never a credential: keep it to a name's alphabet.
absl::Status CheckSecretName(std::string_view name) {
  if (name.size() > kMaxSecretNameBytes) {
    return absl::InvalidArgumentError("account.credentials_secret is longer than 253 bytes");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/';
    if (!ok) {
      return absl::InvalidArgumentError(
          "account.credentials_secret must be a secret name of [A-Za-z0-9._/-]");
    }
  }
  return absl::OkStatus();
}

// Reads `keys[offset, offset + page)` from `bucket` into `out`, skipping keys
// deleted meanwhile, and returns the next offset (0 when done).
template <class T, class Add>
absl::StatusOr<uint64_t> ReadPage(common::EntityStore& bucket, const std::vector<std::string>& keys,
                                  uint64_t offset, size_t page, Add&& add) {
  size_t end = std::min<size_t>(keys.size(), offset + page);
  for (size_t i = offset; i < end; ++i) {
    absl::StatusOr<Stored<T>> item = bucket.Get<T>(keys[i]);
    if (!item.ok()) {
      if (item.status().code() == absl::StatusCode::kNotFound) continue;
      return item.status();
    }
    add(std::move(item->value));
  }
  return end < keys.size() ? end : 0;
}

}  // namespace

absl::StatusOr<v1::CreateSpokeResponse> Planner::CreateSpoke(
    const Caller& caller, const v1::CreateSpokeRequest& request) {
  static constexpr std::string_view kMethod = "CreateSpoke";
  return Mutate<v1::CreateSpokeResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateSpokeResponse> {
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange("", "spokes"));
        RETURN_IF_ERROR(CheckText("spoke.display_name", request.spoke().display_name(),
                                  kMaxDisplayNameChars, true));
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("spoke_id", request.spoke_id(), kMethod, caller,
                                                  request.request_id(), &derived));
        const absl::Time now = clock_.Now();
        v1::CreateSpokeResponse response;
        v1::Spoke& spoke = *response.mutable_spoke();
        spoke.set_name(SpokeName(id));
        spoke.set_display_name(request.spoke().display_name());
        *spoke.mutable_create_time() = ToProto(now);
        v1::SpokeCreated event;
        *event.mutable_spoke() = spoke;
        event.set_actor(caller.principal.subject);
        const std::vector<Change> changes = {NewChange({.resource = spoke.name(),
                                                        .base_revision = 0,
                                                        .fact = "created",
                                                        .subject = subjects::kSpokeCreated,
                                                        .payload = &event,
                                                        .action = "spoke.create",
                                                        .version = 1},
                                                       caller, request.request_id(), now)};
        auto created = organisation_.Create(SpokeKey(id), spoke, changes);
        if (!created.ok()) {
          if (created.status().code() != absl::StatusCode::kAlreadyExists) {
            return created.status();
          }
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(spoke.name(), " already exists"));
          }
          (void)organisation_.Settle(SpokeKey(id));
          ASSIGN_OR_RETURN(Stored<v1::Spoke> existing, organisation_.Get<v1::Spoke>(SpokeKey(id)));
          *response.mutable_spoke() = std::move(existing.value);
          return response;
        }
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::ListSpokesResponse> Planner::ListSpokes(const Caller& caller,
                                                           const v1::ListSpokesRequest& request) {
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), "spokes"));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kSpokeKeyPrefix));
  const SpokeScope scope = SpokeScope::For(caller);
  v1::ListSpokesResponse response;
  ASSIGN_OR_RETURN(uint64_t next,
                   ReadPage<v1::Spoke>(organisation_, keys, offset, page, [&](v1::Spoke s) {
                     if (scope.MaySee(s.name())) *response.add_spokes() = std::move(s);
                   }));
  if (next != 0) response.set_next_page_token(EncodePageToken("spokes", next));
  return response;
}

absl::StatusOr<v1::CreateAccountResponse> Planner::CreateAccount(
    const Caller& caller, const v1::CreateAccountRequest& request) {
  static constexpr std::string_view kMethod = "CreateAccount";
  return Mutate<v1::CreateAccountResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateAccountResponse> {
        ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("parent", request.parent()));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(spoke_id), "accounts"));
        const v1::Account& in = request.account();
        if (!IsKnownNetwork(in.network())) {
          return absl::InvalidArgumentError("account.network must be a known network");
        }
        RETURN_IF_ERROR(CheckText("account.handle", in.handle(), kMaxHandleChars, true));
        if (in.time_zone().empty()) {
          return absl::InvalidArgumentError("account.time_zone is required");
        }
        absl::TimeZone zone;
        if (in.time_zone().size() > 64 || !absl::LoadTimeZone(in.time_zone(), &zone)) {
          return absl::InvalidArgumentError(
              "account.time_zone must be an IANA time zone such as America/Chicago");
        }
        RETURN_IF_ERROR(CheckSecretName(in.credentials_secret()));
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("account_id", request.account_id(), kMethod,
                                                  caller, request.request_id(), &derived));
        absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(spoke_id));
        if (!spoke.ok()) return internal::NotFoundAs(spoke.status(), request.parent());

        const absl::Time now = clock_.Now();
        v1::CreateAccountResponse response;
        v1::Account& account = *response.mutable_account();
        account = in;
        account.set_name(AccountResourceName(spoke_id, id));
        *account.mutable_create_time() = ToProto(now);
        const std::string key = AccountKey(spoke_id, id);
        v1::AccountCreated event;
        *event.mutable_account() = account;
        event.set_actor(caller.principal.subject);
        const std::vector<Change> changes = {NewChange({.resource = account.name(),
                                                        .base_revision = 0,
                                                        .fact = "created",
                                                        .subject = subjects::kAccountCreated,
                                                        .payload = &event,
                                                        .action = "account.create",
                                                        .version = 1},
                                                       caller, request.request_id(), now)};
        auto created = organisation_.Create(key, account, changes);
        if (!created.ok()) {
          if (created.status().code() != absl::StatusCode::kAlreadyExists) {
            return created.status();
          }
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(account.name(), " already exists"));
          }
          (void)organisation_.Settle(key);
          ASSIGN_OR_RETURN(Stored<v1::Account> existing, organisation_.Get<v1::Account>(key));
          *response.mutable_account() = std::move(existing.value);
          return response;
        }
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::ListAccountsResponse> Planner::ListAccounts(
    const Caller& caller, const v1::ListAccountsRequest& request) {
  ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("parent", request.parent()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireRead(SpokeName(spoke_id)));
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string scope = absl::StrCat("accounts:", spoke_id);
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), scope));
  absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(spoke_id));
  if (!spoke.ok()) return internal::NotFoundAs(spoke.status(), request.parent());
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(AccountKeyPrefix(spoke_id)));
  v1::ListAccountsResponse response;
  ASSIGN_OR_RETURN(uint64_t next,
                   ReadPage<v1::Account>(organisation_, keys, offset, page, [&](v1::Account a) {
                     *response.add_accounts() = std::move(a);
                   }));
  if (next != 0) response.set_next_page_token(EncodePageToken(scope, next));
  return response;
}

absl::StatusOr<v1::CreateObjectiveResponse> Planner::CreateObjective(
    const Caller& caller, const v1::CreateObjectiveRequest& request) {
  static constexpr std::string_view kMethod = "CreateObjective";
  return Mutate<v1::CreateObjectiveResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateObjectiveResponse> {
        const v1::Objective& in = request.objective();
        RETURN_IF_ERROR(
            CheckText("objective.display_name", in.display_name(), kMaxDisplayNameChars, true));
        if (in.kpi() == v1::KPI_UNSPECIFIED || !v1::Kpi_IsValid(in.kpi())) {
          return absl::InvalidArgumentError("objective.kpi must be a known KPI");
        }
        if (!std::isfinite(in.target()) || in.target() <= 0) {
          return absl::InvalidArgumentError("objective.target must be a number greater than 0");
        }
        RETURN_IF_ERROR(
            CheckTimestamp("objective.start_time", in.has_start_time(), in.start_time()));
        RETURN_IF_ERROR(CheckTimestamp("objective.end_time", in.has_end_time(), in.end_time()));
        if (FromProto(in.start_time()) >= FromProto(in.end_time())) {
          return absl::InvalidArgumentError("objective.start_time must be before end_time");
        }
        if (in.network() != v1::NETWORK_UNSPECIFIED && !IsKnownNetwork(in.network())) {
          return absl::InvalidArgumentError("objective.network must be a known network");
        }
        if (in.spoke().empty()) {
          RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange("", "objectives"));
        }
        if (!in.spoke().empty()) {
          ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("objective.spoke", in.spoke()));
          RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(spoke_id), "objectives"));
          absl::StatusOr<Stored<v1::Spoke>> spoke =
              organisation_.Get<v1::Spoke>(SpokeKey(spoke_id));
          if (!spoke.ok()) return internal::NotFoundAs(spoke.status(), in.spoke());
        }
        RETURN_IF_ERROR(CheckObjectiveCampaign(in));
        RETURN_IF_ERROR(CheckKpiFitsScope(in));
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("objective_id", request.objective_id(), kMethod,
                                                  caller, request.request_id(), &derived));
        const absl::Time now = clock_.Now();
        v1::CreateObjectiveResponse response;
        v1::Objective& objective = *response.mutable_objective();
        objective = in;
        objective.set_name(ObjectiveName(id));
        *objective.mutable_create_time() = ToProto(now);
        v1::ObjectiveCreated event;
        *event.mutable_objective() = objective;
        event.set_actor(caller.principal.subject);
        const std::vector<Change> changes = {NewChange({.resource = objective.name(),
                                                        .base_revision = 0,
                                                        .fact = "created",
                                                        .subject = subjects::kObjectiveCreated,
                                                        .payload = &event,
                                                        .action = "objective.create",
                                                        .version = 1},
                                                       caller, request.request_id(), now)};
        auto created = objectives_.Create(id, objective, changes);
        if (!created.ok()) {
          if (created.status().code() != absl::StatusCode::kAlreadyExists) {
            return created.status();
          }
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(objective.name(), " already exists"));
          }
          (void)objectives_.Settle(id);
          ASSIGN_OR_RETURN(Stored<v1::Objective> existing, objectives_.Get<v1::Objective>(id));
          *response.mutable_objective() = std::move(existing.value);
          return response;
        }
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetObjectiveResponse> Planner::GetObjective(
    const Caller& caller, const v1::GetObjectiveRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseObjectiveName("name", request.name()));
  absl::StatusOr<Stored<v1::Objective>> objective = objectives_.Get<v1::Objective>(id);
  if (!objective.ok()) return internal::NotFoundAs(objective.status(), request.name());
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(objective->value.spoke(), request.name()));
  v1::GetObjectiveResponse response;
  *response.mutable_objective() = std::move(objective->value);
  return response;
}

absl::StatusOr<v1::ListObjectivesResponse> Planner::ListObjectives(
    const Caller& caller, const v1::ListObjectivesRequest& request) {
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), "objectives"));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, objectives_.Keys(""));
  const SpokeScope scope = SpokeScope::For(caller);
  v1::ListObjectivesResponse response;
  ASSIGN_OR_RETURN(uint64_t next,
                   ReadPage<v1::Objective>(objectives_, keys, offset, page, [&](v1::Objective o) {
                     if (scope.MaySee(o.spoke())) *response.add_objectives() = std::move(o);
                   }));
  if (next != 0) response.set_next_page_token(EncodePageToken("objectives", next));
  return response;
}

}  // namespace carecast::planner
