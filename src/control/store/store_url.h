#pragma once
// The store URLs openSandboxStore() accepts, checked before anything is opened, and the one
// form of a URL that may appear in a message (its password removed).

#include <string>
#include <string_view>

#include "common/result.h"

namespace oh::control {

enum class StoreKind { sqlite, postgresql };

// Which backend a URL names: "sqlite:" or "postgresql://" / "postgres://" (libpq's schemes).
common::Result<StoreKind> storeKindOf(std::string_view url);

// The absolute file path of "sqlite:///absolute/path.db" (percent-escapes decoded). Refused:
// a relative path or a host ("sqlite://relative/x.db"), a query or fragment, a NUL.
common::Result<std::string> sqlitePathOf(std::string_view url);

// Refuses a PostgreSQL URL that carries a password (in its user info or a password=
// parameter): the password belongs in PGPASSWORD or PGPASSFILE, never in configuration.
common::Result<bool> checkPostgresUrl(std::string_view url);

// The URL as messages may show it: any password in the user info or a password= parameter
// replaced by "***". Text that is not a URL is reduced to "(not a URL)".
std::string redactedUrl(std::string_view url);

}  // namespace oh::control
