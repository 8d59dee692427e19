#include "hil/did_you_mean.h"

#include <algorithm>

namespace hil {

size_t BoundedEditDistance(std::string_view a, std::string_view b, size_t limit) {
  // Only the band of cells within `limit` of the diagonal is computed, so a
  // pair costs O(length x limit), never O(length^2).
  const size_t too_far = limit + 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return too_far;
  std::vector<size_t> row(b.size() + 1, too_far);
  for (size_t j = 0; j <= std::min(b.size(), limit); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    const size_t from = i > limit ? i - limit : 1;
    const size_t to = std::min(b.size(), i + limit);
    size_t diagonal = row[from - 1];
    row[from - 1] = from == 1 && i <= limit ? i : too_far;
    size_t best = row[from - 1];
    for (size_t j = from; j <= to; ++j) {
      const size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      row[j] = std::min(row[j], too_far);
      best = std::min(best, row[j]);
      diagonal = above;
    }
    if (to < b.size()) row[to + 1] = too_far;
    if (best > limit) return too_far;
  }
  return std::min(row[b.size()], too_far);
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  // Names longer than this are not typed by hand; guessing them costs more
  // than it helps.
  constexpr size_t kLongestGuessed = 64;
  if (word.size() > kLongestGuessed) return "";
  // Between equally distant names, the one with the word's own letters
  // (a swap: "medain" is "median", not "mean"), then the one of its length.
  const auto likeness = [&word](const std::string& candidate) {
    if (candidate.size() != word.size()) return 0;
    std::string a = word, b = candidate;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b ? 2 : 1;
  };
  const size_t threshold = std::max<size_t>(2, word.size() / 3);
  std::string best;
  size_t best_distance = threshold + 1;
  int best_likeness = -1;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > kLongestGuessed) continue;
    const size_t limit = std::min(threshold, best_distance);
    const size_t distance = BoundedEditDistance(word, candidate, limit);
    if (distance > limit) continue;
    const int like = likeness(candidate);
    if (distance < best_distance || like > best_likeness)
      best = candidate, best_distance = distance, best_likeness = like;
  }
  return best;
}

std::string JoinNames(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

std::string JoinSomeNames(const std::vector<std::string>& words, size_t most) {
  constexpr size_t kLongestList = 240;
  std::string text;
  size_t listed = 0;
  for (; listed < words.size() && listed < most; ++listed) {
    if (listed > 0 && text.size() + words[listed].size() > kLongestList) break;
    text += (text.empty() ? "" : ", ") + words[listed];
  }
  if (listed < words.size()) text += " and " + std::to_string(words.size() - listed) + " more";
  return text;
}

}  // namespace hil
