#pragma once
// `oh-gateway users add|remove|passwd|list`: manage the local accounts file from the CLI.
//
//   oh-gateway users add <name> [--file PATH] [--password-stdin]
//   oh-gateway users passwd <name> [--file PATH] [--password-stdin]
//   oh-gateway users remove <name> [--file PATH]
//   oh-gateway users list [--file PATH]
//
// args start AFTER "users". The file defaults to $OH_GATEWAY_USERS_FILE, else
// /etc/oh-gateway/users. Passwords never come from argv (visible in ps and shell history):
// they are prompted for twice with echo off on a terminal, or read as one line from stdin
// (--password-stdin, or when stdin is not a terminal). Returns the process exit code.

#include "auth/local_users.h"

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace oh::gateway::auth {

int runUsersCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The same with explicit input and hash cost (tests: a string stream, minimal cost).
// `interactive` means: prompt on `err` and ask twice (the caller turns terminal echo off).
int runUsersCommand(const std::vector<std::string>& args, std::istream& in, bool interactive, std::ostream& out,
                    std::ostream& err, const PasswordHashParams& params);

}  // namespace oh::gateway::auth
