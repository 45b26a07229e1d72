#include "alert/sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace gw {
namespace {

// A URL or key file holds one line; anything bigger is the wrong file, not read into memory.
constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;
// displayUrl() shows at most this much of a host: a hostile or broken value stays one short
// log field.
constexpr std::size_t kMaxDisplayHostChars = 255;
constexpr std::size_t kMaxDisplaySchemeChars = 16;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

struct UrlParts {
  std::string_view scheme;     // as written
  std::string_view authority;  // without userinfo
  std::string_view rest;       // path, query and fragment
};

std::optional<UrlParts> splitUrl(std::string_view url) {
  const std::size_t mark = url.find("://");
  if (mark == std::string_view::npos || mark == 0) return std::nullopt;
  UrlParts parts;
  parts.scheme = url.substr(0, mark);
  std::string_view after = url.substr(mark + 3);
  const std::size_t end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  parts.rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  parts.authority = authority;
  return parts;
}

// An http(s) URL with a host and nothing a request line cannot carry.
bool validHttpUrl(std::string_view url) {
  if (!startsWithNoCase(url, "http://") && !startsWithNoCase(url, "https://")) return false;
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) return false;
  }
  const auto parts = splitUrl(url);
  if (!parts) return false;
  std::string_view host = parts->authority;
  if (const std::size_t colon = host.rfind(':');
      colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return !host.empty() && host != "[]";
}

std::string fromEnvironment(std::string_view variable) {
  return "environment variable " + std::string(variable);
}

std::string fromFile(std::string_view key, std::string_view path) {
  return std::string(key) + " " + std::string(path);
}

// The trimmed content of a file holding one secret, or what went wrong (naming the file only).
Result<std::string> readSecretFile(const std::string& sink, std::string_view key,
                                   const std::string& path) {
  const std::string where = "sink " + sink + ": " + fromFile(key, path);
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    std::string message =
        "sink " + sink + ": cannot open " + fromFile(key, path) + ": " + std::strerror(err);
    if (err == EACCES) {
      message += "; make it readable by the user gatewatch runs as (and by no one else)";
    } else if (err == ENOENT) {
      message += "; create it, or correct the path in the config";
    }
    return Error{message};
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Error{where + " is not a regular file; it should hold only the " +
                 (key == "url_file" ? std::string("URL") : std::string("key"))};
  }
  if (static_cast<std::size_t>(info.st_size) > kMaxSecretFileBytes) {
    return Error{where + " is larger than 64 KiB; it should hold only the " +
                 (key == "url_file" ? std::string("URL") : std::string("key"))};
  }
  std::string content(kMaxSecretFileBytes + 1, '\0');
  std::size_t filled = 0;
  while (filled < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + filled, content.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"sink " + sink + ": cannot read " + fromFile(key, path) + ": " +
                   std::strerror(errno)};
    }
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  if (filled > kMaxSecretFileBytes) {
    return Error{where + " is larger than 64 KiB; it should hold only the " +
                 (key == "url_file" ? std::string("URL") : std::string("key"))};
  }
  content.resize(filled);
  const std::string_view trimmed = trim(content);
  if (trimmed.empty()) return Error{where + " is empty; write the value into it"};
  return std::string(trimmed);
}

// An environment variable's value, or why there is none (naming the variable only).
Result<std::string> readSecretEnv(const std::string& sink, const std::string& variable,
                                  const EnvLookup& env) {
  const std::string where = "sink " + sink + ": " + fromEnvironment(variable);
  std::optional<std::string> value = env(variable);
  if (!value) {
    return Error{where + " is not set; set it in the unit's EnvironmentFile (or the environment " +
                 "gatewatch starts in)"};
  }
  if (trim(*value).empty()) {
    return Error{where + " is empty; set it in the unit's EnvironmentFile (or the environment " +
                 "gatewatch starts in)"};
  }
  return std::move(*value);
}

