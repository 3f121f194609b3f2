#include "config/load_settings.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include <toml++/toml.h>

#include "config/quote.h"
#include "config/schema.h"
#include "config/toml_prescan.h"
#include "config/upstream_url.h"
#include "config/validation_rules.h"

namespace oh::gateway {
namespace {

using config_schema::FieldSpec;
using config_text::quoted;

// A problem found while reading values, with its position so they can be listed in file order.
struct PositionedProblem {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  ConfigProblem problem;
};

std::string typeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string formatNumber(double value) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

// Levenshtein distance, for "did you mean" on unknown keys (keys are short).
std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

class SettingsReader {
public:
  explicit SettingsReader(std::string_view source_name) : source_name_(source_name) {}

  void readTable(const toml::table& table, const std::string& prefix) {
    for (const auto& [name, node] : table) {
      const std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      if (const FieldSpec* field = config_schema::findField(key)) {
        positions_.emplace(key, position(node.source()));
        readField(*field, key, node);
      } else if (config_schema::isSection(key)) {
        if (const toml::table* section = node.as_table()) {
          readTable(*section, key);
        } else {
          add(key, node, "must be a table ([" + key + "]), but " + typeName(node) + " was provided");
        }
      } else {
        add(config_text::printable(key), name.source(), unknownKeyMessage(key));
      }
    }
  }

  std::vector<ConfigProblem> takeProblems() {
    std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<ConfigProblem> out;
    out.reserve(problems_.size() + 1);
    for (auto& p : problems_) {
      out.push_back(std::move(p.problem));
    }
    if (dropped_ > 0) {
      out.push_back({"", "... and " + std::to_string(dropped_) + " more problems"});
    }
    return out;
  }

  Settings& settings() { return settings_; }

  // " (file line L, column C)" for a key present in the file, "" otherwise.
  std::string positionOf(std::string_view key) const {
    auto found = positions_.find(key);
    return found == positions_.end() ? std::string() : found->second;
  }

private:
  void add(const std::string& key, const toml::node& node, std::string message) {
    add(key, node.source(), std::move(message));
  }

  std::string position(const toml::source_region& where) const {
    if (where.begin.line == 0) {
      return {};
    }
    return " (" + std::string(source_name_) + " line " + std::to_string(where.begin.line) + ", column " +
           std::to_string(where.begin.column) + ")";
  }

  void add(const std::string& key, const toml::source_region& where, std::string message) {
    if (problems_.size() >= kMaxProblems) {
      ++dropped_;  // a file of garbage keys must not turn into megabytes of messages
      return;
    }
    message += position(where);
    problems_.push_back({where.begin.line, where.begin.column, {key, std::move(message)}});
  }

  static std::string unknownKeyMessage(const std::string& key) {
    std::string message = "is not a known key";
    std::string_view best;
    // No real key is longer than 64, and the distance is quadratic in the length.
    std::size_t best_distance = 4;  // suggest only close matches: at most 3 edits, a third of the key
    for (std::string_view candidate : config_schema::allKeys()) {
      const std::size_t d = key.size() <= 64 ? editDistance(key, candidate) : best_distance;
      if (d < best_distance && d * 3 <= key.size()) {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) {
      message += "; did you mean \"" + std::string(best) + "\"?";
    } else {
      message += " (see deploy/gateway.example.toml for every key)";
    }
    return message;
  }

  void readField(const FieldSpec& field, const std::string& key, const toml::node& node) {
    std::visit([&](const auto& kind) { read(kind, key, node); }, field.kind);
  }

  void read(const config_schema::IntegerField& f, const std::string& key, const toml::node& node) {
    const auto* value = node.as_integer();
    if (value == nullptr) {
      add(key, node, "must be an integer, but " + typeName(node) + " was provided");
      return;
    }
    const std::int64_t v = value->get();
    if (v < f.min || v > f.max) {
      std::string range = "must be between " + std::to_string(f.min) + " and " + std::to_string(f.max);
      if (!f.unit.empty()) {
        range += " " + std::string(f.unit);
      }
      add(key, node, range + ", but " + std::to_string(v) + " was provided");
      return;
    }
    f.assign(settings_, v);
  }

  void read(const config_schema::NumberField& f, const std::string& key, const toml::node& node) {
    double v = 0;
    if (const auto* integer = node.as_integer()) {
      v = static_cast<double>(integer->get());
    } else if (const auto* floating = node.as_floating_point()) {
      v = floating->get();
    } else {
      add(key, node, "must be a number, but " + typeName(node) + " was provided");
      return;
    }
    const bool below = f.min_exclusive ? !(v > f.min) : !(v >= f.min);
    if (!std::isfinite(v) || below || v > f.max) {
      add(key, node, std::string("must be ") + (f.min_exclusive ? "greater than " : "at least ") +
                         formatNumber(f.min) + " and at most " + formatNumber(f.max) + ", but " +
                         formatNumber(v) + " was provided");
      return;
    }
    f.assign(settings_, v);
  }

  void read(const config_schema::BoolField& f, const std::string& key, const toml::node& node) {
    const auto* value = node.as_boolean();
    if (value == nullptr) {
      add(key, node, "must be true or false, but " + typeName(node) + " was provided");
      return;
    }
    f.assign(settings_, value->get());
  }

  // Strings may not hold NUL: paths and addresses go to C APIs that would cut them short.
  std::optional<std::string> stringValue(const std::string& key, const toml::node& node) {
    const auto* value = node.as_string();
    if (value == nullptr) {
      add(key, node, "must be a string, but " + typeName(node) + " was provided");
      return std::nullopt;
    }
    if (value->get().find('\0') != std::string::npos) {
      add(key, node, "must not contain NUL characters");
      return std::nullopt;
    }
    return value->get();
  }

  void read(const config_schema::StringField& f, const std::string& key, const toml::node& node) {
    if (auto value = stringValue(key, node)) {
      f.assign(settings_, std::move(*value));
    }
  }

  void read(const config_schema::ChoiceField& f, const std::string& key, const toml::node& node) {
    auto value = stringValue(key, node);
    if (!value) {
      return;
    }
    if (std::find(f.choices.begin(), f.choices.end(), *value) == f.choices.end()) {
      std::string choices;
      for (std::string_view choice : f.choices) {
        choices += (choices.empty() ? "\"" : ", \"") + std::string(choice) + "\"";
      }
      add(key, node, "must be one of " + choices + ", but " + quoted(*value) + " was provided");
      return;
    }
    f.assign(settings_, *value);
  }

  void read(const config_schema::StringListField& f, const std::string& key, const toml::node& node) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      add(key, node, "must be an array of strings, but " + typeName(node) + " was provided");
      return;
    }
    if (array->size() > f.max_items) {
      add(key, node, "must have at most " + std::to_string(f.max_items) + " entries, but " +
                         std::to_string(array->size()) + " were provided");
      return;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      if (auto value = stringValue(item_key, *array->get(i))) {
        values.push_back(std::move(*value));
      } else {
        ok = false;
      }
    }
    if (ok) {
      f.assign(settings_, std::move(values));
    }
  }

