// Alert: one notification about an incident — the detector's event composed with the server's
// name, a one-line summary and the redacted log lines around it. It is what the outbox stores and
// what every sink renders; it owns its strings and never holds an unredacted log byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "detect/incident_event.h"

namespace gw {

// Each context line is cut to this many characters (UTF-8 code points) at a character boundary:
// enough for a request line and its statuses, small enough for a phone screen.
inline constexpr std::size_t kContextLineChars = 300;

struct AlertContext {
  std::vector<std::string> access;  // raw access lines of the source and group, oldest first
  std::vector<std::string> error;   // error.log lines of the source in the incident's span
};

struct Alert {
  IncidentEvent event;   // top_paths and group values already redacted
  std::string hostname;  // the server's name (gethostname), instance label in Alertmanager
  std::string summary;   // one sentence: "502 Bad Gateway on 96% of 240 requests in the last 60s"
  std::string
      headline;  // for chat: "🔴 502 Bad Gateway on 96% of requests — src — since 11:26:28 (KST)"
  std::string zone_label;  // how times are labelled: "KST", or "+09:00" when no name is known
  AlertContext context;
  bool test = false;  // `gatewatch test-alert`: every sink marks it as a test
};

// The outbox's and history's representation: lossless, versioned JSON. alertFromStoredJson()
// names the field that is missing or of the wrong type.
std::string toStoredJson(const Alert& alert);
Result<Alert> alertFromStoredJson(std::string_view json);

// Two undelivered notifications of one incident for one sink become one message carrying the
// newer state: firing + reminder stays a firing (with the newer figures), firing/reminder +
// resolved becomes the resolved (which says when it fired and how long it lasted). The merged
// notification gets a new idempotency key: a receiver may already hold the queued one.
Alert mergeQueued(const Alert& queued, const Alert& newer);

}  // namespace gw
