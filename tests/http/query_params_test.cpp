// Query strings, RFC 3339 times and /api/alerts's parameters: accepted forms and, for every
// refusal, the parameter named.
#include "http/query_params.h"

#include <gtest/gtest.h>

#include "http/api_alerts.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

constexpr Timestamp kNow{Millis{1'668'565'588'000}};  // 2022-11-16T02:26:28Z

QueryParams parsed(std::string_view query) {
  auto result = QueryParams::parse(query);
  if (auto* problem = std::get_if<ParamProblem>(&result)) {
    ADD_FAILURE() << query << ": " << problem->parameter << ": " << problem->message;
    return {};
  }
  return std::get<QueryParams>(result);
}

ParamProblem refused(std::string_view query) {
  auto result = QueryParams::parse(query);
  if (auto* problem = std::get_if<ParamProblem>(&result)) return *problem;
  ADD_FAILURE() << "accepted: " << query;
  return {};
}

TEST(QueryParams, DecodesPercentEscapesAndPlus) {
  const QueryParams q = parsed("rule=edge%2D5xx&source=a+b%20c&open");
  ASSERT_NE(q.find("rule"), nullptr);
  EXPECT_EQ(*q.find("rule"), "edge-5xx");
  EXPECT_EQ(*q.find("source"), "a b c");
  EXPECT_EQ(*q.find("open"), "");
  EXPECT_EQ(q.find("limit"), nullptr);
}

TEST(QueryParams, EmptyPiecesAreSkipped) {
  EXPECT_EQ(parsed("").items().size(), 0u);
  EXPECT_EQ(parsed("&&a=1&").items().size(), 1u);
}

TEST(QueryParams, RefusalsNameTheParameter) {
  EXPECT_EQ(refused("since=%zz").parameter, "since");
  EXPECT_EQ(refused("since=%4").parameter, "since");
  EXPECT_EQ(refused("limit=1&limit=2").parameter, "limit");
  EXPECT_EQ(refused("=5").parameter, "");
  std::string many;
  for (int i = 0; i <= static_cast<int>(kMaxQueryParams); ++i)
    many += "p" + std::to_string(i) + "=1&";
  EXPECT_NE(refused(many).message.find("too many"), std::string::npos);
}

TEST(QueryParams, UnknownParameterListsTheAcceptedOnes) {
  const auto problem = parsed("sinse=24h").rejectUnknown({"since", "rule"});
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->parameter, "sinse");
  EXPECT_NE(problem->message.find("since, rule"), std::string::npos) << problem->message;
}

TEST(Rfc3339, AcceptedForms) {
  EXPECT_EQ(parseRfc3339("2022-11-16T02:26:28Z"), kNow);
  EXPECT_EQ(parseRfc3339("2022-11-16T11:26:28+09:00"), kNow);
  EXPECT_EQ(parseRfc3339("2022-11-15T21:26:28-05:00"), kNow);
  EXPECT_EQ(parseRfc3339("2022-11-16t02:26:28z"), kNow);
  EXPECT_EQ(parseRfc3339("2022-11-16 02:26:28Z"), kNow);
  EXPECT_EQ(parseRfc3339("2022-11-16T02:26:28.250Z"), kNow + 250ms);
  EXPECT_EQ(parseRfc3339("2022-11-16T02:26:28.5Z"), kNow + 500ms);
  EXPECT_EQ(parseRfc3339("2022-11-16T02:26:28.123456789Z"), kNow + 123ms);
  EXPECT_EQ(parseRfc3339("2024-02-29T00:00:00Z"), Timestamp{Millis{1'709'164'800'000}});
}

TEST(Rfc3339, RefusedForms) {
  for (const char* text :
       {"", "2022-11-16", "2022-11-16T02:26:28", "2022-13-16T02:26:28Z", "2022-02-29T00:00:00Z",
        "2022-11-16T24:00:00Z", "2022-11-16T02:60:00Z", "2022-11-16T02:26:28+0900",
        "2022-11-16T02:26:28.Z", "2022-11-16T02:26:28Zjunk", "22-11-16T02:26:28Z",
        "2022-11-16T02:26:28+24:00", "2022-1a-16T02:26:28Z"}) {
    EXPECT_FALSE(parseRfc3339(text).has_value()) << text;
  }
}

