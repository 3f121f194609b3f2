#pragma once
// The store's statements, one text for both backends: SQLite reads $1, $2, … as parameters
// numbered in order of first appearance, PostgreSQL as positional ones, and the rest is SQL
// both speak (ON CONFLICT, JOIN). Values are always bound, never spliced in.

#include <string>
#include <string_view>

namespace oh::control::statements {

// $1 id, $2 owner, $3 spec JSON, $4 sealed keys (bytes), $5 desired, $6 last error,
// $7 created_at, $8 updated_at, $9 id_lower. A duplicate id or id_lower inserts nothing.
inline constexpr std::string_view kInsert =
    "INSERT INTO sandboxes (id, owner, spec, sealed_keys, desired, last_error, created_at, updated_at, revision, "
    "id_lower) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) ON CONFLICT DO NOTHING";

// $1 owner, $2 spec, $3 sealed keys, $4 desired, $5 last error, $6 updated_at, $7 id, $8 the
// revision read. Under PostgreSQL's READ COMMITTED a concurrent writer of the row waits for ours,
// then re-checks the revision against the new row: exactly one compare-and-set wins.
inline constexpr std::string_view kUpdate =
    "UPDATE sandboxes SET owner = $1, spec = $2, sealed_keys = $3, desired = $4, last_error = $5, "
    "updated_at = $6, revision = revision + 1 WHERE id = $7 AND revision = $8";

// $1 id. The conversation links go with it (ON DELETE CASCADE).
inline constexpr std::string_view kRemove = "DELETE FROM sandboxes WHERE id = $1";

// $1 conversation id, $2 sandbox id. An unknown sandbox violates the foreign key.
inline constexpr std::string_view kLink =
    "INSERT INTO sandbox_conversations (conversation_id, sandbox_id) VALUES ($1, $2) "
    "ON CONFLICT (conversation_id) DO UPDATE SET sandbox_id = excluded.sandbox_id";

// $1 owner.
inline constexpr std::string_view kCountByOwner = "SELECT COUNT(*) FROM sandboxes WHERE owner = $1";

// Which records a read returns: all, one id ($1), or one owner's ($1).
enum class RecordFilter { all, id, owner };

// The record columns in the order record_codec.h's StoredRecord lists them, oldest first, each
// with its conversation ids as a JSON array: one statement, so one round trip to PostgreSQL and
// one snapshot, links and records alike. The aggregate is the one word the dialects spell
// differently (and neither promises its order: decodeRecord sorts).
inline std::string selectRecords(RecordFilter filter, bool postgresql) {
  const std::string_view where = filter == RecordFilter::id      ? " WHERE s.id = $1"
                                 : filter == RecordFilter::owner ? " WHERE s.owner = $1"
                                                                 : "";
  const std::string_view conversations =
      postgresql ? "COALESCE((SELECT json_agg(c.conversation_id) FROM sandbox_conversations c "
                   "WHERE c.sandbox_id = s.id), '[]')"
                 : "(SELECT json_group_array(c.conversation_id) FROM sandbox_conversations c "
                   "WHERE c.sandbox_id = s.id)";
  return std::string("SELECT s.id, s.owner, s.spec, s.sealed_keys, s.desired, s.last_error, s.created_at, "
                     "s.updated_at, s.revision, ") +
         std::string(conversations) + " FROM sandboxes s" + std::string(where) + " ORDER BY s.created_at, s.id";
}

}  // namespace oh::control::statements
