// Checksums and rules that confirm an identifier is real.
#pragma once

#include <string_view>

namespace carecast::common::text {

// Luhn checksum over ASCII digits (payment cards, many device ids).
bool LuhnValid(std::string_view digits);

// SSA rules for a 9-digit SSN: area not 000, 666 or 9xx; group not 00; serial not 0000.
bool SsnValid(std::string_view digits);

// libphonenumber: a valid number for `region` ("US"), or any region when the
// text starts with '+'.
bool PhoneValid(std::string_view text, std::string_view region);

}  // namespace carecast::common::text
