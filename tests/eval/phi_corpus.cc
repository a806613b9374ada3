#include "tests/eval/phi_corpus.h"

#include <array>
#include <string_view>

namespace carecast::eval {
namespace {

// Small deterministic generator (the same corpus on every machine).
class Rng {
 public:
  explicit Rng(uint32_t seed) : s_(seed * 2654435761u + 1) {}
  uint32_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint32_t>(hi - lo + 1));
  }
  template <typename C>
  const auto& Pick(const C& c) {
    return c[Next() % c.size()];
  }
  bool Chance(int percent) { return Int(1, 100) <= percent; }

 private:
  uint32_t s_;
};

// Mix of census-list names and names the engine's dictionaries do not contain.
constexpr std::array<std::string_view, 40> kFirst = {
    "Linda",  "James",   "Maria",   "Robert",  "Jennifer",  "Michael", "Patricia", "David",
    "Susan",  "Carlos",  "Aisha",   "Thomas",  "Barbara",   "Daniel",  "Karen",    "Jose",
    "Nancy",  "Kevin",   "Sandra",  "Brian",   "Oluwaseun", "Xiomara", "Thandiwe", "Priyanka",
    "Nguyen", "Siobhan", "Dmitri",  "Keanu",   "Zainab",    "Mateo",   "Imani",    "Yusuf",
    "Ingrid", "Tomasz",  "Leilani", "Rashida", "Eamon",     "Anaya",   "Bogdan",   "Fatima"};
constexpr std::array<std::string_view, 30> kLast = {
    "Alvarez",  "Johnson",  "Okafor",   "Williams",    "Nguyen",     "Patel",
    "Brown",    "Kowalski", "Garcia",   "Miller",      "Thompson",   "Martinez",
    "Robinson", "Clark",    "Lewis",    "Walker",      "Young",      "Hernandez",
    "King",     "Lopez",    "Adeyemi",  "Castellanos", "Fitzgerald", "Haddad",
    "Ivanova",  "Mbeki",    "Oyelaran", "Quispe",      "Takahashi",  "Zielinski"};
constexpr std::array<std::string_view, 14> kRelations = {
    "mom",     "dad",     "wife",    "husband", "son",   "daughter", "sister",
    "brother", "grandma", "grandpa", "aunt",    "uncle", "friend",   "neighbor"};
constexpr std::array<std::string_view, 16> kConditions = {
    "a stroke",  "a heart attack", "breast cancer", "pneumonia", "a miscarriage", "sepsis",
    "a seizure", "kidney failure", "chemo",         "surgery",   "an overdose",   "a broken hip",
    "covid",     "diabetes",       "dialysis",      "a biopsy"};
constexpr std::array<std::string_view, 10> kAreaCodes = {"212", "312", "415", "617", "713",
                                                         "206", "303", "404", "305", "503"};
constexpr std::array<std::string_view, 8> kStreets = {
    "Oak Hill", "Maple", "N Main", "Elm", "Lakeview", "Cedar Ridge", "W 5th", "Sunset"};
constexpr std::array<std::string_view, 8> kSuffixes = {"St",    "Street", "Ave", "Rd",
                                                       "Drive", "Blvd",   "Ln",  "Court"};
constexpr std::array<std::string_view, 6> kCities = {
    "Springfield, IL", "Austin, TX", "Columbus, OH", "Denver, CO", "Tampa, FL", "Reno, NV"};
constexpr std::array<std::string_view, 12> kMonths = {"January",   "Feb",  "March",    "April",
                                                      "May",       "June", "July",     "Aug",
                                                      "September", "Oct",  "November", "Dec"};

std::string Digits(Rng& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + r.Int(0, 9)));
  return s;
}

std::string Upper(Rng& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('A' + r.Int(0, 25)));
  return s;
}

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return o;
}

