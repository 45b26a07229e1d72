// LogFormat::compile: nginx log_format text as users paste it, and the errors they get.
#include "parse/log_format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace gw {
namespace {

LogFormat compileOk(std::string_view text) {
  FormatError error{};
  auto f = LogFormat::compile(text, &error);
  EXPECT_TRUE(f.ok()) << "format: " << text << "\nerror: " << error.message << " at "
                      << error.offset;
  if (!f.ok()) return LogFormat::compile("combined").value();
  return std::move(f).value();
}

FormatError compileError(std::string_view text) {
  FormatError error{};
  auto f = LogFormat::compile(text, &error);
  EXPECT_FALSE(f.ok()) << "compiled but should not: " << text;
  if (!f.ok()) {
    EXPECT_NE(f.error().message.find(error.message), std::string::npos)
        << "Error text carries the detail";
  }
  return error;
}

TEST(LogFormat, PredefinedCombinedIsNginxBuiltIn) {
  const LogFormat f = compileOk("combined");
  EXPECT_EQ(f.text(),
            R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
            R"("$http_referer" "$http_user_agent")");
  EXPECT_TRUE(f.hasTime());
  EXPECT_FALSE(f.hasUpstream());
  EXPECT_EQ(f.escape(), LogEscape::kDefault);
}

TEST(LogFormat, PredefinedMainAddsForwardedFor) {
  const LogFormat f = compileOk("main");
  EXPECT_TRUE(f.hasVariable("http_x_forwarded_for"));
  EXPECT_TRUE(f.text().ends_with(R"("$http_user_agent" "$http_x_forwarded_for")"));
}

TEST(LogFormat, PastedDirectiveWithSeveralQuotedPiecesAndSemicolon) {
  const LogFormat f = compileOk(
      "log_format combined '$remote_addr - $remote_user [$time_local] '\n"
      "                    '\"$request\" $status $body_bytes_sent '\n"
      "                    '\"$http_referer\" \"$http_user_agent\"';\n");
  EXPECT_EQ(f.text(), compileOk("combined").text());
}

TEST(LogFormat, QuotedPiecesWithoutDirective) {
  const LogFormat f = compileOk(R"('$remote_addr [$time_local] ' "\"$request\" $status")");
  EXPECT_EQ(f.text(), R"($remote_addr [$time_local] "$request" $status)");
}

TEST(LogFormat, UnquotedTextIsTakenVerbatim) {
  const LogFormat f = compileOk(R"($remote_addr [$time_local] "$request" $status)");
  EXPECT_EQ(f.text(), R"($remote_addr [$time_local] "$request" $status)");
}

TEST(LogFormat, TextStartingWithLiteralQuoteIsVerbatimNotQuoted) {
  // `"$request" $status` is a format that begins with a quote, not a quoted piece.
  const LogFormat f = compileOk(R"("$request" $status $body_bytes_sent)");
  EXPECT_EQ(f.text(), R"("$request" $status $body_bytes_sent)");
}

TEST(LogFormat, EscapeJsonBeforeQuotedPieces) {
  const LogFormat f =
      compileOk(R"(log_format j escape=json '{"status":$status,' '"ua":"$http_user_agent"}';)");
  EXPECT_EQ(f.escape(), LogEscape::kJson);
  EXPECT_EQ(f.text(), R"({"status":$status,"ua":"$http_user_agent"})");
  EXPECT_EQ(compileOk("escape=none '$status $request'").escape(), LogEscape::kNone);
  EXPECT_EQ(compileOk("escape=default '$status'").escape(), LogEscape::kDefault);
}

TEST(LogFormat, BracedVariableNames) {
  const LogFormat f = compileOk("${remote_addr}-${status}");
  EXPECT_TRUE(f.hasVariable("remote_addr"));
  EXPECT_TRUE(f.hasVariable("status"));
}

TEST(LogFormat, BackslashEscapesInsideQuotesAsNginxReadsThem) {
  const LogFormat f = compileOk(R"('$status \'$request\' \"x\"')");
  EXPECT_EQ(f.text(), R"($status '$request' "x")");
}

TEST(LogFormat, UnterminatedQuoteIsAnErrorAtTheQuote) {
  const FormatError e = compileError("log_format x '$remote_addr $status");
  EXPECT_EQ(e.offset, 13u);
  EXPECT_NE(e.message.find("unterminated"), std::string::npos) << e.message;
  const FormatError e2 = compileError("'$status' '$request");
  EXPECT_EQ(e2.offset, 10u);
}

TEST(LogFormat, DollarWithoutNameIsAnError) {
  const FormatError e = compileError("$status $ $request");
  EXPECT_EQ(e.offset, 8u);
  EXPECT_NE(e.message.find("without a variable name"), std::string::npos) << e.message;
  const FormatError e2 = compileError("$status ${request");
  EXPECT_EQ(e2.offset, 8u);
}

TEST(LogFormat, ErrorOffsetPointsIntoTheOriginalText) {
  // The '$' is in the second quoted piece: the offset counts the quotes and spaces.
  const std::string text = "log_format x '$status ' '$'";
  const FormatError e = compileError(text);
  EXPECT_EQ(e.offset, text.find("'$'") + 1);
}

TEST(LogFormat, UnknownEscapeModeIsAnError) {
  const FormatError e = compileError("log_format x escape=xml '$status'");
  EXPECT_EQ(e.offset, 13u);
  EXPECT_NE(e.message.find("xml"), std::string::npos);
}

TEST(LogFormat, AdjacentVariablesWithoutBoundaryAreAnErrorNamingBoth) {
  const FormatError e = compileError("$status $remote_addr$remote_user");
  EXPECT_EQ(e.offset, 20u);
  EXPECT_NE(e.message.find("$remote_addr and $remote_user"), std::string::npos) << e.message;
}

TEST(LogFormat, AdjacentVariablesWithAKnownBoundaryCompile) {
  compileOk(R"($status "$host$request_uri")");  // a host never holds '/'
  compileOk(R"($status$body_bytes_sent)");      // $status is 3 digits
  compileOk(R"([$time_local$status])");         // fixed width
  compileOk(R"($scheme://$http_host$request_uri $status)");
}

TEST(LogFormat, FormatWithoutStatusIsAnError) {
  const FormatError e = compileError("$remote_addr [$time_local] \"$request\"");
  EXPECT_NE(e.message.find("no $status"), std::string::npos) << e.message;
  compileError("just text");
  compileError("");
  compileError("log_format x;");
}

TEST(LogFormat, TypoOfACoreVariableSuggestsTheName) {
  const FormatError e = compileError("$status [$time_locl]");
  EXPECT_EQ(e.offset, 9u);
  EXPECT_NE(e.message.find("did you mean $time_local"), std::string::npos) << e.message;
  compileError("$stauts $request");
  // Real nginx names next to core ones are not typos; nor is an added character.
  compileOk("$status $request_id $host2 $uri $pid $hostname");
}

TEST(LogFormat, TextAfterTheSemicolonIsAnError) {
  const FormatError e = compileError("log_format x '$status'; log_format y '$status';");
  EXPECT_NE(e.message.find("after ';'"), std::string::npos) << e.message;
}

TEST(LogFormat, UpstreamAndTimeFlags) {
  EXPECT_TRUE(compileOk("$status $upstream_status").hasUpstream());
  EXPECT_TRUE(compileOk("$status $upstream_addr").hasUpstream());
  EXPECT_FALSE(compileOk("$status $upstream_response_time").hasUpstream());
  EXPECT_TRUE(compileOk("$msec $status").hasTime());
  EXPECT_TRUE(compileOk("$time_iso8601 $status").hasTime());
  EXPECT_FALSE(compileOk("$status").hasTime());
}

TEST(LogFormat, CopiesAreIndependent) {
  const LogFormat a = compileOk("main");
  LogFormat b = a;
  b = compileOk("combined");
  EXPECT_TRUE(a.hasVariable("http_x_forwarded_for"));
  EXPECT_FALSE(b.hasVariable("http_x_forwarded_for"));
}

// log_formats.txt: 18 directives from real configurations, each preceded by "# Fn" comments.
std::map<std::string, std::string> readSharedFormats() {
  std::map<std::string, std::string> out;
  std::ifstream in(GW_SHARED_DIR "/data/real/log_formats.txt");
  std::string line, id, text;
  auto flush = [&] {
    if (!id.empty() && !text.empty()) out[id] = text;
    text.clear();
  };
  while (std::getline(in, line)) {
    if (line.starts_with("# F")) {
      flush();
      id = line.substr(2, line.find(' ', 2) - 2);
    } else if (!line.starts_with("#")) {
      if (!line.empty()) text += line + "\n";
    }
  }
  flush();
  return out;
}

TEST(LogFormat, EveryRealFormatInTheSharedFolderCompiles) {
  if (!std::filesystem::exists(GW_SHARED_DIR "/data/real/log_formats.txt")) {
    GTEST_SKIP() << "shared folder not found at " GW_SHARED_DIR;
  }
  const auto formats = readSharedFormats();
  ASSERT_EQ(formats.size(), 18u);
  for (const auto& [id, text] : formats) {
    SCOPED_TRACE(id);
    const LogFormat f = compileOk(text);
    EXPECT_TRUE(f.hasVariable("status"));
  }
  EXPECT_EQ(compileOk(formats.at("F6")).escape(), LogEscape::kJson);
  EXPECT_EQ(compileOk(formats.at("F7")).escape(), LogEscape::kJson);
  EXPECT_EQ(compileOk(formats.at("F8")).escape(), LogEscape::kDefault);
  EXPECT_EQ(compileOk(formats.at("F1")).text(), compileOk("combined").text());
  EXPECT_EQ(compileOk(formats.at("F2")).text(), compileOk("main").text());
  EXPECT_TRUE(compileOk(formats.at("F3")).hasUpstream());
}

}  // namespace
}  // namespace gw
