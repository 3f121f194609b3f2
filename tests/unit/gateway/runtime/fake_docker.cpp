#include "fake_docker.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace oh::gateway::testing {
namespace {

void writeAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string answer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

FakeDocker::FakeDocker(std::string socket_path) : path_(std::move(socket_path)) {
  list_answer_ = answer("[]");
  ::unlink(path_.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("FakeDocker: cannot listen on " + path_);
  }
  acceptor_ = std::thread([this] { acceptLoop(); });
}

FakeDocker::~FakeDocker() {
  stopping_ = true;
  acceptor_.join();
  dropEvents();
  for (std::thread& t : threads_) {
    t.join();
  }
  ::close(listen_fd_);
  ::unlink(path_.c_str());
}

void FakeDocker::setList(std::string body) { setRawListAnswer(answer(body)); }

void FakeDocker::setRawListAnswer(std::string raw) {
  std::lock_guard lock(mutex_);
  list_answer_ = std::move(raw);
}

void FakeDocker::pushEvent(const std::string& json) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", json.size() + 1);
  const std::string chunk = size + json + "\n\r\n";
  std::lock_guard lock(mutex_);
  for (int fd : event_fds_) {
    if (!events_head_early_) {
      writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    }
    writeAll(fd, chunk);
  }
  events_head_early_ = true;
}

void FakeDocker::dropEvents() {
  std::lock_guard lock(mutex_);
  for (int fd : event_fds_) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  event_fds_.clear();
}

void FakeDocker::acceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) {
      continue;
    }
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd >= 0) {
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }
}

void FakeDocker::serve(int fd) {
  timeval timeout{2, 0};  // never let a test hang on a silent client
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      return;
    }
    head.append(buf, static_cast<std::size_t>(n));
  }
  if (head.starts_with("GET /events")) {
    std::lock_guard lock(mutex_);
    if (events_head_early_) {
      writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    }
    event_fds_.push_back(fd);  // stays open until dropEvents()
    ++event_connections_;      // counted once pushEvent() can reach it (tests wait on this)
    return;
  }
  std::string reply;
  if (head.starts_with("GET /containers/json")) {
    ++list_requests_;
    std::lock_guard lock(mutex_);
    reply = list_answer_;
  } else {
    reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  }
  writeAll(fd, reply);
  ::shutdown(fd, SHUT_WR);
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  ::close(fd);
}

}  // namespace oh::gateway::testing
