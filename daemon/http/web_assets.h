// The history page's files (daemon/http/web: the HTML shell, app.css, app.js), compiled into the
// binary by the build (embed_assets.cmake writes them as byte arrays), so the daemon serves its
// page with nothing to install beside it and the browser fetches nothing from elsewhere.
#pragma once

#include <span>
#include <string_view>

namespace gw {

struct WebAsset {
  std::string_view name;          // "app.js": the file's name in daemon/http/web
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;          // the bytes served (index.html with versioned asset URLs)
  std::string_view version;       // 16 hex digits of the body's SHA-256: ?v= and the ETag
};

// Every embedded file, by name.
std::span<const WebAsset> webAssets();
// The file called `name`, or nullptr.
const WebAsset* findWebAsset(std::string_view name);

}  // namespace gw
