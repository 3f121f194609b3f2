#include "common/strict_json.h"

#include <string>
#include <unordered_set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include "common/text.h"

namespace oh::common {
namespace {

namespace json = boost::json;

// A basic_parser handler that builds nothing and only remembers the keys of each open object,
// to find a key given twice. Values are discarded; parse() builds the value afterwards.
class DuplicateKeyFinder {
public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::string duplicate;  // the first repeated key, "" when none

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    open_objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    open_objects_.pop_back();
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(json::string_view part, std::size_t, json::error_code& ec) {
    key_.append(part.data(), part.size());
    const bool inserted = open_objects_.back().insert(key_).second;
    if (!inserted) {
      duplicate = key_;
      ec = json::error::syntax;  // stops the parse; the caller reports `duplicate`
    }
    key_.clear();
    return inserted;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

private:
  std::vector<std::unordered_set<std::string>> open_objects_;
  std::string key_;
};

}  // namespace

Result<json::value> parseStrictJson(std::string_view text, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;

  json::basic_parser<DuplicateKeyFinder> finder(options);
  json::error_code ec;
  finder.write_some(false, text.data(), text.size(), ec);
  if (!finder.handler().duplicate.empty()) {
    // The key is the peer's text: cut (not inside a UTF-8 sequence), so a message stays short.
    constexpr std::size_t kMaxKeyInMessage = 64;
    return failure("duplicate key \"" + std::string(truncateUtf8(finder.handler().duplicate, kMaxKeyInMessage)) + "\"");
  }
  if (ec) {
    return failure("malformed JSON: " + ec.message());
  }
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec) {
    return failure("malformed JSON: " + ec.message());
  }
  return value;
}

}  // namespace oh::common
