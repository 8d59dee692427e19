// Suggestions for misspelt names, and lists of names for messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hil {

// The closest of `candidates` to `word`, when close enough to be a likely
// misspelling; empty otherwise.
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

// Levenshtein distance, or `limit + 1` once it is certain to exceed `limit`.
size_t BoundedEditDistance(std::string_view a, std::string_view b, size_t limit);

// "a, b, c".
std::string JoinNames(const std::vector<std::string>& words);

// The same with at most `most` words and about 240 characters of them, then
// "and N more": for lists a user wrote, which can be long.
std::string JoinSomeNames(const std::vector<std::string>& words, size_t most);

}  // namespace hil
