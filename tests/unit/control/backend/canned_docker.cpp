#include "canned_docker.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace oh::control::testing {
namespace {

void sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads one request (head, then a Content-Length body); false when the peer went away.
bool readRequest(int fd, CannedRequest& request) {
  std::string raw;
  char buffer[4096];
  std::size_t head_end = std::string::npos;
  std::size_t body_length = 0;
  while (true) {
    if (head_end == std::string::npos && (head_end = raw.find("\r\n\r\n")) != std::string::npos) {
      const std::string head = raw.substr(0, head_end);
      const std::size_t space = head.find(' ');
      request.method = head.substr(0, space);
      request.target = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
      for (const char* name : {"Content-Length: ", "content-length: "}) {
        if (const std::size_t at = head.find(name); at != std::string::npos) {
          body_length = std::stoul(head.substr(at + std::strlen(name)));
        }
      }
    }
    if (head_end != std::string::npos && raw.size() >= head_end + 4 + body_length) {
      request.body = raw.substr(head_end + 4, body_length);
      return true;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      return false;
    }
    raw.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

CannedDocker::CannedDocker(Responder responder) : responder_(std::move(responder)) {
  char pattern[] = "/tmp/oh-canned-docker-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = pattern;
  path_ = dir_ + "/docker.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("cannot listen on " + path_);
  }
  thread_ = std::thread([this] { serve(); });
}

CannedDocker::~CannedDocker() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<CannedRequest> CannedDocker::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void CannedDocker::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    CannedRequest request;
    if (readRequest(fd, request)) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const std::string answer = responder_(request);
      if (answer == kHang) {
        // Until the client closes its end (its deadline) or the test ends.
        char byte = 0;
        while (!stopping_) {
          pollfd q{fd, POLLIN, 0};
          if (::poll(&q, 1, 50) > 0 && ::recv(fd, &byte, 1, 0) <= 0) {
            break;
          }
        }
      } else if (answer != kClose) {
        sendAll(fd, answer);
      }
    }
    ::close(fd);
  }
}

std::string CannedDocker::json(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string CannedDocker::chunkedJson(int status, const std::string& body, std::size_t chunk) {
  std::string raw = "HTTP/1.1 " + std::to_string(status) +
                    " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    const std::string piece = body.substr(at, chunk);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    raw += size + piece + "\r\n";
  }
  return raw + "0\r\n\r\n";
}

}  // namespace oh::control::testing
