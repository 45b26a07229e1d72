// The history page's embedded files: all there with their content types, and the HTML shell free
// of anything the Content-Security-Policy would block or an injection could ride on — no inline
// script, no style attribute or element, no on...= handler, nothing loaded from elsewhere.
#include "http/web_assets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <string>

namespace gw {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string shell() {
  const WebAsset* asset = findWebAsset("index.html");
  EXPECT_NE(asset, nullptr);
  return asset ? lower(asset->body) : std::string();
}

TEST(WebAssets, ThePagesFilesAreEmbeddedWithTheirTypes) {
  ASSERT_NE(findWebAsset("index.html"), nullptr);
  ASSERT_NE(findWebAsset("app.js"), nullptr);
  ASSERT_NE(findWebAsset("app.css"), nullptr);
  EXPECT_EQ(findWebAsset("index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(findWebAsset("app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(findWebAsset("app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(findWebAsset("nothing.js"), nullptr);
  for (const WebAsset& asset : webAssets()) {
    EXPECT_GT(asset.body.size(), 100u) << asset.name;
    EXPECT_EQ(asset.version.size(), 16u) << asset.name;
    EXPECT_EQ(asset.version.find_first_not_of("0123456789abcdef"), std::string_view::npos);
  }
}

TEST(WebAssets, TheShellHasNoInlineScript) {
  const std::string html = shell();
  std::size_t at = 0;
  int scripts = 0;
  while ((at = html.find("<script", at)) != std::string::npos) {
    const std::size_t end = html.find('>', at);
    ASSERT_NE(end, std::string::npos);
    const std::string tag = html.substr(at, end - at + 1);
    EXPECT_NE(tag.find(" src=\"/static/"), std::string::npos) << "script without src: " << tag;
    // Nothing between the tag and its end: the code is all in the file.
    EXPECT_EQ(html.compare(end + 1, 9, "</script>"), 0) << "inline code after " << tag;
    ++scripts;
    at = end;
  }
  EXPECT_EQ(scripts, 1);
}

TEST(WebAssets, TheShellHasNoInlineStyleOrEventHandler) {
  const std::string html = shell();
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_EQ(html.find("javascript:"), std::string::npos);
  // on...= attributes (onload=, onclick=, ...), whatever the spacing before '='.
  const std::regex handler(R"([\s"'/]on[a-z]+\s*=)");
  std::smatch match;
  EXPECT_FALSE(std::regex_search(html, match, handler)) << match.str();
}

TEST(WebAssets, TheShellLoadsNothingFromElsewhere) {
  const std::string html = shell();
  for (const char* outside : {"http://", "https://", "//"}) {
    std::size_t at = 0;
    while ((at = html.find(outside, at)) != std::string::npos) {
      // "//" inside a path or after a scheme already reported is fine; a src/href starting
      // with it is not.
      const std::string before = html.substr(at >= 1 ? at - 1 : 0, 1);
      EXPECT_NE(before, "\"") << "an outside URL in the shell at " << at;
      at += 2;
    }
  }
  EXPECT_NE(html.find("rel=\"stylesheet\" href=\"/static/app.css?v="), std::string::npos);
}

TEST(WebAssets, TheScriptNeverWritesHtml) {
  const WebAsset* js = findWebAsset("app.js");
  ASSERT_NE(js, nullptr);
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function", "DOMParser", "createContextualFragment"}) {
    EXPECT_EQ(js->body.find(sink), std::string_view::npos) << sink;
  }
}

}  // namespace
}  // namespace gw
