#include "detect/incident_event.h"

namespace gw {

const char* toString(EventKind kind) {
  switch (kind) {
    case EventKind::kFiring:
      return "firing";
    case EventKind::kReminder:
      return "reminder";
    case EventKind::kResolved:
      return "resolved";
  }
  return "?";
}

}  // namespace gw
