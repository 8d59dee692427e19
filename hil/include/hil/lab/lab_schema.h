// The lab database's tables (hil/daemon/LAB.md): the job queue with its
// leases, the benches of every host, and the results store (runs and cases,
// as a results.db has them). Created and migrated forward by whichever hild
// or hil comes first, under an advisory lock so that several starting at
// once do not race.
#pragma once

#include "hil/lab/pg_connection.h"

namespace hil::lab {

inline constexpr int kLabSchemaVersion = 1;

// Errors: infrastructure (the database), configuration (a schema newer than
// this hil reads).
Status EnsureLabSchema(PgConnection& connection);

}  // namespace hil::lab
