#pragma once
// How a SandboxRecord's fields are kept in a row, the same for every backend so a database
// written by one build reads back exactly in the next: the spec as JSON text, the desired state
// as a word, the id's host-name form. Also the values no backend could keep identically (a NUL
// or invalid UTF-8 in a text column: PostgreSQL's text refuses both), refused before writing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/sandbox_record.h"

namespace oh::control {

// {"image":…,"command":[…],"working_dir":…,"environment":[[k,v],…],"run_as_user":n|null,
//  "run_as_group":…,"fs_group":…,"resource_factor":x}. Strings keep NULs (escaped as \u0000);
// the environment stays an array of pairs so order and duplicate names survive.
std::string encodeSpec(const SandboxSpec& spec);

// The spec encodeSpec wrote. Unknown members are ignored (a later build may add some); a
// missing or mistyped member, or text that is not JSON, is a failure saying which.
common::Result<SandboxSpec> decodeSpec(std::string_view json);

std::string_view desiredStateName(DesiredState state);            // "running" | "paused"
std::optional<DesiredState> parseDesiredState(std::string_view name);

// The id as a host name compares it: ASCII lower case (ids are base62; anything else is kept).
std::string idKey(std::string_view id);

// A row of sandboxes as a backend read it (statements::selectRecords' columns).
struct StoredRecord {
  std::string id;
  std::string owner;
  std::string spec;
  std::string sealed_keys;
  std::string desired;
  std::string last_error;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t revision = 0;
  std::string conversation_ids;  // a JSON array of strings, in any order
};

// The record a row holds, conversation ids ascending. A spec, state or id list that no longer
// reads (the row was damaged on disk) is a failure naming the sandbox.
common::Result<SandboxRecord> decodeRecord(StoredRecord row);

// Refuses a record a backend could not keep exactly: a NUL or invalid UTF-8 in the id, owner or
// last error, invalid UTF-8 in the spec's strings, a resource factor that is not finite, an
// empty id or owner. The failure names the field.
common::Result<bool> checkStorable(const SandboxRecord& record);

// The same check for one text value (a conversation id, an owner to list by).
common::Result<bool> checkStorableText(std::string_view field, std::string_view value);

}  // namespace oh::control
