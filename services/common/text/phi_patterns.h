// The RE2 patterns of the PHI stage (internal; compiled once per detector).
#pragma once

#include <re2/re2.h>

#include "services/common/text/phi_detector.h"

namespace carecast::common::text {

struct PhiDetector::Patterns {
  re2::RE2 obfuscated_email{
      R"([a-z0-9._%+-]+\s*(?:\(at\)|\[at\]|\{at\})\s*[a-z0-9-]+\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\.)\s*(?:com|org|net|edu|gov|us|io|co)\b|[a-z0-9._%+-]+\s+at\s+[a-z0-9-]+\s+dot\s+(?:com|org|net|edu|gov|us|io|co)\b)"};
  re2::RE2 month_first{
      R"(\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?:\d{4}|'\d{2}))?)"};
  re2::RE2 day_first{
      R"(\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?(?:,?\s+\d{4})?)"};
  re2::RE2 street{
      R"(\b\d{1,6}[a-z]?\s+((?:[a-z0-9'.-]+\s+){1,4}?)(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|circle|cir|highway|hwy|parkway|pkwy|trail|trl|square|sq|crescent|cres|alley|pike)\b\.?(?:,?\s*(?:apt|apartment|suite|ste|unit|#)\.?\s*#?\s*[a-z0-9-]+)?)"};
  re2::RE2 po_box{R"(\bp\.?\s?o\.?\s?box\s+\d+)"};
  re2::RE2 mac{R"(\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b)"};
  re2::RE2 ipv6{
      R"(\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}\b)"};
};

}  // namespace carecast::common::text
