#include "services/common/text/validators.h"

#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace carecast::common::text {

bool LuhnValid(std::string_view digits) {
  if (digits.size() < 2) return false;
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (d < 0 || d > 9) return false;
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool SsnValid(std::string_view d) {
  if (d.size() != 9) return false;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
  }
  std::string_view area = d.substr(0, 3), group = d.substr(3, 2), serial = d.substr(5, 4);
  if (area == "000" || area == "666" || area[0] == '9') return false;
  if (group == "00" || serial == "0000") return false;
  return true;
}

bool PhoneValid(std::string_view text, std::string_view region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  std::string region_code = !text.empty() && text[0] == '+' ? "ZZ" : std::string(region);
  if (util->Parse(std::string(text), region_code, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return false;
  }
  return util->IsValidNumber(number);
}

}  // namespace carecast::common::text
