// The iCalendar feed read back by libical: every component and property
// round-trips, TEXT escaping and 75-octet folding (never inside a UTF-8
// character), a VTIMEZONE for every TZID, and the slot rule expanded by libical
// from the parsed feed giving the instants Cadence::Slots gives, across the
// 2027 daylight-saving changes of America/Chicago.
#include "services/common/cadence/icalendar_feed.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include <gtest/gtest.h>

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/cadence/cadence.h"

extern "C" {
#include <libical/ical.h>
}

namespace carecast::common::cadence {
namespace {

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

absl::Time Utc(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::UTCTimeZone());
}

constexpr char kDaily[] = "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0";

ICalendarFeed SampleFeed() {
  ICalendarFeed feed;
  feed.name = "CareCast: North spoke";
  feed.time_zone = "America/Chicago";
  feed.uid_domain = "carecast.example.org";
  feed.stamp = Utc(2027, 1, 2, 12, 0);
  feed.slots.push_back({"accounts/a1/slots/0@carecast.example.org",
                        "Slot: @clinic@mastodon.social",
                        {kDaily, absl::CivilSecond(2027, 1, 4, 9, 0, 0)},
                        "",
                        {absl::CivilSecond(2027, 3, 15, 9, 0, 0)}});
  feed.slots.push_back(
      {"accounts/a2/slots/0@carecast.example.org",
       "Slot: London desk",
       {"FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=12;BYMINUTE=15", absl::CivilSecond(2027, 1, 4, 12, 15, 0)},
       "Europe/London",
       {}});
  feed.posts.push_back({"spokes/north/posts/p1", "Flu shots; walk-ins, free \\ no\nappointment",
                        Utc(2027, 3, 14, 14, 0), FeedPostState::kScheduled, "@clinic", "Mastodon",
                        "https://planner.example.org/posts/p1", 3, Utc(2027, 1, 2, 11, 0)});
  feed.posts.push_back({"spokes/north/posts/p2", "Published one", Utc(2027, 1, 5, 15, 0),
                        FeedPostState::kPublished, "North Clinic", "Bluesky", "", 7,
                        Utc(2027, 1, 5, 15, 1)});
  feed.posts.push_back({"spokes/north/posts/p3", "Dropped", Utc(2027, 1, 6, 15, 0),
                        FeedPostState::kCancelled, "North Clinic", "Bluesky", "", 2,
                        Utc(2027, 1, 5, 9, 0)});
  feed.posts.push_back({"spokes/north/posts/p4", "Check this", Utc(2027, 1, 7, 15, 0),
                        FeedPostState::kNeedsHuman, "North Clinic", "Facebook", "", 0,
                        Utc(2027, 1, 5, 9, 0)});
  feed.blackouts.push_back({"blackouts/b1@carecast.example.org", "Blackout: network outage",
                            Utc(2027, 2, 1, 0, 0), Utc(2027, 2, 2, 6, 0)});
  return feed;
}

std::string Render(const ICalendarFeed& feed) {
  absl::StatusOr<std::string> text = RenderICalendarFeed(feed);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

Component Parse(const std::string& text) {
  Component root(icalparser_parse_string(text.c_str()));
  EXPECT_NE(root, nullptr);
  if (root) {
    EXPECT_EQ(icalcomponent_isa(root.get()), ICAL_VCALENDAR_COMPONENT);
  }
  return root;
}

// VEVENTs of a parsed calendar by UID.
std::map<std::string, icalcomponent*> Events(icalcomponent* root) {
  std::map<std::string, icalcomponent*> out;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
    out[icalcomponent_get_uid(c)] = c;
  }
  return out;
}

std::string TzidOf(icalproperty* p) {
  icalparameter* tzid = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  return tzid != nullptr ? icalparameter_get_tzid(tzid) : "";
}

absl::Time FromTimeT(time_t t) { return absl::FromTimeT(t); }

// The instant of a parsed DATE-TIME, resolved through its zone (VTIMEZONE of the
// feed, attached by libical) or UTC.
absl::Time Instant(const icaltimetype& t) {
  return FromTimeT(
      icaltime_as_timet_with_zone(t, t.zone != nullptr ? t.zone : icaltimezone_get_utc_timezone()));
}

std::vector<absl::Time> LibicalInstances(icalcomponent* event, absl::Time from, absl::Time to) {
  std::vector<absl::Time> out;
  icaltimetype start =
      icaltime_from_timet_with_zone(absl::ToTimeT(from), 0, icaltimezone_get_utc_timezone());
  icaltimetype end =
      icaltime_from_timet_with_zone(absl::ToTimeT(to), 0, icaltimezone_get_utc_timezone());
  icalcomponent_foreach_recurrence(
      event, start, end,
      [](icalcomponent*, struct icaltime_span* span, void* data) {
        static_cast<std::vector<absl::Time>*>(data)->push_back(absl::FromTimeT(span->start));
      },
      &out);
  std::sort(out.begin(), out.end());
  std::vector<absl::Time> in_window;
  for (absl::Time t : out) {
    if (t >= from && t < to) in_window.push_back(t);
  }
  return in_window;
}

TEST(ICalendarFeedTest, CalendarPropertiesRoundTrip) {
  const std::string text = Render(SampleFeed());
  Component root = Parse(text);
  ASSERT_NE(root, nullptr);
  EXPECT_STREQ(icalcomponent_get_first_property(root.get(), ICAL_VERSION_PROPERTY) != nullptr
                   ? icalproperty_get_version(
                         icalcomponent_get_first_property(root.get(), ICAL_VERSION_PROPERTY))
                   : "",
               "2.0");
  ASSERT_NE(icalcomponent_get_first_property(root.get(), ICAL_PRODID_PROPERTY), nullptr);
  EXPECT_EQ(icalcomponent_get_method(root.get()), ICAL_METHOD_PUBLISH);
  std::map<std::string, std::string> x;
  for (icalproperty* p = icalcomponent_get_first_property(root.get(), ICAL_X_PROPERTY);
       p != nullptr; p = icalcomponent_get_next_property(root.get(), ICAL_X_PROPERTY)) {
    x[icalproperty_get_x_name(p)] = icalproperty_get_x(p);
  }
  EXPECT_EQ(x["X-WR-CALNAME"], "CareCast: North spoke");
  EXPECT_EQ(x["X-WR-TIMEZONE"], "America/Chicago");
  EXPECT_EQ(x["X-PUBLISHED-TTL"], "PT1H");
  EXPECT_TRUE(absl::StartsWith(text, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
  EXPECT_TRUE(absl::EndsWith(text, "END:VCALENDAR\r\n"));
  EXPECT_NE(text.find("\r\nMETHOD:PUBLISH\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"), std::string::npos);
  // Every line ends in CRLF: no bare LF, no bare CR.
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ASSERT_TRUE(i > 0 && text[i - 1] == '\r') << i;
    }
    if (text[i] == '\r') {
      ASSERT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << i;
    }
  }
  EXPECT_EQ(Events(root.get()).size(), 7u);
}

TEST(ICalendarFeedTest, SlotSeriesRoundTripWithTzidRruleAndExdate) {
  const ICalendarFeed feed = SampleFeed();
  Component root = Parse(Render(feed));
  ASSERT_NE(root, nullptr);
  std::map<std::string, icalcomponent*> events = Events(root.get());
  for (const FeedSlotSeries& series : feed.slots) {
    SCOPED_TRACE(series.uid);
    ASSERT_TRUE(events.count(series.uid));
    icalcomponent* event = events[series.uid];
    EXPECT_STREQ(icalcomponent_get_summary(event), series.summary.c_str());
    icalproperty* dtstart = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY);
    ASSERT_NE(dtstart, nullptr);
    const std::string zone = series.time_zone.empty() ? feed.time_zone : series.time_zone;
    EXPECT_EQ(TzidOf(dtstart), zone);
    const icaltimetype start = icalproperty_get_dtstart(dtstart);
    EXPECT_EQ(absl::CivilSecond(start.year, start.month, start.day, start.hour, start.minute,
                                start.second),
              series.recurrence.start_local);
    icalproperty* rrule = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY);
    ASSERT_NE(rrule, nullptr);
    const icalrecurrencetype parsed = icalproperty_get_rrule(rrule);
    const icalrecurrencetype given =
        icalrecurrencetype_from_string(series.recurrence.rrule.c_str());
    char* a = icalrecurrencetype_as_string_r(const_cast<icalrecurrencetype*>(&parsed));
    char* b = icalrecurrencetype_as_string_r(const_cast<icalrecurrencetype*>(&given));
    EXPECT_STREQ(a, b);
    icalmemory_free_buffer(a);
    icalmemory_free_buffer(b);
    std::vector<absl::CivilSecond> exdates;
    for (icalproperty* p = icalcomponent_get_first_property(event, ICAL_EXDATE_PROPERTY);
         p != nullptr; p = icalcomponent_get_next_property(event, ICAL_EXDATE_PROPERTY)) {
      EXPECT_EQ(TzidOf(p), zone);
      const icaltimetype t = icalproperty_get_exdate(p);
      exdates.emplace_back(t.year, t.month, t.day, t.hour, t.minute, t.second);
    }
    EXPECT_EQ(exdates, series.exdates_local);
  }
}

