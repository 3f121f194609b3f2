#include "runtime/docker_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/docker_fields.h"
#include "common/json_fields.h"
#include "runtime/runtime_address.h"

namespace oh::gateway {
namespace {

namespace json = boost::json;
using common::objectAt;
using common::stringAt;

// Docker ids are 64 hex digits; names and label values are short. Anything longer is refused
// rather than carried into the index.
constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxNameLength = 256;
constexpr std::size_t kMaxLabelValueLength = 1024;

json::parse_options parseOptions() {
  json::parse_options options;
  options.max_depth = 16;  // the deepest thing we read is 4 levels down
  return options;
}

std::optional<std::uint16_t> portAt(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  if (const auto* i = v->if_int64()) {
    n = *i;
  } else if (const auto* u = v->if_uint64()) {
    n = *u > 65535 ? 0 : static_cast<std::int64_t>(*u);
  } else {
    return std::nullopt;
  }
  if (n < 1 || n > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(n);
}

std::string ipOf(const json::object& container, const std::string& network) {
  return common::containerNetworkIp(container, [&network](std::string_view name) {
    return network.empty() || name == network;
  });
}

std::optional<ContainerRecord> recordOf(const json::object& container, const RuntimeSettings& settings) {
  const auto id = stringAt(container, "Id");
  if (!id || id->empty() || id->size() > kMaxIdLength) {
    return std::nullopt;
  }
  ContainerRecord record;
  record.id = std::string(*id);
  if (const json::value* names = container.if_contains("Names")) {
    if (const json::array* list = names->if_array(); list != nullptr && !list->empty()) {
      if (const json::string* first = list->front().if_string(); first != nullptr && first->size() <= kMaxNameLength) {
        std::string_view name(first->data(), first->size());
        if (!name.empty() && name.front() == '/') {
          name.remove_prefix(1);
        }
        record.name = std::string(name);
      }
    }
  }
  record.name_id = conversationKeyFromName(record.name);
  if (const json::object* labels = objectAt(container, "Labels")) {
    if (auto conversation = stringAt(*labels, settings.conversation_label)) {
      record.conversation_id = normaliseConversationId(*conversation);
    }
    if (auto owner = stringAt(*labels, settings.user_label); owner && owner->size() <= kMaxLabelValueLength) {
      record.owner = std::string(*owner);
      record.has_owner_label = true;
    }
  }
  if (record.conversation_id.empty() && record.name_id.empty()) {
    return std::nullopt;  // not a sandbox we route to
  }
  if (auto state = stringAt(container, "State"); state && state->size() <= 32) {
    record.state = std::string(*state);
  }
  record.ip = ipOf(container, settings.network);
  if (const json::value* ports = container.if_contains("Ports")) {
    if (const json::array* list = ports->if_array()) {
      for (const json::value& entry : *list) {
        const json::object* port = entry.if_object();
        if (port == nullptr) {
          continue;
        }
        const auto type = stringAt(*port, "Type");
        if (type && *type != "tcp") {
          continue;
        }
        const auto private_port = portAt(*port, "PrivatePort");
        const auto public_port = portAt(*port, "PublicPort");
        if (private_port && public_port) {
          record.ports.push_back(PortMapping{*private_port, *public_port});
        }
        if (record.ports.size() >= 256) {
          break;
        }
      }
    }
  }
  return record;
}

std::optional<DockerEvent> eventOf(const json::value& value) {
  const json::object* event = value.if_object();
  if (event == nullptr) {
    return std::nullopt;
  }
  DockerEvent out;
  // Docker >= 1.22 and Podman send Type/Action/Actor; older daemons only status/id.
  auto type = stringAt(*event, "Type");
  out.type = type ? std::string(*type) : std::string("container");
  auto action = stringAt(*event, "Action");
  if (!action) {
    action = stringAt(*event, "status");
  }
  if (!action) {
    return std::nullopt;
  }
  std::string_view a = *action;
  a = a.substr(0, a.find(':'));  // "exec_start: sh -c ..." -> "exec_start"
  out.action = std::string(a.substr(0, 64));
  const json::object* actor = objectAt(*event, "Actor");
  if (out.type == "network") {
    const json::object* attributes = actor == nullptr ? nullptr : objectAt(*actor, "Attributes");
    if (attributes != nullptr) {
      if (auto container = stringAt(*attributes, "container")) {
        out.container_id = std::string(*container);
      }
    }
  } else {
    std::optional<std::string_view> id = actor == nullptr ? std::nullopt : stringAt(*actor, "ID");
    if (!id) {
      id = stringAt(*event, "id");
    }
    if (id) {
      out.container_id = std::string(*id);
    }
  }
  if (out.container_id.empty() || out.container_id.size() > kMaxIdLength) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

ContainerListResult parseContainerList(std::string_view text, const RuntimeSettings& settings) {
  ContainerListResult result;
  boost::system::error_code ec;
  const json::value value = json::parse(text, ec, json::storage_ptr(), parseOptions());
  if (ec) {
    result.error = "container list is not JSON: " + ec.message();
    return result;
  }
  const json::array* list = value.if_array();
  if (list == nullptr) {
    result.error = "container list is not a JSON array";
    return result;
  }
  result.listed = list->size();
  result.containers.reserve(list->size());
  for (const json::value& entry : *list) {
    const json::object* container = entry.if_object();
    if (container == nullptr) {
      continue;
    }
    if (auto record = recordOf(*container, settings)) {
      result.containers.push_back(std::make_shared<const ContainerRecord>(std::move(*record)));
    }
  }
  return result;
}

bool DockerEvent::affectsIndex() const {
  if (type == "network") {
    return action == "connect" || action == "disconnect";
  }
  if (type != "container") {
    return false;
  }
  // Podman's compat API reports "remove" and "cleanup" where Docker reports "destroy".
  static constexpr std::string_view kActions[] = {"create", "start",   "restart", "die",    "stop",   "kill",
                                                  "pause",  "unpause", "destroy", "remove", "rename", "cleanup",
                                                  "update", "died"};
  for (std::string_view known : kActions) {
    if (action == known) {
      return true;
    }
  }
  return false;
}

std::optional<DockerEvent> parseDockerEvent(std::string_view text) {
  boost::system::error_code ec;
  const json::value value = json::parse(text, ec, json::storage_ptr(), parseOptions());
  if (ec) {
    return std::nullopt;
  }
  return eventOf(value);
}

EventStreamDecoder::EventStreamDecoder(std::size_t max_object_bytes)
    : max_object_bytes_(max_object_bytes), parser_(json::storage_ptr(), parseOptions()) {}

std::optional<std::string> EventStreamDecoder::feed(std::string_view bytes,
                                                    const std::function<void(const DockerEvent&)>& on_event) {
  while (!bytes.empty()) {
    boost::system::error_code ec;
    const std::size_t used = parser_.write_some(bytes.data(), bytes.size(), ec);
    if (ec) {
      return "event stream is not JSON: " + ec.message();
    }
    current_bytes_ += used;
    bytes.remove_prefix(used);
    if (current_bytes_ > max_object_bytes_) {
      return "event object over the size limit";
    }
    if (parser_.done()) {
      const json::value value = parser_.release();
      parser_.reset();
      current_bytes_ = 0;
      if (auto event = eventOf(value)) {
        on_event(*event);
      }
    } else if (used == 0) {
      return "event stream parser made no progress";
    }
  }
  return std::nullopt;
}

}  // namespace oh::gateway
