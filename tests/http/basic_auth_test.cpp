// BasicAuth as plain calls: base64, which hashes are accepted, and each verdict of check() —
// missing, malformed, oversized, wrong user, wrong password, right (and right again, cached).
#include "http/basic_auth.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gw {
namespace {

using Json = nlohmann::json;

// `openssl passwd -6 -salt abcdefgh secret`; a yescrypt hash of "secret" (mkpasswd -m yescrypt).
constexpr const char* kSha512Secret =
    "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/"
    "O6IND4WQhG.";
constexpr const char* kYescryptSecret =
    "$y$j9T$PmN1BFN0aOVUkYg..07ic.$CUiH32BLayXPzjRMv8irg81hliPsA8/mY9YcyLQJaB2";

// Each check a second after the last: the per-second budget of hashes never runs out.
class Steps {
 public:
  std::chrono::steady_clock::time_point next() { return at_ += std::chrono::seconds(1); }

 private:
  std::chrono::steady_clock::time_point at_{};
};

std::string errorOf(const std::optional<HttpResponse>& refused) {
  if (!refused) return "(allowed)";
  return Json::parse(refused->body)["error"];
}

BasicAuth makeAuth(const char* hash = kYescryptSecret) {
  auto auth = BasicAuth::create("ops", hash);
  EXPECT_TRUE(auth) << auth.error().message;
  return std::move(*auth);
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  std::string out;
  ASSERT_TRUE(decodeBase64("b3BzOnNlY3JldA==", out));
  EXPECT_EQ(out, "ops:secret");
  ASSERT_TRUE(decodeBase64("b3BzOnNlY3JldA", out));
  EXPECT_EQ(out, "ops:secret");
  ASSERT_TRUE(decodeBase64("", out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(decodeBase64("/+/+", out));
  EXPECT_EQ(out, "\xff\xef\xfe");
}

TEST(Base64, RefusesOtherAlphabetsAndImpossibleLengths) {
  std::string out;
  for (const char* text : {"b3Bz OnNl", "b3Bz-_", "b", "b3BzO", "=b3B", "b3B=z", "\x80\x81"}) {
    EXPECT_FALSE(decodeBase64(text, out)) << text;
  }
}

TEST(PasswordHash, ModernCompleteHashesAreAccepted) {
  EXPECT_EQ(passwordHashProblem(kSha512Secret), "");
  EXPECT_EQ(passwordHashProblem(kYescryptSecret), "");
}

TEST(PasswordHash, LegacyIncompleteAndUnknownHashesAreRefusedWithHowToMakeOne) {
  struct Case {
    const char* hash;
    const char* why;
  };
  for (const Case& c :
       {Case{"", "not a crypt(3) password hash"},
        Case{"secret", "legacy"},  // a valid DES "hash" with salt "se"
        Case{"abJnggxhB/yWI", "legacy"}, Case{"$1$abc$iCQ2D3nhptRYi27fDYv2s1", "legacy"},
        Case{"$6$abcdefgh", "lacks the hash part"},
        Case{"$6$abcdefgh$short", "lacks the hash part"}, Case{"$y$j9T$abc", "malformed"},
        Case{"$zz$abc$def", "not a crypt(3) password hash"}}) {
    const std::string problem = passwordHashProblem(c.hash);
    EXPECT_NE(problem.find(c.why), std::string::npos) << c.hash << ": " << problem;
    EXPECT_NE(problem.find("mkpasswd -m yescrypt"), std::string::npos) << problem;
  }
}

TEST(BasicAuth, CreateRefusesAUserWithAColonOrNone) {
  EXPECT_FALSE(BasicAuth::create("a:b", kYescryptSecret));
  EXPECT_FALSE(BasicAuth::create("", kYescryptSecret));
  EXPECT_FALSE(BasicAuth::create("ops", "secret"));
}

TEST(BasicAuth, RightUserAndPasswordPassAgainAndAgain) {
  BasicAuth auth = makeAuth();
  Steps steps;
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(auth.check("Basic b3BzOnNlY3JldA==", steps.next()).has_value()) << i;
  EXPECT_FALSE(auth.check("BASIC b3BzOnNlY3JldA==", steps.next()).has_value());
  EXPECT_FALSE(auth.check("Basic   b3BzOnNlY3JldA  ", steps.next()).has_value());
}

TEST(BasicAuth, Sha512HashesVerifyToo) {
  BasicAuth auth = makeAuth(kSha512Secret);
  Steps steps;
  EXPECT_FALSE(auth.check("Basic b3BzOnNlY3JldA==", steps.next()).has_value());
  EXPECT_EQ(errorOf(auth.check("Basic b3BzOndyb25n", steps.next())), "wrong user or password");
}

TEST(BasicAuth, EachRefusalSaysWhy) {
  BasicAuth auth = makeAuth();
  Steps steps;
  EXPECT_EQ(errorOf(auth.check("", steps.next())),
            "authentication required: this status server asks for a user and password");
  EXPECT_EQ(errorOf(auth.check("Bearer xyz", steps.next())),
            "the Authorization header must be Basic base64(user:password)");
  EXPECT_EQ(errorOf(auth.check("Basic !!!", steps.next())),
            "the Authorization header is not Basic base64(user:password)");
  EXPECT_EQ(errorOf(auth.check("Basic b3Bz", steps.next())),  // "ops": no colon
            "the Authorization header is not Basic base64(user:password)");
  EXPECT_EQ(errorOf(auth.check("Basic b3BzOnNlY3JldAA=", steps.next())),  // "ops:secret\0"
            "the Authorization header is not Basic base64(user:password)");
  EXPECT_EQ(errorOf(auth.check("Basic b3BzOndyb25n", steps.next())),
            "wrong user or password");  // ops:wrong
  EXPECT_EQ(errorOf(auth.check("Basic ZXZlOnNlY3JldA==", steps.next())),
            "wrong user or password");  // eve
  EXPECT_EQ(errorOf(auth.check("Basic b3BzOg==", steps.next())),
            "wrong user or password");  // "ops:"
  EXPECT_EQ(errorOf(auth.check("Basic " + std::string(kMaxAuthorizationBytes, 'A'), steps.next())),
            "the Authorization header is longer than 1024 bytes");
}

TEST(BasicAuth, RefusalsCarryTheChallenge) {
  BasicAuth auth = makeAuth();
  Steps steps;
  const auto refused = auth.check("", steps.next());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401u);
  ASSERT_EQ(refused->headers.size(), 1u);
  EXPECT_EQ(refused->headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(refused->headers[0].second, R"(Basic realm="gatewatch", charset="UTF-8")");
}

TEST(BasicAuth, ACachedSuccessDoesNotLetAnotherPasswordIn) {
  BasicAuth auth = makeAuth();
  Steps steps;
  ASSERT_FALSE(auth.check("Basic b3BzOnNlY3JldA==", steps.next()).has_value());
  EXPECT_TRUE(auth.check("Basic b3BzOndyb25n", steps.next()).has_value());
  EXPECT_FALSE(auth.check("Basic b3BzOnNlY3JldA==", steps.next()).has_value());
}

TEST(BasicAuth, PasswordChecksBeyondTheBudgetPerSecondAre429WithoutHashing) {
  BasicAuth auth = makeAuth();
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  ASSERT_FALSE(auth.check("Basic b3BzOnNlY3JldA==", t0).has_value());  // right: cached now
  for (int i = 1; i < kMaxVerificationsPerSecond; ++i) {
    EXPECT_EQ(errorOf(auth.check("Basic b3BzOndyb25n", t0)), "wrong user or password") << i;
  }
  const auto spent = auth.check("Basic b3BzOndyb25n", t0 + std::chrono::milliseconds(999));
  ASSERT_TRUE(spent);
  EXPECT_EQ(spent->status, 429u);
  ASSERT_EQ(spent->headers.size(), 1u);
  EXPECT_EQ(spent->headers[0].first, "Retry-After");
  // The cached credential needs no hash and still passes; the next second has a new budget.
  EXPECT_FALSE(auth.check("Basic b3BzOnNlY3JldA==", t0).has_value());
  EXPECT_EQ(errorOf(auth.check("Basic b3BzOndyb25n", t0 + std::chrono::seconds(1))),
            "wrong user or password");
}

}  // namespace
}  // namespace gw