TEST(ICalendarFeedTest, PostsRoundTripAsUtcInstantsWithStatusSequenceAndUrl) {
  const ICalendarFeed feed = SampleFeed();
  Component root = Parse(Render(feed));
  ASSERT_NE(root, nullptr);
  std::map<std::string, icalcomponent*> events = Events(root.get());
  const std::map<FeedPostState, icalproperty_status> status = {
      {FeedPostState::kScheduled, ICAL_STATUS_TENTATIVE},
      {FeedPostState::kPublished, ICAL_STATUS_CONFIRMED},
      {FeedPostState::kCancelled, ICAL_STATUS_CANCELLED},
      {FeedPostState::kNeedsHuman, ICAL_STATUS_TENTATIVE}};
  for (const FeedPost& post : feed.posts) {
    const std::string uid = post.name + "@carecast.example.org";
    SCOPED_TRACE(uid);
    ASSERT_TRUE(events.count(uid));
    icalcomponent* event = events[uid];
    const icaltimetype start = icalcomponent_get_dtstart(event);
    EXPECT_TRUE(icaltime_is_utc(start));
    EXPECT_EQ(Instant(start), post.at);
    EXPECT_EQ(Instant(icalcomponent_get_dtend(event)), post.at + absl::Minutes(15));
    EXPECT_EQ(Instant(icalcomponent_get_dtstamp(event)), feed.stamp);
    EXPECT_EQ(icalcomponent_get_status(event), status.at(post.state));
    EXPECT_EQ(icalcomponent_get_sequence(event), post.version);
    icalproperty* modified = icalcomponent_get_first_property(event, ICAL_LASTMODIFIED_PROPERTY);
    ASSERT_NE(modified, nullptr);
    EXPECT_EQ(Instant(icalproperty_get_lastmodified(modified)), post.updated);
    icalproperty* url = icalcomponent_get_first_property(event, ICAL_URL_PROPERTY);
    EXPECT_EQ(url != nullptr ? std::string(icalproperty_get_url(url)) : "", post.url);
    const std::string description = icalcomponent_get_description(event);
    EXPECT_NE(description.find("Account: " + post.account + "\n"), std::string::npos);
    EXPECT_NE(description.find("Network: " + post.network + "\n"), std::string::npos);
    const std::string summary = icalcomponent_get_summary(event);
    EXPECT_EQ(summary, post.state == FeedPostState::kNeedsHuman ? "[needs review] " + post.summary
                                                                : post.summary);
  }
  // The blackout is a busy event over its window.
  icalcomponent* blackout = events.at("blackouts/b1@carecast.example.org");
  EXPECT_EQ(Instant(icalcomponent_get_dtstart(blackout)), Utc(2027, 2, 1, 0, 0));
  EXPECT_EQ(Instant(icalcomponent_get_dtend(blackout)), Utc(2027, 2, 2, 6, 0));
  icalproperty* transp = icalcomponent_get_first_property(blackout, ICAL_TRANSP_PROPERTY);
  ASSERT_NE(transp, nullptr);
  EXPECT_EQ(icalproperty_get_transp(transp), ICAL_TRANSP_OPAQUE);
}

