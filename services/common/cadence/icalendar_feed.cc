// Renders the feed as text itself (content lines, escaping, folding) and asks
// libical only for VTIMEZONE data, so the bytes are under this file's control:
// libical 3.0 folds at 75 characters, not octets, and names its zones
// "/freeassociation.sourceforge.net/<IANA name>", which no calendar app maps.
#include "services/common/cadence/icalendar_feed.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"

extern "C" {
#include <libical/ical.h>
}

namespace carecast::common::cadence {
namespace {

// RFC 5545 section 3.1: content lines are folded at 75 octets (CRLF excluded);
// a continuation line starts with one space, which counts toward its 75.
constexpr size_t kLineOctets = 75;
constexpr char kProdId[] = "-//CareCast//Cadence feed 1.0//EN";
// Observances are kept from this long before a zone's earliest use, so the
// offset in force at that instant is defined by one that is kept.
constexpr absl::Duration kZoneMargin = absl::Hours(24 * 400);
// Times outside these years cannot be written as an RFC 5545 DATE-TIME.
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 9999;

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", AsAbsl(why)));
}

// ---- Content lines ----------------------------------------------------------

// Appends `line` with CRLF, folded so that no line exceeds 75 octets and no
// fold falls inside a UTF-8 sequence (the input is valid UTF-8).
void AppendFolded(std::string& out, std::string_view line) {
  size_t room = kLineOctets;
  while (line.size() > room) {
    size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out.append(line.data(), cut);
    out.append("\r\n ");
    line.remove_prefix(cut);
    room = kLineOctets - 1;
  }
  out.append(line.data(), line.size());
  out.append("\r\n");
}

// TEXT value escaping (section 3.3.11). CR LF and lone CR become "\n" too;
// other control characters, which TEXT may not hold, become spaces.
std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case ';':
        out.append("\\;");
        break;
      case ',':
        out.append("\\,");
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out.append("\\n");
        break;
      case '\n':
        out.append("\\n");
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        out.push_back((u < 0x20 && c != '\t') || u == 0x7F ? ' ' : c);
      }
    }
  }
  return out;
}

std::string UtcStamp(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string LocalStamp(absl::CivilSecond t) {
  return absl::StrFormat("%04d%02d%02dT%02d%02d%02d", t.year(), t.month(), t.day(), t.hour(),
                         t.minute(), t.second());
}

std::string DurationValue(absl::Duration d) {
  const int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes % 60 == 0) return absl::StrCat("PT", minutes / 60, "H");
  return absl::StrCat("PT", minutes, "M");
}

// ---- Validation -------------------------------------------------------------

absl::Status CheckText(std::string_view field, std::string_view text, bool required) {
  if (required && text.empty()) return Invalid(field, "must not be empty");
  if (!IsValidUtf8(text)) return Invalid(field, "is not valid UTF-8");
  return absl::OkStatus();
}

absl::Status CheckYear(std::string_view field, int64_t year) {
  if (year < kMinYear || year > kMaxYear) {
    return Invalid(field, absl::StrCat("must lie in the years ", kMinYear, " to ", kMaxYear));
  }
  return absl::OkStatus();
}

absl::Status CheckInstant(std::string_view field, absl::Time t) {
  return CheckYear(field, absl::ToCivilYear(t, absl::UTCTimeZone()).year());
}

// A URI value is written as is: only printable ASCII without spaces, quotes or
// angle brackets, and only http(s), so no line or property can be injected.
absl::Status CheckUrl(std::string_view field, std::string_view url) {
  const std::string lower = absl::AsciiStrToLower(AsAbsl(url));
  if (lower.rfind("https://", 0) != 0 && lower.rfind("http://", 0) != 0) {
    return Invalid(field, "must be an http or https URL");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') {
      return Invalid(field, "holds a character a URL may not");
    }
  }
  return absl::OkStatus();
}

