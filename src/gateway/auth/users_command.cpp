#include "auth/users_command.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>

namespace oh::gateway::auth {
namespace {

constexpr const char* kUsage =
    "usage: oh-gateway users add|passwd <name> [--file PATH] [--password-stdin]\n"
    "       oh-gateway users remove <name> [--file PATH]\n"
    "       oh-gateway users list [--file PATH]\n";

// Turns terminal echo off for its lifetime.
class EchoOff {
public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

private:
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> readPassword(std::istream& in, bool interactive, std::ostream& err) {
  std::string first;
  if (interactive) {
    err << "Password: " << std::flush;
  }
  if (!std::getline(in, first)) {
    return std::nullopt;
  }
  if (!first.empty() && first.back() == '\r') {
    first.pop_back();
  }
  if (interactive) {
    std::string second;
    err << "\nRepeat password: " << std::flush;
    if (!std::getline(in, second)) {
      return std::nullopt;
    }
    err << "\n";
    if (first != second) {
      err << "passwords do not match\n";
      return std::nullopt;
    }
  }
  return first;
}

}  // namespace

int runUsersCommand(const std::vector<std::string>& args, std::istream& in, bool interactive, std::ostream& out,
                    std::ostream& err, const PasswordHashParams& params) {
  std::string verb;
  std::string name;
  std::string path;
  bool password_stdin = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--file" && i + 1 < args.size()) {
      path = args[++i];
    } else if (a.rfind("--file=", 0) == 0) {
      path = a.substr(7);
    } else if (a == "--password-stdin") {
      password_stdin = true;
    } else if (a.rfind("--password", 0) == 0 || a == "-p") {
      err << "passwords are never taken from the command line; use the prompt or --password-stdin\n";
      return 2;
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      err << "unknown option " << a << "\n" << kUsage;
      return 2;
    } else if (verb.empty()) {
      verb = a;
    } else if (name.empty()) {
      name = a;
    } else {
      err << "too many arguments\n" << kUsage;
      return 2;
    }
  }
  if (path.empty()) {
    const char* env = std::getenv("OH_GATEWAY_USERS_FILE");
    path = env != nullptr && *env != '\0' ? env : "/etc/oh-gateway/users";
  }
  const bool needs_name = verb == "add" || verb == "passwd" || verb == "remove";
  if (!(needs_name || verb == "list") || needs_name == name.empty()) {
    err << kUsage;
    return 2;
  }
  if (verb == "list") {
    std::string warning;
    auto file = loadUsersFile(path, true, &warning);
    if (!warning.empty()) {
      err << "warning: " << warning << "\n";
    }
    if (!file) {
      for (const std::string& p : file.error()) {
        err << p << "\n";
      }
      return 1;
    }
    for (const UserRecord& u : file->users) {
      out << u.name << "\n";
    }
    return 0;
  }
  Status result = okStatus();
  if (verb == "remove") {
    result = removeUser(path, name);
  } else {
    auto password = readPassword(in, interactive && !password_stdin, err);
    if (!password) {
      err << "no password given\n";
      return 1;
    }
    result = verb == "add" ? addUser(path, name, *password, params) : setPassword(path, name, *password, params);
  }
  if (!result) {
    err << result.error().reason << "\n";
    return 1;
  }
  out << (verb == "add" ? "added " : verb == "remove" ? "removed " : "changed the password of ") << name << " in "
      << path << "\n";
  return 0;
}

int runUsersCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  std::optional<EchoOff> echo_off;
  if (tty) {
    echo_off.emplace();
  }
  return runUsersCommand(args, std::cin, tty, out, err, PasswordHashParams::interactive());
}

}  // namespace oh::gateway::auth