TEST(ICalendarFeedTest, TextEscapingRoundTripsSemicolonCommaBackslashAndNewline) {
  ICalendarFeed feed = SampleFeed();
  feed.posts.resize(1);
  feed.posts[0].summary = "a;b,c\\d\ne\r\nf ;,\\\\";
  const std::string text = Render(feed);
  EXPECT_NE(text.find("SUMMARY:a\\;b\\,c\\\\d\\ne\\nf \\;\\,\\\\\\\\\r\n"), std::string::npos);
  Component root = Parse(text);
  ASSERT_NE(root, nullptr);
  icalcomponent* event = Events(root.get()).at("spokes/north/posts/p1@carecast.example.org");
  EXPECT_STREQ(icalcomponent_get_summary(event), "a;b,c\\d\ne\nf ;,\\\\");
}

TEST(ICalendarFeedTest, LongUtf8LinesFoldAt75OctetsNeverInsideACharacter) {
  // One-, two-, three- and four-byte characters after 0..10 ASCII bytes, so
  // folds fall at every offset inside a character. (libical drops whitespace at
  // the very end of a value, so the text ends in a letter.)
  for (int shift = 0; shift <= 10; ++shift) {
    SCOPED_TRACE(shift);
    ICalendarFeed feed = SampleFeed();
    feed.posts.resize(1);
    std::string summary(static_cast<size_t>(shift), 'x');
    for (int i = 0; i < 40; ++i) summary += "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x92\x89 ";
    summary += "end";
    feed.posts[0].summary = summary;
    feed.name = summary;
    const std::string text = Render(feed);
    int folded = 0;
    for (absl::string_view line : absl::StrSplit(text, "\r\n")) {
      EXPECT_LE(line.size(), 75u) << line;
      EXPECT_TRUE(IsValidUtf8(AsStd(line))) << line;
      if (!line.empty() && line[0] == ' ') ++folded;
    }
    EXPECT_GE(folded, 15);
    Component root = Parse(text);
    ASSERT_NE(root, nullptr);
    icalcomponent* event = Events(root.get()).at("spokes/north/posts/p1@carecast.example.org");
    EXPECT_EQ(std::string(icalcomponent_get_summary(event)), summary);
  }
}

