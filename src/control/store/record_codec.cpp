#include "store/record_codec.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/json_fields.h"
#include "common/text.h"

namespace oh::control {
namespace {

namespace json = boost::json;
using common::failure;
using common::Result;

// Well-formed UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, at most
// U+10FFFF): what PostgreSQL's UTF8 text and Boost.JSON's parser both accept.
bool isUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t min = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = lead & 0x07u;
    } else {
      return false;
    }
    if (text.size() - i < length) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

Result<bool> checkUtf8(std::string_view field, std::string_view value) {
  if (!isUtf8(value)) {
    return failure(std::string(field) + " is not valid UTF-8");
  }
  return true;
}

json::value optionalId(const std::optional<std::uint32_t>& id) {
  return id ? json::value(static_cast<std::uint64_t>(*id)) : json::value(nullptr);
}

// Reads members of the stored object, remembering the first problem by name.
class SpecReader {
public:
  explicit SpecReader(const json::object& object) : object_(object) {}

  std::string text(std::string_view name) {
    const auto value = common::stringAt(object_, name);
    if (!value) {
      note(name, "a string");
    }
    return std::string(value.value_or(""));
  }

  std::vector<std::string> texts(std::string_view name) {
    std::vector<std::string> out;
    const json::array* array = arrayOf(name, "an array of strings");
    if (array == nullptr) {
      return out;
    }
    for (const json::value& item : *array) {
      if (!item.is_string()) {
        note(name, "an array of strings");
        return {};
      }
      out.emplace_back(item.get_string());
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> pairs(std::string_view name) {
    std::vector<std::pair<std::string, std::string>> out;
    const json::array* array = arrayOf(name, "an array of [name, value] pairs");
    if (array == nullptr) {
      return out;
    }
    for (const json::value& item : *array) {
      const json::array* pair = item.if_array();
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
        note(name, "an array of [name, value] pairs");
        return {};
      }
      out.emplace_back(std::string((*pair)[0].get_string()), std::string((*pair)[1].get_string()));
    }
    return out;
  }

  std::optional<std::uint32_t> optionalId(std::string_view name) {
    const json::value* value = object_.if_contains(name);
    if (value != nullptr && value->is_null()) {
      return std::nullopt;
    }
    if (value != nullptr) {
      if (value->is_uint64() && value->get_uint64() <= std::numeric_limits<std::uint32_t>::max()) {
        return static_cast<std::uint32_t>(value->get_uint64());
      }
      if (value->is_int64() && value->get_int64() >= 0 &&
          value->get_int64() <= std::numeric_limits<std::uint32_t>::max()) {
        return static_cast<std::uint32_t>(value->get_int64());
      }
    }
    note(name, "null or an integer from 0 to 4294967295");
    return std::nullopt;
  }

  double number(std::string_view name) {
    const json::value* value = object_.if_contains(name);
    if (value != nullptr && value->is_double()) {
      return value->get_double();
    }
    if (value != nullptr && value->is_int64()) {
      return static_cast<double>(value->get_int64());
    }
    if (value != nullptr && value->is_uint64()) {
      return static_cast<double>(value->get_uint64());
    }
    note(name, "a number");
    return 0;
  }

  const std::string& problem() const { return problem_; }

private:
  const json::array* arrayOf(std::string_view name, std::string_view expected) {
    const json::array* array = common::arrayAt(object_, name);
    if (array == nullptr) {
      note(name, expected);
    }
    return array;
  }

  void note(std::string_view name, std::string_view expected) {
    if (problem_.empty()) {
      problem_ = "member \"" + std::string(name) + "\" is missing or not " + std::string(expected);
    }
  }

  const json::object& object_;
  std::string problem_;
};

// ["a", "b", …] as strings; nullopt for anything else.
std::optional<std::vector<std::string>> decodeTexts(std::string_view text) {
  boost::system::error_code error;
  const json::value parsed = json::parse(text, error);
  const json::array* array = error ? nullptr : parsed.if_array();
  if (array == nullptr) {
    return std::nullopt;
  }
  std::vector<std::string> texts;
  for (const json::value& item : *array) {
    if (!item.is_string()) {
      return std::nullopt;
    }
    texts.emplace_back(item.get_string());
  }
  return texts;
}

}  // namespace

std::string encodeSpec(const SandboxSpec& spec) {
  json::array command;
  for (const std::string& argument : spec.command) {
    command.emplace_back(json::string_view(argument));
  }
  json::array environment;
  for (const auto& [name, value] : spec.environment) {
    environment.emplace_back(json::array{json::string_view(name), json::string_view(value)});
  }
  const json::object object{
      {"image", json::string_view(spec.image)},
      {"command", std::move(command)},
      {"working_dir", json::string_view(spec.working_dir)},
      {"environment", std::move(environment)},
      {"run_as_user", optionalId(spec.run_as_user)},
      {"run_as_group", optionalId(spec.run_as_group)},
      {"fs_group", optionalId(spec.fs_group)},
      {"resource_factor", spec.resource_factor},
  };
  return json::serialize(object);
}

Result<SandboxSpec> decodeSpec(std::string_view text) {
  boost::system::error_code error;
  const json::value parsed = json::parse(text, error);
  if (error) {
    return failure("the stored spec is not JSON (" + error.message() + ")");
  }
  const json::object* object = parsed.if_object();
  if (object == nullptr) {
    return failure("the stored spec is not a JSON object");
  }
  SpecReader reader(*object);
  SandboxSpec spec;
  spec.image = reader.text("image");
  spec.command = reader.texts("command");
  spec.working_dir = reader.text("working_dir");
  spec.environment = reader.pairs("environment");
  spec.run_as_user = reader.optionalId("run_as_user");
  spec.run_as_group = reader.optionalId("run_as_group");
  spec.fs_group = reader.optionalId("fs_group");
  spec.resource_factor = reader.number("resource_factor");
  if (!reader.problem().empty()) {
    return failure("the stored spec's " + reader.problem());
  }
  return spec;
}

Result<SandboxRecord> decodeRecord(StoredRecord row) {
  SandboxRecord record;
  record.id = std::move(row.id);
  auto spec = decodeSpec(row.spec);
  if (!spec) {
    return failure("sandbox " + record.id + ": " + spec.error().reason);
  }
  const auto desired = parseDesiredState(row.desired);
  if (!desired) {
    return failure("sandbox " + record.id + ": the stored desired state is neither running nor paused");
  }
  auto conversation_ids = decodeTexts(row.conversation_ids);
  if (!conversation_ids) {
    return failure("sandbox " + record.id + ": the conversation ids read back are not a JSON array of strings");
  }
  std::sort(conversation_ids->begin(), conversation_ids->end());
  record.owner = std::move(row.owner);
  record.spec = std::move(*spec);
  record.sealed_keys = std::move(row.sealed_keys);
  record.desired = *desired;
  record.last_error = std::move(row.last_error);
  record.created_at = row.created_at;
  record.updated_at = row.updated_at;
  record.revision = row.revision;
  record.conversation_ids = std::move(*conversation_ids);
  return record;
}

std::string_view desiredStateName(DesiredState state) {
  return state == DesiredState::paused ? "paused" : "running";
}

std::optional<DesiredState> parseDesiredState(std::string_view name) {
  if (name == "running") {
    return DesiredState::running;
  }
  if (name == "paused") {
    return DesiredState::paused;
  }
  return std::nullopt;
}

std::string idKey(std::string_view id) {
  std::string key(id);
  for (char& c : key) {
    c = common::toLowerAscii(c);
  }
  return key;
}

Result<bool> checkStorableText(std::string_view field, std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    return failure(std::string(field) + " contains a NUL byte");
  }
  return checkUtf8(field, value);
}

