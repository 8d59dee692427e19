// libFuzzer target: any bytes as the body of POST /jobs end in a job to
// store or a configuration error (hild's 400), never a crash; the plan in
// a well-formed body is parsed as hild parses it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hil/daemon/daemon.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  hil::Result<hil::daemon::Submission> submission =
      hil::daemon::ParseSubmission(body, "/var/lib/hild");
  if (!submission.ok()) return 0;
  (void)hil::daemon::JobOutDir("/var/lib/hild", submission->out, 7);
  hil::plan::PlanPolicy policy;
  policy.roots = std::vector<std::string>{};
  (void)hil::plan::ParsePlanText(submission->plan, submission->plan_path, submission->base_dir,
                                 policy);
  return 0;
}