TEST(ICalendarFeedTest, EveryTzidHasItsVTimeZoneTrimmedToTheFeed) {
  const std::string text = Render(SampleFeed());
  Component root = Parse(text);
  ASSERT_NE(root, nullptr);
  std::set<std::string> used;
  for (icalcomponent* e = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
       e != nullptr; e = icalcomponent_get_next_component(root.get(), ICAL_VEVENT_COMPONENT)) {
    for (icalproperty* p = icalcomponent_get_first_property(e, ICAL_ANY_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(e, ICAL_ANY_PROPERTY)) {
      if (!TzidOf(p).empty()) used.insert(TzidOf(p));
    }
  }
  EXPECT_EQ(used, (std::set<std::string>{"America/Chicago", "Europe/London"}));
  std::set<std::string> defined;
  for (icalcomponent* z = icalcomponent_get_first_component(root.get(), ICAL_VTIMEZONE_COMPONENT);
       z != nullptr; z = icalcomponent_get_next_component(root.get(), ICAL_VTIMEZONE_COMPONENT)) {
    icalproperty* tzid = icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
    ASSERT_NE(tzid, nullptr);
    defined.insert(icalproperty_get_tzid(tzid));
    EXPECT_NE(icalcomponent_get_first_component(z, ICAL_XSTANDARD_COMPONENT), nullptr);
  }
  EXPECT_EQ(defined, used);
  // History long before the feed (local mean time, 1918 rules) is left out.
  EXPECT_EQ(text.find("LMT"), std::string::npos);
  EXPECT_EQ(text.find("DTSTART:1918"), std::string::npos);
  EXPECT_EQ(text.find("freeassociation"), std::string::npos);
  EXPECT_LT(text.size(), 8000u);
}

TEST(ICalendarFeedTest, ParsedVTimeZoneGivesTheOffsetsAcrossChicagosChanges) {
  Component root = Parse(Render(SampleFeed()));
  ASSERT_NE(root, nullptr);
  icaltimezone* chicago = icalcomponent_get_timezone(root.get(), "America/Chicago");
  ASSERT_NE(chicago, nullptr);
  const auto utc_of = [&](int y, int m, int d, int hh) {
    icaltimetype t = icaltime_null_time();
    t.year = y;
    t.month = m;
    t.day = d;
    t.hour = hh;
    return absl::FromTimeT(icaltime_as_timet_with_zone(t, chicago));
  };
  EXPECT_EQ(utc_of(2027, 3, 13, 9), Utc(2027, 3, 13, 15, 0));  // CST
  EXPECT_EQ(utc_of(2027, 3, 15, 9), Utc(2027, 3, 15, 14, 0));  // CDT
  EXPECT_EQ(utc_of(2027, 11, 8, 9), Utc(2027, 11, 8, 15, 0));  // CST again
  EXPECT_EQ(utc_of(2031, 7, 1, 9), Utc(2031, 7, 1, 14, 0));    // the open-ended rule
}

// The slot rule expanded by libical from the parsed feed (DTSTART;TZID, RRULE,
// EXDATE, VTIMEZONE) lands on the instants CareCast's own cadence gives.
TEST(ICalendarFeedTest, LibicalExpansionOfTheFeedEqualsCadenceSlotsAcrossDst) {
  ICalendarFeed feed = SampleFeed();
  feed.slots.push_back(
      {"accounts/a3/slots/0@carecast.example.org",
       "Hourly",
       {"FREQ=DAILY;BYHOUR=7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22;BYMINUTE=0",
        absl::CivilSecond(2027, 1, 1, 7, 0, 0)},
       "",
       {}});
  Component root = Parse(Render(feed));
  ASSERT_NE(root, nullptr);
  std::map<std::string, icalcomponent*> events = Events(root.get());
  for (const FeedSlotSeries& series : feed.slots) {
    if (!series.time_zone.empty()) continue;  // the Chicago ones
    SCOPED_TRACE(series.uid);
    absl::StatusOr<Cadence> cadence = Cadence::Create({feed.time_zone, {series.recurrence}});
    ASSERT_TRUE(cadence.ok()) << cadence.status();
    for (auto [from, to] : {std::pair{Utc(2027, 3, 10, 0, 0), Utc(2027, 3, 20, 0, 0)},
                            std::pair{Utc(2027, 11, 3, 0, 0), Utc(2027, 11, 12, 0, 0)}}) {
      std::vector<absl::Time> want = cadence->Slots(from, to, 1000);
      for (absl::CivilSecond ex : series.exdates_local) {
        want.erase(std::remove(want.begin(), want.end(), LocalToInstant(ex, cadence->zone())),
                   want.end());
      }
      ASSERT_FALSE(want.empty());
      EXPECT_EQ(LibicalInstances(events.at(series.uid), from, to), want);
    }
  }
}

// Slots at local times that do not exist (02:30 on 14 March 2027) or happen
// twice (01:30 on 7 November) are where libical 3.0 departs from RFC 5545
// section 3.3.5, which CareCast follows: it reads the fold time as its second
// occurrence, and after the gap its iterator keeps the shifted 03:30 for one
// more day. Every other day agrees; calendar apps have their own readings, so
// docs/cadence.md advises against slots between 01:00 and 03:00 local.
TEST(ICalendarFeedTest, GapAndFoldSlotsAgreeWithLibicalAwayFromTheChangeNights) {
  ICalendarFeed feed = SampleFeed();
  feed.slots = {{"gap@carecast.example.org",
                 "In the gap",
                 {"FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 2, 30, 0)},
                 "",
                 {}},
                {"fold@carecast.example.org",
                 "In the fold",
                 {"FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 1, 30, 0)},
                 "",
                 {}}};
  Component root = Parse(Render(feed));
  ASSERT_NE(root, nullptr);
  std::map<std::string, icalcomponent*> events = Events(root.get());
  for (const FeedSlotSeries& series : feed.slots) {
    SCOPED_TRACE(series.uid);
    absl::StatusOr<Cadence> cadence = Cadence::Create({feed.time_zone, {series.recurrence}});
    ASSERT_TRUE(cadence.ok()) << cadence.status();
    for (auto [from, to] : {std::pair{Utc(2027, 3, 10, 0, 0), Utc(2027, 3, 20, 0, 0)},
                            std::pair{Utc(2027, 11, 3, 0, 0), Utc(2027, 11, 12, 0, 0)}}) {
      const std::vector<absl::Time> want = cadence->Slots(from, to, 1000);
      const std::vector<absl::Time> got = LibicalInstances(events.at(series.uid), from, to);
      ASSERT_EQ(got.size(), want.size());
      int differ = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        if (got[i] == want[i]) continue;
        ++differ;
        const absl::CivilDay day = absl::ToCivilDay(want[i], cadence->zone());
        EXPECT_TRUE(day == absl::CivilDay(2027, 3, 15) || day == absl::CivilDay(2027, 11, 7))
            << day;
        EXPECT_EQ(absl::AbsDuration(got[i] - want[i]), absl::Hours(1));
      }
      EXPECT_LE(differ, 1);
    }
  }
}

TEST(ICalendarFeedTest, SameInputSameBytesWhateverTheOrder) {
  ICalendarFeed feed = SampleFeed();
  const std::string first = Render(feed);
  std::reverse(feed.posts.begin(), feed.posts.end());
  std::reverse(feed.slots.begin(), feed.slots.end());
  EXPECT_EQ(Render(feed), first);
  EXPECT_EQ(Render(feed), Render(feed));
}

TEST(ICalendarFeedTest, AUtcCalendarWritesSlotTimesInUtcWithoutAVTimeZone) {
  ICalendarFeed feed = SampleFeed();
  feed.time_zone = "UTC";
  feed.slots.resize(1);
  const std::string text = Render(feed);
  EXPECT_EQ(text.find("BEGIN:VTIMEZONE"), std::string::npos);
  EXPECT_NE(text.find("\r\nDTSTART:20270104T090000Z\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nEXDATE:20270315T090000Z\r\n"), std::string::npos);
  EXPECT_NE(Parse(text), nullptr);
}

TEST(ICalendarFeedTest, BadInputIsInvalidArgumentNamingTheField) {
  const auto field_of = [](const std::function<void(ICalendarFeed&)>& change) {
    ICalendarFeed feed = SampleFeed();
    change(feed);
    absl::StatusOr<std::string> text = RenderICalendarFeed(feed);
    EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(text.status().message());
  };
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.time_zone = "Mars/Base"; }), "time_zone"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.name = ""; }), "name"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.slots[1].time_zone = "Nowhere"; }),
                               "slots[1].time_zone"));
  EXPECT_TRUE(absl::StartsWith(
      field_of([](auto& f) { f.slots[0].recurrence.rrule = "FREQ=NEVER"; }), "slots[0].rrule"));
  EXPECT_TRUE(absl::StartsWith(
      field_of([](auto& f) { f.slots[0].recurrence.rrule = "FREQ=DAILY\r\nBEGIN:VEVENT"; }),
      "slots[0].rrule"));
  EXPECT_TRUE(
      absl::StartsWith(field_of([](auto& f) { f.slots[1].uid = f.slots[0].uid; }), "slots[1].uid"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.posts[1].name = f.posts[0].name; }),
                               "posts[1].name"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.posts[0].summary = "bad \xC3"; }),
                               "posts[0].summary"));
  for (const char* url : {"javascript:alert(1)", "https://x.example/a b", "https://x/\r\nX:y"}) {
    EXPECT_TRUE(absl::StartsWith(field_of([&](auto& f) { f.posts[0].url = url; }), "posts[0].url"))
        << url;
  }
  EXPECT_TRUE(
      absl::StartsWith(field_of([](auto& f) { f.posts[0].version = -1; }), "posts[0].version"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.uid_domain = "a b"; }), "uid_domain"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.blackouts[0].end = f.blackouts[0].start; }),
                               "blackouts[0]"));
  EXPECT_TRUE(absl::StartsWith(field_of([](auto& f) { f.refresh_interval = absl::Seconds(30); }),
                               "refresh_interval"));
}

TEST(ICalendarFeedTest, ControlCharactersInTextBecomeSpaces) {
  ICalendarFeed feed = SampleFeed();
  feed.posts.resize(1);
  feed.posts[0].summary = std::string("bell\x07tab\tend", 12);
  Component root = Parse(Render(feed));
  ASSERT_NE(root, nullptr);
  EXPECT_STREQ(icalcomponent_get_summary(
                   Events(root.get()).at("spokes/north/posts/p1@carecast.example.org")),
               "bell tab\tend");
}

}  // namespace
}  // namespace carecast::common::cadence