  void read(const config_schema::BodyRuleListField&, const std::string& key, const toml::node& node) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      add(key, node, "must be an array of tables ([[" + key + "]]), but " + typeName(node) + " was provided");
      return;
    }
    if (array->size() > config_schema::kMaxBodyRules) {
      add(key, node, "must have at most " + std::to_string(config_schema::kMaxBodyRules) +
                         " entries, but " + std::to_string(array->size()) + " were provided");
      return;
    }
    std::vector<BodyLimitRule> rules;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      const toml::node& item = *array->get(i);
      auto rule = readBodyRule(item_key, item);
      if (rule) {
        rules.push_back(std::move(*rule));
      } else {
        ok = false;
      }
    }
    if (ok) {
      settings_.limits.body_rules = std::move(rules);
    }
  }

  std::optional<BodyLimitRule> readBodyRule(const std::string& key, const toml::node& node) {
    const auto* table = node.as_table();
    if (table == nullptr) {
      add(key, node, "must be a table with path_prefix and max_bytes, but " + typeName(node) + " was provided");
      return std::nullopt;
    }
    bool ok = true;
    for (const auto& [name, value] : *table) {
      if (name.str() != config_schema::kBodyRulePathPrefix && name.str() != config_schema::kBodyRuleMaxBytes) {
        add(key + "." + config_text::printable(name.str()), name.source(),
            "is not a known key (expected path_prefix and max_bytes)");
        ok = false;
      }
    }
    BodyLimitRule rule;
    const toml::node* prefix = table->get(config_schema::kBodyRulePathPrefix);
    const std::string prefix_key = key + "." + std::string(config_schema::kBodyRulePathPrefix);
    if (prefix == nullptr) {
      add(prefix_key, node, "is required");
      ok = false;
    } else if (auto text = stringValue(prefix_key, *prefix)) {
      if (text->empty() || text->front() != '/') {
        add(prefix_key, *prefix, "must start with '/', but " + quoted(*text) + " was provided");
        ok = false;
      } else {
        rule.path_prefix = std::move(*text);
      }
    } else {
      ok = false;
    }
    const toml::node* max = table->get(config_schema::kBodyRuleMaxBytes);
    const std::string max_key = key + "." + std::string(config_schema::kBodyRuleMaxBytes);
    if (max == nullptr) {
      add(max_key, node, "is required");
      ok = false;
    } else if (const auto* integer = max->as_integer()) {
      const std::int64_t v = integer->get();
      if (v < 0 || v > config_schema::kBodyRuleMaxBytesLimit) {
        add(max_key, *max, "must be between 0 and " + std::to_string(config_schema::kBodyRuleMaxBytesLimit) +
                               " bytes, but " + std::to_string(v) + " was provided");
        ok = false;
      } else {
        rule.max_bytes = static_cast<std::uint64_t>(v);
      }
    } else {
      add(max_key, *max, "must be an integer, but " + typeName(*max) + " was provided");
      ok = false;
    }
    if (!ok) {
      return std::nullopt;
    }
    return rule;
  }

  std::string_view source_name_;
  Settings settings_;
  static constexpr std::size_t kMaxProblems = 100;
  std::vector<PositionedProblem> problems_;
  std::size_t dropped_ = 0;
  std::map<std::string, std::string, std::less<>> positions_;  // key -> position text
};

