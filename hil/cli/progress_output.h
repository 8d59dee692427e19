// Where hil run and hil submit --wait show progress: standard error, as one
// updating line when it is a terminal and as sparse lines when it is a log.
#pragma once

#include "hil/run/progress.h"

namespace hil::cli {

run::ProgressPrinter StderrProgress(bool quiet);

}  // namespace hil::cli
