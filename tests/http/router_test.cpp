// Router: literal and {placeholder} paths, the order of checks (path, method, query) and a
// throwing handler contained.
#include "http/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gw {
namespace {

using Json = nlohmann::json;

Router testRouter() {
  Router router;
  router.add("/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "ok", {}};
  });
  router.add("/api/alerts", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "list " + std::to_string(r.query.items().size()), {}};
  });
  router.add("/api/alerts/{id}", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "one " + r.pathParam("id"), {}};
  });
  router.add("/api/sources/{name}/minutes", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "minutes " + r.pathParam("name"), {}};
  });
  router.add("/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("x"); });
  return router;
}

TEST(Router, LiteralAndPlaceholderPathsReachTheirHandlers) {
  const Router router = testRouter();
  EXPECT_EQ(router.handle("GET", "/healthz").body, "ok");
  EXPECT_EQ(router.handle("GET", "/api/alerts?limit=1&rule=x").body, "list 2");
  EXPECT_EQ(router.handle("GET", "/api/alerts/abc123").body, "one abc123");
  EXPECT_EQ(router.handle("HEAD", "/api/sources/web%2Fprod/minutes").body, "minutes web/prod");
}

TEST(Router, UnknownPathsAre404ListingThePaths) {
  const Router router = testRouter();
  for (const char* target :
       {"/", "/healthz/", "/api/alerts/", "/api/alerts/a/b", "/HEALTHZ", "/api/sources//minutes"}) {
    const HttpResponse response = router.handle("GET", target);
    EXPECT_EQ(response.status, 404u) << target;
    EXPECT_EQ(Json::parse(response.body)["paths"].size(), 5u);
  }
}

TEST(Router, OtherMethodsAre405WithAllow) {
  const Router router = testRouter();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get", "BREW"}) {
    const HttpResponse response = router.handle(method, "/healthz");
    EXPECT_EQ(response.status, 405u) << method;
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0].first, "Allow");
    EXPECT_EQ(response.headers[0].second, "GET, HEAD");
  }
  EXPECT_EQ(router.handle("POST", "/nowhere").status, 404u);
}

TEST(Router, MalformedTargetsAre400) {
  const Router router = testRouter();
  EXPECT_EQ(router.handle("GET", "healthz").status, 400u);
  EXPECT_EQ(router.handle("GET", "http://127.0.0.1/healthz").status, 400u);
  EXPECT_EQ(router.handle("GET", "*").status, 400u);
  EXPECT_EQ(router.handle("GET", "/api/alerts/%zz").status, 400u);
  const HttpResponse bad_query = router.handle("GET", "/api/alerts?since=%g1");
  EXPECT_EQ(bad_query.status, 400u);
  EXPECT_EQ(Json::parse(bad_query.body)["parameter"], "since");
}

TEST(Router, ThrowingHandlerAnswers500) {
  EXPECT_EQ(testRouter().handle("GET", "/boom").status, 500u);
}

TEST(Router, HostileTargetsNeverReachAHandlerWrongly) {
  const Router router = testRouter();
  EXPECT_EQ(router.handle("GET", "/" + std::string(10 * 1024, 'a')).status, 404u);
  EXPECT_EQ(router.handle("GET", std::string(10 * 1024, '/')).status, 404u);
  EXPECT_EQ(router.handle("GET", std::string("/api/alerts/\0x", 14)).body,
            std::string("one \0x", 6));
  EXPECT_EQ(router.handle("GET", "/api/alerts/%00").body, std::string("one \0", 5));
}

TEST(Router, AGuardRunsBeforeRoutingExceptForOpenRoutes) {
  Router router = testRouter();
  router.add(
      "/open",
      [](const HttpRequest&) {
        return HttpResponse{200, "text/plain", "open", {}};
      },
      Access::kOpen);
  router.setGuard([](const RequestHeaders& headers) -> std::optional<HttpResponse> {
    if (headers.authorization == "let me in") return std::nullopt;
    return jsonError(401, "no");
  });
  EXPECT_EQ(router.handle("GET", "/healthz").status, 401u);
  EXPECT_EQ(router.handle("GET", "/nowhere").status, 401u);  // not a 404 listing the paths
  EXPECT_EQ(router.handle("POST", "/healthz").status, 401u);
  EXPECT_EQ(router.handle("GET", "/open").body, "open");
  const RequestHeaders in{.authorization = "let me in", .if_none_match = {}};
  EXPECT_EQ(router.handle("GET", "/healthz", in).body, "ok");
  EXPECT_EQ(router.handle("GET", "/nowhere", in).status, 404u);
  EXPECT_EQ(router.handle("GET", "healthz", in).status, 400u);
}

TEST(Router, HandlersSeeTheRequestHeaders) {
  Router router;
  router.add("/etag", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", std::string(r.headers.if_none_match), {}};
  });
  EXPECT_EQ(router.handle("GET", "/etag", {.authorization = {}, .if_none_match = "\"abc\""}).body,
            "\"abc\"");
  EXPECT_EQ(router.handle("GET", "/etag").body, "");
}

TEST(Router, AThrowingGuardAnswers500) {
  Router router = testRouter();
  router.setGuard([](const RequestHeaders&) -> std::optional<HttpResponse> {
    throw std::runtime_error("guard");
  });
  EXPECT_EQ(router.handle("GET", "/healthz").status, 500u);
}

}  // namespace
}  // namespace gw