// Hides a number: zero-width spaces, fullwidth digits or letters for digits.
std::string Obfuscate(Rng& r, const std::string& s, std::string* shape) {
  int mode = r.Int(0, 5);
  std::string o;
  switch (mode) {
    case 0:
      *shape += "+zero_width";
      for (size_t i = 0; i < s.size(); ++i) {
        o.push_back(s[i]);
        if (i % 3 == 1 && i + 1 < s.size()) o += "\xE2\x80\x8B";
      }
      return o;
    case 1:
      *shape += "+fullwidth";
      for (char c : s) {
        if (c >= '0' && c <= '9' && o.size() % 2 == 0) {
          o += "\xEF\xBC";
          o.push_back(static_cast<char>(0x90 + (c - '0')));
        } else {
          o.push_back(c);
        }
      }
      return o;
    case 2: {
      *shape += "+letters";
      bool done = false;
      for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool inner = i > 0 && i + 1 < s.size() && s[i - 1] >= '0' && s[i - 1] <= '9';
        if (!done && inner && c == '0') {
          o.push_back('O');
          done = true;
          continue;
        }
        if (!done && inner && c == '1') {
          o.push_back('l');
          done = true;
          continue;
        }
        o.push_back(c);
      }
      return o;
    }
    case 3:
      *shape += "+arabic_indic";
      for (char c : s) {
        if (c >= '0' && c <= '9' && r.Chance(50)) {
          o += "\xD9";
          o.push_back(static_cast<char>(0xA0 + (c - '0')));
        } else {
          o.push_back(c);
        }
      }
      return o;
    default:
      return s;
  }
}

class Builder {
 public:
  Builder& Text(std::string_view s) {
    post_.text.append(s);
    return *this;
  }
  Builder& Span(std::string_view kind, std::string_view s) {
    size_t b = post_.text.size();
    post_.text.append(s);
    post_.spans.push_back({std::string(kind), b, post_.text.size()});
    return *this;
  }
  size_t Mark() const { return post_.text.size(); }
  void SpanFrom(std::string_view kind, size_t begin) {
    post_.spans.push_back({std::string(kind), begin, post_.text.size()});
  }
  LabelledPost Done(std::string shape, bool outgoing = false) {
    post_.shape = std::move(shape);
    post_.outgoing = outgoing;
    LabelledPost p = std::move(post_);
    post_ = LabelledPost();
    return p;
  }

 private:
  LabelledPost post_;
};

std::string Phone(Rng& r, std::string* shape) {
  std::string a(r.Pick(kAreaCodes)), x = std::to_string(r.Int(201, 989)), l = Digits(r, 4);
  if (x == "555") x = "556";
  std::string s;
  switch (r.Int(0, 5)) {
    case 0:
      s = "(" + a + ") " + x + "-" + l;
      *shape = "phone(xxx) xxx-xxxx";
      break;
    case 1:
      s = a + "-" + x + "-" + l;
      *shape = "phone xxx-xxx-xxxx";
      break;
    case 2:
      s = a + "." + x + "." + l;
      *shape = "phone xxx.xxx.xxxx";
      break;
    case 3:
      s = a + x + l;
      *shape = "phone 10 digits";
      break;
    case 4:
      s = "+1 " + a + " " + x + " " + l;
      *shape = "phone +1";
      break;
    default:
      s = "1-" + a + "-" + x + "-" + l;
      *shape = "phone 1-xxx";
      break;
  }
  if (r.Chance(35)) s = Obfuscate(r, s, shape);
  return s;
}

std::string LuhnCard(Rng& r) {
  std::string d = "4" + Digits(r, 14);
  int sum = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    int v = d[d.size() - 1 - i] - '0';
    if (i % 2 == 0) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  d.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  return d.substr(0, 4) + " " + d.substr(4, 4) + " " + d.substr(8, 4) + " " + d.substr(12, 4);
}

std::string Ssn(Rng& r) {
  std::string area = std::to_string(r.Int(100, 665));
  return area + "-" + std::to_string(r.Int(10, 99)) + "-" + std::to_string(r.Int(1000, 9999));
}

