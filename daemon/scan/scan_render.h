// Renders a ScanResult for people (a report with a bar row per minute) and for scripts (JSON).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "scan/scan_result.h"

namespace gw {

struct RenderOptions {
  bool color = false;        // ANSI colours (stdout is a terminal)
  bool all_minutes = false;  // every minute, not only those around incidents
  int bar_width = 50;
};

std::string renderScanText(const ScanResult& result, const RenderOptions& options);
nlohmann::json scanToJson(const ScanResult& result);

}  // namespace gw
