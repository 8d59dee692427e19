#include "hil/daemon/job_queue.h"

#include <algorithm>

namespace hil::daemon {

bool BenchOffer::Meets(const JobNeeds& needs) const {
  const auto has = [this](const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  };
  return (needs.bench.empty() || needs.bench == name) &&
         (needs.board.empty() || needs.board == board) &&
         (needs.kind.empty() || needs.kind == kind) &&
         std::all_of(needs.tags.begin(), needs.tags.end(), has);
}

}  // namespace hil::daemon
