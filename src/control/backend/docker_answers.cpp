#include "backend/docker_answers.h"

#include <arpa/inet.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/docker_fields.h"
#include "common/json_fields.h"
#include "common/text.h"

namespace oh::control {
namespace {

namespace json = boost::json;
using common::arrayAt;
using common::objectAt;
using common::stringAt;

constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxNameLength = 256;
constexpr std::size_t kMaxLabels = 256;
constexpr std::size_t kMaxLabelKeyLength = 256;
constexpr std::size_t kMaxLabelValueLength = 4096;
constexpr std::size_t kMaxMessageLength = 300;
constexpr std::size_t kMaxPullLine = 64 * 1024;

BackendFailure malformed(std::string what) {
  return BackendFailure{BackendFailure::Kind::other, "docker API answer unusable: " + std::move(what)};
}

std::optional<json::value> parseJson(std::string_view text) {
  json::parse_options options;
  options.max_depth = 32;  // the deepest field we read is 4 levels down; Podman nests more elsewhere
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, json::storage_ptr(), options);
  if (ec) {
    return std::nullopt;
  }
  return value;
}

std::map<std::string, std::string> labelsOf(const json::object* labels) {
  std::map<std::string, std::string> out;
  if (labels == nullptr) {
    return out;
  }
  for (const auto& [key, value] : *labels) {
    const json::string* text = value.if_string();
    if (text == nullptr || key.size() > kMaxLabelKeyLength || text->size() > kMaxLabelValueLength) {
      continue;
    }
    if (out.size() == kMaxLabels) {
      break;
    }
    out.emplace(std::string(key), std::string(*text));
  }
  return out;
}

std::string nameOf(std::string_view docker_name) {
  if (!docker_name.empty() && docker_name.front() == '/') {
    docker_name.remove_prefix(1);  // Docker reports "/name"
  }
  return std::string(docker_name);
}

// Fills the fields inspect and list share; false when the Id or name is missing or implausible.
bool observe(const json::object& container, std::string name, std::string_view status,
             const json::object* labels, std::string_view network_prefix, WorkloadObservation& out) {
  const auto id = stringAt(container, "Id");
  if (!id || id->empty() || id->size() > kMaxIdLength || name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  out.name = std::move(name);
  out.backend_id = std::string(*id);
  out.state = workloadStateOf(status);
  out.labels = labelsOf(labels);
  if (out.state == WorkloadState::running) {
    out.address = common::containerNetworkIp(container, [network_prefix](std::string_view network) {
      return !network_prefix.empty() && network.size() > network_prefix.size() &&
             network.substr(0, network_prefix.size()) == network_prefix;
    });
  }
  return true;
}

// At most 300 bytes of a peer's text (cut between UTF-8 sequences), control characters as spaces.
std::string trimmedMessage(std::string_view text) {
  const std::string_view kept = common::truncateUtf8(text, kMaxMessageLength);
  std::string out;
  out.reserve(kept.size() + 3);
  for (char c : kept) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  if (kept.size() < text.size()) {
    out.append("...");
  }
  return out;
}

}  // namespace

WorkloadState workloadStateOf(std::string_view status) {
  if (status == "created" || status == "configured" || status == "initialized") {
    return WorkloadState::created;
  }
  if (status == "running" || status == "paused" || status == "restarting") {
    return WorkloadState::running;
  }
  return WorkloadState::exited;
}

BackendResult<WorkloadObservation> parseContainerInspect(std::string_view text, std::string_view network_prefix) {
  const auto value = parseJson(text);
  if (!value) {
    return common::fail(malformed("container inspect is not JSON"));
  }
  const json::object* container = value->if_object();
  if (container == nullptr) {
    return common::fail(malformed("container inspect is not an object"));
  }
  const json::object* state = objectAt(*container, "State");
  const auto status = state == nullptr ? std::nullopt : stringAt(*state, "Status");
  if (!status) {
    return common::fail(malformed("container inspect has no State.Status"));
  }
  const json::object* config = objectAt(*container, "Config");
  const auto name = stringAt(*container, "Name");
  WorkloadObservation observation;
  if (!observe(*container, nameOf(name.value_or("")), *status, config == nullptr ? nullptr : objectAt(*config, "Labels"),
               network_prefix, observation)) {
    return common::fail(malformed("container inspect has no usable Id or Name"));
  }
  return observation;
}

namespace {

std::optional<std::uint64_t> unsignedAt(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (const std::uint64_t* u = value->if_uint64()) {
    return *u;
  }
  if (const std::int64_t* i = value->if_int64(); i != nullptr && *i >= 0) {
    return static_cast<std::uint64_t>(*i);
  }
  return std::nullopt;
}

}  // namespace

BackendResult<std::string> parseNetworkGateway(std::string_view text, std::string_view name) {
  const auto value = parseJson(text);
  const json::array* networks = value ? value->if_array() : nullptr;
  if (networks == nullptr) {
    return common::fail(malformed("network list is not a JSON array"));
  }
  const json::object* network = nullptr;
  for (const json::value& entry : *networks) {
    const json::object* candidate = entry.if_object();
    if (candidate != nullptr && stringAt(*candidate, "Name") == name) {
      network = candidate;
      break;
    }
  }
  if (network == nullptr) {
    return common::fail(BackendFailure{BackendFailure::Kind::other, "network " + std::string(name) + " is absent"});
  }
  const json::object* ipam = objectAt(*network, "IPAM");
  const json::array* configs = ipam != nullptr ? arrayAt(*ipam, "Config") : nullptr;
  std::string ipv4;
  std::string ipv6;
  if (configs != nullptr) {
    for (const json::value& entry : *configs) {
      const json::object* config = entry.if_object();
      const auto gateway = config != nullptr ? stringAt(*config, "Gateway") : std::nullopt;
      if (!gateway || gateway->empty()) {
        continue;
      }
      const std::string address(*gateway);
      unsigned char bytes[16];
      if (address.find('\0') != std::string::npos) {
        return common::fail(malformed("network gateway is not an IP address"));
      }
      if (::inet_pton(AF_INET, address.c_str(), bytes) == 1) {
        ipv4 = ipv4.empty() ? address : ipv4;
      } else if (::inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
        ipv6 = ipv6.empty() ? address : ipv6;
      } else {
        return common::fail(malformed("network gateway is not an IP address"));
      }
    }
  }
  return ipv4.empty() ? ipv6 : ipv4;
}

BackendResult<WorkloadUsage> parseContainerUsage(std::string_view text) {
  const auto value = parseJson(text);
  const json::object* stats = value ? value->if_object() : nullptr;
  const json::object* memory = stats == nullptr ? nullptr : objectAt(*stats, "memory_stats");
  const auto usage = memory == nullptr ? std::nullopt : unsignedAt(*memory, "usage");
  if (!usage) {
    return common::fail(malformed("container stats have no memory_stats.usage"));
  }
  std::uint64_t inactive = 0;
  if (const json::object* detail = objectAt(*memory, "stats")) {
    inactive = unsignedAt(*detail, "inactive_file").value_or(unsignedAt(*detail, "total_inactive_file").value_or(0));
  }
  return WorkloadUsage{inactive <= *usage ? *usage - inactive : *usage};
}

BackendResult<std::vector<WorkloadObservation>> parseContainerList(std::string_view text,
                                                                   std::string_view network_prefix) {
  const auto value = parseJson(text);
  if (!value) {
    return common::fail(malformed("container list is not JSON"));
  }
  const json::array* list = value->if_array();
  if (list == nullptr) {
    return common::fail(malformed("container list is not an array"));
  }
  std::vector<WorkloadObservation> out;
  out.reserve(list->size());
  for (const json::value& entry : *list) {
    const json::object* container = entry.if_object();
    if (container == nullptr) {
      continue;
    }
    const json::array* names = arrayAt(*container, "Names");
    const json::string* first = names == nullptr || names->empty() ? nullptr : names->front().if_string();
    WorkloadObservation observation;
    if (observe(*container, first == nullptr ? std::string() : nameOf(*first),
                stringAt(*container, "State").value_or(""), objectAt(*container, "Labels"), network_prefix,
                observation)) {
      out.push_back(std::move(observation));
    }
  }
  return out;
}

std::string dockerMessage(std::string_view body) {
  if (const auto value = parseJson(body)) {
    if (const json::object* object = value->if_object()) {
      if (const auto message = stringAt(*object, "message")) {
        return trimmedMessage(*message);
      }
    }
  }
  return trimmedMessage(body);
}

void PullProgress::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t end = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, end);
    if (!skipping_) {
      if (pending_.size() + piece.size() > kMaxPullLine) {
        skipping_ = true;
        pending_.clear();
      } else {
        pending_.append(piece);
      }
    }
    if (end == std::string_view::npos) {
      return;
    }
    if (!skipping_) {
      line(pending_);
    }
    pending_.clear();
    skipping_ = false;
    bytes.remove_prefix(end + 1);
  }
}

std::optional<std::string> PullProgress::finish() {
  if (!skipping_ && !pending_.empty()) {
    line(pending_);
  }
  pending_.clear();
  skipping_ = false;
  return error_;
}

void PullProgress::line(std::string_view text) {
  if (error_) {
    return;
  }
  const auto value = parseJson(text);
  const json::object* object = value ? value->if_object() : nullptr;
  if (object == nullptr) {
    return;
  }
  if (const auto error = stringAt(*object, "error")) {
    error_ = trimmedMessage(*error);
  } else if (const json::object* detail = objectAt(*object, "errorDetail")) {
    error_ = trimmedMessage(stringAt(*detail, "message").value_or("the pull failed"));
  }
}

}  // namespace oh::control
