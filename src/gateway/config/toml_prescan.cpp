#include "config/toml_prescan.h"

#include <cstdio>

namespace oh::gateway::config_prescan {
namespace {

enum class Context { bare, comment, basic, literal, multiline_basic, multiline_literal };

class Scanner {
public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::optional<std::string> run() {
    while (at_ < text_.size()) {
      const auto byte = static_cast<unsigned char>(text_[at_]);
      if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(byte));
        return where() + ": control character " + code +
               " (TOML allows only tab, line feed and carriage return; escape it inside strings)";
      }
      if (byte >= 0x80 && context_ == Context::bare) {
        return where() + ": non-ASCII character outside a string or comment (TOML keys and "
                         "whitespace are ASCII; quote the key or the value)";
      }
      step();
    }
    return std::nullopt;
  }

private:
  bool startsWith(std::string_view token) const { return text_.substr(at_).starts_with(token); }

  void advance(std::size_t count) {
    for (std::size_t i = 0; i < count && at_ < text_.size(); ++i) {
      if (text_[at_] == '\n') {
        ++line_;
        column_ = 1;
      } else if ((static_cast<unsigned char>(text_[at_]) & 0xC0u) != 0x80u) {
        ++column_;  // count characters, not UTF-8 continuation bytes
      }
      ++at_;
    }
  }

  // Closes a multi-line string: up to two quotes right before the delimiter belong to the content.
  void closeMultiline(char quote) {
    std::size_t run = 0;
    while (at_ + run < text_.size() && text_[at_ + run] == quote && run < 5) {
      ++run;
    }
    advance(run);
    context_ = Context::bare;
  }

  void step() {
    const char c = text_[at_];
    if (escaped_) {
      escaped_ = false;  // content, whatever it is (run() has already checked the byte)
      advance(1);
      return;
    }
    switch (context_) {
      case Context::bare:
        if (c == '#') {
          context_ = Context::comment;
        } else if (startsWith("\"\"\"")) {
          context_ = Context::multiline_basic;
          advance(3);
          return;
        } else if (startsWith("'''")) {
          context_ = Context::multiline_literal;
          advance(3);
          return;
        } else if (c == '"') {
          context_ = Context::basic;
        } else if (c == '\'') {
          context_ = Context::literal;
        }
        break;
      case Context::comment:
        if (c == '\n') {
          context_ = Context::bare;
        }
        break;
      case Context::basic:
        if (c == '\\') {
          escaped_ = true;
        } else if (c == '"' || c == '\n') {
          context_ = Context::bare;  // a newline ends it too: toml++ reports the error
        }
        break;
      case Context::literal:
        if (c == '\'' || c == '\n') {
          context_ = Context::bare;
        }
        break;
      case Context::multiline_basic:
        if (c == '\\') {
          escaped_ = true;
        } else if (startsWith("\"\"\"")) {
          closeMultiline('"');
          return;
        }
        break;
      case Context::multiline_literal:
        if (startsWith("'''")) {
          closeMultiline('\'');
          return;
        }
        break;
    }
    advance(1);
  }

  std::string where() const {
    return "at line " + std::to_string(line_) + ", column " + std::to_string(column_);
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  Context context_ = Context::bare;
  bool escaped_ = false;
};

}  // namespace

std::optional<std::string> findForbiddenCharacter(std::string_view text) { return Scanner(text).run(); }

}  // namespace oh::gateway::config_prescan
