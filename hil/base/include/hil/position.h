// Where a value came from in a file a person wrote, for messages that
// point at it.
#pragma once

namespace hil {

struct Position {
  int line = 0;    // from 1; 0 when unknown
  int column = 0;  // from 1
};

}  // namespace hil
