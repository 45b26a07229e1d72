// Slack messages built from hostile and oversized log lines: nothing from a log becomes a mention,
// a link or a closed code block, every text is valid UTF-8, and the message stays inside Slack's
// limits by cutting with "… N more lines".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alert/render.h"
#include "common/utf8.h"
#include "render_fixture.h"

namespace gw {
namespace {

using nlohmann::json;
using testing::quietSiteIncident;
using testing::quietSiteResolved;

std::size_t countOf(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

std::size_t codePoints(std::string_view text) {
  std::size_t n = 0;
  for (const unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// Every "text" string in the message, wherever it sits.
void collectTexts(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "text" && it.value().is_string()) out.push_back(it.value());
      collectTexts(it.value(), out);
    }
  } else if (node.is_array()) {
    for (const json& child : node) collectTexts(child, out);
  }
}

// The invariants every message must keep, whatever the alert holds. Returns the parsed message.
json checkSlackMessage(const std::string& body) {
  json message;
  EXPECT_NO_THROW(message = json::parse(body)) << "not valid JSON (or not valid UTF-8)";
  if (!message.is_object()) return message;

  EXPECT_FALSE(message.contains("parse"));
  EXPECT_FALSE(message.contains("link_names"));
  EXPECT_EQ(message["unfurl_links"], false);
  EXPECT_EQ(message["unfurl_media"], false);
  EXPECT_TRUE(message["text"].is_string());
  EXPECT_LE(message["blocks"].size(), kSlackMaxBlocks);

  std::vector<std::string> texts;
  collectTexts(message, texts);
  std::size_t total = 0;
  for (const std::string& text : texts) {
    total += codePoints(text);
    EXPECT_EQ(validUtf8(text), text);
    // Nothing a reader sees can open a mention, a link or a special: the renderer itself writes
    // no angle brackets, so any '<' would have come from a log.
    EXPECT_EQ(text.find('<'), std::string::npos) << text.substr(0, 200);
    EXPECT_EQ(text.find('>'), std::string::npos) << text.substr(0, 200);
    EXPECT_EQ(countOf(text, "```") % 2, 0u) << "unbalanced code block: " << text.substr(0, 200);
  }
  EXPECT_LE(total, kSlackMessageBudget);
  EXPECT_LT(total, 12'000u);

  for (const json& block : message["blocks"]) {
    if (block["type"] == "section") {
      if (block.contains("text")) {
        EXPECT_LE(codePoints(block["text"]["text"].get<std::string>()), kSlackSectionTextMax);
        EXPECT_LE(block["text"]["text"].get<std::string>().size(), kSlackSectionTextMax);
      }
      if (block.contains("fields")) {
        EXPECT_LE(block["fields"].size(), kSlackMaxFields);
        for (const json& field : block["fields"]) {
          EXPECT_LE(field["text"].get<std::string>().size(), kSlackFieldTextMax);
        }
      }
    }
  }
  return message;
}

std::string sectionText(const json& message, std::string_view starting_with) {
  for (const json& block : message["blocks"]) {
    if (block.contains("text") &&
        block["text"]["text"].get<std::string>().rfind(starting_with, 0) == 0) {
      return block["text"]["text"];
    }
  }
  return {};
}

std::string allTexts(const json& message) {
  std::vector<std::string> texts;
  collectTexts(message, texts);
  std::string all;
  for (const std::string& t : texts) all += t + "\n";
  return all;
}

// Hostile lines, each where a log can put it: in a path, an upstream, a group value, the context.
Alert hostileAlert() {
  Alert a = quietSiteIncident();
  const std::vector<std::string> hostile = {
      "GET /<!channel> HTTP/1.1",
      "GET /<!here|here> HTTP/1.1",
      "Referer: <https://evil.example|runbook>",
      "<@U024BE7LH> <#C024BE7LR>",
      "```\n<!everyone>\n```",
      "`````` close ``` and ` reopen",
      "&lt;!here&gt; &amp;lt;!channel&amp;gt;",
      "caf\xC3 \xFF\xFE \xC0\xAF \xED\xA0\x80",
      "invoice\xE2\x80\xAEgpj.exe \xE2\x81\xA6rtl\xE2\x81\xA9",
      "ctl\x01\x07\x1b[31m\r\n\x7f\xC2\x85",
      std::string(1 << 20, '<'),  // a 1 MiB line of what grows most when escaped
  };
  a.context.access = hostile;
  a.context.error = hostile;
  a.event.top_paths = {{"/<!channel>", 9}, {"/`x`", 1}};
  a.event.upstreams = {{"<https://evil.example|127.0.0.1:8080>", 3}};
  a.event.group = {{"source", "driver-insu-prod"}, {"path", "/<!channel>```"}};
  a.event.detail = "matched <!subteam^S123|oncall>";
  a.summary = "502 on /<!channel> and <https://evil.example|runbook>";
  a.hostname = "host<!here>";
  a.zone_label = "<+09>";  // a TZ string's numeric abbreviation
  return a;
}

TEST(SlackRenderer, QuietSiteIncidentKeepsEveryInvariant) {
  const json m = checkSlackMessage(slackMessage(quietSiteIncident()));
  const std::string all = allTexts(m);
  EXPECT_NE(all.find("connect() failed (111: Connection refused) while connecting to upstream"),
            std::string::npos);
  EXPECT_EQ(all.find("more lines"), std::string::npos);  // everything fits
}

TEST(SlackRenderer, FallbackTextIsHeadlineAndSummary) {
  const json m = json::parse(slackMessage(quietSiteIncident()));
  EXPECT_EQ(m["text"],
            "🔴 502 Bad Gateway on 3 requests in a row — driver-insu-prod — since 11:26:28 (KST)\n"
            "3 requests in a row failed with 502 Bad Gateway within 41s");
  EXPECT_EQ(m["blocks"][0]["text"]["text"].get<std::string>().rfind("*🔴 502 Bad Gateway", 0), 0u);
}

TEST(SlackRenderer, FieldsShowTimesInTheEventsZoneAndValuesAsCode) {
  const json m = json::parse(slackMessage(quietSiteIncident()));
  const std::string fields = m["blocks"][1].dump();
  EXPECT_NE(fields.find("*Started*\\n`2022-11-16 11:26:28 KST`"), std::string::npos);
  EXPECT_NE(fields.find("*Fired*\\n`11:27:09 KST`"), std::string::npos);
  EXPECT_NE(fields.find("`127.0.0.1:8080` ×3"), std::string::npos);
  EXPECT_NE(fields.find("`/join/user-form` ×2"), std::string::npos);
  EXPECT_NE(fields.find("`ip-172-31-20-17`"), std::string::npos);
  EXPECT_NE(fields.find("`502` ×3"), std::string::npos);
}

TEST(SlackRenderer, ResolvedSaysWhenAndHowLongItLasted) {
  const json m = checkSlackMessage(slackMessage(quietSiteResolved()));
  const std::string fields = m["blocks"][1].dump();
  EXPECT_NE(fields.find("*Resolved*\\n`11:41:30 KST` after 15m 2s"), std::string::npos);
  EXPECT_LE(m["blocks"][1]["fields"].size(), kSlackMaxFields);
}

TEST(SlackRenderer, TestAlertIsMarkedInHeadlineAndFooter) {
  Alert a = quietSiteIncident();
  a.test = true;
  const json m = checkSlackMessage(slackMessage(a));
  EXPECT_EQ(m["text"].get<std::string>().rfind("🧪 TEST", 0), 0u);
  EXPECT_NE(m["blocks"].back().dump().find("🧪 TEST"), std::string::npos);
  EXPECT_NE(m["blocks"].back().dump().find("nothing is wrong"), std::string::npos);
}

TEST(SlackRenderer, EscapesChannelMentionInPath) {
  Alert a = quietSiteIncident();
  a.event.top_paths = {{"/<!channel>", 2}};
  a.context.access = {"GET /<!channel> HTTP/1.1"};
  const json m = checkSlackMessage(slackMessage(a));
  const std::string all = allTexts(m);
  EXPECT_NE(all.find("/&lt;!channel&gt;"), std::string::npos);
  EXPECT_EQ(all.find("<!"), std::string::npos);
}

TEST(SlackRenderer, LinkSpoofStaysPlainText) {
  Alert a = quietSiteIncident();
  a.context.access = {"<https://evil.example|runbook>"};
  const std::string all = allTexts(checkSlackMessage(slackMessage(a)));
  EXPECT_EQ(all.find("<http"), std::string::npos);
  EXPECT_NE(all.find("&lt;https://evil.example|runbook&gt;"), std::string::npos);
}

TEST(SlackRenderer, CodeBlockBreakoutStaysInsideTheBlock) {
  Alert a = quietSiteIncident();
  a.context.access = {"x```", "```<!here>```", "``` ``` ```"};
  const json m = checkSlackMessage(slackMessage(a));
  const std::string access = sectionText(m, "*Access log*");
  ASSERT_FALSE(access.empty());
  EXPECT_EQ(countOf(access, "```"), 2u);  // only the block's own fences
}

TEST(SlackRenderer, EntityEncodedTextIsShownAsWritten) {
  Alert a = quietSiteIncident();
  a.context.error = {"&lt;!here&gt;"};
  const std::string all = allTexts(checkSlackMessage(slackMessage(a)));
  EXPECT_NE(all.find("&amp;lt;!here&amp;gt;"), std::string::npos);
}

TEST(SlackRenderer, InvalidUtf8IsReplaced) {
  Alert a = quietSiteIncident();
  a.context.access = {"caf\xC3 \xFF"};
  a.event.upstreams = {{"\xC0\xAF", 1}};
  const std::string all = allTexts(checkSlackMessage(slackMessage(a)));
  EXPECT_NE(all.find("caf\xEF\xBF\xBD \xEF\xBF\xBD"), std::string::npos);
}

TEST(SlackRenderer, BidiOverrideIsMadeVisible) {
  Alert a = quietSiteIncident();
  a.context.access = {"GET /invoice\xE2\x80\xAEgpj.exe"};
  const std::string all = allTexts(checkSlackMessage(slackMessage(a)));
  EXPECT_EQ(all.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_NE(all.find("&lt;U+202E&gt;"), std::string::npos);
}

TEST(SlackRenderer, ControlCharactersAreMadeVisible) {
  Alert a = quietSiteIncident();
  a.context.access = {"a\x1b[31mred\r\nfake line"};
  const std::string access = sectionText(checkSlackMessage(slackMessage(a)), "*Access log*");
  EXPECT_NE(access.find("a\\x1B[31mred\\x0D\\x0Afake line"), std::string::npos);
}

TEST(SlackRenderer, MegabyteLineIsCutToOneShortLine) {
  Alert a = quietSiteIncident();
  a.context.access = {std::string(1 << 20, 'A')};
  const json m = checkSlackMessage(slackMessage(a));
  const std::string access = sectionText(m, "*Access log*");
  EXPECT_NE(access.find(std::string(kContextLineChars - 1, 'A') + "…"), std::string::npos);
  EXPECT_EQ(access.find(std::string(kContextLineChars, 'A')), std::string::npos);
}

TEST(SlackRenderer, HostileAlertKeepsEveryInvariant) {
  const Alert a = hostileAlert();
  const json m = checkSlackMessage(slackMessage(a));
  const std::string all = allTexts(m);
  for (const char* forbidden : {"<!", "<http", "<@", "<#", "\xE2\x80\xAE", "\x1b"}) {
    EXPECT_EQ(all.find(forbidden), std::string::npos) << forbidden;
  }
  // The 1 MiB line of '<' is shown cut, as one line of its first characters.
  EXPECT_NE(all.find("&lt;&lt;&lt;&lt;…\n"), std::string::npos);
  EXPECT_EQ(all.find(std::string(kContextLineChars, '<')), std::string::npos);
}

TEST(SlackRenderer, TwoHundredLongContextLinesStayWithinLimits) {
  Alert a = quietSiteIncident();
  a.context.access.clear();
  a.context.error.clear();
  for (int i = 0; i < 200; ++i) {
    std::string line = "line " + std::to_string(i) + " ";
    line += std::string(kContextLineChars - line.size(), 'x');
    a.context.access.push_back(line);
    a.context.error.push_back(line);
  }
  const json m = checkSlackMessage(slackMessage(a));
  const std::string access = sectionText(m, "*Access log*");
  const std::string errors = sectionText(m, "*error.log*");
  ASSERT_FALSE(access.empty());
  ASSERT_FALSE(errors.empty());
  // Access: the newest lines are shown, the older ones counted above the block.
  EXPECT_NE(access.find("more lines before\n```"), std::string::npos);
  EXPECT_NE(access.find("line 199 "), std::string::npos);
  EXPECT_EQ(access.find("line 0 "), std::string::npos);
  // error.log: the first lines are shown, the rest counted below.
  EXPECT_NE(errors.find("line 0 "), std::string::npos);
  EXPECT_EQ(errors.find("line 199 "), std::string::npos);
  EXPECT_NE(errors.find("```\n… "), std::string::npos);
  // The counts add up: shown + hidden = 200.
  const std::size_t shown = countOf(access, "\nline ");
  const std::size_t at = access.find("… ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(shown + std::stoul(access.substr(at + std::string("… ").size())), 200u);
}

TEST(SlackRenderer, ManyUpstreamsAndStatusesStayWithinFieldLimits) {
  Alert a = quietSiteResolved();
  a.event.group = {{"source", "s"},
                   {"host", std::string(5000, 'h')},
                   {"upstream", "u"},
                   {"path", std::string(5000, '/')}};
  for (int i = 0; i < 10; ++i) {
    a.event.upstreams.push_back({std::string(3000, 'u'), 1});
    a.event.stats.by_status[static_cast<uint16_t>(500 + i)] = 1;
  }
  const json m = checkSlackMessage(slackMessage(a));
  EXPECT_LE(m["blocks"][1]["fields"].size(), kSlackMaxFields);
}

TEST(SlackRenderer, FewFailuresAmongManyAreNotZeroPercent) {
  Alert a = quietSiteIncident();
  a.event.stats = {100'000, 12, {{200, 99'988}, {502, 12}}};
  const std::string fields = json::parse(slackMessage(a))["blocks"][1].dump();
  EXPECT_NE(fields.find("100,000 in 1m · 12 failed (<1%)"), std::string::npos) << fields;
}

TEST(SlackRenderer, LongHostileValueIsCutBetweenWholeEscapes) {
  Alert a = quietSiteIncident();
  a.summary = std::string(5000, '<');
  const json m = checkSlackMessage(slackMessage(a));
  const std::string text = m["text"];
  EXPECT_NE(text.find("&lt;&lt;…"), std::string::npos);
  EXPECT_EQ(text.find("&l…"), std::string::npos);
  EXPECT_EQ(text.find("&lt…"), std::string::npos);
}

TEST(SlackRenderer, EmptyContextGivesNoCodeBlocks) {
  Alert a = quietSiteIncident();
  a.context = {};
  const json m = checkSlackMessage(slackMessage(a));
  EXPECT_EQ(allTexts(m).find("```"), std::string::npos);
  EXPECT_EQ(m["blocks"].size(), 3u);  // headline, fields, footer
}

}  // namespace
}  // namespace gw
