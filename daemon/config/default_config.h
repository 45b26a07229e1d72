// The embedded default config: what `gatewatch run` follows when it is given no --config and
// /etc/gatewatch/gatewatch.yaml does not exist — the local nginx's access.log and error.log in
// the combined format, the default rules, no sinks (alerts go to stdout and history), the state
// database in /var/lib/gatewatch and the status server on 127.0.0.1:9177.
#pragma once

#include <string_view>

#include "config/loader.h"

namespace gw {

// The name the embedded config goes by in messages and in the status snapshot's config_path.
inline constexpr std::string_view kEmbeddedConfigName = "<embedded default>";

// The YAML text itself, shown by the daemon's start-up message as a starting point for a file.
std::string_view embeddedDefaultConfigText();

// Loaded and validated like a file. Always ok(); its one warning (no sinks) is expected.
ConfigLoad loadEmbeddedDefaultConfig();

}  // namespace gw