LabelledPost Positive(Rng& r) {
  Builder b;
  std::string first(r.Pick(kFirst)), last(r.Pick(kLast)), rel(r.Pick(kRelations)),
      cond(r.Pick(kConditions));
  std::string shape;
  switch (r.Int(0, 37)) {
    case 0: {
      b.Text("My ").Text(rel).Text(" ");
      size_t d = b.Mark();
      b.Span("name", first + " " + last).Text(" had ").Text(cond);
      b.SpanFrom("patient_disclosure", d - rel.size() - 1);
      b.Text(" at your hospital last week");
      return b.Done("name after relation + disclosure");
    }
    case 1: {
      b.Text("please call me at ");
      std::string p = Phone(r, &shape);
      b.Span("phone", p).Text(" about my bill");
      return b.Done(shape);
    }
    case 2: {
      b.Text("Can someone call ").Span("name", first).Text("? ").Text("Her number is ");
      b.Span("phone", Phone(r, &shape));
      return b.Done("first name + " + shape);
    }
    case 3: {
      b.Text("fax records to ");
      std::string p = Phone(r, &shape);
      b.Span("fax", p);
      return b.Done("fax " + shape);
    }
    case 4: {
      std::string s = Ssn(r);
      std::string sh = "ssn xxx-xx-xxxx";
      if (r.Chance(40)) s = Obfuscate(r, s, &sh);
      b.Text(r.Chance(50) ? "my SSN is " : "billing asked for ssn ").Span("ssn", s);
      return b.Done(sh);
    }
    case 5: {
      std::string e = Lower(first) + (r.Chance(50) ? "." : "") + Lower(last) +
                      std::to_string(r.Int(1, 99)) + (r.Chance(50) ? "@gmail.com" : "@yahoo.com");
      b.Text("email me at ").Span("email", e).Text(" with the results");
      return b.Done("email");
    }
    case 6: {
      b.Text("write to ").Span("email", Lower(first) + " dot " + Lower(last) + " at gmail dot com");
      return b.Done("email spelled out");
    }
    case 7: {
      b.Text("I was born on ");
      std::string m(r.Pick(kMonths));
      b.Span("date",
             m + " " + std::to_string(r.Int(1, 28)) + ", " + std::to_string(r.Int(1930, 2005)));
      b.Text(" and nobody can find my chart");
      return b.Done("date month-name born");
    }
    case 8: {
      b.Text("DOB ").Span("date", std::to_string(r.Int(1, 12)) + "/" +
                                      std::to_string(r.Int(1, 28)) + "/" +
                                      std::to_string(r.Int(1930, 2010)));
      return b.Done("date DOB m/d/yyyy");
    }
    case 9: {
      b.Text("my ");
      size_t d = b.Mark();
      b.Text(rel).Text(" was admitted");
      b.SpanFrom("patient_disclosure", d);
      b.Text(" on ");
      b.Span("date", std::to_string(r.Int(1, 12)) + "/" + std::to_string(r.Int(1, 28)));
      b.Text(" and still no update");
      return b.Done("date m/d admitted");
    }
    case 10: {
      b.Span("patient_disclosure", "her surgery")
          .Text(" was on the ")
          .Span("date", std::to_string(r.Int(1, 28)) + "th of " + std::string(r.Pick(kMonths)));
      return b.Done("date day-first");
    }
    case 11: {
      int age = r.Int(90, 104);
      switch (r.Int(0, 2)) {
        case 0:
          b.Text("my grandma is ")
              .Span("age_over_89", std::to_string(age))
              .Text(" years old and was left alone");
          break;
        case 1:
          b.Text("my ").Span("age_over_89", std::to_string(age)).Text("-year-old grandfather fell");
          break;
        default:
          b.Text("she just turned ").Span("age_over_89", std::to_string(age)).Text(" last week");
          break;
      }
      return b.Done("age over 89");
    }
    case 12: {
      b.Text(r.Chance(50) ? "MRN " : "medical record number: ")
          .Span("medical_record_number", Digits(r, 8));
      return b.Done("mrn");
    }
    case 13: {
      b.Text(r.Chance(50) ? "member id " : "Medicaid ID ")
          .Span("health_plan_number", Upper(r, 3) + Digits(r, 7));
      b.Text(" was denied again");
      return b.Done("health plan id");
    }
    case 14: {
      b.Text("account number ").Span("account_number", Digits(r, 5) + "-" + Digits(r, 4));
      return b.Done("account");
    }
    case 15: {
      b.Text("you charged card ").Span("account_number", LuhnCard(r)).Text(" twice");
      return b.Done("card luhn");
    }
    case 16: {
      b.Text("she lives at ");
      b.Span("street_address", std::to_string(r.Int(1, 9999)) + " " +
                                   std::string(r.Pick(kStreets)) + " " +
                                   std::string(r.Pick(kSuffixes)));
      b.Text(", ").Text(r.Pick(kCities)).Text(" ").Span("zip_code", Digits(r, 5));
      return b.Done("address + zip");
    }
    case 17: {
      b.Text("send it to ");
      b.Span("street_address",
             std::to_string(r.Int(10, 999)) + " " + std::string(r.Pick(kStreets)) + " " +
                 std::string(r.Pick(kSuffixes)) + " Apt " + std::to_string(r.Int(1, 40)));
      return b.Done("address with unit");
    }
    case 18: {
      const char* hosts[] = {"facebook.com/", "instagram.com/", "gofundme.com/f/help-"};
      b.Text("see ").Span("url", std::string(hosts[r.Int(0, 2)]) + Lower(first) + "." +
                                     Lower(last) + std::to_string(r.Int(1, 99)));
      b.Text(" for updates on my ").Text(rel);
      return b.Done("profile url");
    }
    case 19: {
      b.Text("the portal logged me from ")
          .Span("ip_address", std::to_string(r.Int(11, 223)) + "." + std::to_string(r.Int(0, 255)) +
                                  "." + std::to_string(r.Int(0, 255)) + "." +
                                  std::to_string(r.Int(1, 254)));
      return b.Done("ipv4");
    }
    case 20: {
      b.Text(r.Chance(50) ? "pacemaker serial " : "insulin pump serial number ")
          .Span("device_id", Upper(r, 2) + Digits(r, 7));
      return b.Done("device serial");
    }
    case 21: {
      b.Text("license plate ")
          .Span("license_plate", std::to_string(r.Int(1, 9)) + Upper(r, 3) + Digits(r, 3));
      b.Text(" is parked in the ambulance bay");
      return b.Done("plate");
    }
    case 22: {
      b.Text("driver's license ").Span("license_number", Upper(r, 1) + Digits(r, 7));
      return b.Done("driver licence");
    }
    case 23: {
      b.Text("Thank you Dr. ").Span("name", last).Text(" for everything");
      return b.Done("doctor name");
    }
    case 24: {
      size_t d = b.Mark();
      b.Text("I was diagnosed with ").Text(cond);
      b.SpanFrom("patient_disclosure", d);
      b.Text(" in the spring");
      return b.Done("self disclosure");
    }
    case 25: {
      b.Span("name", first + " " + last).Text(" was the best nurse we had");
      return b.Done("capitalised full name");
    }
    case 26: {
      b.Text("We hope ");
      size_t c = b.Mark();
      b.Text("your ").Text(r.Chance(50) ? "recent visit" : "procedure");
      b.SpanFrom("patient_confirmation", c);
      b.Text(" went well! Please DM us.");
      return b.Done("outgoing confirmation", true);
    }
    case 28: {
      b.Text("my ")
          .Text(rel)
          .Text(" ")
          .Span("name", Lower(first))
          .Text(" needs a ride home from the clinic");
      return b.Done("lowercase first name after relation");
    }
    case 29: {
      b.Text("Discharge paperwork says ")
          .Span("date", std::to_string(r.Int(2015, 2025)) + "-0" + std::to_string(r.Int(1, 9)) +
                            "-" + std::to_string(r.Int(10, 28)));
      b.Text(" for my ").Text(rel);
      return b.Done("date iso");
    }
    case 30: {
      b.Text("call ").Span("phone", std::string(r.Pick(kAreaCodes)) + " " +
                                        std::to_string(r.Int(201, 554)) + " " + Digits(r, 4));
      b.Text(" ext 22 and ask for the charge nurse");
      return b.Done("phone spaces");
    }
    case 31: {
      b.Text("ZIP ").Span("zip_code", Digits(r, 5) + "-" + Digits(r, 4));
      return b.Done("zip+4");
    }
    case 32: {
      b.Text("mail it to ").Span("street_address", "PO Box " + std::to_string(r.Int(10, 9999)));
      return b.Done("po box");
    }
    case 33: {
      b.Text("my monitor MAC is ")
          .Span("device_id", "00:1a:" + std::to_string(r.Int(10, 99)) + ":3c:4d:5e");
      return b.Done("mac address");
    }
    case 34: {
      b.Text("Went in with my ").Text(rel).Text(" ");
      size_t n = b.Mark();
      b.Span("name", first);
      (void)n;
      b.Text(" on ");
      b.Span("date", std::string(r.Pick(kMonths)) + " " + std::to_string(r.Int(1, 28)));
      b.Text(", still waiting on the bill");
      return b.Done("relation name + date");
    }
    case 35: {
      b.Text("my ").Text(rel).Text(" is in ");
      size_t d = b.Mark();
      (void)d;
      b.Text("room 12 after ");
      b.Text("the accident, she is ")
          .Span("age_over_89", std::to_string(r.Int(90, 99)))
          .Text(" yrs old");
      return b.Done("age yrs");
    }
    case 36: {
      b.Text("RIP ").Span("name", first + " " + last).Text(", the best charge nurse on 4 West");
      return b.Done("rip name");
    }
    default: {
      b.Text("So glad things went smoothly ");
      b.Span("patient_confirmation", r.Chance(50) ? "when you were here" : "during your stay");
      b.Text(". Take care!");
      return b.Done("outgoing confirmation (when you were here)", true);
    }
  }
}

