#include "config/default_config.h"

#include <string>

namespace gw {
namespace {

// Kept as YAML, not as filled-in structs: it goes through the same loader and validation as a
// file, so it cannot drift from what a file with the same text would do.
constexpr std::string_view kDefaultYaml = R"(# gatewatch's embedded default config.
state_dir: /var/lib/gatewatch
http:
  listen: 127.0.0.1:9177
sources:
  - name: nginx
    access_log: /var/log/nginx/access.log
    error_log: /var/log/nginx/error.log
    format: combined
)";

}  // namespace

std::string_view embeddedDefaultConfigText() { return kDefaultYaml; }

ConfigLoad loadEmbeddedDefaultConfig() {
  return loadConfigText(kDefaultYaml, std::string(kEmbeddedConfigName));
}

}  // namespace gw