// The RRULE value is written as given once libical has read it; these are all
// the characters a rule needs, so nothing else can ride along in the line.
absl::Status CheckRuleCharacters(std::string_view field, std::string_view rrule) {
  for (char c : rrule) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '=' && c != ';' && c != ',' &&
        c != '+' && c != '-') {
      return Invalid(field, "holds a character no recurrence rule has");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDomain(std::string_view domain) {
  if (domain.empty()) return Invalid("uid_domain", "must not be empty when there are posts");
  for (char c : domain) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
      return Invalid("uid_domain", "must be a DNS name");
    }
  }
  return absl::OkStatus();
}

// ---- VTIMEZONE from libical -------------------------------------------------

struct ZoneUse {
  absl::TimeZone zone;
  absl::Time earliest = absl::InfiniteFuture();
};

absl::CivilSecond FromIcal(const icaltimetype& t) {
  return absl::CivilSecond(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

// The last onset of an observance (local time; UNTIL is UTC, which is close
// enough given kZoneMargin), or nullopt when its rule never ends.
std::optional<absl::CivilSecond> LastOnset(icalcomponent* observance) {
  std::optional<absl::CivilSecond> last;
  const auto later = [&](absl::CivilSecond t) { last = last ? std::max(*last, t) : t; };
  for (icalproperty* p = icalcomponent_get_first_property(observance, ICAL_ANY_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(observance, ICAL_ANY_PROPERTY)) {
    switch (icalproperty_isa(p)) {
      case ICAL_DTSTART_PROPERTY:
        later(FromIcal(icalproperty_get_dtstart(p)));
        break;
      case ICAL_RDATE_PROPERTY: {
        const icaldatetimeperiodtype rdate = icalproperty_get_rdate(p);
        later(FromIcal(icaltime_is_null_time(rdate.time) ? rdate.period.start : rdate.time));
        break;
      }
      case ICAL_RRULE_PROPERTY: {
        const icalrecurrencetype rule = icalproperty_get_rrule(p);
        if (rule.count > 0 || icaltime_is_null_time(rule.until)) return std::nullopt;
        later(FromIcal(rule.until));
        break;
      }
      default:
        break;
    }
  }
  return last;
}

// One property as an unfolded content line ("NAME;PARAM=x:VALUE").
std::string PropertyLine(icalproperty* p) {
  char* raw = icalproperty_as_ical_string_r(p);
  std::string line = raw != nullptr ? raw : "";
  icalmemory_free_buffer(raw);
  line = absl::StrReplaceAll(line, {{"\r\n ", ""}, {"\r\n\t", ""}, {"\r\n", ""}, {"\n", ""}});
  return line;
}

// The content lines of the VTIMEZONE for `tzid`, with TZID set to the IANA name
// and only the observances needed from `from` on: every one with an onset at or
// after it, and the one before it whose onset is latest. nullopt when libical
// has no data for the zone.
std::optional<std::vector<std::string>> VTimeZoneLines(const std::string& tzid, absl::Time from) {
  static std::mutex mu;  // libical's zone table and component iterators are shared state
  std::lock_guard<std::mutex> lock(mu);
  static std::once_flag quiet;
  std::call_once(quiet, [] { icalerror_set_errors_are_fatal(0); });
  icaltimezone* zone = icaltimezone_get_builtin_timezone(tzid.c_str());
  icalcomponent* vtz = zone != nullptr ? icaltimezone_get_component(zone) : nullptr;
  if (vtz == nullptr) return std::nullopt;
  const absl::CivilSecond cutoff = absl::ToCivilSecond(from - kZoneMargin, absl::UTCTimeZone());

  std::vector<icalcomponent*> observances;
  icalcomponent* latest_before = nullptr;
  absl::CivilSecond latest_onset;
  for (icalcomponent* c = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); c != nullptr;
       c = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
    const icalcomponent_kind kind = icalcomponent_isa(c);
    if (kind != ICAL_XSTANDARD_COMPONENT && kind != ICAL_XDAYLIGHT_COMPONENT) continue;
    observances.push_back(c);
  }
  std::vector<icalcomponent*> kept;
  for (icalcomponent* c : observances) {
    const std::optional<absl::CivilSecond> last = LastOnset(c);
    if (!last || *last >= cutoff) {
      kept.push_back(c);
    } else if (latest_before == nullptr || *last > latest_onset) {
      latest_before = c;
      latest_onset = *last;
    }
  }
  std::vector<std::string> lines = {"BEGIN:VTIMEZONE", absl::StrCat("TZID:", tzid)};
  for (icalproperty* p = icalcomponent_get_first_property(vtz, ICAL_ANY_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(vtz, ICAL_ANY_PROPERTY)) {
    if (icalproperty_isa(p) != ICAL_TZID_PROPERTY) lines.push_back(PropertyLine(p));
  }
  for (icalcomponent* c : observances) {
    if (c != latest_before && std::find(kept.begin(), kept.end(), c) == kept.end()) continue;
    const std::string kind = icalcomponent_kind_to_string(icalcomponent_isa(c));
    lines.push_back(absl::StrCat("BEGIN:", kind));
    for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
      lines.push_back(PropertyLine(p));
    }
    lines.push_back(absl::StrCat("END:", kind));
  }
  lines.push_back("END:VTIMEZONE");
  return lines;
}

// A zone with no offset ever (UTC, Etc/UTC): times in it are written in UTC.
bool IsUtcLike(const absl::TimeZone& zone) {
  absl::TimeZone::CivilTransition transition;
  return !zone.NextTransition(absl::InfinitePast(), &transition) &&
         zone.At(absl::UnixEpoch()).offset == 0;
}

// ---- Rendering --------------------------------------------------------------

class Renderer {
 public:
  explicit Renderer(const ICalendarFeed& feed) : feed_(feed), stamp_(UtcStamp(feed.stamp)) {}

  absl::Status Check();
  absl::StatusOr<std::string> Render();

 private:
  void Line(std::string_view line) { AppendFolded(out_, line); }
  void Text(std::string_view name, std::string_view text) {
    Line(absl::StrCat(AsAbsl(name), ":", EscapeText(text)));
  }
  absl::Status CheckSlots();
  absl::Status CheckPosts();
  absl::Status CheckBlackouts();
  absl::Status ClaimUid(std::string_view field, const std::string& uid);
  const std::string& ZoneOf(const FeedSlotSeries& s) const {
    return s.time_zone.empty() ? feed_.time_zone : s.time_zone;
  }
  // "DTSTART;TZID=America/Chicago:" or "DTSTART:" (a time then ends in Z).
  std::string LocalPrefix(std::string_view name, const std::string& tzid) const;
  std::string LocalValue(absl::CivilSecond t, const std::string& tzid) const;
  void Header();
  absl::Status TimeZones();
  void Slot(const FeedSlotSeries& s);
  void Post(const FeedPost& p);
  void Blackout(const FeedBlackout& b);

  const ICalendarFeed& feed_;
  const std::string stamp_;
  std::map<std::string, ZoneUse> zones_;  // every zone a slot series uses, by name
  std::set<std::string> uids_;
  std::string out_;
};

absl::Status Renderer::ClaimUid(std::string_view field, const std::string& uid) {
  if (absl::Status s = CheckText(field, uid, /*required=*/true); !s.ok()) return s;
  if (!uids_.insert(uid).second) return Invalid(field, "repeats another component's UID");
  return absl::OkStatus();
}

absl::Status Renderer::Check() {
  if (absl::Status s = CheckText("name", feed_.name, /*required=*/true); !s.ok()) return s;
  absl::StatusOr<absl::TimeZone> zone = LoadZone("time_zone", feed_.time_zone);
  if (!zone.ok()) return zone.status();
  if (absl::Status s = CheckInstant("stamp", feed_.stamp); !s.ok()) return s;
  if (feed_.event_length < absl::ZeroDuration() || feed_.event_length > absl::Hours(24)) {
    return Invalid("event_length", "must be between 0 and 24 hours");
  }
  if (feed_.refresh_interval < absl::Minutes(1) ||
      feed_.refresh_interval != absl::Trunc(feed_.refresh_interval, absl::Minutes(1))) {
    return Invalid("refresh_interval", "must be a whole number of minutes, at least one");
  }
  if (absl::Status s = CheckSlots(); !s.ok()) return s;
  if (absl::Status s = CheckBlackouts(); !s.ok()) return s;
  return CheckPosts();
}

absl::Status Renderer::CheckSlots() {
  if (feed_.slots.size() > kMaxFeedSlotSeries) {
    return Invalid("slots", absl::StrCat("at most ", kMaxFeedSlotSeries, " series"));
  }
  for (size_t i = 0; i < feed_.slots.size(); ++i) {
    const FeedSlotSeries& s = feed_.slots[i];
    const std::string field = absl::StrCat("slots[", i, "]");
    if (absl::Status st = ClaimUid(field + ".uid", s.uid); !st.ok()) return st;
    if (absl::Status st = CheckText(field + ".summary", s.summary, false); !st.ok()) return st;
    absl::StatusOr<absl::TimeZone> zone = LoadZone(field + ".time_zone", ZoneOf(s));
    if (!zone.ok()) return zone.status();
    const std::string rule_field = field + ".rrule";
    if (absl::Status st = CheckRuleCharacters(rule_field, s.recurrence.rrule); !st.ok()) return st;
    absl::StatusOr<Recurrence> rule = Recurrence::Create(rule_field, s.recurrence, *zone);
    if (!rule.ok()) return rule.status();
    if (absl::Status st = CheckYear(field + ".start_local", s.recurrence.start_local.year());
        !st.ok()) {
      return st;
    }
    if (s.exdates_local.size() > kMaxFeedExdates) {
      return Invalid(field + ".exdates_local", absl::StrCat("at most ", kMaxFeedExdates));
    }
    for (absl::CivilSecond ex : s.exdates_local) {
      if (absl::Status st = CheckYear(field + ".exdates_local", ex.year()); !st.ok()) return st;
    }
    ZoneUse& use = zones_.try_emplace(ZoneOf(s), ZoneUse{*zone}).first->second;
    use.earliest = std::min(use.earliest, LocalToInstant(s.recurrence.start_local, *zone));
  }
  return absl::OkStatus();
}

absl::Status Renderer::CheckPosts() {
  if (feed_.posts.size() > kMaxFeedPosts) {
    return Invalid("posts", absl::StrCat("at most ", kMaxFeedPosts, " posts"));
  }
  if (!feed_.posts.empty()) {
    if (absl::Status s = CheckDomain(feed_.uid_domain); !s.ok()) return s;
  }
  for (size_t i = 0; i < feed_.posts.size(); ++i) {
    const FeedPost& p = feed_.posts[i];
    const std::string field = absl::StrCat("posts[", i, "]");
    if (absl::Status s = CheckText(field + ".name", p.name, true); !s.ok()) return s;
    if (absl::Status s = ClaimUid(field + ".name", absl::StrCat(p.name, "@", feed_.uid_domain));
        !s.ok()) {
      return s;
    }
    for (const auto& [name, text] :
         {std::pair<const char*, const std::string*>{".summary", &p.summary},
          {".account", &p.account},
          {".network", &p.network}}) {
      if (absl::Status s = CheckText(field + name, *text, false); !s.ok()) return s;
    }
    if (!p.url.empty()) {
      if (absl::Status s = CheckUrl(field + ".url", p.url); !s.ok()) return s;
    }
    if (absl::Status s = CheckInstant(field + ".at", p.at); !s.ok()) return s;
    if (absl::Status s = CheckInstant(field + ".updated", p.updated); !s.ok()) return s;
    if (p.version < 0) return Invalid(field + ".version", "must not be negative");
  }
  return absl::OkStatus();
}

absl::Status Renderer::CheckBlackouts() {
  if (feed_.blackouts.size() > kMaxFeedBlackouts) {
    return Invalid("blackouts", absl::StrCat("at most ", kMaxFeedBlackouts, " windows"));
  }
  for (size_t i = 0; i < feed_.blackouts.size(); ++i) {
    const FeedBlackout& b = feed_.blackouts[i];
    const std::string field = absl::StrCat("blackouts[", i, "]");
    if (absl::Status s = ClaimUid(field + ".uid", b.uid); !s.ok()) return s;
    if (absl::Status s = CheckText(field + ".summary", b.summary, false); !s.ok()) return s;
    if (absl::Status s = CheckInstant(field, b.start); !s.ok()) return s;
    if (absl::Status s = CheckInstant(field, b.end); !s.ok()) return s;
    if (b.end <= b.start) return Invalid(field, "the end must come after the start");
  }
  return absl::OkStatus();
}

std::string Renderer::LocalPrefix(std::string_view name, const std::string& tzid) const {
  if (IsUtcLike(zones_.at(tzid).zone)) return absl::StrCat(AsAbsl(name), ":");
  return absl::StrCat(AsAbsl(name), ";TZID=", tzid, ":");
}

std::string Renderer::LocalValue(absl::CivilSecond t, const std::string& tzid) const {
  const absl::TimeZone& zone = zones_.at(tzid).zone;
  return IsUtcLike(zone) ? UtcStamp(LocalToInstant(t, zone)) : LocalStamp(t);
}

void Renderer::Header() {
  Line("BEGIN:VCALENDAR");
  Line("VERSION:2.0");
  Line(absl::StrCat("PRODID:", kProdId));
  Line("CALSCALE:GREGORIAN");
  Line("METHOD:PUBLISH");
  Text("NAME", feed_.name);
  Text("X-WR-CALNAME", feed_.name);
  Text("X-WR-TIMEZONE", feed_.time_zone);
  Line(absl::StrCat("REFRESH-INTERVAL;VALUE=DURATION:", DurationValue(feed_.refresh_interval)));
  Line(absl::StrCat("X-PUBLISHED-TTL:", DurationValue(feed_.refresh_interval)));
}

absl::Status Renderer::TimeZones() {
  for (const auto& [tzid, use] : zones_) {  // std::map: sorted by name
    if (IsUtcLike(use.zone)) continue;
    std::optional<std::vector<std::string>> lines = VTimeZoneLines(tzid, use.earliest);
    if (!lines) {
      return absl::FailedPreconditionError(
          absl::StrCat("time zone \"", tzid, "\": libical has no VTIMEZONE data for it"));
    }
    for (const std::string& line : *lines) Line(line);
  }
  return absl::OkStatus();
}

void Renderer::Slot(const FeedSlotSeries& s) {
  const std::string& tzid = ZoneOf(s);
  const absl::CivilSecond start = s.recurrence.start_local;
  Line("BEGIN:VEVENT");
  Text("UID", s.uid);
  Line(absl::StrCat("DTSTAMP:", stamp_));
  Line(LocalPrefix("DTSTART", tzid) + LocalValue(start, tzid));
  Line(LocalPrefix("DTEND", tzid) +
       LocalValue(start + absl::ToInt64Seconds(feed_.event_length), tzid));
  Line(absl::StrCat("RRULE:", s.recurrence.rrule));
  std::vector<absl::CivilSecond> exdates = s.exdates_local;
  std::sort(exdates.begin(), exdates.end());
  exdates.erase(std::unique(exdates.begin(), exdates.end()), exdates.end());
  if (!exdates.empty()) {
    std::string line = LocalPrefix("EXDATE", tzid);
    for (size_t i = 0; i < exdates.size(); ++i) {
      absl::StrAppend(&line, i == 0 ? "" : ",", LocalValue(exdates[i], tzid));
    }
    Line(line);
  }
  Text("SUMMARY", s.summary);
  Line("CATEGORIES:CareCast slot");
  Line("TRANSP:TRANSPARENT");
  Line("END:VEVENT");
}

void Renderer::Blackout(const FeedBlackout& b) {
  Line("BEGIN:VEVENT");
  Text("UID", b.uid);
  Line(absl::StrCat("DTSTAMP:", stamp_));
  Line(absl::StrCat("DTSTART:", UtcStamp(b.start)));
  Line(absl::StrCat("DTEND:", UtcStamp(b.end)));
  Text("SUMMARY", b.summary);
  Line("CATEGORIES:CareCast blackout");
  Line("TRANSP:OPAQUE");
  Line("END:VEVENT");
}

void Renderer::Post(const FeedPost& p) {
  std::string_view status;
  std::string_view state;
  switch (p.state) {
    case FeedPostState::kScheduled:
      status = "TENTATIVE";
      state = "scheduled";
      break;
    case FeedPostState::kPublished:
      status = "CONFIRMED";
      state = "published";
      break;
    case FeedPostState::kCancelled:
      status = "CANCELLED";
      state = "cancelled";
      break;
    case FeedPostState::kNeedsHuman:
      status = "TENTATIVE";
      state = "needs-human";
      break;
  }
  Line("BEGIN:VEVENT");
  Text("UID", absl::StrCat(p.name, "@", feed_.uid_domain));
  Line(absl::StrCat("DTSTAMP:", stamp_));
  Line(absl::StrCat("DTSTART:", UtcStamp(p.at)));
  Line(absl::StrCat("DTEND:", UtcStamp(p.at + feed_.event_length)));
  Text("SUMMARY", p.state == FeedPostState::kNeedsHuman ? absl::StrCat("[needs review] ", p.summary)
                                                        : p.summary);
  Text("DESCRIPTION", absl::StrCat("Account: ", p.account, "\nNetwork: ", p.network,
                                   "\nState: ", AsAbsl(state), "\nPost: ", p.name));
  Line(absl::StrCat("STATUS:", AsAbsl(status)));
  Line(absl::StrCat("CATEGORIES:CareCast post,", AsAbsl(state)));
  if (!p.url.empty()) Line(absl::StrCat("URL:", p.url));
  Line(absl::StrCat("SEQUENCE:", p.version));
  Line(absl::StrCat("LAST-MODIFIED:", UtcStamp(p.updated)));
  Line("TRANSP:TRANSPARENT");
  Line("END:VEVENT");
}

absl::StatusOr<std::string> Renderer::Render() {
  if (absl::Status s = Check(); !s.ok()) return s;
  Header();
  if (absl::Status s = TimeZones(); !s.ok()) return s;
  std::vector<const FeedSlotSeries*> slots;
  for (const FeedSlotSeries& s : feed_.slots) slots.push_back(&s);
  std::sort(slots.begin(), slots.end(), [](auto* a, auto* b) { return a->uid < b->uid; });
  for (const FeedSlotSeries* s : slots) Slot(*s);
  std::vector<const FeedBlackout*> blackouts;
  for (const FeedBlackout& b : feed_.blackouts) blackouts.push_back(&b);
  std::sort(blackouts.begin(), blackouts.end(), [](auto* a, auto* b) {
    return std::tie(a->start, a->end, a->uid) < std::tie(b->start, b->end, b->uid);
  });
  for (const FeedBlackout* b : blackouts) Blackout(*b);
  std::vector<const FeedPost*> posts;
  for (const FeedPost& p : feed_.posts) posts.push_back(&p);
  std::sort(posts.begin(), posts.end(),
            [](auto* a, auto* b) { return std::tie(a->at, a->name) < std::tie(b->at, b->name); });
  for (const FeedPost* p : posts) Post(*p);
  Line("END:VCALENDAR");
  return std::move(out_);
}

}  // namespace

absl::StatusOr<std::string> RenderICalendarFeed(const ICalendarFeed& feed) {
  return Renderer(feed).Render();
}

}  // namespace carecast::common::cadence
