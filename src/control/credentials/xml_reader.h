#pragma once
// A strict reader for the small XML documents AWS's Query APIs answer with (STS): elements,
// attributes (read and ignored), text and the five predefined entities plus character
// references. Everything a hostile or broken peer could use to make a parser do more work or
// mean something else is refused, not tolerated: DOCTYPE (so no entity expansion), CDATA,
// comments, processing instructions other than the leading declaration, text beside child
// elements, trailing content, and inputs past the byte, depth and element limits.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace oh::control::aws {

struct XmlElement {
  std::string name;                  // as written, prefix included ("AssumeRoleResponse")
  std::string text;                  // decoded; "" when the element has children
  std::vector<XmlElement> children;

  // The only child of that name, or nullptr when there is none or more than one.
  const XmlElement* only(std::string_view child_name) const;
};

struct XmlLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 16;
  std::size_t max_elements = 256;
};

// The root element, or why the document is refused (the reason never quotes the input).
common::Result<XmlElement> parseXml(std::string_view document, const XmlLimits& limits = {});

}  // namespace oh::control::aws