TEST(ParamValues, BooleansAndUnsigned) {
  EXPECT_EQ(parseBoolParam("true"), true);
  EXPECT_EQ(parseBoolParam("1"), true);
  EXPECT_EQ(parseBoolParam(""), true);
  EXPECT_EQ(parseBoolParam("0"), false);
  EXPECT_EQ(parseBoolParam("false"), false);
  EXPECT_FALSE(parseBoolParam("yes").has_value());
  EXPECT_EQ(parseUnsignedParam("0"), 0u);
  EXPECT_EQ(parseUnsignedParam("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parseUnsignedParam("18446744073709551616").has_value());
  EXPECT_FALSE(parseUnsignedParam("-1").has_value());
  EXPECT_FALSE(parseUnsignedParam("+1").has_value());
  EXPECT_FALSE(parseUnsignedParam("").has_value());
  EXPECT_FALSE(parseUnsignedParam("1e3").has_value());
}

std::variant<HistoryQuery, ParamProblem> alertQuery(std::string_view query) {
  return parseAlertQuery(parsed(query), kNow);
}

TEST(AlertQuery, DefaultsWithoutParameters) {
  const auto q = std::get<HistoryQuery>(alertQuery(""));
  EXPECT_FALSE(q.since.has_value());
  EXPECT_EQ(q.limit, kDefaultAlertLimit);
  EXPECT_EQ(q.offset, 0u);
  EXPECT_FALSE(q.open_only);
  EXPECT_EQ(q.rule, "");
}

TEST(AlertQuery, EveryParameterTakesItsForm) {
  const auto q = std::get<HistoryQuery>(
      alertQuery("since=24h&rule=edge-5xx&source=web&open=true&limit=1000&offset=20"));
  EXPECT_EQ(q.since, kNow - 24h);
  EXPECT_EQ(q.rule, "edge-5xx");
  EXPECT_EQ(q.source, "web");
  EXPECT_TRUE(q.open_only);
  EXPECT_EQ(q.limit, 1000u);
  EXPECT_EQ(q.offset, 20u);
  EXPECT_EQ(std::get<HistoryQuery>(alertQuery("since=2022-11-16T11:00:00%2B09:00")).since,
            Timestamp{Millis{1'668'564'000'000}});
  EXPECT_EQ(std::get<HistoryQuery>(alertQuery("since=1h30m")).since, kNow - 90min);
}

TEST(AlertQuery, BadValuesNameTheParameterAndTheForm) {
  struct Case {
    const char* query;
    const char* parameter;
    const char* form;
  };
  const Case cases[] = {
      {"since=yesterday", "since", "RFC 3339"},
      {"since=-1h", "since", "24h"},
      {"since=2022-11-16T11:00:00", "since", "RFC 3339"},
      {"limit=0", "limit", "1 to 1000"},
      {"limit=1001", "limit", "1 to 1000"},
      {"limit=ten", "limit", "1 to 1000"},
      {"offset=-1", "offset", "0 or more"},
      {"offset=99999999999999999999", "offset", "0 or more"},
      {"open=maybe", "open", "true, false, 1 or 0"},
      {"rule=", "rule", "rule name"},
      {"sinse=1h", "sinse", "accepted: since, rule, source, open, limit, offset"},
  };
  for (const Case& c : cases) {
    const auto result = alertQuery(c.query);
    const auto* problem = std::get_if<ParamProblem>(&result);
    ASSERT_NE(problem, nullptr) << "accepted: " << c.query;
    EXPECT_EQ(problem->parameter, c.parameter) << c.query;
    EXPECT_NE(problem->message.find(c.form), std::string::npos)
        << c.query << ": " << problem->message;
  }
}

TEST(AlertQuery, OverlongSinceIsRefusedNotOverflowed) {
  std::string since = "since=";
  for (int i = 0; i < 200; ++i) since += "999999999d";
  const auto result = alertQuery(since);
  ASSERT_NE(std::get_if<ParamProblem>(&result), nullptr);
}

}  // namespace
}  // namespace gw
