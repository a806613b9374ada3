// An iCalendar feed (RFC 5545, text/calendar) of one spoke's or campaign's
// calendar: its posting slots as recurring events in their time zones, its posts
// as single events at UTC instants, and its blackout windows. Calendar apps
// (Outlook, Google Calendar, Apple Calendar) subscribe to it by URL; see
// docs/cadence.md for the content, the subscription and the URL token.
//
// RenderICalendarFeed is a pure function of its input: the same feed renders to
// the same bytes (components sorted, no wall clock read; DTSTAMP is the input's
// `stamp`). Each VTIMEZONE comes from libical's zone data (the machine's
// /usr/share/zoneinfo), renamed to the plain IANA name and trimmed to the
// observances the feed's times need. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

#include "services/common/cadence/recurrence.h"

namespace carecast::common::cadence {

// Where a post is in its life. STATUS in the feed: scheduled and needs-human are
// TENTATIVE (needs-human also prefixes the summary with "[needs review] "),
// published is CONFIRMED, cancelled is CANCELLED. CATEGORIES carries the name.
enum class FeedPostState { kScheduled, kPublished, kCancelled, kNeedsHuman };

// A series of posting slots: one VEVENT with DTSTART;TZID, RRULE and EXDATE.
struct FeedSlotSeries {
  std::string uid;      // globally unique and stable across renders, e.g.
                        // "accounts/a1/slots/0@carecast.example.org"
  std::string summary;  // e.g. "Posting slot: @clinic@mastodon.social"
  // The rule (RRULE value, without "RRULE:") and its DTSTART as wall-clock time
  // in `time_zone`; checked as Recurrence::Create checks it.
  RecurrenceSpec recurrence;
  std::string time_zone;  // IANA name; empty: the calendar's zone
  // Excluded instances, as wall-clock times in the series' zone (EXDATE;TZID).
  std::vector<absl::CivilSecond> exdates_local;
};

// One post: one VEVENT at an absolute instant (DTSTART in UTC, "Z").
struct FeedPost {
  std::string name;     // resource name, e.g. "spokes/s1/posts/p1"; UID is name@uid_domain
  std::string summary;  // one line about the post (its first words)
  absl::Time at;        // when it is (or was) published
  FeedPostState state = FeedPostState::kScheduled;
  std::string account;  // the account's handle or name, for DESCRIPTION
  std::string network;  // e.g. "Mastodon", for DESCRIPTION
  std::string url;      // optional: the published post or the planner page (http/https)
  int64_t version = 0;  // SEQUENCE (>= 0): the post's revision, so clients replace it
  absl::Time updated;   // LAST-MODIFIED
};

// A window in which nothing is posted: an opaque (busy) event over [start, end).
struct FeedBlackout {
  std::string uid;      // globally unique and stable, like FeedSlotSeries::uid
  std::string summary;  // e.g. "Blackout: system outage"
  absl::Time start;
  absl::Time end;
};

struct ICalendarFeed {
  std::string name;        // X-WR-CALNAME and NAME (RFC 7986), e.g. "CareCast: North spoke"
  std::string time_zone;   // the calendar's IANA zone: X-WR-TIMEZONE, default for slots
  std::string uid_domain;  // right-hand side of post UIDs, e.g. "carecast.example.org"
  // DTSTAMP of every component. Pass the latest change among the feed's
  // contents, so the bytes (and an HTTP ETag) change only when the content does.
  absl::Time stamp;
  // How long each post and each slot instance shows in the calendar (DTEND).
  absl::Duration event_length = absl::Minutes(15);
  // REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL (Outlook): a hint to
  // subscribers on how often to poll. Whole minutes, at least one.
  absl::Duration refresh_interval = absl::Hours(1);
  std::vector<FeedSlotSeries> slots;
  std::vector<FeedPost> posts;
  std::vector<FeedBlackout> blackouts;
};

// Limits that keep one response bounded; more is INVALID_ARGUMENT.
inline constexpr size_t kMaxFeedSlotSeries = 512;
inline constexpr size_t kMaxFeedPosts = 20'000;
inline constexpr size_t kMaxFeedBlackouts = 2'000;
inline constexpr size_t kMaxFeedExdates = 1'000;  // per series

// The feed as a VCALENDAR with CRLF line endings, lines folded at 75 octets.
// INVALID_ARGUMENT naming the first bad field ("time_zone", "slots[2].rrule",
// "posts[0].url", "blackouts[1]", ...): an unknown zone, an empty or repeated
// UID, a rule Recurrence::Create refuses, text that is not UTF-8, a URL that is
// not http(s) or holds spaces or control characters, an end not after its start.
// FAILED_PRECONDITION when libical has no zone data for a zone the feed uses.
absl::StatusOr<std::string> RenderICalendarFeed(const ICalendarFeed& feed);

// The MIME type to serve the feed with.
inline constexpr char kICalendarContentType[] = "text/calendar; charset=utf-8";

}  // namespace carecast::common::cadence
