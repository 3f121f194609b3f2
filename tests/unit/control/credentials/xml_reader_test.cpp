// The strict XML reader: what AWS sends is read; what a hostile or broken peer could send to
// make it expand, recurse, or mean two things is refused.
#include "credentials/xml_reader.h"

#include <gtest/gtest.h>

namespace oh::control::aws {
namespace {

TEST(XmlReaderTest, ReadsElementsTextAndEntities) {
  auto root = parseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A xmlns=\"urn:x\" b='1'>\n  <B>x &amp; y &lt;&#65;&#x42;&gt;</B>\n"
      "  <C/><C></C>\n</A>\n");
  ASSERT_TRUE(root) << root.error().reason;
  EXPECT_EQ(root->name, "A");
  ASSERT_EQ(root->children.size(), 3u);
  ASSERT_NE(root->only("B"), nullptr);
  EXPECT_EQ(root->only("B")->text, "x & y <AB>");
  EXPECT_EQ(root->only("C"), nullptr) << "a repeated child is not 'the only one'";
  EXPECT_EQ(root->only("D"), nullptr);
}

TEST(XmlReaderTest, DecodesCharacterReferencesToUtf8) {
  auto root = parseXml("<a>&#x1234;&#128512;</a>");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->text, "\xE1\x88\xB4\xF0\x9F\x98\x80");
}

TEST(XmlReaderTest, RefusesMalformedAndHostileDocuments) {
  const std::vector<std::string> refused = {
      "",
      "   ",
      "text",
      "<a>",
      "<a></b>",
      "<a><b></a></b>",
      "<a>x</a><b/>",
      "<a>x</a>trailing",
      "<a b=1></a>",
      "<a b=\"1\"c=\"2\"></a>",
      "<a b></a>",
      "<a b=\"<\"></a>",
      "<a>&unknown;</a>",
      "<a>&amp</a>",
      "<a>&#0;</a>",
      "<a>&#xD800;</a>",
      "<a>&#x110000;</a>",
      "<a>&#-1;</a>",
      "<a>&#;</a>",
      "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
      "<a><!-- comment --></a>",
      "<a><![CDATA[x]]></a>",
      "<a><?pi x?></a>",
      "<a>x]]>y</a>",
      "<a>text<b/></a>",
      "<a><b/>text</a>",
      "<?xml version=\"1.0\"",
      "<1a/>",
      "< a/>",
      "<a/ >",
  };
  for (const std::string& document : refused) {
    EXPECT_FALSE(parseXml(document)) << document;
  }
}

TEST(XmlReaderTest, RefusesDocumentsPastItsLimits) {
  std::string deep;
  for (int i = 0; i < 17; ++i) deep += "<a>";
  deep += "x";
  for (int i = 0; i < 17; ++i) deep += "</a>";
  EXPECT_FALSE(parseXml(deep));
  std::string wide = "<a>";
  for (int i = 0; i < 300; ++i) wide += "<b/>";
  wide += "</a>";
  EXPECT_FALSE(parseXml(wide));
  EXPECT_TRUE(parseXml(wide, XmlLimits{.max_elements = 400}));
  EXPECT_FALSE(parseXml("<a>" + std::string(70 * 1024, 'x') + "</a>"));
  // Very deep input is refused by the depth limit before it can exhaust the stack.
  EXPECT_FALSE(parseXml(std::string(60000, '<')));
}

}  // namespace
}  // namespace oh::control::aws