// Text with numbers, dates, capitalised words and health terms that is not PHI.
constexpr std::array<std::string_view, 60> kNegatives = {
    "Our nurse line is staffed 8am-8pm, 7 days a week",
    "Tickets for the gala are $150 each",
    "Best Practices in Sepsis Care, a webinar on Zoom",
    "New Study Shows Benefits of Early Screening",
    "The 2024 report: 98% of patients rated us 9 or 10",
    "We opened 2 new clinics in Cedar Rapids and Iowa City",
    "Meet Blue, our therapy dog, every Tuesday",
    "Happy Nurses Week to all 3,400 of our nurses!",
    "Bring a photo ID and your insurance card to your first visit",
    "Schedule online at any time, it takes 2 minutes",
    "COVID-19 testing sites are open 7am to 7pm",
    "Our address changed: see the website for directions",
    "Dial 0 for the operator or press 2 for billing",
    "Type 2 diabetes affects 1 in 10 adults",
    "Vitamin D and B12 levels matter in winter",
    "Join the Heart Walk on Saturday, 5 miles along the river",
    "Join us March 5 for our free flu clinic at the main campus",
    "We're open 24/7 for emergencies",
    "Visiting hours are 9-5 on weekdays",
    "We delivered 1,250 babies in 2023!",
    "Got a $1,200 bill for a 15 minute visit? Call billing.",
    "3/4 of patients said they would recommend us",
    "The app is now on version 2.1.3",
    "covid-19 boosters are available for everyone over 65",
    "N95 masks are required in the ICU",
    "In an emergency, call 911. In crisis, dial 988.",
    "Room 402 is the new family lounge on floor 3",
    "Doors open at 10:30 am",
    "Register for the 5k run on Saturday",
    "Top 10 tips for a healthy heart",
    "We waited 2 hours on the way to the ER",
    "Henry Ford Hospital is hiring nurses",
    "St. Mary's Medical Center ranked in the top 50",
    "Mayo Clinic and Mercy General share research",
    "Diabetes screening is free this Saturday",
    "Cancer screenings save lives. Book yours today.",
    "Learn the signs of a stroke: face, arms, speech, time",
    "Will you be at the health fair?",
    "Grace period for enrollment ends soon",
    "Hope to see everyone at the blood drive",
    "Mark your calendars for Heart Month",
    "May is Mental Health Awareness Month",
    "The new wing has 120 beds and 14 operating rooms",
    "Normal body temperature is about 98.6 degrees",
    "Our 5-star rating is thanks to our staff",
    "Parking costs $5 per day, max $20 per week",
    "Flu season peaks between December and February",
    "Kids under 12 must be with an adult",
    "We now offer 3D mammograms at 4 locations",
    "Wait times are under 30 minutes at urgent care",
    "The hospital was founded in 1912",
    "Our nurses worked 12 hour shifts all week",
    "Great job to the whole team on 10000 steps day",
    "Call our main line to book a visit",
    "The clinic moved to the second floor",
    "Stroke care: every minute counts",
    "Free parking for veterans on November 11",
    "Thanks for the kind words! Please DM us so we can help.",
    "We are sorry to hear this. Please call our patient relations team.",
    "Our cardiology team treats more than 5,000 patients a year"};

}  // namespace

std::vector<LabelledPost> GeneratePhiCorpus(uint32_t seed, int positives, int negatives) {
  Rng r(seed);
  std::vector<LabelledPost> out;
  for (int i = 0; i < positives; ++i) out.push_back(Positive(r));
  for (int i = 0; i < negatives; ++i) {
    LabelledPost p;
    p.text = std::string(kNegatives[static_cast<size_t>(i) % kNegatives.size()]);
    p.outgoing = i % 2 == 0;
    p.shape = "hard negative";
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace carecast::eval