Result<std::string> resolveUrl(const SinkConfig& sink, const EnvLookup& env) {
  const int sources = static_cast<int>(!sink.url.empty()) +
                      static_cast<int>(!sink.url_env.empty()) +
                      static_cast<int>(!sink.url_file.empty());
  if (sources == 0) {
    return Error{"sink " + sink.name +
                 ": no URL; set url_env (the name of an environment variable holding it), url_file "
                 "(a file holding it) or url"};
  }
  if (sources > 1) {
    return Error{"sink " + sink.name + ": set only one of url, url_env, url_file"};
  }
  std::string origin;
  std::string url;
  if (!sink.url_env.empty()) {
    auto value = readSecretEnv(sink.name, sink.url_env, env);
    if (!value) return value.error();
    origin = "the URL in " + fromEnvironment(sink.url_env);
    url = std::string(trim(*value));
  } else if (!sink.url_file.empty()) {
    auto value = readSecretFile(sink.name, "url_file", sink.url_file);
    if (!value) return value.error();
    origin = "the URL in " + fromFile("url_file", sink.url_file);
    url = std::move(*value);
  } else {
    origin = "its url";
    url = std::string(trim(sink.url));
  }
  if (!validHttpUrl(url)) {
    return Error{"sink " + sink.name + ": " + origin +
                 " is not an http:// or https:// URL with a host (and no spaces); correct it"};
  }
  return url;
}

Result<std::string> resolveSecret(const SinkConfig& sink, const EnvLookup& env) {
  if (!sink.secret_env.empty() && !sink.secret_file.empty()) {
    return Error{"sink " + sink.name + ": set only one of secret_env, secret_file"};
  }
  if (!sink.secret_env.empty()) return readSecretEnv(sink.name, sink.secret_env, env);
  if (!sink.secret_file.empty()) return readSecretFile(sink.name, "secret_file", sink.secret_file);
  return std::string();
}

}  // namespace

EnvLookup processEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<ResolvedSink> resolveSink(const SinkConfig& sink, const EnvLookup& env) {
  auto url = resolveUrl(sink, env);
  if (!url) return url.error();
  auto secret = resolveSecret(sink, env);
  if (!secret) return secret.error();
  ResolvedSink resolved;
  resolved.name = sink.name;
  resolved.type = sink.type;
  resolved.payload = sink.payload;
  resolved.url = std::move(*url);
  resolved.secret = std::move(*secret);
  resolved.max_age = sink.max_age;
  return resolved;
}

Result<std::vector<ResolvedSink>> resolveSinks(const std::vector<SinkConfig>& sinks,
                                               const EnvLookup& env) {
  std::vector<ResolvedSink> resolved;
  std::string problems;
  for (const SinkConfig& sink : sinks) {
    auto one = resolveSink(sink, env);
    if (one) {
      resolved.push_back(std::move(*one));
      continue;
    }
    if (!problems.empty()) problems += '\n';
    problems += one.error().message;
  }
  if (!problems.empty()) return Error{problems};
  return resolved;
}

std::string displayUrl(std::string_view url) {
  const auto parts = splitUrl(url);
  if (!parts) return "(not a URL)";
  std::string shown;
  const auto keep = [&shown](std::string_view text, std::size_t max) {
    for (const char c : text.substr(0, max)) {
      const auto byte = static_cast<unsigned char>(c);
      shown += (byte <= 0x20 || byte >= 0x7F) ? '?' : c;
    }
  };
  keep(parts->scheme, kMaxDisplaySchemeChars);
  shown += "://";
  keep(parts->authority, kMaxDisplayHostChars);
  if (parts->authority.size() > kMaxDisplayHostChars) shown += "…";
  // The root path hides nothing; anything else may be the secret.
  if (parts->rest == "/") {
    shown += '/';
  } else if (!parts->rest.empty()) {
    shown += "/…";
  }
  return shown;
}

}  // namespace gw
