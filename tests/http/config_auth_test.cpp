// The loader's checks of the status server's basic auth keys (http.auth_user,
// http.auth_password_hash): both or neither, a user basic auth can carry, a hash libcrypt can
// verify — each an error at the key's FILE:LINE:COL — and a warning for a non-loopback listen
// without auth. (Kept with the status server's tests: the checks exist for it.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"

namespace gw {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kYescryptSecret =
    "$y$j9T$PmN1BFN0aOVUkYg..07ic.$CUiH32BLayXPzjRMv8irg81hliPsA8/mY9YcyLQJaB2";
constexpr const char* kSha512Secret =
    "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/"
    "O6IND4WQhG.";

// A valid source (lines 1-3) and `http` from line 4 on.
ConfigLoad loadHttp(const std::string& http) {
  return loadConfigText(
      "sources:\n"
      "  - name: web\n"
      "    access_log: /var/log/nginx/access.log\n" +
          http,
      "t.yaml");
}

std::vector<std::string> problems(const ConfigLoad& l) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : l.problems) out.push_back(p.toString());
  return out;
}

std::vector<std::string> httpWarnings(const ConfigLoad& l) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : l.warnings) {
    if (p.message.find("http.") != std::string::npos) out.push_back(p.toString());
  }
  return out;
}

TEST(ConfigAuth, BothKeysWithAModernHashAreValid) {
  for (const char* hash : {kYescryptSecret, kSha512Secret}) {
    const ConfigLoad l = loadHttp(std::string("http:\n  listen: 0.0.0.0:9177\n  auth_user: ops\n"
                                              "  auth_password_hash: '") +
                                  hash + "'\n");
    EXPECT_THAT(problems(l), IsEmpty()) << hash;
    EXPECT_THAT(httpWarnings(l), IsEmpty()) << hash;
    EXPECT_EQ(l.config.http.auth_user, "ops");
    EXPECT_EQ(l.config.http.auth_password_hash, hash);
  }
}

TEST(ConfigAuth, OneKeyWithoutTheOtherIsAnErrorAtThatKey) {
  EXPECT_THAT(problems(loadHttp("http:\n  auth_user: ops\n")),
              ElementsAre("t.yaml:5:3: http.auth_user is set without http.auth_password_hash: "
                          "basic auth needs both (or neither)"));
  EXPECT_THAT(
      problems(loadHttp(std::string("http:\n  auth_password_hash: '") + kYescryptSecret + "'\n")),
      ElementsAre("t.yaml:5:3: http.auth_password_hash is set without http.auth_user: "
                  "basic auth needs both (or neither)"));
}

TEST(ConfigAuth, AHashLibcryptCannotVerifyIsAnErrorAtTheValue) {
  struct Case {
    const char* hash;
    const char* why;
  };
  for (const Case& c :
       {Case{"secret", "legacy methods are refused"},
        Case{"'$1$abc$iCQ2D3nhptRYi27fDYv2s1'", "legacy methods are refused"},
        Case{"'$6$abcdefgh'", "lacks the hash part"}, Case{"'$y$j9T$abc'", "malformed"},
        Case{"'$zz$x$y'", "is not a crypt(3) password hash"}}) {
    const ConfigLoad l =
        loadHttp(std::string("http:\n  auth_user: ops\n  auth_password_hash: ") + c.hash + "\n");
    ASSERT_EQ(l.problems.size(), 1u) << c.hash;
    EXPECT_THAT(l.problems[0].toString(), HasSubstr("t.yaml:6:23: http.auth_password_hash "))
        << c.hash;
    EXPECT_THAT(l.problems[0].message, HasSubstr(c.why)) << c.hash;
    EXPECT_THAT(l.problems[0].message, HasSubstr("mkpasswd -m yescrypt")) << c.hash;
  }
}

TEST(ConfigAuth, AUserWithAColonIsAnError) {
  const ConfigLoad l = loadHttp(std::string("http:\n  auth_user: 'ops:admin'\n"
                                            "  auth_password_hash: '") +
                                kYescryptSecret + "'\n");
  ASSERT_EQ(l.problems.size(), 1u);
  EXPECT_THAT(l.problems[0].toString(), HasSubstr("t.yaml:5:14: http.auth_user 'ops:admin'"));
}

TEST(ConfigAuth, NonLoopbackListenWithoutAuthIsAWarningSayingToSetIt) {
  for (const char* listen : {"0.0.0.0:9177", "'[::]:9177'", "10.0.0.5:9177"}) {
    const ConfigLoad l = loadHttp(std::string("http:\n  listen: ") + listen + "\n");
    EXPECT_THAT(problems(l), IsEmpty()) << listen;
    const auto warnings = httpWarnings(l);
    ASSERT_EQ(warnings.size(), 1u) << listen;
    EXPECT_THAT(warnings[0], HasSubstr("t.yaml:5:11: http.listen "));
    EXPECT_THAT(warnings[0], HasSubstr("set http.auth_user and http.auth_password_hash"));
  }
  for (const char* listen : {"127.0.0.1:9177", "'[::1]:9177'", "localhost:9177", "''"}) {
    EXPECT_THAT(httpWarnings(loadHttp(std::string("http:\n  listen: ") + listen + "\n")), IsEmpty())
        << listen;
  }
  EXPECT_THAT(httpWarnings(loadHttp("")), IsEmpty());
}

}  // namespace
}  // namespace gw
