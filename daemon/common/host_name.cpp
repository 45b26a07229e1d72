#include "common/host_name.h"

#include <unistd.h>

#include <array>
#include <climits>

namespace gw {

std::string hostName() {
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return std::string(name.data());
}

}  // namespace gw
