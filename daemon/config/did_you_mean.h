// Suggestions for misspelt names: the closest of a set of candidates within a small edit distance,
// for "unknown key 'acces_log' (did you mean 'access_log'?)".
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace gw {

// Optimal-string-alignment (Damerau-Levenshtein) distance, ASCII case-insensitive, with '-' and
// '_' taken as the same character. Stops early: returns `limit + 1` as soon as the distance is
// known to exceed `limit`.
std::size_t editDistance(std::string_view a, std::string_view b, std::size_t limit);

// The candidate closest to `word` when it is close enough to be a likely typo (1 edit for words
// of up to 3 characters, 2 up to 8, 3 beyond); "" when none is. Ties go to the earlier candidate.
std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace gw
