#include "credentials/xml_reader.h"

#include <charconv>

namespace oh::control::aws {
namespace {

bool isNameStart(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || c == '_' || c == ':';
}

bool isNameChar(char c) {
  return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Reader {
public:
  Reader(std::string_view text, const XmlLimits& limits) : text_(text), limits_(limits) {}

  common::Result<XmlElement> document() {
    if (text_.size() > limits_.max_bytes) {
      return common::failure("XML document larger than " + std::to_string(limits_.max_bytes) + " bytes");
    }
    if (text_.starts_with("<?xml")) {
      const std::size_t end = text_.find("?>");
      if (end == std::string_view::npos) {
        return common::failure("unterminated XML declaration");
      }
      pos_ = end + 2;
    }
    skipSpace();
    XmlElement root;
    if (!element(root, 1)) {
      return common::failure(error_);
    }
    skipSpace();
    if (pos_ != text_.size()) {
      return common::failure("content after the root element");
    }
    return root;
  }

private:
  bool fail(std::string reason) {
    if (error_.empty()) {
      error_ = std::move(reason);
    }
    return false;
  }

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skipSpace() {
    while (!atEnd() && isSpace(peek())) {
      ++pos_;
    }
  }

  bool name(std::string& out) {
    if (atEnd() || !isNameStart(peek())) {
      return fail("expected a name");
    }
    const std::size_t start = pos_;
    while (!atEnd() && isNameChar(peek())) {
      ++pos_;
    }
    out.assign(text_.substr(start, pos_ - start));
    return true;
  }

  // An entity or character reference after '&', appended to out.
  bool reference(std::string& out) {
    const std::size_t semicolon = text_.find(';', pos_);
    if (semicolon == std::string_view::npos || semicolon - pos_ > 10) {
      return fail("malformed reference");
    }
    const std::string_view ref = text_.substr(pos_, semicolon - pos_);
    pos_ = semicolon + 1;
    if (ref == "lt") { out += '<'; return true; }
    if (ref == "gt") { out += '>'; return true; }
    if (ref == "amp") { out += '&'; return true; }
    if (ref == "quot") { out += '"'; return true; }
    if (ref == "apos") { out += '\''; return true; }
    if (ref.size() < 2 || ref[0] != '#') {
      return fail("unknown entity");
    }
    const bool hex = ref[1] == 'x';
    const std::string_view digits = ref.substr(hex ? 2 : 1);
    std::uint32_t cp = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    // XML 1.0's Char production: no NUL or other C0 controls but tab and line ends, no
    // surrogates, nothing past U+10FFFF.
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || cp > 0x10FFFF ||
        (cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD) || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF) {
      return fail("invalid character reference");
    }
    appendUtf8(out, cp);
    return true;
  }

  bool attributes() {
    while (true) {
      const std::size_t before = pos_;
      skipSpace();
      if (atEnd()) {
        return fail("unterminated start tag");
      }
      if (peek() == '>' || peek() == '/') {
        return true;
      }
      if (pos_ == before) {
        return fail("attributes must be separated by white space");
      }
      std::string ignored;
      if (!name(ignored)) {
        return false;
      }
      skipSpace();
      if (atEnd() || peek() != '=') {
        return fail("attribute without a value");
      }
      ++pos_;
      skipSpace();
      if (atEnd() || (peek() != '"' && peek() != '\'')) {
        return fail("attribute value not quoted");
      }
      const char quote = text_[pos_++];
      std::string value;
      while (!atEnd() && peek() != quote) {
        const char c = text_[pos_++];
        if (c == '<') {
          return fail("'<' in an attribute value");
        }
        if (c == '&' && !reference(value)) {
          return false;
        }
      }
      if (atEnd()) {
        return fail("unterminated attribute value");
      }
      ++pos_;
    }
  }

  // At '<' of a start tag.
  bool element(XmlElement& out, std::size_t depth) {
    if (depth > limits_.max_depth) {
      return fail("XML nested deeper than " + std::to_string(limits_.max_depth));
    }
    if (++elements_ > limits_.max_elements) {
      return fail("more than " + std::to_string(limits_.max_elements) + " XML elements");
    }
    if (atEnd() || peek() != '<') {
      return fail("expected an element");
    }
    ++pos_;
    if (!atEnd() && (peek() == '!' || peek() == '?')) {
      return fail("DOCTYPE, comments, CDATA and processing instructions are refused");
    }
    if (!name(out.name) || !attributes()) {
      return false;
    }
    if (peek() == '/') {
      ++pos_;
      if (atEnd() || peek() != '>') {
        return fail("malformed empty-element tag");
      }
      ++pos_;
      return true;
    }
    ++pos_;  // '>'
    std::string text;
    while (true) {
      if (atEnd()) {
        return fail("unterminated element");
      }
      const char c = peek();
      if (c == '&') {
        ++pos_;
        if (!reference(text)) {
          return false;
        }
      } else if (c == '<') {
        if (text_.substr(pos_).starts_with("</")) {
          break;
        }
        XmlElement child;
        if (!element(child, depth + 1)) {
          return false;
        }
        out.children.push_back(std::move(child));
      } else {
        if (c == '>' && text_.substr(0, pos_).ends_with("]]")) {
          return fail("']]>' in text");
        }
        text.push_back(c);
        ++pos_;
      }
    }
    pos_ += 2;  // "</"
    std::string closing;
    if (!name(closing)) {
      return false;
    }
    skipSpace();
    if (closing != out.name || atEnd() || peek() != '>') {
      return fail("mismatched end tag");
    }
    ++pos_;
    if (!out.children.empty()) {
      for (char c : text) {
        if (!isSpace(c)) {
          return fail("text beside child elements");
        }
      }
      return true;
    }
    out.text = std::move(text);
    return true;
  }

  std::string_view text_;
  const XmlLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
  std::string error_;
};

}  // namespace

const XmlElement* XmlElement::only(std::string_view child_name) const {
  const XmlElement* found = nullptr;
  for (const XmlElement& child : children) {
    if (child.name == child_name) {
      if (found != nullptr) {
        return nullptr;
      }
      found = &child;
    }
  }
  return found;
}

common::Result<XmlElement> parseXml(std::string_view document, const XmlLimits& limits) {
  return Reader(document, limits).document();
}

}  // namespace oh::control::aws