std::vector<ConfigProblem> oneProblem(std::string message) {
  return {ConfigProblem{"", std::move(message)}};
}

}  // namespace

LoadResult parseSettings(std::string_view toml_text, std::string_view source_name) {
  if (toml_text.size() > kMaxConfigBytes) {
    return oneProblem(std::string(source_name) + " is " + std::to_string(toml_text.size()) +
                      " bytes; a configuration file must be at most " + std::to_string(kMaxConfigBytes) +
                      " bytes");
  }
  if (auto problem = config_prescan::findForbiddenCharacter(toml_text)) {
    return oneProblem(std::string(source_name) + " is not valid TOML " + *problem);
  }
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return oneProblem(std::string(source_name) + " is not valid TOML at line " + std::to_string(begin.line) +
                      ", column " + std::to_string(begin.column) + ": " + std::string(error.description()));
  } catch (const std::exception& error) {
    // toml++ reports everything as parse_error; this keeps the promise never to throw.
    return oneProblem(std::string(source_name) + " could not be parsed: " + error.what());
  }

  SettingsReader reader(source_name);
  reader.readTable(root, "");
  std::vector<ConfigProblem> problems = reader.takeProblems();
  Settings& settings = reader.settings();

  for (const config_rules::ValidationRule& rule : config_rules::validationRules()) {
    // A key whose value was already refused keeps its default; checking that default would
    // only add noise.
    const bool already_reported = std::any_of(problems.begin(), problems.end(), [&](const ConfigProblem& p) {
      return p.key == rule.key || p.key.starts_with(std::string(rule.key) + "[") ||
             p.key.starts_with(std::string(rule.key) + ".");
    });
    if (already_reported) {
      continue;
    }
    if (auto message = rule.violation(settings)) {
      problems.push_back({std::string(rule.key), std::move(*message) + reader.positionOf(rule.key)});
    }
  }
  if (!problems.empty()) {
    return problems;
  }

  auto endpoint = std::get<UpstreamEndpoint>(parseUpstreamUrl(settings.upstream.url));
  settings.upstream.host = std::move(endpoint.host);
  settings.upstream.port = endpoint.port;
  return std::move(settings);
}

LoadResult loadSettingsFile(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    const int error = errno;
    return oneProblem("cannot open " + quoted(path) + ": " + std::strerror(error));
  }
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (text.size() > kMaxConfigBytes) {
      return oneProblem(quoted(path) + " is larger than " + std::to_string(kMaxConfigBytes) +
                        " bytes; a configuration file is a few KB");
    }
    if (n < sizeof buffer) {
      if (std::ferror(file.get()) != 0) {
        const int error = errno;
        return oneProblem("cannot read " + quoted(path) + ": " + std::strerror(error));
      }
      break;
    }
  }
  return parseSettings(text, path);
}

LoadResult reloadSettingsFile(const std::string& path) { return loadSettingsFile(path); }

std::vector<std::string> keysNeedingRestart(const Settings& running, const Settings& reloaded) {
  std::vector<std::string> keys;
  auto check = [&](bool changed, const char* key) {
    if (changed) {
      keys.emplace_back(key);
    }
  };
  check(running.mode != reloaded.mode, "mode");
  check(running.server.listen_address != reloaded.server.listen_address, "server.listen_address");
  check(running.server.listen_port != reloaded.server.listen_port, "server.listen_port");
  check(running.server.threads != reloaded.server.threads, "server.threads");
  check(running.admin.enabled != reloaded.admin.enabled, "admin.enabled");
  check(running.admin.listen_address != reloaded.admin.listen_address, "admin.listen_address");
  check(running.admin.listen_port != reloaded.admin.listen_port, "admin.listen_port");
  // The sandbox service and its listener are built once, at start, from the whole section.
  check(running.sandbox != reloaded.sandbox, "sandbox");
  // So is the app-server pool: its containers carry what it was started with.
  check(running.appserver != reloaded.appserver, "appserver");
  // The credential endpoint too: its listener, key and STS client are built at start.
  check(running.credentials != reloaded.credentials, "credentials");
  return keys;
}

std::string describe(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const ConfigProblem& problem : problems) {
    if (problem.key.empty()) {
      out += problem.message + "\n";
    } else {
      out += problem.key + ": " + problem.message + "\n";
    }
  }
  return out;
}

}  // namespace oh::gateway
