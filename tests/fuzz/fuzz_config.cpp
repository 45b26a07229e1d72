// libFuzzer target for the config loader: arbitrary bytes must give a ConfigLoad (problems or a
// config), never a crash, a hang or an escaped yaml-cpp exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const gw::ConfigLoad load = gw::loadConfigText(text, "fuzz.yaml");
  // Every problem has a position inside the text or none at all, and a message.
  for (const gw::ConfigProblem& p : load.problems) {
    if (p.message.empty() || p.line < 0 || p.column < 0) __builtin_trap();
  }
  if (load.ok() && load.config.sources.empty()) __builtin_trap();  // no sources is a problem
  return 0;
}