Result<bool> checkStorable(const SandboxRecord& record) {
  if (record.id.empty()) {
    return failure("the sandbox id is empty");
  }
  if (auto checked = checkStorableText("the sandbox id", record.id); !checked) {
    return checked;
  }
  if (record.owner.empty()) {
    return failure("sandbox " + record.id + ": the owner is empty");
  }
  const auto in = [&](std::string_view field) { return "sandbox " + record.id + ": " + std::string(field); };
  for (const auto& [field, value] : {std::pair<std::string_view, std::string_view>{"the owner", record.owner},
                                     {"the last error", record.last_error}}) {
    if (auto checked = checkStorableText(field, value); !checked) {
      return failure(in(checked.error().reason));
    }
  }
  // The spec travels as JSON, which escapes NULs but cannot carry invalid UTF-8.
  const SandboxSpec& spec = record.spec;
  bool spec_text_ok = isUtf8(spec.image) && isUtf8(spec.working_dir);
  for (const std::string& argument : spec.command) {
    spec_text_ok = spec_text_ok && isUtf8(argument);
  }
  for (const auto& [name, value] : spec.environment) {
    spec_text_ok = spec_text_ok && isUtf8(name) && isUtf8(value);
  }
  if (!spec_text_ok) {
    return failure(in("a string of the spec is not valid UTF-8"));
  }
  if (!std::isfinite(spec.resource_factor)) {
    return failure(in("the resource factor is not a finite number"));
  }
  return true;
}

}  // namespace oh::control
