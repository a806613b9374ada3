// Spelling variants of a configured topic phrase, so a list names each idea once:
// the plural of the last word ("midwife" -> "midwives", "appointment" ->
// "appointments") and British/American spellings ("labour"/"labor",
// "anaesthetist"/"anesthetist", "immunisation"/"immunization"). Variants that
// are not words ("exercize") are harmless: they never match.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace carecast::common::text {

// Appends the variants of a normalised `term` (never `term` itself; may repeat).
void AppendTermVariants(std::string_view term, std::vector<std::string>& out);

}  // namespace carecast::common::text
