#pragma once
// The table of every TOML key oh-gateway accepts: its type, its allowed range and where the
// value goes in Settings. The loader walks the file against this table, so a key that is not
// here is reported as unknown, and a range lives in exactly one place.
// Private to oh_gateway_config.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.h"

namespace oh::gateway::config_schema {

struct IntegerField {
  std::int64_t min;
  std::int64_t max;
  std::string_view unit;  // "seconds", "bytes" or "" (appended to range messages)
  void (*assign)(Settings&, std::int64_t);
};

// A float (an integer is accepted too). min is exclusive when min_exclusive.
struct NumberField {
  double min;
  bool min_exclusive;
  double max;
  void (*assign)(Settings&, double);
};

struct BoolField {
  void (*assign)(Settings&, bool);
};

struct StringField {
  void (*assign)(Settings&, std::string);
};

// A string restricted to a fixed set of words.
struct ChoiceField {
  std::span<const std::string_view> choices;
  void (*assign)(Settings&, std::string_view);
};

struct StringListField {
  std::size_t max_items;
  void (*assign)(Settings&, std::vector<std::string>);
};

// [[limits.body]]: an array of tables, each read against bodyRuleSchema().
struct BodyRuleListField {};

struct FieldSpec {
  std::string_view key;  // dotted TOML key
  std::variant<IntegerField, NumberField, BoolField, StringField, ChoiceField, StringListField,
               BodyRuleListField>
      kind;
};

std::span<const FieldSpec> settingsSchema();

// Keys of one [[limits.body]] entry.
inline constexpr std::string_view kBodyRulePathPrefix = "path_prefix";
inline constexpr std::string_view kBodyRuleMaxBytes = "max_bytes";
inline constexpr std::int64_t kBodyRuleMaxBytesLimit = std::int64_t{1} << 50;  // 1 PiB
inline constexpr std::size_t kMaxBodyRules = 256;

// The field with this dotted key, or nullptr.
const FieldSpec* findField(std::string_view key);

// True when `key` names a table of the schema ("server", "limits", ...).
bool isSection(std::string_view key);

// Every dotted key and section name, for "did you mean" suggestions.
std::vector<std::string_view> allKeys();

}  // namespace oh::gateway::config_schema
